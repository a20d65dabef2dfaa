// The ovn-nbctl verbs for the northd features of gateway ports, QoS, meters, HA chassis
// groups and DHCPv6, end to end against a real SqliteStore: the rows they write, what they
// print and how they refuse, as ovn-nbctl 23.03 does (outputs taken from it).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { LoomError, type Store } from '../store/types.js';
import { nb, openNbStore } from './test-support.js';

const openStore = (t: TestContext) => openNbStore(t, 'loom-cli-verbs-');

async function refused(store: Store, message: string, ...argv: string[]): Promise<void> {
  await assert.rejects(nb(store, ...argv), (e: unknown) => e instanceof LoomError && e.message === message, `${argv.join(' ')} → ${message}`);
}

const stable = (text: string): string => text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');

test('qos-add/list/del as ovn-nbctl 23.03', async (t) => {
  const s = openStore(t);
  await nb(s, 'ls-add', 'ls1');
  await nb(s, 'qos-add', 'ls1', 'from-lport', '100', 'ip4.src == 10.0.0.10', 'dscp=12');
  await nb(s, 'qos-add', 'ls1', 'to-lport', '200', 'ip4.dst == 10.0.0.10', 'rate=1000', 'burst=100');
  await nb(s, 'qos-add', 'ls1', 'from-lport', '300', 'udp', 'rate=2000', 'dscp=20');
  await refused(s, 'Same qos already existed on the ls ls1.', 'qos-add', 'ls1', 'from-lport', '300', 'udp', 'rate=2000', 'dscp=20');
  await nb(s, '--may-exist', 'qos-add', 'ls1', 'from-lport', '300', 'udp', 'rate=2000', 'dscp=20');
  await refused(s, '64: dscp must be in the range 0...63', 'qos-add', 'ls1', 'from-lport', '300', 'tcp', 'dscp=64');
  await refused(s, 'Either "rate" and/or "dscp" must be specified', 'qos-add', 'ls1', 'from-lport', '300', 'tcp', 'burst=10');
  await refused(s, 'sideways: direction must be "to-lport" or "from-lport"', 'qos-add', 'ls1', 'sideways', '300', 'tcp', 'dscp=1');
  await refused(s, 'foo=1: supported arguments are "dscp=", "rate=", and "burst="', 'qos-add', 'ls1', 'from-lport', '300', 'tcp', 'foo=1');
  assert.equal(await nb(s, 'qos-list', 'ls1'), [
    'from-lport   300 (udp) rate=2000 dscp=20',
    'from-lport   100 (ip4.src == 10.0.0.10) dscp=12',
    '  to-lport   200 (ip4.dst == 10.0.0.10) rate=1000 burst=100',
    '',
  ].join('\n'));
  const rows = await s.select('QoS');
  assert.equal(rows.length, 3);
  assert.deepEqual(rows.find((r) => r['priority'] === 200)?.['bandwidth'], { burst: 100, rate: 1000 });
  await refused(s, 'cannot specify priority without match', 'qos-del', 'ls1', 'from-lport', '300');
  await nb(s, 'qos-del', 'ls1', 'to-lport');
  const u = (await s.select('QoS')).find((r) => r['priority'] === 100)?._uuid ?? '';
  await nb(s, 'qos-del', 'ls1', u);
  assert.equal(await nb(s, 'qos-list', 'ls1'), 'from-lport   300 (udp) rate=2000 dscp=20\n');
  await nb(s, 'qos-del', 'ls1');
  assert.equal((await s.select('QoS')).length, 0);
});

test('meter-add/list/del as ovn-nbctl 23.03; an ACL logs through a meter by name', async (t) => {
  const s = openStore(t);
  await nb(s, 'meter-add', 'm1', 'drop', '10', 'pktps');
  await nb(s, 'meter-add', 'm2', 'drop', '100', 'kbps', '20');
  await refused(s, 'meter with name "m1" already exists', 'meter-add', 'm1', 'drop', '10', 'pktps');
  await refused(s, 'meter names that begin with "__" are reserved', 'meter-add', '__x', 'drop', '10', 'pktps');
  await refused(s, 'action must be "drop"', 'meter-add', 'm3', 'pass', '10', 'pktps');
  await refused(s, 'unit must be "kbps" or "pktps"', 'meter-add', 'm3', 'drop', '10', 'mbps');
  await refused(s, 'rate must be in the range 1...4294967295', 'meter-add', 'm3', 'drop', '0', 'kbps');
  assert.equal(await nb(s, 'meter-list'), 'm1: bands:\n  drop: 10 pktps\nm2: bands:\n  drop: 100 kbps, 20 kb burst\n');
  await nb(s, 'meter-del', 'm9');
  await nb(s, 'meter-del', 'm2');
  assert.equal(await nb(s, 'meter-list'), 'm1: bands:\n  drop: 10 pktps\n');
  assert.equal((await s.select('Meter_Band')).length, 1, 'the deleted meter\'s band went with it');
  await nb(s, 'ls-add', 'ls1', '--', '--log', '--meter=m1', '--name=ssh', '--severity=warning', 'acl-add', 'ls1', 'to-lport', '1000', 'tcp.dst == 22', 'allow-related');
  const acl = (await s.select('ACL'))[0];
  assert.deepEqual([acl?.['log'], acl?.['meter'], acl?.['name'], acl?.['severity']], [true, 'm1', 'ssh', 'warning']);
});

test('ha-chassis-group-* as ovn-nbctl 23.03', async (t) => {
  const s = openStore(t);
  await nb(s, 'ha-chassis-group-add', 'g1');
  await nb(s, 'ha-chassis-group-add-chassis', 'g1', 'hv1', '30');
  await nb(s, 'ha-chassis-group-add-chassis', 'g1', 'hv2', '20');
  await nb(s, 'ha-chassis-group-add-chassis', 'g1', 'hv2', '25');
  await refused(s, '40000: priority must in range 0...32767', 'ha-chassis-group-add-chassis', 'g1', 'hv3', '40000');
  assert.equal(stable(await nb(s, 'ha-chassis-group-list')), '<uuid> (g1)\n    <uuid> (hv1)\n    priority 30\n\n    <uuid> (hv2)\n    priority 25\n\n\n');
  await refused(s, 'hv9: ha chassis not found in g1 ha chassis group', 'ha-chassis-group-remove-chassis', 'g1', 'hv9');
  await nb(s, 'ha-chassis-group-remove-chassis', 'g1', 'hv2');
  assert.equal((await s.select('HA_Chassis')).length, 1);
  await refused(s, 'g9: ha_chassi_group name not found', 'ha-chassis-group-del', 'g9');
  await nb(s, 'ha-chassis-group-del', 'g1');
  assert.equal(await nb(s, 'ha-chassis-group-list'), '');
  assert.equal((await s.select('HA_Chassis')).length, 0);
});

test('lsp-set/get-dhcpv6-options as ovn-nbctl 23.03', async (t) => {
  const s = openStore(t);
  await nb(s, 'ls-add', 'ls1', '--', 'lsp-add', 'ls1', 'vm1');
  await nb(s, 'create', 'DHCP_Options', 'cidr="fd00::/64"', 'options:server_id=00:00:00:00:10:02');
  const d = (await s.select('DHCP_Options'))[0]?._uuid ?? '';
  await nb(s, 'lsp-set-dhcpv6-options', 'vm1', d);
  assert.equal(await nb(s, 'lsp-get-dhcpv6-options', 'vm1'), `${d} (fd00::/64)\n`);
  await nb(s, 'lsp-set-dhcpv6-options', 'vm1');
  assert.equal(await nb(s, 'lsp-get-dhcpv6-options', 'vm1'), '');
});
