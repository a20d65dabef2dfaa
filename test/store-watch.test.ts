// End-to-end: watch over WebSocket — a per-chassis filtered watch on sbdb (rows entering and
// leaving the filter), and resume without loss or repeat when the server closes the watcher
// (graceful restart) and across a SIGKILL of a separate nbdb process and its restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNbdb } from '../nbdb/index.js';
import { startSbdb } from '../sbdb/index.js';
import { RemoteStore } from '../store/client.js';
import { EventCollector } from '../store/client-collect.js';
import { spawnDbServer, type DbProcess } from '../store/server-process.js';
import { serveStore } from '../store/server.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { sbSchema } from '../schemas/index.js';
import { LoomError, type RowChange, type WatchEvent } from '../store/types.js';

function tmp(t: { after: (fn: () => void) => void }, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `loom-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function changes(events: readonly WatchEvent[]): { revision: number; change: RowChange }[] {
  return events.flatMap((e) => (e.type === 'change' ? e.changes.map((change) => ({ revision: e.revision, change })) : []));
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Checks the watcher saw exactly `expected` (revision → switch name inserted), once each, in order. */
function assertExactlyOnce(events: readonly WatchEvent[], expected: ReadonlyMap<number, string>, from: number): void {
  const revs = events.filter((e) => e.type === 'change').map((e) => e.revision);
  for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revision ${revs[i]} after ${revs[i - 1]}: out of order or repeated`);
  assert.equal(events.some((e) => e.type === 'snapshot' && e.revision > from), false, 'history was not lost, so no snapshot was expected after the first');
  const seen = new Map<number, string>();
  for (const { revision, change } of changes(events)) {
    if (change.table !== 'Logical_Switch' || change.old !== null) continue;
    assert.equal(seen.has(revision), false, `revision ${revision} delivered twice`);
    seen.set(revision, String(change.new?.['name']));
  }
  for (const [rev, name] of expected) assert.equal(seen.get(rev), name, `revision ${rev} (${name}) missing or wrong`);
}

test('a filtered watch (Port_Binding where chassis == X) sees only its rows, entering and leaving', { timeout: 60_000 }, async (t) => {
  const dir = tmp(t, 'watch-filter');
  const svc = await startSbdb({ db: join(dir, 'sb.db'), listen: '127.0.0.1:0', handleSignals: false });
  t.after(() => svc.close());
  const sb = await RemoteStore.connect(svc.url);
  t.after(() => sb.close());

  const setup = await sb.transact([
    { op: 'insert', table: 'Encap', row: { type: 'geneve', ip: '192.0.2.1', chassis_name: 'hv1' }, 'uuid-name': 'e1' },
    { op: 'insert', table: 'Chassis', row: { name: 'hv1', hostname: 'hv1', encaps: ['named-uuid', 'e1'] } },
    { op: 'insert', table: 'Encap', row: { type: 'geneve', ip: '192.0.2.2', chassis_name: 'hv2' }, 'uuid-name': 'e2' },
    { op: 'insert', table: 'Chassis', row: { name: 'hv2', hostname: 'hv2', encaps: ['named-uuid', 'e2'] } },
    { op: 'insert', table: 'Datapath_Binding', row: { tunnel_key: 1 }, 'uuid-name': 'dp' },
    { op: 'insert', table: 'Port_Binding', row: { logical_port: 'p1', type: '', datapath: ['named-uuid', 'dp'], tunnel_key: 1 } },
    { op: 'insert', table: 'Port_Binding', row: { logical_port: 'p2', type: '', datapath: ['named-uuid', 'dp'], tunnel_key: 2 } },
  ]);
  const uuid = (i: number): string => (setup.results[i] as { uuid: string }).uuid;
  const hv1 = uuid(1);
  const hv2 = uuid(3);
  const dp = uuid(4);

  const w = new EventCollector(sb.watch({ tables: { Port_Binding: { where: [['chassis', '==', hv1]] } } }));
  t.after(() => w.stop());
  await w.until((ev) => ev.some((e) => e.type === 'snapshot'), 10_000, 'snapshot');
  const snap = w.events[0];
  assert.ok(snap?.type === 'snapshot');
  assert.deepEqual(snap.tables['Port_Binding'] ?? [], [], 'no port is bound to hv1 yet');

  const claim = await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'p1']], row: { chassis: hv1 } }]);
  const other = await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'p2']], row: { chassis: hv2 } }]);
  const touch = await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'p1']], row: { up: true } }]);
  const move = await sb.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'p1']], row: { chassis: hv2 } }]);
  const elsewhere = await sb.transact([{ op: 'insert', table: 'Port_Binding', row: { logical_port: 'p4', type: '', datapath: dp, tunnel_key: 4, chassis: hv2 } }]);
  // Last, and watched: once it arrives every earlier commit has been through the filter.
  const fresh = await sb.transact([{ op: 'insert', table: 'Port_Binding', row: { logical_port: 'p3', type: '', datapath: dp, tunnel_key: 3, chassis: hv1 } }]);
  await w.untilRevision(fresh.revision);

  const got = changes(w.events).map(({ revision, change }) => ({
    revision,
    port: String((change.new ?? change.old)?.['logical_port']),
    kind: change.old === null ? 'enter' : change.new === null ? 'leave' : 'update',
  }));
  assert.deepEqual(got, [
    { revision: claim.revision, port: 'p1', kind: 'enter' },
    { revision: touch.revision, port: 'p1', kind: 'update' },
    { revision: move.revision, port: 'p1', kind: 'leave' },
    { revision: fresh.revision, port: 'p3', kind: 'enter' },
  ]);
  assert.equal(got.some((g) => g.revision === other.revision || g.revision === elsewhere.revision), false);
});

test('a watch refused by the server (unknown table) errors with a LoomError and does not retry', { timeout: 60_000 }, async (t) => {
  const dir = tmp(t, 'watch-refused');
  const svc = await startSbdb({ db: join(dir, 'sb.db'), listen: '127.0.0.1:0', handleSignals: false });
  t.after(() => svc.close());
  const sb = await RemoteStore.connect(svc.url);
  t.after(() => sb.close());
  const w = new EventCollector(sb.watch({ tables: { Port_Bindings: {} } }));
  await assert.rejects(w.until(() => false, 10_000, 'refusal'), (e: unknown) => {
    assert.ok(e instanceof LoomError, String(e));
    assert.equal(e.code, 'unknown-table');
    assert.match(e.hint ?? '', /Port_Binding/);
    return true;
  });
});

test('a watcher closed by the server (graceful restart) resumes and gets every change once, in order', { timeout: 60_000 }, async (t) => {
  const dir = tmp(t, 'watch-restart');
  const db = join(dir, 'nb.db');
  let svc = await startNbdb({ db, listen: '127.0.0.1:0', handleSignals: false });
  const port = portOf(svc.url);
  t.after(() => svc.close());
  const nb = await RemoteStore.connect(svc.url, { backoffMs: 20, maxBackoffMs: 200 });
  t.after(() => nb.close());
  const start = await nb.revision();
  const w = new EventCollector(nb.watch({ fromRevision: start, tables: { Logical_Switch: {} } }));
  t.after(() => w.stop());

  const expected = new Map<number, string>();
  const add = async (name: string): Promise<void> => {
    const r = await nb.transact([{ op: 'insert', table: 'Logical_Switch', row: { name } }]);
    expected.set(r.revision, name);
  };
  for (let i = 0; i < 20; i++) await add(`before-${i}`);
  await w.untilRevision(start + 20);
  await svc.close();
  // Written while no server runs the watch: the resumed watch must still deliver them.
  const offline = await startNbdb({ db, listen: `127.0.0.1:${port}`, handleSignals: false });
  svc = offline;
  for (let i = 0; i < 20; i++) await add(`after-${i}`);
  await w.untilRevision(start + 40);
  assertExactlyOnce(w.events, expected, start);
  assert.equal(expected.size, 40);
});

test('a watcher resumes across a SIGKILL of the nbdb process and its restart, without loss or repeat', { timeout: 60_000 }, async (t) => {
  const dir = tmp(t, 'watch-kill');
  const db = join(dir, 'nb.db');
  let proc: DbProcess = await spawnDbServer('nbdb', db);
  t.after(() => proc.kill('SIGKILL'));
  const port = portOf(proc.url);
  const nb = await RemoteStore.connect(proc.url, { backoffMs: 20, maxBackoffMs: 300 });
  t.after(() => nb.close());
  const w = new EventCollector(nb.watch({ tables: { Logical_Switch: {} } }));
  t.after(() => w.stop());
  await w.until((ev) => ev.length > 0, 10_000, 'snapshot');
  const start = w.lastRevision() ?? 0;

  const acked = new Map<number, string>();
  for (let i = 0; i < 100; i++) {
    const r = await nb.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: `k-${i}` } }]);
    acked.set(r.revision, `k-${i}`);
  }
  // Kill while a transaction may be in flight: its fate is unknown to the writer, but
  // whatever the store kept, the watcher must see exactly that.
  const inflight = nb.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'k-inflight' } }]).catch((e: unknown) => e);
  await proc.kill('SIGKILL');
  await inflight;
  proc = await spawnDbServer('nbdb', db, `127.0.0.1:${port}`);
  for (let i = 100; i < 150; i++) {
    const r = await nb.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: `k-${i}` } }]);
    acked.set(r.revision, `k-${i}`);
  }
  const final = await nb.revision();
  await w.untilRevision(final, 20_000);
  assertExactlyOnce(w.events, acked, start);
  // What the watcher saw is what the store holds: same names, one insert per revision, no gaps.
  const stored = (await nb.select('Logical_Switch')).map((r) => String(r['name'])).sort();
  const seen = changes(w.events).filter((c) => c.change.old === null).map((c) => String(c.change.new?.['name'])).sort();
  assert.deepEqual(seen, stored);
  const revs = w.events.filter((e) => e.type === 'change').map((e) => e.revision);
  assert.deepEqual(revs, Array.from({ length: final - start }, (_, i) => start + 1 + i));
});

test('a filtered watch resumes across a restart: rows that entered and left the filter meanwhile are seen doing so', { timeout: 60_000 }, async (t) => {
  const dir = tmp(t, 'watch-filter-resume');
  const store = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  t.after(() => store.close());
  let server = await serveStore(store, '127.0.0.1', 0);
  const port = portOf(server.url);
  t.after(() => server.close());
  const setup = await store.transact([
    { op: 'insert', table: 'Encap', row: { type: 'geneve', ip: '192.0.2.1', chassis_name: 'hv1' }, 'uuid-name': 'e1' },
    { op: 'insert', table: 'Chassis', row: { name: 'hv1', hostname: 'hv1', encaps: ['named-uuid', 'e1'] } },
    { op: 'insert', table: 'Datapath_Binding', row: { tunnel_key: 7 } },
  ]);
  const hv1 = (setup.results[1] as { uuid: string }).uuid;
  const dp = (setup.results[2] as { uuid: string }).uuid;
  const sb = await RemoteStore.connect(server.url, { backoffMs: 10, maxBackoffMs: 100 });
  t.after(() => sb.close());
  const w = new EventCollector(sb.watch({ tables: { Port_Binding: { where: [['chassis', '==', hv1]], columns: ['logical_port', 'chassis'] } } }));
  t.after(() => w.stop());
  await w.until((ev) => ev.length > 0, 10_000, 'snapshot');

  await server.close();
  // While the watcher is away: q1 binds to hv1 then unbinds; q2 binds and stays; q3 never binds.
  const pb = (name: string, key: number, chassis?: string): { op: 'insert'; table: string; row: Record<string, unknown> } => ({ op: 'insert', table: 'Port_Binding', row: { logical_port: name, type: '', datapath: dp, tunnel_key: key, ...(chassis ? { chassis } : {}) } });
  const r1 = await store.transact([pb('q1', 1, hv1)]);
  const r2 = await store.transact([pb('q2', 2, hv1), pb('q3', 3)]);
  const r3 = await store.transact([{ op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'q1']], row: { chassis: ['set', []] } }]);
  server = await serveStore(store, '127.0.0.1', port);
  await w.untilRevision(r3.revision, 20_000);

  const got = changes(w.events).map(({ revision, change }) => [revision, String((change.new ?? change.old)?.['logical_port']), change.old === null ? 'enter' : change.new === null ? 'leave' : 'update']);
  assert.deepEqual(got, [
    [r1.revision, 'q1', 'enter'],
    [r2.revision, 'q2', 'enter'],
    [r3.revision, 'q1', 'leave'],
  ]);
  const entered = changes(w.events).find((c) => c.change.new !== null)?.change.new;
  assert.deepEqual(Object.keys(entered ?? {}).sort(), ['_uuid', 'chassis', 'logical_port']);
});
