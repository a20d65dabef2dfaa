// End to end against a real in-process SqliteStore: command chains → one transaction →
// the rows and the printed output an ovn-nbctl user expects.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { nbSchema } from '../schemas/index.js';
import type { Row, Store } from '../store/types.js';
import { parseArgs } from './args.js';
import { nbCommands } from './nbctl.js';
import { runInvocation } from './run.js';
import { nb, openNbStore } from './test-support.js';

const openStore = (t: TestContext) => openNbStore(t);

/** Replaces each distinct UUID by <N> in order of first appearance. */
function stable(text: string): string {
  const seen = new Map<string, string>();
  return text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (u) => {
    if (!seen.has(u)) seen.set(u, `<${seen.size + 1}>`);
    return seen.get(u) as string;
  });
}

async function snapshot(store: Store): Promise<string> {
  const out: Record<string, Row[]> = {};
  for (const t of Object.keys(nbSchema.tables)) out[t] = [...(await store.select(t))].sort((a, b) => (a._uuid < b._uuid ? -1 : 1));
  return JSON.stringify(out);
}

const TOPOLOGY = [
  '--', 'ls-add', 'sw0',
  '--', 'lsp-add', 'sw0', 'vm1', '--', 'lsp-set-addresses', 'vm1', '0a:00:00:00:00:01 10.0.0.11', '--', 'lsp-set-port-security', 'vm1', '0a:00:00:00:00:01 10.0.0.11',
  '--', 'lsp-add', 'sw0', 'vm2', '--', 'lsp-set-addresses', 'vm2', '0a:00:00:00:00:02 10.0.0.12', 'dynamic',
  '--', 'lsp-add', 'sw0', 'child', 'vm1', '5',
  '--', 'lr-add', 'lr0', '--', 'lrp-add', 'lr0', 'lrp0', '00:00:00:00:ff:01', '10.0.0.1/24',
  '--', 'lsp-add', 'sw0', 'sw0-lr0', '--', 'lsp-set-type', 'sw0-lr0', 'router', '--', 'lsp-set-addresses', 'sw0-lr0', 'router', '--', 'lsp-set-options', 'sw0-lr0', 'router-port=lrp0',
  '--', 'lrp-add', 'lr0', 'lrp-ext', '00:00:00:00:ff:02', '172.16.0.1/24', '2001:db8::1/64',
  '--', 'lr-route-add', 'lr0', '0.0.0.0/0', '172.16.0.254',
  '--', 'lr-route-add', 'lr0', '10.1.0.0/16', '10.0.0.5', 'lrp0', '--', '--ecmp', 'lr-route-add', 'lr0', '10.1.0.0/16', '10.0.0.7',
  '--', '--policy=src-ip', 'lr-route-add', 'lr0', '10.2.0.9/24', '10.0.0.6', '--', 'lr-route-add', 'lr0', '2001:db9::/64', '2001:db8::2',
  '--', 'lr-nat-add', 'lr0', 'snat', '172.16.0.1', '10.0.0.0/24',
  '--', 'lr-nat-add', 'lr0', 'dnat_and_snat', '172.16.0.11', '10.0.0.11', 'vm1', '0a:00:00:00:01:01',
  '--', 'lrp-set-gateway-chassis', 'lrp-ext', 'chassis-1', '20',
  '--', 'lb-add', 'lb0', '172.16.0.100:80', '10.0.0.11:8080,10.0.0.12:8080', 'tcp', '--', 'lb-add', 'lb0', '172.16.0.101', '10.0.0.11,10.0.0.12',
  '--', 'ls-lb-add', 'sw0', 'lb0', '--', 'lr-lb-add', 'lr0', 'lb0',
  '--', 'pg-add', 'pg0', 'vm1', 'vm2',
  '--', '--type=port-group', 'acl-add', 'pg0', 'to-lport', '1002', 'outport == @pg0 && ip4 && tcp.dst == 22', 'allow-related',
  '--', 'acl-add', 'sw0', 'from-lport', '1001', 'ip4', 'allow',
  '--', '--log', '--severity=alert', '--name=foo', '--label=5', '--apply-after-lb', 'acl-add', 'sw0', 'from-lport', '900', 'tcp', 'allow',
  '--', 'create', 'Address_Set', 'name=as1', 'addresses="10.0.0.11","10.0.0.12"',
  '--', 'dhcp-options-create', '10.0.0.0/24',
  '--', 'ls-add', 'sw1', '--', 'lsp-add', 'sw1', 'ln', '--', 'lsp-set-type', 'ln', 'localnet', '--', 'lsp-set-options', 'ln', 'network_name=phys', '--', 'lsp-set-addresses', 'ln', 'unknown',
];

// ovn-nbctl 23.03's `show` for the same chain (its ports come in UUID order; loom's by name).
const SHOW = `switch <1> (sw0)
    port child
        parent: vm1
    port sw0-lr0
        type: router
        router-port: lrp0
    port vm1
        addresses: ["0a:00:00:00:00:01 10.0.0.11"]
    port vm2
        addresses: ["0a:00:00:00:00:02 10.0.0.12", "dynamic"]
switch <2> (sw1)
    port ln
        type: localnet
        addresses: ["unknown"]
router <3> (lr0)
    port lrp-ext
        mac: "00:00:00:00:ff:02"
        networks: ["172.16.0.1/24", "2001:db8::1/64"]
        gateway chassis: [chassis-1]
    port lrp0
        mac: "00:00:00:00:ff:01"
        networks: ["10.0.0.1/24"]
    nat <4>
        external ip: "172.16.0.11"
        logical ip: "10.0.0.11"
        type: "dnat_and_snat"
    nat <5>
        external ip: "172.16.0.1"
        logical ip: "10.0.0.0/24"
        type: "snat"
`;

test('a whole topology in ONE invocation, then show/list/acl/route/nat/lb output as ovn-nbctl prints it', async (t) => {
  const store = openStore(t);
  await nb(store, 'init');
  const before = await store.revision();
  const r = await runInvocation(store, parseArgs(TOPOLOGY, nbCommands));
  assert.equal(r.revision, before + 1, 'the chain is one transaction');
  assert.match(r.output, /^[0-9a-f-]{36}\n$/, 'create prints the new row uuid');

  assert.equal(stable(await nb(store, 'show')), SHOW);
  const j = JSON.parse(await nb(store, '--json', 'show')) as { switches: { name: string; ports: { name: string; type: string }[] }[]; routers: { name: string; nat: unknown[] }[] };
  assert.deepEqual(j.switches.map((s) => [s.name, s.ports.map((p) => `${p.name}:${p.type}`)]), [
    ['sw0', ['child:', 'sw0-lr0:router', 'vm1:', 'vm2:']],
    ['sw1', ['ln:localnet']],
  ]);
  assert.deepEqual([j.routers[0]?.name, j.routers[0]?.nat.length], ['lr0', 2]);
  assert.equal(stable(await nb(store, 'show', 'sw1')), `switch <1> (sw1)\n    port ln\n        type: localnet\n        addresses: ["unknown"]\n`);
  assert.equal(
    await nb(store, 'acl-list', 'sw0'),
    'from-lport  1001 (ip4) allow\nfrom-lport   900 (tcp) allow log(name=foo,severity=alert) label=5 [after-lb]\n',
  );
  assert.equal(await nb(store, 'acl-list', 'pg0'), '  to-lport  1002 (outport == @pg0 && ip4 && tcp.dst == 22) allow-related\n');
  assert.equal(
    await nb(store, 'lr-route-list', 'lr0'),
    `IPv4 Routes
Route Table <main>:
              10.2.0.0/24                  10.0.0.6 src-ip
              10.1.0.0/16                  10.0.0.5 dst-ip lrp0 ecmp
              10.1.0.0/16                  10.0.0.7 dst-ip ecmp
                0.0.0.0/0              172.16.0.254 dst-ip

IPv6 Routes
Route Table <main>:
            2001:db9::/64               2001:db8::2 dst-ip
`,
  );
  assert.equal(
    await nb(store, 'lr-nat-list', 'lr0'),
    `TYPE             GATEWAY_PORT          EXTERNAL_IP        EXTERNAL_PORT    LOGICAL_IP          EXTERNAL_MAC         LOGICAL_PORT
dnat_and_snat                          172.16.0.11                         10.0.0.11           0a:00:00:00:01:01    vm1
snat                                   172.16.0.1                          10.0.0.0/24
`,
  );
  assert.equal(
    stable(await nb(store, 'lb-list')),
    `UUID                                    LB                  PROTO      VIP                IPs
<1>    lb0                 tcp        172.16.0.100:80    10.0.0.11:8080,10.0.0.12:8080
                                                                       172.16.0.101       10.0.0.11,10.0.0.12
`,
  );
  assert.equal(await nb(store, 'ls-lb-list', 'sw0'), await nb(store, 'lb-list'));
  assert.equal(stable(await nb(store, 'ls-list')), '<1> (sw0)\n<2> (sw1)\n');
  assert.deepEqual(
    (await nb(store, 'lsp-list', 'sw0')).split('\n').map((l) => l.replace(/^\S+ /, '')),
    ['(child)', '(sw0-lr0)', '(vm1)', '(vm2)', ''],
  );
  assert.equal(await nb(store, 'lsp-get-addresses', 'vm2'), '0a:00:00:00:00:02 10.0.0.12\ndynamic\n');
  assert.equal(await nb(store, 'lsp-get-port-security', 'vm1'), '0a:00:00:00:00:01 10.0.0.11\n');
  assert.equal(await nb(store, 'lsp-get-type', 'sw0-lr0'), 'router\n');
  assert.equal(await nb(store, 'lsp-get-options', 'sw0-lr0'), 'router-port=lrp0\n');
  assert.equal(await nb(store, 'lsp-get-up', 'vm1'), 'down\n');
  assert.equal(await nb(store, 'lsp-get-enabled', 'vm1'), 'enabled\n');
  assert.equal(await nb(store, 'lsp-get-parent', 'child'), 'vm1\n');
  assert.equal(await nb(store, 'lrp-get-gateway-chassis', 'lrp-ext'), 'lrp-ext-chassis-1    20\n');
  assert.equal(await nb(store, 'pg-get-ports', 'pg0'), 'vm1\nvm2\n');
  assert.equal(
    stable(await nb(store, 'list', 'Logical_Switch_Port', 'vm1')),
    `_uuid               : <1>
addresses           : ["0a:00:00:00:00:01 10.0.0.11"]
dhcpv4_options      : []
dhcpv6_options      : []
dynamic_addresses   : []
enabled             : []
external_ids        : {}
ha_chassis_group    : []
mirror_rules        : []
name                : vm1
options             : {}
parent_name         : []
port_security       : ["0a:00:00:00:00:01 10.0.0.11"]
tag                 : []
tag_request         : []
type                : ""
up                  : []
`,
  );
  assert.equal(
    stable(await nb(store, 'list', 'Address_Set')),
    `_uuid               : <1>\naddresses           : ["10.0.0.11", "10.0.0.12"]\nexternal_ids        : {}\nname                : as1\n`,
  );
  // DHCP options, by the uuid dhcp-options-list prints.
  const dhcp = (await nb(store, 'dhcp-options-list')).trim();
  await nb(store, 'dhcp-options-set-options', dhcp, 'lease_time=3600', 'router=10.0.0.1', 'server_id=10.0.0.1', 'server_mac=c0:ff:ee:00:00:01');
  assert.equal(await nb(store, 'dhcp-options-get-options', dhcp), 'lease_time=3600\nrouter=10.0.0.1\nserver_id=10.0.0.1\nserver_mac=c0:ff:ee:00:00:01\n');
  await nb(store, 'lsp-set-dhcpv4-options', 'vm1', dhcp);
  assert.equal(await nb(store, 'lsp-get-dhcpv4-options', 'vm1'), `${dhcp} (10.0.0.0/24)\n`);
});

test('lr-policy-add/list/del as ovn-nbctl 23.03 prints and refuses them', async (t) => {
  const store = openStore(t);
  await nb(store, '--', 'lr-add', 'lr0',
    '--', 'lr-policy-add', 'lr0', '1001', 'ip4.src == 10.0.0.0/24', 'reroute', '172.16.0.1',
    '--', 'lr-policy-add', 'lr0', '1002', 'ip4.src == 10.0.1.0/24', 'reroute', '172.16.0.1,172.16.0.2', 'pkt_mark=5',
    '--', 'lr-policy-add', 'lr0', '1003', 'ip4.src == 10.0.2.0/24', 'allow', 'pkt_mark=7');
  // Captured from ovn-nbctl 23.03 for the same three policies.
  assert.equal(
    await nb(store, 'lr-policy-list', 'lr0'),
    `Routing Policies
      1003                             ip4.src == 10.0.2.0/24           allow               pkt_mark=7
      1002                             ip4.src == 10.0.1.0/24         reroute                172.16.0.1, 172.16.0.2               pkt_mark=5
      1001                             ip4.src == 10.0.0.0/24         reroute                172.16.0.1
`,
  );
  await assert.rejects(nb(store, 'lr-policy-add', 'lr0', '1001', 'ip4.src == 10.0.0.0/24', 'reroute', '172.16.0.1'), { message: 'Same routing policy already existed on the logical router lr0.' });
  await assert.rejects(nb(store, 'lr-policy-add', 'lr0', '900', 'ip4.dst == 8.8.4.4', 'reroute'), { message: 'Nexthop is required when action is reroute.' });
  await assert.rejects(nb(store, 'lr-policy-add', 'lr0', '5', 'ip', 'bounce'), { message: 'bounce: action must be one of "allow", "drop", and "reroute"' });
  await nb(store, 'lr-policy-del', 'lr0', '1002');
  await nb(store, 'lr-policy-del', 'lr0', '1001', 'ip4.src == 10.0.0.0/24');
  assert.equal((await nb(store, 'lr-policy-list', 'lr0')).split('\n').length, 3);
  await nb(store, 'lr-policy-del', 'lr0');
  assert.equal(await nb(store, 'lr-policy-list', 'lr0'), '');
  assert.equal((await store.select('Logical_Router_Policy')).length, 0);
});

test('lb-list sizes the VIP column to the widest VIP, as ovn-nbctl does', async (t) => {
  const store = openStore(t);
  await nb(store, 'lb-add', 'lb6', '[2001:db8::1]:80', '[2001:db8::2]:8080,[2001:db8::3]:8080', 'udp');
  assert.equal(
    stable(await nb(store, 'lb-list')),
    `UUID                                    LB                  PROTO      VIP                 IPs
<1>    lb6                 udp        [2001:db8::1]:80    [2001:db8::2]:8080,[2001:db8::3]:8080
`,
  );
});

test('table, csv, json, --bare and --columns output of list and find', async (t) => {
  const store = openStore(t);
  await nb(store, '--', 'ls-add', 'sw0', '--', 'ls-add', 'sw1', '--', 'lsp-add', 'sw0', 'p1', '--', 'lsp-set-type', 'p1', 'router', '--', 'lsp-add', 'sw0', 'p2');
  assert.equal(await nb(store, '--columns=name,type', 'find', 'Logical_Switch_Port', 'type=router'), 'name                : p1\ntype                : router\n');
  assert.equal(await nb(store, '--bare', '--columns=name', 'list', 'Logical_Switch'), 'sw0\n\nsw1\n');
  assert.equal(await nb(store, '--format=csv', '--columns=name,external_ids', 'list', 'Logical_Switch'), 'name,external_ids\nsw0,{}\nsw1,{}\n');
  assert.equal(await nb(store, '--format=table', '--columns=name,other_config', 'list', 'Logical_Switch'), 'name other_config\n---- ------------\nsw0  {}\nsw1  {}\n');
  const j = JSON.parse(await nb(store, '--format=json', '--columns=name,ports', 'list', 'Logical_Switch')) as { headings: string[]; data: unknown[][] };
  assert.deepEqual(j.headings, ['name', 'ports']);
  assert.equal(j.data[0]?.[0], 'sw0');
  assert.equal((j.data[0]?.[1] as unknown[])[0], 'set');
  assert.deepEqual(j.data[1], ['sw1', ['set', []]]);
  await assert.rejects(nb(store, 'find', 'Logical_Switch_Port', '--columns=name'), { message: '"--columns=name": expected a column name' });
  assert.equal(await nb(store, '--columns=name', 'find', 'Logical_Switch_Port', 'type!=router'), 'name                : p2\n');
});

test('database commands: set/get/add/remove/clear/destroy and --id=@name references in one transaction', async (t) => {
  const store = openStore(t);
  await nb(store, 'ls-add', 'sw0');
  await nb(store, 'set', 'Logical_Switch', 'sw0', 'other_config:foo=bar', 'external_ids:a="b c"');
  assert.equal(await nb(store, 'get', 'Logical_Switch', 'sw0', 'other_config:foo', 'external_ids'), 'bar\n{a="b c"}\n');
  await assert.rejects(nb(store, 'get', 'Logical_Switch', 'sw0', 'other_config:nope'), { message: 'no key "nope" in Logical_Switch record "sw0" column other_config' });
  await nb(store, 'add', 'Logical_Switch', 'sw0', 'external_ids', 'x=y');
  await nb(store, 'remove', 'Logical_Switch', 'sw0', 'external_ids', 'a');
  await nb(store, 'clear', 'Logical_Switch', 'sw0', 'other_config');
  assert.equal(await nb(store, 'get', 'logical_switch', 'sw0', 'external_ids', 'other_config'), '{x=y}\n{}\n');
  const out = await nb(store, '--', '--id=@p', 'create', 'Logical_Switch_Port', 'name=pp', '--', 'add', 'Logical_Switch', 'sw0', 'ports', '@p');
  assert.match(out, /^[0-9a-f-]{36}\n$/);
  assert.equal((await nb(store, 'lsp-list', 'sw0')).trim(), `${out.trim()} (pp)`);
  await nb(store, 'remove', 'Logical_Switch', 'sw0', 'ports', out.trim());
  assert.equal(await nb(store, 'lsp-list', 'sw0'), '');
  assert.equal((await store.select('Logical_Switch_Port')).length, 0, 'an unreferenced port is garbage collected');
  await nb(store, 'set', 'Logical_Switch', 'sw0', 'external_ids:owner=alice', 'external_ids:tier=web');
  assert.equal(await nb(store, '--bare', '--columns=name', 'find', 'Logical_Switch', 'external_ids:owner=alice'), 'sw0\n');
  assert.equal(await nb(store, '--bare', '--columns=name', 'find', 'Logical_Switch', 'external_ids:owner=bob'), '');
  assert.equal(await nb(store, '--bare', '--columns=name', 'find', 'Logical_Switch', 'external_ids{>=}owner=alice'), 'sw0\n');
  await nb(store, 'remove', 'Logical_Switch', 'sw0', 'external_ids', 'tier=db');
  assert.equal(await nb(store, 'get', 'Logical_Switch', 'sw0', 'external_ids:tier'), 'web\n', 'remove k=v needs the value to match');
  await nb(store, 'remove', 'Logical_Switch', 'sw0', 'external_ids', 'tier=web');
  assert.equal(await nb(store, '--if-exists', 'get', 'Logical_Switch', 'sw0', 'external_ids:tier'), '');
  assert.equal(await nb(store, '--if-exists', 'get', 'Logical_Switch', 'nope', 'name'), '');
  // --id=@name on get names an existing row for later commands.
  await nb(store, '--', 'ls-add', 'sw9', '--', '--id=@s', 'get', 'Logical_Switch', 'sw9', '--', 'set', 'Logical_Switch', '@s', 'external_ids:via=id');
  assert.equal(await nb(store, 'get', 'Logical_Switch', 'sw9', 'external_ids:via'), 'id\n');
  await nb(store, 'create', 'Address_Set', 'name=as1', 'addresses=10.0.0.1');
  await nb(store, 'destroy', 'Address_Set', 'as1');
  await nb(store, '--if-exists', 'destroy', 'Address_Set', 'as1');
  await assert.rejects(nb(store, 'destroy', 'Address_Set', 'as1'), { code: 'not-found', message: 'no row "as1" in table Address_Set' });
  assert.equal((await store.select('Address_Set')).length, 0);
  await nb(store, '--', 'create', 'Address_Set', 'name=a', '--', 'create', 'Address_Set', 'name=b', '--', 'destroy', 'Address_Set', 'a');
  assert.equal((await store.select('Address_Set')).length, 1);
  await nb(store, '--all', 'destroy', 'Address_Set');
  assert.equal((await store.select('Address_Set')).length, 0);
});

test('later commands in a chain see earlier ones; deletes cascade like ovn-nbctl', async (t) => {
  const store = openStore(t);
  await nb(store, '--', 'ls-add', 'a', '--', 'lsp-add', 'a', 'p', '--', 'lsp-del', 'p', '--', 'lsp-add', 'a', 'p', '--', 'lsp-set-type', 'p', 'localport');
  assert.equal(await nb(store, 'lsp-get-type', 'p'), 'localport\n');
  assert.equal((await store.select('Logical_Switch_Port')).length, 1);
  await nb(store, '--', 'pg-add', 'g', 'p', '--', 'acl-add', 'g', 'to-lport', '1', 'ip', 'drop', '--', 'acl-add', 'a', 'to-lport', '1', 'ip', 'drop');
  assert.equal((await store.select('ACL')).length, 2);
  await nb(store, '--', 'ls-del', 'a', '--', 'ls-add', 'a', '--', 'lsp-add', 'a', 'p');
  assert.equal((await store.select('Logical_Switch_Port')).length, 1, 'old ports went with the old switch');
  assert.equal((await store.select('ACL')).length, 1, 'the switch ACL went with it; the port group ACL stays');
  assert.deepEqual((await store.select('Port_Group'))[0]?.['ports'], [], 'the port group lost the deleted port (weak reference)');
  await nb(store, '--', 'acl-del', 'g', '--', 'pg-del', 'g');
  assert.equal((await store.select('ACL')).length, 0);
  await nb(store, '--', 'lr-add', 'r', '--', 'lrp-add', 'r', 'rp', '00:00:00:00:00:01', '10.0.0.1/24', '--', 'lr-route-add', 'r', '0.0.0.0/0', '10.0.0.254', '--', 'lr-nat-add', 'r', 'snat', '1.1.1.1', '10.0.0.0/24');
  await nb(store, 'lr-del', 'r');
  for (const table of ['Logical_Router', 'Logical_Router_Port', 'Logical_Router_Static_Route', 'NAT']) assert.equal((await store.select(table)).length, 0, table);
});

test('--may-exist and --if-exists accept what exists / what is missing', async (t) => {
  const store = openStore(t);
  await nb(store, '--', 'ls-add', 'sw0', '--', 'lsp-add', 'sw0', 'p', '--', 'lr-add', 'r', '--', 'lrp-add', 'r', 'rp', '00:00:00:00:00:01', '10.0.0.1/24');
  const rev = await store.revision();
  await nb(store, '--may-exist', 'ls-add', 'sw0');
  await nb(store, '--', '--may-exist', 'lsp-add', 'sw0', 'p', '--', '--may-exist', 'lr-add', 'r', '--', '--may-exist', 'lrp-add', 'r', 'rp', '00:00:00:00:00:01', '10.0.0.1/24');
  await nb(store, '--', '--if-exists', 'ls-del', 'nope', '--', '--if-exists', 'lsp-del', 'nope', '--', '--if-exists', 'lr-del', 'nope', '--', '--if-exists', 'lrp-del', 'nope');
  await nb(store, '--', 'acl-add', 'sw0', 'to-lport', '1', 'ip', 'drop', '--', '--may-exist', 'acl-add', 'sw0', 'to-lport', '1', 'ip', 'drop');
  assert.equal((await store.select('ACL')).length, 1);
  assert.equal(await store.revision(), rev + 1, 'only the ACL add wrote');
  await assert.rejects(nb(store, 'ls-add', 'sw1', '--', '--may-exist', 'lsp-add', 'sw1', 'p'), { message: 'p: port already exists but in switch sw0' });
});

test('errors: ovn-nbctl wording, exit as LoomError, and nothing changes', async (t) => {
  const store = openStore(t);
  await nb(store, '--', 'ls-add', 'sw0', '--', 'lsp-add', 'sw0', 'vm1', '--', 'lr-add', 'lr0');
  const before = await snapshot(store);
  const rev = await store.revision();
  const cases: [string[], string][] = [
    [['ls-add', 'x', '--', 'ls-add', 'sw0'], 'sw0: a switch with this name already exists'],
    [['ls-add', 'x', '--', 'lsp-add', 'nosw', 'p'], 'nosw: switch name not found'],
    [['ls-add', 'x', '--', 'lsp-add', 'sw0', 'vm1'], 'vm1: a port with this name already exists'],
    [['ls-add', 'x', '--', 'acl-add', 'sw0', 'sideways', '1', 'ip', 'drop'], 'sideways: direction must be "to-lport" or "from-lport"'],
    [['ls-add', 'x', '--', 'acl-add', 'sw0', 'to-lport', '1', 'ip', 'dropit'], 'dropit: action must be one of "allow", "allow-related", "allow-stateless", "drop", and "reject"'],
    [['ls-add', 'x', '--', 'acl-add', 'sw0', 'to-lport', '99999', 'ip', 'drop'], '99999: priority must in range 0...32767'],
    [['ls-add', 'x', '--', 'lsp-set-addresses', 'vm1', 'foo'], 'foo: Invalid address format. See ovn-nb(5). Hint: An Ethernet address must be listed before an IP address, together as a single argument.'],
    [['ls-add', 'x', '--', 'lsp-set-type', 'vm1', 'bogus'], "Logical switch port type 'bogus' is unrecognized. Not setting type."],
    [['ls-add', 'x', '--', 'lr-nat-add', 'lr0', 'snatt', '1.1.1.1', '10.0.0.0/24'], 'snatt: type must be one of "dnat", "snat" and "dnat_and_snat".'],
    [['ls-add', 'x', '--', 'lb-add', 'lbX', '10.0.0.300:80', '10.0.0.1:80'], '10.0.0.300:80: should be an IP address (or an IP address and a port number with : as a separator).'],
    [['ls-add', 'x', '--', 'lr-route-add', 'lr0', '10.1.0.0/16', 'bad'], 'bad IPv4 nexthop argument: bad'],
    [['ls-add', 'x', '--', 'lrp-add', 'lr0', 'lrpX', 'zz', '10.0.0.1/24'], 'zz: invalid mac address zz'],
    [['ls-add', 'x', '--', 'ls-del', 'nope'], 'nope: switch name not found'],
    [['ls-add', 'x', '--', 'lsp-add', 'sw0', 'c2', 'vm1', '9999'], '9999: invalid tag (must be in range 0 to 4095)'],
    [['ls-add', 'x', '--', 'lr-route-del', 'lr0', '10.99.0.0/16'], "no matching route: policy 'any', prefix '10.99.0.0/16', nexthop 'any', output_port 'any'."],
    [['ls-add', 'x', '--', 'lsp-set-enabled', 'vm1', 'maybe'], 'maybe: state must be "enabled" or "disabled"'],
    [['ls-add', 'x', '--', 'pg-add', 'pgx', 'nope'], 'nope: port name not found'],
    [['ls-add', 'x', '--', 'pg-set-ports', 'pgy', 'vm1'], 'pgy: port group name not found'],
    [['ls-add', 'x', '--', 'dhcp-options-create', 'bogus'], "Invalid cidr format 'bogus'"],
    [['ls-add', 'x', '--', 'dhcp-options-get-options', '00000000-0000-0000-0000-000000000000'], '00000000-0000-0000-0000-000000000000: dhcp options UUID not found'],
    [['ls-add', 'x', '--', 'acl-del', 'sw0', 'to-lport', '5'], 'cannot specify priority without match'],
    [['ls-add', 'x', '--', 'get', 'Logical_Switch', 'nosuch', 'name'], 'no row "nosuch" in table Logical_Switch'],
    [['ls-add', 'x', '--', 'list', 'Nope'], 'unknown table "Nope"'],
    [['ls-add', 'x', '--', 'set', 'Logical_Switch', 'sw0', 'bogus=1'], 'Logical_Switch does not contain a column whose name matches "bogus"'],
    [['ls-add', 'x', '--', 'lr-nat-add', 'lr0', 'snat', '172.16.0.1', '10.0.0.0/24', '--', 'lr-nat-add', 'lr0', 'snat', '172.16.0.1', '10.0.0.0/24'], '172.16.0.1, 10.0.0.0/24: a NAT with this external_ip and logical_ip already exists'],
  ];
  for (const [argv, message] of cases) {
    await assert.rejects(nb(store, ...argv), (e: { message: string; op?: number }) => {
      assert.equal(e.message, message);
      assert.ok(e.op !== undefined && e.op >= 1, 'the error names the failing command of the chain');
      return true;
    });
  }
  // An ACL match the expression language refuses is rejected by the database, whole.
  await assert.rejects(nb(store, '--', 'ls-add', 'y', '--', 'acl-add', 'sw0', 'to-lport', '1', 'ip4.dst == ', 'drop'), { code: 'invalid-match' });
  assert.equal(await store.revision(), rev, 'no error wrote anything');
  assert.equal(await snapshot(store), before);
});

test('a tenant-style chain reads only the rows it names, in one read and one write', async (t) => {
  const store = openStore(t);
  await nb(store, '--', 'ls-add', 'big', '--', 'lsp-add', 'big', 'old1', '--', 'lsp-add', 'big', 'old2');
  // Record what the CLI sends to the real store.
  const sent: unknown[][] = [];
  const recording: Store = {
    schema: store.schema,
    transact: (ops) => {
      sent.push([...ops]);
      return store.transact(ops);
    },
    transactParts: (o) => store.transactParts(o),
    select: (table, where) => store.select(table, where),
    revision: () => store.revision(),
    watch: (req) => store.watch(req),
    close: () => Promise.resolve(),
  };
  const argv = ['--', 'ls-add', 'ls9', '--', 'lsp-add', 'ls9', 'p9-1', '--', 'lsp-set-addresses', 'p9-1', '0a:00:00:00:09:01 10.0.9.2', '--', 'pg-add', 'pg9', 'p9-1', '--', '--type=port-group', 'acl-add', 'pg9', 'to-lport', '1001', 'outport == @pg9 && ip', 'drop'];
  await runInvocation(recording, parseArgs(argv, nbCommands));
  assert.equal(sent.length, 2, 'one read transaction, one write transaction');
  const lspReads = (sent[0] as { op: string; table: string; where: unknown[] }[]).filter((o) => o.table === 'Logical_Switch_Port');
  assert.deepEqual(lspReads.map((o) => o.where), [[['name', '==', 'p9-1']]], 'ports are fetched by name, not the whole table');
  assert.equal(stable(await nb(store, 'show', 'ls9')), 'switch <1> (ls9)\n    port p9-1\n        addresses: ["0a:00:00:00:09:01 10.0.9.2"]\n');
  assert.equal(await nb(store, 'acl-list', 'pg9'), '  to-lport  1001 (outport == @pg9 && ip) drop\n');
});
