// The watch stream: snapshot, replay, live, compaction, filters, progress, close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstValueFrom, take, toArray } from 'rxjs';
import type { Observable } from 'rxjs';
import { SqliteStore } from './sqlite-store.js';
import type { Operation, WatchEvent, WatchRequest } from './types.js';
import { sbSchema } from '../schemas/index.js';

function open(t: { after: (fn: () => unknown) => void }, changeLogLimit?: number): SqliteStore {
  const s = SqliteStore.open(':memory:', sbSchema, changeLogLimit !== undefined ? { changeLogLimit } : {});
  t.after(() => s.close());
  return s;
}

/** Collects events synchronously (the store delivers during transactSync). */
function collect(o: Observable<WatchEvent>, t: { after: (fn: () => unknown) => void }): WatchEvent[] {
  const out: WatchEvent[] = [];
  const sub = o.subscribe({ next: (e) => out.push(e), error: (e) => out.push({ type: 'progress', revision: -1, error: e } as unknown as WatchEvent) });
  t.after(() => sub.unsubscribe());
  return out;
}

// Chassis_Private: a root table with a name and a map, and no required references.
const chassis = (name: string, ids: Record<string, string> = {}): Operation => ({ op: 'insert', table: 'Chassis_Private', row: { name, external_ids: ids } });

test('no fromRevision: a snapshot first, then live changes', (t) => {
  const s = open(t);
  s.transactSync([chassis('hv1')]);
  const ev = collect(s.watch({ tables: { Chassis_Private: { columns: ['name'] } } }), t);
  assert.equal(ev.length, 1);
  const snap = ev[0];
  assert.ok(snap?.type === 'snapshot');
  assert.equal(snap.revision, 1);
  assert.deepEqual(snap.tables['Chassis_Private']?.map((r) => r['name']), ['hv1']);
  assert.deepEqual(Object.keys(snap.tables['Chassis_Private']?.[0] ?? {}).sort(), ['_uuid', 'name']);
  s.transactSync([chassis('hv2')]);
  assert.deepEqual(ev.slice(1).map((e) => [e.type, e.revision]), [['change', 2]]);
});

test('snapshot when the log was compacted past fromRevision; replay when it was not', (t) => {
  const s = open(t, 3);
  for (let i = 1; i <= 6; i++) s.transactSync([chassis(`hv${i}`)]);
  assert.equal(s.compactedThrough, 3);
  const old = collect(s.watch({ fromRevision: 2 }), t);
  assert.equal(old[0]?.type, 'snapshot');
  assert.equal(old[0]?.revision, 6);
  assert.equal(old.length, 1);
  const recent = collect(s.watch({ fromRevision: 3 }), t);
  assert.deepEqual(recent.map((e) => [e.type, e.revision]), [['change', 4], ['change', 5], ['change', 6]]);
  const ahead = collect(s.watch({ fromRevision: 99 }), t);
  assert.equal(ahead[0]?.type, 'snapshot', 'a cursor from the future (another database) resyncs');
  const current = collect(s.watch({ fromRevision: 6 }), t);
  assert.equal(current.length, 0);
  s.transactSync([chassis('hv7')]);
  assert.deepEqual(current.map((e) => [e.type, e.revision]), [['change', 7]]);
  assert.deepEqual([old, recent, ahead].map((l) => l.at(-1)?.revision), [7, 7, 7]);
});

test('filtered watch: rows entering and leaving the filter are inserts and deletes; other commits are progress', (t) => {
  const s = open(t);
  const req: WatchRequest = { fromRevision: 0, tables: { Chassis_Private: { where: [['external_ids', 'includes', { zone: 'a' }]], columns: ['name', 'external_ids'] } } };
  const ev = collect(s.watch(req), t);
  s.transactSync([chassis('hv1', { zone: 'b' })]); // 1: not watched
  s.transactSync([{ op: 'update', table: 'Chassis_Private', where: [['name', '==', 'hv1']], row: { external_ids: { zone: 'a' } } }]); // 2: enters
  s.transactSync([{ op: 'update', table: 'Chassis_Private', where: [['name', '==', 'hv1']], row: { nb_cfg: 5 } }]); // 3: unwatched column
  s.transactSync([{ op: 'update', table: 'Chassis_Private', where: [['name', '==', 'hv1']], row: { external_ids: { zone: 'a', x: '1' } } }]); // 4: update
  s.transactSync([{ op: 'update', table: 'Chassis_Private', where: [['name', '==', 'hv1']], row: { external_ids: { zone: 'c' } } }]); // 5: leaves
  s.transactSync([{ op: 'insert', table: 'SB_Global', row: {} }]); // 6: another table
  assert.deepEqual(ev.map((e) => [e.type, e.revision]), [['progress', 1], ['change', 2], ['progress', 3], ['change', 4], ['change', 5], ['progress', 6]]);
  const kinds = ev.flatMap((e) => (e.type === 'change' ? e.changes.map((c) => [c.old === null ? 'insert' : c.new === null ? 'delete' : 'update', c.new?.['external_ids'] ?? c.old?.['external_ids']]) : []));
  assert.deepEqual(kinds, [['insert', { zone: 'a' }], ['update', { zone: 'a', x: '1' }], ['delete', { zone: 'a', x: '1' }]]);
  // A replay through the same filter gives the same events.
  const replay = collect(s.watch(req), t);
  assert.deepEqual(replay, ev);
});

test('a bad watch request errors the stream with a LoomError', (t) => {
  const s = open(t);
  const ev = collect(s.watch({ tables: { Nope: {} } }), t);
  assert.equal((ev[0] as unknown as { error: { code: string } }).error.code, 'unknown-table');
  const ev2 = collect(s.watch({ tables: { Chassis_Private: { columns: ['nope'] } } }), t);
  assert.equal((ev2[0] as unknown as { error: { code: string } }).error.code, 'unknown-column');
});

test('close completes every watch', async (t) => {
  const s = SqliteStore.open(':memory:', sbSchema);
  const all = firstValueFrom(s.watch().pipe(toArray()));
  s.transactSync([chassis('hv1')]);
  await s.close();
  const ev = await all;
  assert.deepEqual(ev.map((e) => e.type), ['snapshot', 'change']);
  await assert.rejects(s.transact([chassis('x')]), { code: 'unavailable' });
  void t;
});

test('many watchers see the same commits in the same order', async (t) => {
  const s = open(t);
  const a = firstValueFrom(s.watch({ fromRevision: 0 }).pipe(take(20), toArray()));
  const b = firstValueFrom(s.watch({ fromRevision: 0, tables: { Chassis_Private: {} } }).pipe(take(20), toArray()));
  await Promise.all(Array.from({ length: 20 }, (_, i) => s.transact([chassis(`hv${i}`)])));
  const [ea, eb] = await Promise.all([a, b]);
  assert.deepEqual(ea.map((e) => e.revision), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.deepEqual(eb.map((e) => e.revision), ea.map((e) => e.revision));
});

test('malformed watch requests (as they come off the network) are bad-request, never a TypeError', (t) => {
  const s = open(t);
  const bad: unknown[] = [null, 5, [], { tables: 'x' }, { tables: { Chassis_Private: null } }, { tables: { Chassis_Private: { columns: 'name' } } }, { tables: { Chassis_Private: { where: 'x' } } }, { tables: { Chassis_Private: { where: [['name', '==']] } } }, { fromRevision: -1 }, { fromRevision: '3' }, JSON.parse('{"tables":{"__proto__":{}}}'), { tables: { Chassis_Private: { where: [['__proto__', '==', 1]] } } }];
  for (const req of bad) {
    const ev = collect(s.watch(req as WatchRequest), t);
    const err = (ev[0] as unknown as { error?: { code?: string; name?: string } }).error;
    assert.ok(err !== undefined, JSON.stringify(req));
    assert.ok(['bad-request', 'unknown-table', 'unknown-column', 'type-error'].includes(err.code ?? ''), `${JSON.stringify(req)} gave ${err.name} ${err.code}`);
  }
});

test('replayed history equals what live watchers saw, for large sets and maps too', async (t) => {
  const { nbSchema } = await import('../schemas/index.js');
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const live = collect(s.watch({ fromRevision: 0 }), t);
  const ports = Array.from({ length: 60 }, (_, i) => ({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `p${i}`, row: { name: `lp${i}` } }) as Operation);
  s.transactSync([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls', ports: ['set', ports.map((_, i) => ['named-uuid', `p${i}`])], external_ids: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`])) } }, ...ports]);
  const lsp = s.selectSync('Logical_Switch_Port');
  for (let i = 0; i < 10; i++) {
    s.transactSync([
      { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls']], mutations: [['ports', 'delete', ['uuid', lsp[i]?._uuid]], ['external_ids', 'delete', [`k${i}`]], ['external_ids', 'insert', { [`n${i}`]: 'x' }]] },
      { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'np', row: { name: `new${i}` } },
      { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls']], mutations: [['ports', 'insert', ['named-uuid', 'np']]] },
      { op: 'update', table: 'Logical_Switch', where: [['name', '==', 'ls']], row: { other_config: { i: String(i) } } },
    ]);
  }
  const replay = collect(s.watch({ fromRevision: 0 }), t);
  assert.equal(replay.length, 11);
  assert.deepEqual(replay, live);
  const filtered = { fromRevision: 1, tables: { Logical_Switch: { where: [['external_ids', 'includes', { k5: 'v5' }]] } } } as WatchRequest;
  const liveFiltered = collect(s.watch({ ...filtered, fromRevision: 1 }), t);
  assert.deepEqual(liveFiltered.map((e) => e.type), ['change', 'change', 'change', 'change', 'change', 'change', 'progress', 'progress', 'progress', 'progress']);
});
