// End-to-end: the nbdb service refuses, at write time, what the expression language or the
// NB rules refuse — a malformed ACL match, a match naming an unknown address set or port
// group, a router port with an invalid network, and the columns of gateway ports, DNS, QoS,
// NAT, port types and load balancer health checks (ip_port_mappings, the checked vip) northd reads — with a 4xx structured error that names the table, the
// column and (for matches) the position, and nothing is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNbdb } from '../nbdb/index.js';
import type { RunningService } from '../store/server.js';

let dir: string;
let svc: RunningService;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loom-nbdb-refusals-'));
  svc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
});
after(async () => {
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly table?: string; readonly column?: string; readonly value?: unknown };
}

async function transact(ops: unknown[]): Promise<{ status: number; body: ErrorBody }> {
  const res = await fetch(`${svc.url}/v1/transact`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ops }) });
  // a 200 body has no `error`; the tests only read `error` after checking for a 4xx
  return { status: res.status, body: (await res.json()) as ErrorBody };
}

async function revision(): Promise<number> {
  const res = await fetch(`${svc.url}/v1/health`);
  return ((await res.json()) as { revision: number }).revision;
}

/** A port group pg1 holding one port, and an ACL on it with the given match, in one transaction. */
function aclOps(match: string): unknown[] {
  return [
    { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'p1', row: { name: 'p1', addresses: ['0a:00:00:00:00:01 10.0.0.1'] } },
    { op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', ports: ['set', [['named-uuid', 'p1']]] } },
    { op: 'insert', table: 'ACL', 'uuid-name': 'a1', row: { direction: 'to-lport', priority: 1002, match, action: 'allow-related' } },
    { op: 'insert', table: 'Port_Group', row: { name: 'pg1', ports: ['set', [['named-uuid', 'p1']]], acls: ['set', [['named-uuid', 'a1']]] } },
  ];
}

describe('nbdb refuses bad intent at write time', { timeout: 60_000 }, () => {
  test('an ACL whose match uses the group and its derived $pg1_ip4 set is accepted', async () => {
    const r = await transact(aclOps('outport == @pg1 && ip4 && ip4.src == $pg1_ip4'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // clean up so the refusals below start from the same empty NB
    const d = await transact([{ op: 'delete', table: 'Port_Group', where: [] }, { op: 'delete', table: 'Logical_Switch', where: [] }]);
    assert.equal(d.status, 200, JSON.stringify(d.body));
  });

  const cases: { name: string; match: string; position: number; text: RegExp }[] = [
    { name: 'a malformed match', match: 'outport == @pg1 && ip4.src = 10.0.0.1', position: 27, text: /expected/ },
    { name: 'an unknown address set', match: 'outport == @pg1 && ip4.src == $nosuch', position: 30, text: /unknown address set \$nosuch/ },
    { name: 'an unknown port group', match: 'outport == @nosuch && ip4', position: 11, text: /unknown port group @nosuch/ },
  ];
  for (const c of cases) {
    test(`${c.name}: 400 invalid-match naming ACL.match and the position; nothing written`, async () => {
      const before = await revision();
      const r = await transact(aclOps(c.match));
      assert.equal(r.status, 400, JSON.stringify(r.body));
      const e = r.body.error;
      assert.equal(e.code, 'invalid-match');
      assert.equal(e.table, 'ACL');
      assert.equal(e.column, 'match');
      assert.equal(e.value, c.match);
      assert.match(e.message, c.text);
      assert.match(e.message, new RegExp(`column ${c.position + 1}\\b`), e.message);
      assert.equal(await revision(), before);
      for (const table of ['ACL', 'Port_Group', 'Logical_Switch', 'Logical_Switch_Port']) {
        const rows = (await (await fetch(`${svc.url}/v1/tables/${table}`)).json()) as { rows: unknown[] };
        assert.deepEqual(rows.rows, [], `${table} must stay empty`);
      }
    });
  }

  // the columns of gateway ports, DNS, QoS, NAT and port types northd reads: each refused
  // with the table and column named and nothing written
  const rowCases: { name: string; ops: unknown[]; table: string; column: string; text: RegExp }[] = [
    {
      name: 'a DNS record whose value is not an IP address',
      ops: [
        { op: 'insert', table: 'DNS', 'uuid-name': 'd', row: { records: ['map', [['vm1.ovn.org', '10.0.0.4 not-an-ip']]] } },
        { op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', dns_records: ['set', [['named-uuid', 'd']]] } },
      ],
      table: 'DNS', column: 'records', text: /not-an-ip.*is not an IP address/,
    },
    {
      name: 'a DNS record whose name is not a DNS name',
      ops: [
        { op: 'insert', table: 'DNS', 'uuid-name': 'd', row: { records: ['map', [['vm 1!', '10.0.0.4']]] } },
        { op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', dns_records: ['set', [['named-uuid', 'd']]] } },
      ],
      table: 'DNS', column: 'records', text: /is not a DNS name/,
    },
    {
      name: 'a QoS rule with a malformed match',
      ops: [
        { op: 'insert', table: 'QoS', 'uuid-name': 'q', row: { priority: 100, direction: 'from-lport', match: 'ip4.src == 10.0.0.1 &&', action: ['map', [['dscp', 12]]] } },
        { op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', qos_rules: ['set', [['named-uuid', 'q']]] } },
      ],
      table: 'QoS', column: 'match', text: /expected/,
    },
    {
      name: 'a gateway chassis priority out of range',
      ops: [
        { op: 'insert', table: 'Gateway_Chassis', 'uuid-name': 'g', row: { name: 'lrp1-hv1', chassis_name: 'hv1', priority: 40000 } },
        { op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'rp', row: { name: 'lrp1', mac: '00:00:00:00:01:01', networks: ['10.0.0.1/24'], gateway_chassis: ['set', [['named-uuid', 'g']]] } },
        { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', ports: ['set', [['named-uuid', 'rp']]] } },
      ],
      table: 'Gateway_Chassis', column: 'priority', text: /priority/,
    },
    {
      name: 'a router port with both gateway chassis and an HA chassis group',
      ops: [
        { op: 'insert', table: 'Gateway_Chassis', 'uuid-name': 'g', row: { name: 'lrp1-hv1', chassis_name: 'hv1', priority: 10 } },
        { op: 'insert', table: 'HA_Chassis_Group', 'uuid-name': 'h', row: { name: 'grp' } },
        {
          op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'rp',
          row: { name: 'lrp1', mac: '00:00:00:00:01:01', networks: ['10.0.0.1/24'], gateway_chassis: ['set', [['named-uuid', 'g']]], ha_chassis_group: ['set', [['named-uuid', 'h']]] },
        },
        { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', ports: ['set', [['named-uuid', 'rp']]] } },
      ],
      table: 'Logical_Router_Port', column: 'gateway_chassis', text: /either gateway_chassis or ha_chassis_group/,
    },
    {
      name: 'a router port with an unknown IPv6 RA address mode',
      ops: [
        { op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'rp', row: { name: 'lrp1', mac: '00:00:00:00:01:01', networks: ['fd00::1/64'], ipv6_ra_configs: ['map', [['address_mode', 'stateful']]] } },
        { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', ports: ['set', [['named-uuid', 'rp']]] } },
      ],
      table: 'Logical_Router_Port', column: 'ipv6_ra_configs', text: /address_mode "stateful"/,
    },
    {
      name: 'a NAT external_mac without logical_port',
      ops: [
        { op: 'insert', table: 'NAT', 'uuid-name': 'n', row: { type: 'dnat_and_snat', external_ip: '172.16.0.10', logical_ip: '10.0.0.10', external_mac: '0a:00:00:00:ff:01' } },
        { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', nat: ['set', [['named-uuid', 'n']]] } },
      ],
      table: 'NAT', column: 'external_mac', text: /needs logical_port/,
    },
    {
      name: 'a snat rule with a logical_port',
      ops: [
        { op: 'insert', table: 'NAT', 'uuid-name': 'n', row: { type: 'snat', external_ip: '172.16.0.10', logical_ip: '10.0.0.0/24', logical_port: 'vm1' } },
        { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', nat: ['set', [['named-uuid', 'n']]] } },
      ],
      table: 'NAT', column: 'logical_port', text: /only for dnat_and_snat/,
    },
    {
      name: 'a virtual port without a virtual-ip',
      ops: [
        { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'p', row: { name: 'vip', type: 'virtual', options: ['map', [['virtual-parents', 'vm1,vm2']]] } },
        { op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', ports: ['set', [['named-uuid', 'p']]] } },
      ],
      table: 'Logical_Switch_Port', column: 'options', text: /virtual-ip/,
    },
    {
      name: 'a load balancer health check naming a vip the balancer does not have',
      ops: [
        { op: 'insert', table: 'Load_Balancer_Health_Check', 'uuid-name': 'hc', row: { vip: '10.0.0.100:8080', options: ['map', [['interval', '5']]] } },
        { op: 'insert', table: 'Load_Balancer', row: { name: 'lb1', vips: ['map', [['10.0.0.100:80', '10.0.0.1:80']]], protocol: 'tcp', health_check: ['set', [['named-uuid', 'hc']]] } },
      ],
      table: 'Load_Balancer_Health_Check', column: 'vip', text: /"10\.0\.0\.100:8080" is not one of load balancer "lb1"'s vips \("10\.0\.0\.100:80"\)/,
    },
    {
      name: 'a load balancer with two health checks for one vip',
      ops: [
        { op: 'insert', table: 'Load_Balancer_Health_Check', 'uuid-name': 'h1', row: { vip: '10.0.0.100:80' } },
        { op: 'insert', table: 'Load_Balancer_Health_Check', 'uuid-name': 'h2', row: { vip: '10.0.0.100:80', options: ['map', [['interval', '3']]] } },
        { op: 'insert', table: 'Load_Balancer', row: { name: 'lb1', vips: ['map', [['10.0.0.100:80', '10.0.0.1:80']]], health_check: ['set', [['named-uuid', 'h1'], ['named-uuid', 'h2']]] } },
      ],
      table: 'Load_Balancer', column: 'health_check', text: /two health checks for vip "10\.0\.0\.100:80"/,
    },
    {
      name: 'a load balancer ip_port_mappings value without the source IP',
      ops: [{ op: 'insert', table: 'Load_Balancer', row: { name: 'lb1', vips: ['map', [['10.0.0.100:80', '10.0.0.1:80']]], ip_port_mappings: ['map', [['10.0.0.1', 'vm1']]] } }],
      table: 'Load_Balancer', column: 'ip_port_mappings', text: /"vm1" is not "PORT:SRC_IP"/,
    },
    {
      name: 'a load balancer ip_port_mappings key that is not an IP',
      ops: [{ op: 'insert', table: 'Load_Balancer', row: { name: 'lb1', vips: ['map', [['10.0.0.100:80', '10.0.0.1:80']]], ip_port_mappings: ['map', [['vm1', '10.0.0.1:10.0.0.99']]] } }],
      table: 'Load_Balancer', column: 'ip_port_mappings', text: /key "vm1" is not a backend IP address/,
    },
    {
      name: 'a load balancer ip_port_mappings source IP of the other family',
      ops: [{ op: 'insert', table: 'Load_Balancer', row: { name: 'lb1', vips: ['map', [['10.0.0.100:80', '10.0.0.1:80']]], ip_port_mappings: ['map', [['10.0.0.1', 'vm1:[fd00::99]']]] } }],
      table: 'Load_Balancer', column: 'ip_port_mappings', text: /different IP families/,
    },
    {
      name: 'DHCP options with a bad cidr',
      ops: [{ op: 'insert', table: 'DHCP_Options', row: { cidr: '10.0.0.0/33', options: ['map', [['server_id', '10.0.0.1']]] } }],
      table: 'DHCP_Options', column: 'cidr', text: /is not IP\/prefix-length/,
    },
  ];
  for (const c of rowCases) {
    test(`${c.name}: 4xx naming ${c.table}.${c.column}; nothing written`, async () => {
      const before = await revision();
      const r = await transact(c.ops);
      assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r.body));
      const e = r.body.error;
      assert.equal(e.table, c.table, JSON.stringify(e));
      assert.equal(e.column, c.column, JSON.stringify(e));
      assert.match(e.message, c.text);
      assert.equal(await revision(), before);
    });
  }

  test('a distributed gateway port with distributed NAT, DNS and QoS rows that OVN accepts are accepted', async () => {
    const r = await transact([
      { op: 'insert', table: 'Gateway_Chassis', 'uuid-name': 'g', row: { name: 'lrp9-hv1', chassis_name: 'hv1', priority: 20 } },
      { op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'rp', row: { name: 'lrp9', mac: '00:00:00:00:09:01', networks: ['172.16.0.1/24'], gateway_chassis: ['set', [['named-uuid', 'g']]] } },
      { op: 'insert', table: 'NAT', 'uuid-name': 'n', row: { type: 'dnat_and_snat', external_ip: '172.16.0.10', logical_ip: '10.0.0.10', logical_port: 'vm9', external_mac: '0a:00:00:00:ff:09' } },
      { op: 'insert', table: 'Logical_Router', row: { name: 'lr9', ports: ['set', [['named-uuid', 'rp']]], nat: ['set', [['named-uuid', 'n']]] } },
      { op: 'insert', table: 'DNS', 'uuid-name': 'd', row: { records: ['map', [['vm9.ovn.org', '10.0.0.10 fd00::a'], ['10.0.0.10.in-addr.arpa', 'vm9.ovn.org']]] } },
      { op: 'insert', table: 'QoS', 'uuid-name': 'q', row: { priority: 100, direction: 'from-lport', match: 'ip4.src == 10.0.0.10', action: ['map', [['dscp', 12]]] } },
      { op: 'insert', table: 'Logical_Switch', row: { name: 'ls9', dns_records: ['set', [['named-uuid', 'd']]], qos_rules: ['set', [['named-uuid', 'q']]] } },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const d = await transact([{ op: 'delete', table: 'Logical_Router', where: [] }, { op: 'delete', table: 'Logical_Switch', where: [] }]);
    assert.equal(d.status, 200, JSON.stringify(d.body));
  });

  test('a health-checked load balancer as OVN takes it is accepted; editing the check to a vip it lacks is refused', async () => {
    const r = await transact([
      { op: 'insert', table: 'Load_Balancer_Health_Check', 'uuid-name': 'hc', row: { vip: '10.0.0.100:80', options: ['map', [['interval', '5'], ['timeout', '20']]] } },
      { op: 'insert', table: 'Load_Balancer', row: {
        name: 'lbhc', vips: ['map', [['10.0.0.100:80', '10.0.0.1:8080,10.0.0.2:8080'], ['[fd00::100]:80', '[fd00::1]:8080']]], protocol: 'tcp',
        health_check: ['set', [['named-uuid', 'hc']]], ip_port_mappings: ['map', [['10.0.0.1', 'vm1:10.0.0.99'], ['10.0.0.2', 'vm2:10.0.0.99'], ['fd00::1', 'vm1:[fd00::99]']]],
      } },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const before = await revision();
    const e = await transact([{ op: 'update', table: 'Load_Balancer_Health_Check', where: [], row: { vip: '10.0.0.200:80' } }]);
    assert.ok(e.status >= 400 && e.status < 500, JSON.stringify(e.body));
    assert.equal(e.body.error.table, 'Load_Balancer_Health_Check');
    assert.equal(e.body.error.value, '10.0.0.200:80');
    assert.equal(await revision(), before);
    const d = await transact([{ op: 'delete', table: 'Load_Balancer', where: [] }]);
    assert.equal(d.status, 200, JSON.stringify(d.body));
  });

  test('a router port with an invalid network: 400 naming Logical_Router_Port.networks; nothing written', async () => {
    const before = await revision();
    const r = await transact([
      { op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'rp', row: { name: 'lrp1', mac: '00:00:00:00:01:01', networks: ['10.0.0.300/24'] } },
      { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', ports: ['set', [['named-uuid', 'rp']]] } },
    ]);
    assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r.body));
    const e = r.body.error;
    assert.equal(e.table, 'Logical_Router_Port');
    assert.equal(e.column, 'networks');
    assert.equal(e.value, '10.0.0.300/24');
    assert.equal(await revision(), before);
  });
});
