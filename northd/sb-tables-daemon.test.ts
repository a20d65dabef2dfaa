// The northd daemon over real stores and the SB rows besides flows and bindings: HA chassis
// groups link their HA_Chassis to the SB Chassis of that name when it appears (and unlink
// when it goes) and name in ref_chassis where the ports reaching a gateway port are bound, a Service_Monitor reported offline by a controller takes its backend out
// of the load balancer's flows (and one reported online behind a port that is down is set
// offline, as ovn-northd does), a fair meter gets a copy per ACL, and a restarted northd takes over the rows it wrote (no
// duplicates, no failed transaction).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, mergeMap, timeout } from 'rxjs';
import { validateNbTxn } from '../nbdb/validate.js';
import { nbSchema, sbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/types.js';
import { list, map, str } from './nb.js';
import { startNorthd } from './index.js';
import { readTopologies } from './testdata/nbctl.js';
import { nbctl } from '../cli/test-support.js';

const topologies = readTopologies(readFileSync(new URL('./testdata/topologies.sh', import.meta.url), 'utf8'));


/** Resolves once `check` holds on SB, re-checked on every change of `table` (bounded: 20 s). */
async function until(sb: Store, table: string, check: () => Promise<boolean>): Promise<void> {
  if (await check()) return;
  await firstValueFrom(sb.watch({ tables: { [table]: {} } }).pipe(mergeMap(async () => check()), filter((ok) => ok), timeout(20_000)));
}

/** HA groups as "name: chassis-name@priority=linked-chassis-name,..." */
async function haView(sb: Store): Promise<string[]> {
  const chassis = new Map((await sb.select('Chassis')).map((c) => [c._uuid, str(c, 'name')]));
  const ha = new Map((await sb.select('HA_Chassis')).map((h) => [h._uuid, `${map(h, 'external_ids')['chassis-name']}@${String(h['priority'])}=${chassis.get(list(h, 'chassis')[0] ?? '') ?? ''}`]));
  return (await sb.select('HA_Chassis_Group')).map((g) => `${str(g, 'name')}: ${list(g, 'ha_chassis').map((u) => ha.get(u)).sort().join(',')}`).sort();
}

const counts = async (sb: Store): Promise<string> => {
  const out: string[] = [];
  for (const t of ['HA_Chassis_Group', 'HA_Chassis', 'DNS', 'Meter', 'Meter_Band', 'Load_Balancer', 'Service_Monitor', 'Port_Binding', 'Logical_Flow', 'Logical_DP_Group']) {
    out.push(`${t}=${(await sb.select(t)).length}`);
  }
  return out.join(' ');
};

test('northd daemon: HA_Chassis follow the SB Chassis rows, offline backends leave the flows, a restart reuses the rows', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-sbtables-'));
  const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  const sb = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  const errors: unknown[] = [];
  let northd = await startNorthd({ nb, sb, onError: (e) => errors.push(e) });
  t.after(async () => {
    await northd.close();
    await nb.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await nbctl(nb, ['init']);
  for (const words of topologies.get('sb-ha-groups') ?? []) await nbctl(nb, words);
  await northd.synced();
  assert.deepEqual(await haView(sb), [
    'extgrp: hv1@30=',
    'gw2: hv2@5=,hv3@15=',
    'lr1-public: hv1@20=,hv2@10=,hv3@30=',
  ]);
  const crPb = (await sb.select('Port_Binding', [['logical_port', '==', 'cr-lr1-public']]))[0];
  const groupOf = new Map((await sb.select('HA_Chassis_Group')).map((g) => [g._uuid, str(g, 'name')]));
  assert.equal(groupOf.get(list(crPb ?? { _uuid: '' }, 'ha_chassis_group')[0] ?? ''), 'lr1-public');

  // a controller registers hv1: every HA_Chassis naming hv1 now points at its row
  await sb.transact([
    { op: 'insert', table: 'Encap', 'uuid-name': 'e', row: { type: 'geneve', ip: '192.0.2.1', chassis_name: 'hv1', options: ['map', [['csum', 'true']]] } },
    { op: 'insert', table: 'Chassis', row: { name: 'hv1', hostname: 'hv1', encaps: ['set', [['named-uuid', 'e']]] } },
  ]);
  const linked = ['extgrp: hv1@30=hv1', 'gw2: hv2@5=,hv3@15=', 'lr1-public: hv1@20=hv1,hv2@10=,hv3@30='];
  await until(sb, 'HA_Chassis', async () => JSON.stringify(await haView(sb)) === JSON.stringify(linked));
  // vm1 (on ls1, behind lr1, which reaches lr2 through public) is bound on hv1: the
  // gateway groups of both routers (two chassis or more) name hv1 in ref_chassis, as OVN
  const refs = async (): Promise<string[]> => {
    const chassis = new Map((await sb.select('Chassis')).map((c) => [c._uuid, str(c, 'name')]));
    return (await sb.select('HA_Chassis_Group')).map((g) => `${str(g, 'name')}:${list(g, 'ref_chassis').map((u) => chassis.get(u)).sort().join(',')}`).sort();
  };
  const hv1 = (await sb.select('Chassis'))[0]?._uuid ?? '';
  await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'vm1']], row: { chassis: ['uuid', hv1] } }]);
  await until(sb, 'HA_Chassis_Group', async () => JSON.stringify(await refs()) === JSON.stringify(['extgrp:', 'gw2:hv1', 'lr1-public:hv1']));
  await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'vm1']], row: { chassis: ['set', []] } }]);
  await until(sb, 'HA_Chassis_Group', async () => JSON.stringify(await refs()) === JSON.stringify(['extgrp:', 'gw2:', 'lr1-public:']));
  // and when it goes, they point nowhere again (and a new group naming it links at once)
  await sb.transact([{ op: 'delete', table: 'Chassis', where: [['name', '==', 'hv1']] }]);
  await until(sb, 'HA_Chassis', async () => (await haView(sb)).every((l) => !l.includes('=hv1')));

  // a health-checked load balancer on ls1: vm1's backend reported offline leaves ct_lb_mark
  await nb.transact([
    { op: 'insert', table: 'Load_Balancer_Health_Check', 'uuid-name': 'hc', row: { vip: '10.0.1.100:80', options: ['map', [['interval', '5']]] } },
    { op: 'insert', table: 'Load_Balancer', 'uuid-name': 'lb', row: {
      name: 'lbhc', vips: ['map', [['10.0.1.100:80', '10.0.1.10:8080,10.0.1.11:8080']]], protocol: 'tcp', health_check: ['set', [['named-uuid', 'hc']]],
      ip_port_mappings: ['map', [['10.0.1.10', 'vm1:10.0.1.254']]],
    } },
    { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls1']], mutations: [['load_balancer', 'insert', ['set', [['named-uuid', 'lb']]]]] },
  ]);
  await northd.synced();
  const lbAction = async (): Promise<string | undefined> => {
    const f = (await sb.select('Logical_Flow')).find((x) => map(x, 'external_ids')['stage-name'] === 'ls_in_lb' && str(x, 'match').includes('10.0.1.100'));
    return f === undefined ? undefined : str(f, 'actions');
  };
  // 10.0.1.11 has no ip_port_mappings entry: never monitored, never balanced to (as OVN)
  assert.equal(await lbAction(), 'reg0[1] = 0; ct_lb_mark(backends=10.0.1.10:8080);');
  const mons = await sb.select('Service_Monitor');
  assert.deepEqual(mons.map((m) => `${str(m, 'logical_port')} ${str(m, 'ip')}:${String(m['port'])} ${str(m, 'src_ip')} ${map(m, 'options')['interval']}`), ['vm1 10.0.1.10:8080 10.0.1.254 5']);
  await sb.transact([{ op: 'update', table: 'Service_Monitor', where: [], row: { status: 'offline' } }]);
  await until(sb, 'Logical_Flow', async () => (await lbAction()) === 'drop;');
  // online while vm1's binding is up (a controller claimed it): the backend is back
  await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'vm1']], row: { up: true } }]);
  await sb.transact([{ op: 'update', table: 'Service_Monitor', where: [], row: { status: 'online' } }]);
  await until(sb, 'Logical_Flow', async () => (await lbAction()) === 'reg0[1] = 0; ct_lb_mark(backends=10.0.1.10:8080);');
  // vm1 goes down: as ovn-northd, the online report is not trusted past it (set offline)
  await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'vm1']], row: { up: false } }]);
  await until(sb, 'Service_Monitor', async () => str((await sb.select('Service_Monitor'))[0] ?? { _uuid: '' }, 'status') === 'offline');
  await until(sb, 'Logical_Flow', async () => (await lbAction()) === 'drop;');
  await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'vm1']], row: { up: true } }]);
  await sb.transact([{ op: 'update', table: 'Service_Monitor', where: [], row: { status: 'online' } }]);
  await until(sb, 'Logical_Flow', async () => (await lbAction()) === 'reg0[1] = 0; ct_lb_mark(backends=10.0.1.10:8080);');
  assert.equal(str((await sb.select('Service_Monitor'))[0] ?? { _uuid: '' }, 'status'), 'online');

  // a fair meter (ovn-nbctl --fair): each ACL logging through it gets its own SB copy
  await nbctl(nb, ['--fair', 'meter-add', 'mf', 'drop', '10', 'pktps', '--', '--log', '--meter=mf', 'acl-add', 'ls1', 'to-lport', '1000', 'tcp.dst == 22', 'allow']);
  await northd.synced();
  const acl = (await nb.select('ACL'))[0];
  assert.deepEqual((await sb.select('Meter')).map((m) => str(m, 'name')).sort(), ['mf', `mf__${acl?._uuid ?? ''}`]);
  assert.ok((await sb.select('Logical_Flow')).some((f) => str(f, 'actions').includes(`meter="mf__${acl?._uuid ?? ''}"`)), 'the log action names the ACL\'s copy');

  // a restarted northd learns the rows it wrote: same rows, nothing duplicated, nothing refused
  await northd.idle();
  const before = await counts(sb);
  const haBefore = await haView(sb);
  await northd.close();
  northd = await startNorthd({ nb, sb, onError: (e) => errors.push(e) });
  await northd.synced();
  await northd.idle();
  assert.equal(await counts(sb), before);
  assert.deepEqual(await haView(sb), haBefore);
  assert.equal(await lbAction(), 'reg0[1] = 0; ct_lb_mark(backends=10.0.1.10:8080);');

  // NB rows going: their SB rows go (nothing stale)
  await nbctl(nb, ['lb-del', 'lbhc']);
  await nbctl(nb, ['lsp-del', 'ext1', '--', 'lsp-del', 'ext2', '--', 'lrp-del', 'lr2-public']);
  await northd.synced();
  await northd.idle();
  assert.deepEqual(await haView(sb), ['lr1-public: hv1@20=,hv2@10=,hv3@30=']);
  assert.equal((await sb.select('Service_Monitor')).length, 0);
  assert.equal((await sb.select('Load_Balancer')).length, 0);
  assert.deepEqual(errors, []);
});
