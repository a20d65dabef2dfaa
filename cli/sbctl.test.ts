// `loom sb ...` against a real in-process southbound SqliteStore: lflow-list in
// ovn-sbctl's layout and order, --show-source, --json, show, and the db commands.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/types.js';
import { parseArgs } from './args.js';
import { sbCommands } from './sbctl.js';
import { runInvocation } from './run.js';

async function openSb(t: TestContext): Promise<{ store: SqliteStore; sw0: string; sw1: string; lr0: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'loom-cli-sb-'));
  const store = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const flow = (dp: unknown, pipeline: string, table: number, stage: string, priority: number, match: string, actions: string, extra: Record<string, string> = {}) => ({
    op: 'insert' as const,
    table: 'Logical_Flow',
    row: { ...(dp as object), pipeline, table_id: table, priority, match, actions, external_ids: ['map', Object.entries({ 'stage-name': stage, ...extra })] },
  });
  const r = await store.transact([
    { op: 'insert', table: 'Datapath_Binding', 'uuid-name': 'sw0', row: { tunnel_key: 1, external_ids: ['map', [['name', 'sw0']]] } },
    { op: 'insert', table: 'Datapath_Binding', 'uuid-name': 'sw1', row: { tunnel_key: 2, external_ids: ['map', [['name', 'sw1']]] } },
    { op: 'insert', table: 'Datapath_Binding', 'uuid-name': 'lr0', row: { tunnel_key: 3, external_ids: ['map', [['name', 'lr0']]] } },
    { op: 'insert', table: 'Logical_DP_Group', 'uuid-name': 'g', row: { datapaths: ['set', [['named-uuid', 'sw0'], ['named-uuid', 'sw1']]] } },
    flow({ logical_dp_group: ['named-uuid', 'g'] }, 'ingress', 0, 'ls_in_check_port_sec', 100, 'eth.src[40]', 'drop;', { source: 'northd/switch.ts:40' }),
    flow({ logical_dp_group: ['named-uuid', 'g'] }, 'egress', 0, 'ls_out_pre_acl', 0, '1', 'next;'),
    flow({ logical_datapath: ['named-uuid', 'sw0'] }, 'ingress', 0, 'ls_in_check_port_sec', 50, '1', 'reg0[15] = check_in_port_sec(); next;', { 'stage-hint': '77305149', source: 'northd/switch.ts:52' }),
    flow({ logical_datapath: ['named-uuid', 'sw0'] }, 'egress', 4, 'ls_out_acl', 2002, 'outport == @pg0', 'next;', { 'nb-row': 'ACL:8715c2aa-73ef-4e6e-b668-f6422163d247', 'stage-hint': '8715c2aa', source: 'switch.js:272' }),
    flow({ logical_datapath: ['named-uuid', 'sw0'] }, 'ingress', 0, 'ls_in_check_port_sec', 100, 'vlan.present', 'drop;'),
    flow({ logical_datapath: ['named-uuid', 'sw0'] }, 'ingress', 10, 'ls_in_acl_eval', 2002, 'reg0[7] == 1 && (outport == @pg0)', 'reg8[16] = 1; next;'),
    flow({ logical_datapath: ['named-uuid', 'lr0'] }, 'ingress', 0, 'lr_in_admission', 50, 'eth.dst == 00:00:00:00:ff:01 && inport == "lrp0"', 'xreg0[0..47] = 00:00:00:00:ff:01; next;'),
    flow({ logical_datapath: ['named-uuid', 'lr0'] }, 'egress', 0, 'lr_out_chk_dnat_local', 0, '1', 'reg9[4] = 0; next;'),
  ]);
  const id = (i: number) => (r.results[i] as { uuid: string }).uuid;
  return { store, sw0: id(0), sw1: id(1), lr0: id(2) };
}

async function sb(store: Store, ...argv: string[]): Promise<string> {
  return (await runInvocation(store, parseArgs(argv, sbCommands))).output;
}

test('lflow-list: ovn-sbctl layout and order; a datapath-group flow under each datapath', async (t) => {
  const { store, sw0, sw1, lr0 } = await openSb(t);
  const expected = `Datapath: "lr0" (${lr0})  Pipeline: ingress
  table=0 (lr_in_admission    ), priority=50   , match=(eth.dst == 00:00:00:00:ff:01 && inport == "lrp0"), action=(xreg0[0..47] = 00:00:00:00:ff:01; next;)
Datapath: "lr0" (${lr0})  Pipeline: egress
  table=0 (lr_out_chk_dnat_local), priority=0    , match=(1), action=(reg9[4] = 0; next;)
Datapath: "sw0" (${sw0})  Pipeline: ingress
  table=0 (ls_in_check_port_sec), priority=100  , match=(eth.src[40]), action=(drop;)
  table=0 (ls_in_check_port_sec), priority=100  , match=(vlan.present), action=(drop;)
  table=0 (ls_in_check_port_sec), priority=50   , match=(1), action=(reg0[15] = check_in_port_sec(); next;)
  table=10(ls_in_acl_eval     ), priority=2002 , match=(reg0[7] == 1 && (outport == @pg0)), action=(reg8[16] = 1; next;)
Datapath: "sw0" (${sw0})  Pipeline: egress
  table=0 (ls_out_pre_acl     ), priority=0    , match=(1), action=(next;)
  table=4 (ls_out_acl         ), priority=2002 , match=(outport == @pg0), action=(next;)
Datapath: "sw1" (${sw1})  Pipeline: ingress
  table=0 (ls_in_check_port_sec), priority=100  , match=(eth.src[40]), action=(drop;)
Datapath: "sw1" (${sw1})  Pipeline: egress
  table=0 (ls_out_pre_acl     ), priority=0    , match=(1), action=(next;)
`;
  assert.equal(await sb(store, 'lflow-list'), expected);
  const sw1Only = await sb(store, 'lflow-list', 'sw1');
  assert.equal(sw1Only, expected.slice(expected.indexOf('Datapath: "sw1"')));
  assert.equal(await sb(store, 'lflow-list', sw1), sw1Only, 'a datapath by uuid');
  await assert.rejects(sb(store, 'lflow-list', 'nope'), { message: 'nope: unknown datapath' });
});

test('lflow-list --show-source adds the NB origin line; --json gives the structured flows', async (t) => {
  const { store } = await openSb(t);
  const out = await sb(store, '--show-source', 'lflow-list', 'sw0');
  assert.match(
    out,
    /match=\(1\), action=\(reg0\[15\] = check_in_port_sec\(\); next;\)\n {6}from NB row 77305149, northd northd\/switch\.ts:52\n/,
  );
  assert.match(out, /match=\(outport == @pg0\), action=\(next;\)\n {6}from ACL 8715c2aa-73ef-4e6e-b668-f6422163d247, northd switch\.js:272\n/);
  const flows = JSON.parse(await sb(store, '--json', 'lflow-list', 'sw1')) as { datapath: string; pipeline: string; stage: string; priority: number }[];
  assert.deepEqual(
    flows.map((f) => [f.datapath, f.pipeline, f.stage, f.priority]),
    [
      ['sw1', 'ingress', 'ls_in_check_port_sec', 100],
      ['sw1', 'egress', 'ls_out_pre_acl', 0],
    ],
  );
});

test('sb show prints chassis, encaps and bound ports as ovn-sbctl show', async (t) => {
  const { store, sw0 } = await openSb(t);
  await store.transact([
    { op: 'insert', table: 'Encap', 'uuid-name': 'e', row: { type: 'geneve', ip: '192.168.0.1', chassis_name: 'ch1', options: ['map', [['csum', 'true']]] } },
    { op: 'insert', table: 'Chassis', 'uuid-name': 'c', row: { name: 'ch1', hostname: 'hv1', encaps: ['named-uuid', 'e'] } },
    { op: 'insert', table: 'Port_Binding', row: { logical_port: 'vm1', datapath: ['uuid', sw0], tunnel_key: 1, chassis: ['named-uuid', 'c'] } },
    { op: 'insert', table: 'Port_Binding', row: { logical_port: 'vm2', datapath: ['uuid', sw0], tunnel_key: 2 } },
  ]);
  assert.equal(await sb(store, 'show'), 'Chassis ch1\n    hostname: hv1\n    Encap geneve\n        ip: "192.168.0.1"\n        options: {csum="true"}\n    Port_Binding vm1\n');
  assert.equal(await sb(store, '--bare', '--columns=logical_port', 'find', 'Port_Binding', 'tunnel_key>1'), 'vm2\n');
  assert.equal(await sb(store, 'get', 'Port_Binding', 'vm1', 'tunnel_key'), '1\n');
  assert.equal(await sb(store, 'get', 'Datapath_Binding', 'sw0', 'tunnel_key'), '1\n', 'datapaths are named by external_ids:name');
});
