// northd daemon end to end, in process: real SqliteStores for NB (with nbdb's validate
// hook) and SB, topologies built with loom's own ovn-nbctl (cli/), northd watching NB and
// writing SB. Checks: SB equals the pure compiler's content; hot-path batches do not
// recompute; nb_cfg → SB_Global.nb_cfg → NB_Global.sb_cfg; Port_Binding.up → LSP.up;
// tunnel keys survive a northd restart, and a restart rewrites nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { validateNbTxn } from '../nbdb/validate.js';
import { compileFull } from '../northd/compile.js';
import type { SbContent } from '../northd/content.js';
import { NB_TABLES, emptySnapshot, map, str } from '../northd/nb.js';
import { startNorthd } from '../northd/index.js';
import { readTopologies } from '../northd/testdata/nbctl.js';
import { nbSchema, sbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Row, Store } from '../store/types.js';
import { nbctl } from '../cli/test-support.js';
import { within } from './fixtures.js';

const topologies = readTopologies(readFileSync(new URL('../northd/testdata/topologies.sh', import.meta.url), 'utf8'));


async function nbSnapshot(nb: Store): Promise<ReturnType<typeof emptySnapshot>> {
  const s = emptySnapshot();
  for (const t of NB_TABLES) for (const r of await nb.select(t)) s[t].set(r._uuid, r);
  return s;
}

/** SB as flow lines "dp stage prio match actions" (groups expanded) plus bindings. */
async function sbLines(sb: Store): Promise<{ flows: string[]; ports: string[]; mcs: string[] }> {
  const dps = new Map((await sb.select('Datapath_Binding')).map((d) => [d._uuid, map(d, 'external_ids')['name'] ?? '?']));
  const groups = new Map((await sb.select('Logical_DP_Group')).map((g) => [g._uuid, (g['datapaths'] as string[]).map((u) => dps.get(u) ?? '?')]));
  const flows: string[] = [];
  for (const f of await sb.select('Logical_Flow')) {
    const dp = f['logical_datapath'];
    const names = typeof dp === 'string' ? [dps.get(dp) ?? '?'] : groups.get(String(f['logical_dp_group'])) ?? ['?'];
    for (const n of names) flows.push(`${n} ${map(f, 'external_ids')['stage-name']} ${String(f['priority'])} ${str(f, 'match')} ${str(f, 'actions')}`);
  }
  const pbName = new Map((await sb.select('Port_Binding')).map((p) => [p._uuid, str(p, 'logical_port')]));
  // tunnel keys depend on allocation history, not on NB: checked separately (restart)
  const ports = (await sb.select('Port_Binding')).map((p) => `${str(p, 'logical_port')} ${dps.get(str(p, 'datapath'))} ${str(p, 'type')}`);
  const mcs = (await sb.select('Multicast_Group')).map((m) => `${dps.get(str(m, 'datapath'))} ${str(m, 'name')} ${(m['ports'] as string[]).map((u) => pbName.get(u)).sort().join(',')}`);
  return { flows: flows.sort(), ports: ports.sort(), mcs: mcs.sort() };
}

function contentLines(c: SbContent): { flows: string[]; ports: string[]; mcs: string[] } {
  const dpName = new Map([...c.datapaths.values()].map((d) => [d.nb, d.name]));
  const flows: string[] = [];
  for (const f of c.flows.values()) for (const dp of f.dps.keys()) flows.push(`${dpName.get(dp)} ${f.flow.stage} ${f.flow.priority} ${f.flow.match} ${f.flow.actions}`);
  const ports = [...c.portBindings.values()].map((p) => `${p.logical_port} ${dpName.get(p.datapath)} ${p.type}`);
  const mcs = [...c.multicastGroups.values()].map((m) => `${dpName.get(m.datapath)} ${m.name} ${[...m.ports].sort().join(',')}`);
  return { flows: flows.sort(), ports: ports.sort(), mcs: mcs.sort() };
}


async function waitRow(store: Store, table: string, pred: (r: Row) => boolean): Promise<void> {
  if ((await store.select(table)).some(pred)) return;
  await firstValueFrom(store.watch({ tables: { [table]: {} } }).pipe(
    filter((ev) => (ev.type === 'snapshot' ? (ev.tables[table] ?? []).some(pred) : ev.type === 'change' && ev.changes.some((c) => c.new !== null && pred(c.new)))),
    timeout(10_000),
  ));
}

test('northd daemon: compile, hot paths, nb_cfg, port up, restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-'));
  const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  const sb = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  t.after(async () => {
    await nb.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await nbctl(nb, ['init']);
  for (const words of topologies.get('router-plain') ?? []) await nbctl(nb, words);
  await nbctl(nb, ['ls-add', 'ls2', '--', 'lsp-add', 'ls2', 'q1', '--', 'lsp-set-addresses', 'q1', '0a:00:00:00:02:01 10.0.2.1']);
  const errors: unknown[] = [];
  let northd = await startNorthd({ nb, sb, onError: (e) => errors.push(e) });
  try {
    await within(northd.synced());
    assert.deepEqual(await sbLines(sb), contentLines(compileFull(await nbSnapshot(nb))));
    assert.ok((await sb.select('Logical_DP_Group')).length > 0, 'default flows shared through datapath groups');

    // hot path: port add
    await nbctl(nb, ['lsp-add', 'ls1', 'extra', '--', 'lsp-set-addresses', 'extra', '0a:ff:00:00:00:01 10.0.1.77']);
    await within(northd.synced());
    assert.deepEqual(northd.stats().lastBatch?.recomputed, []);
    const lines = await sbLines(sb);
    assert.ok(lines.flows.some((l) => l.includes('ls_in_l2_lkup 50 eth.dst == 0a:ff:00:00:00:01 outport = "extra"; output;')));
    assert.ok(lines.flows.some((l) => l.startsWith('lr1 lr_in_arp_resolve 100 outport == "lrp1" && reg0 == 10.0.1.77')));
    assert.ok(lines.mcs.some((m) => m.startsWith('ls1 _MC_flood ') && m.includes('extra')));

    // hot path: ACL add
    await nbctl(nb, ['--type=port-group', 'acl-add', 'pg1', 'to-lport', '1003', 'outport == @pg1 && tcp.dst == 443', 'allow-related']);
    await within(northd.synced());
    assert.deepEqual(northd.stats().lastBatch?.recomputed, []);
    assert.deepEqual(await sbLines(sb), contentLines(compileFull(await nbSnapshot(nb))));

    // nb_cfg round trip (what --wait=sb waits for)
    const g = (await nb.select('NB_Global'))[0];
    assert.ok(g);
    await nb.transact([{ op: 'update', table: 'NB_Global', where: [['_uuid', '==', ['uuid', g._uuid]]], row: { nb_cfg: 7 } }]);
    await within(northd.synced());
    assert.equal((await sb.select('SB_Global'))[0]?.['nb_cfg'], 7);
    await waitRow(nb, 'NB_Global', (r) => r['sb_cfg'] === 7);
    await waitRow(nb, 'NB_Global', (r) => r['hv_cfg'] === 7); // no chassis: hv_cfg follows
    // with chassis: hv_cfg is the least nb_cfg any chassis has caught up with
    await sb.transact([{ op: 'insert', table: 'Chassis_Private', row: { name: 'hv1', nb_cfg: 3 } }, { op: 'insert', table: 'Chassis_Private', row: { name: 'hv2', nb_cfg: 7 } }]);
    await waitRow(nb, 'NB_Global', (r) => r['hv_cfg'] === 3);
    await sb.transact([{ op: 'update', table: 'Chassis_Private', where: [['name', '==', 'hv1']], row: { nb_cfg: 7 } }]);
    await waitRow(nb, 'NB_Global', (r) => r['hv_cfg'] === 7);

    // port up: the controller sets Port_Binding.up; northd mirrors it into NB
    const pb = (await sb.select('Port_Binding', [['logical_port', '==', 'extra']]))[0];
    assert.ok(pb);
    await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['_uuid', '==', ['uuid', pb._uuid]]], row: { up: true } }]);
    await waitRow(nb, 'Logical_Switch_Port', (r) => r['name'] === 'extra' && r['up'] === true);
    await waitRow(nb, 'Logical_Switch_Port', (r) => r['name'] === 'ls1-lr' && r['up'] === true); // router ports: up once bound
    await within(northd.idle());
    assert.equal((await nb.select('Logical_Switch_Port', [['name', '==', 'vm1']]))[0]?.['up'], false); // unclaimed VIF

    // SB edited behind northd's back: the next update finds no row, northd resyncs
    await sb.transact([{ op: 'delete', table: 'Multicast_Group', where: [['name', '==', '_MC_flood']] }]);
    await nbctl(nb, ['lsp-add', 'ls1', 'late', '--', 'lsp-set-addresses', 'late', '0a:ff:00:00:00:02 10.0.1.78']);
    await within(northd.synced());
    await within(northd.idle());
    assert.deepEqual(await sbLines(sb), contentLines(compileFull(await nbSnapshot(nb))));
    assert.ok(errors.some((e) => e instanceof Error && /resyncing/.test(e.message)));
    errors.length = 0;

    // restart: same keys, nothing rewritten
    const before = await sbLines(sb);
    const keys = async (): Promise<string[]> => [
      ...(await sb.select('Port_Binding')).map((p) => `${str(p, 'logical_port')}=${String(p['tunnel_key'])}`),
      ...(await sb.select('Datapath_Binding')).map((d) => `${map(d, 'external_ids')['name']}=${String(d['tunnel_key'])}`),
    ].sort();
    const keysBefore = await keys();
    await northd.close();
    const rev = await sb.revision();
    northd = await startNorthd({ nb, sb, onError: (e) => errors.push(e) });
    await within(northd.synced());
    assert.deepEqual(await sbLines(sb), before);
    assert.deepEqual(await keys(), keysBefore);
    assert.equal(northd.stats().sbTransactions <= 1, true);
    void rev;

    // a port removed while northd is down is gone after it comes back
    await northd.close();
    await nbctl(nb, ['lsp-del', 'extra']);
    northd = await startNorthd({ nb, sb, onError: (e) => errors.push(e) });
    await within(northd.synced());
    assert.deepEqual(await sbLines(sb), contentLines(compileFull(await nbSnapshot(nb))));
    assert.deepEqual(errors, []);
  } finally {
    await northd.close();
  }
});

test('northd daemon: a batch larger than the SB transaction limit is written in consistent phases', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-phases-'));
  const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  const sb = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  t.after(async () => {
    await nb.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await nbctl(nb, ['init']);
  for (const name of ['router-plain', 'load-balancer']) for (const words of topologies.get(name) ?? []) await nbctl(nb, words);
  const errors: unknown[] = [];
  const northd = await startNorthd({ nb, sb, sbTxnLimit: 25, onError: (e) => errors.push(e) });
  try {
    await within(northd.synced());
    assert.ok(northd.stats().sbTransactions > 5, `phases: ${northd.stats().sbTransactions}`);
    assert.deepEqual(await sbLines(sb), contentLines(compileFull(await nbSnapshot(nb))));
    // and a deletion of a whole switch (flows, bindings, groups, then the datapath)
    await nbctl(nb, ['ls-del', 'sw0']);
    await within(northd.synced());
    assert.deepEqual(await sbLines(sb), contentLines(compileFull(await nbSnapshot(nb))));
    assert.deepEqual(errors, []);
  } finally {
    await northd.close();
  }
});

test('northd daemon with recompute: every batch recomputes everything, same SB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-recompute-'));
  const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  const sb = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  t.after(async () => {
    await nb.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await nbctl(nb, ['init']);
  for (const words of topologies.get('port-group-acls') ?? []) await nbctl(nb, words);
  const northd = await startNorthd({ nb, sb, recompute: true });
  try {
    await within(northd.synced());
    await nbctl(nb, ['lsp-add', 'ls1', 'p4', '--', 'lsp-set-addresses', 'p4', '0a:00:00:00:00:04 10.0.0.4', '--', 'pg-set-ports', 'pg1', 'p1', 'p2', 'p4']);
    await within(northd.synced());
    assert.ok(northd.stats().lastBatch?.recomputed.includes('northd_data'));
    assert.deepEqual(await sbLines(sb), contentLines(compileFull(await nbSnapshot(nb))));
    assert.ok((await sb.select('Address_Set', [['name', '==', 'pg1_ip4']]))[0]?.['addresses']?.toString().includes('10.0.0.4'));
  } finally {
    await northd.close();
  }
});
