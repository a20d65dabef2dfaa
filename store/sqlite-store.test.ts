import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { SqliteStore } from './sqlite-store.js';
import { LoomError } from './types.js';
import type { Operation, WatchEvent } from './types.js';
import { nbSchema, sbSchema } from '../schemas/index.js';

function tmpFile(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'loom-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'db.sqlite');
}

const lsWithPort = (ls: string, lp: string): Operation[] => [
  { op: 'insert', table: 'Logical_Switch', row: { name: ls, ports: ['named-uuid', 'p'] }, 'uuid-name': 'ls' },
  { op: 'insert', table: 'Logical_Switch_Port', row: { name: lp }, 'uuid-name': 'p' },
];

async function rejects(p: Promise<unknown>, code: string): Promise<LoomError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LoomError, `expected LoomError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

test('insert with uuid-names, select, revision', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const r = await s.transact(lsWithPort('ls1', 'lp1'));
  assert.equal(r.revision, 1);
  const [ls] = await s.select('Logical_Switch', [['name', '==', 'ls1']]);
  const [lp] = await s.select('Logical_Switch_Port');
  assert.ok(ls && lp);
  assert.deepEqual(ls['ports'], [lp._uuid]);
  assert.equal(ls._uuid, (r.results[0] as { uuid: string }).uuid);
  assert.deepEqual(lp['addresses'], []);
  assert.deepEqual(lp['options'], {});
  assert.equal(lp['enabled'], null);
  assert.equal(lp['type'], '');
  assert.equal(await s.revision(), 1);
  assert.deepEqual(s.checkInvariants(), []);
});

test('read-only transactions do not create a revision', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  await s.transact(lsWithPort('ls1', 'lp1'));
  const r = await s.transact([{ op: 'select', table: 'Logical_Switch', where: [] }, { op: 'comment', comment: 'hi' }]);
  assert.equal(r.revision, 1);
  const noop = await s.transact([{ op: 'update', table: 'Logical_Switch', where: [['name', '==', 'ls1']], row: { name: 'ls1' } }]);
  assert.equal(noop.revision, 1, 'an update that changes nothing is read-only');
  assert.deepEqual(noop.results, [{ count: 1 }]);
});

test('a transaction whose last op fails leaves no trace, including its GC', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  await s.transact([
    { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', static_routes: ['named-uuid', 'r'] } },
    { op: 'insert', table: 'Logical_Router_Static_Route', row: { ip_prefix: '0.0.0.0/0', nexthop: '10.0.0.1' }, 'uuid-name': 'r' },
  ]);
  await rejects(
    s.transact([
      { op: 'insert', table: 'Logical_Switch', row: { name: 'ls2' } },
      { op: 'delete', table: 'Logical_Router', where: [] },
      { op: 'insert', table: 'ACL', row: { priority: 99999, direction: 'to-lport', action: 'drop', match: 'ip' } },
    ]),
    'type-error',
  );
  assert.equal((await s.select('Logical_Switch')).length, 0);
  assert.equal((await s.select('Logical_Router')).length, 1);
  assert.equal((await s.select('Logical_Router_Static_Route')).length, 1);
  assert.equal(await s.revision(), 1);
  await rejects(s.transact([{ op: 'delete', table: 'Logical_Router', where: [] }, { op: 'abort' }]), 'aborted');
  assert.equal((await s.select('Logical_Router_Static_Route')).length, 1);
  assert.deepEqual(s.checkInvariants(), []);
});

test('deleting a referenced row fails with a hint; GC removes children', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  await s.transact(lsWithPort('ls1', 'lp1'));
  const e = await rejects(s.transact([{ op: 'delete', table: 'Logical_Switch_Port', where: [['name', '==', 'lp1']] }]), 'referential-integrity');
  assert.equal(e.table, 'Logical_Switch_Port');
  assert.equal(e.column, 'ports');
  assert.equal(e.op, 0);
  assert.match(e.hint ?? '', /Logical_Switch_Port 'lp1' is still referenced by Logical_Switch 'ls1'\.ports; delete it from there first/);
  // Removing the port from the switch garbage-collects it.
  const [lp] = await s.select('Logical_Switch_Port');
  assert.ok(lp);
  const r = await s.transact([{ op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls1']], mutations: [['ports', 'delete', ['uuid', lp._uuid]]] }]);
  assert.deepEqual(r.results, [{ count: 1 }]);
  assert.equal((await s.select('Logical_Switch_Port')).length, 0);
  assert.deepEqual(s.checkInvariants(), []);
});

test('revisions continue across close and reopen of the same file', async (t) => {
  const file = tmpFile(t);
  let s = SqliteStore.open(file, nbSchema);
  await s.transact(lsWithPort('ls1', 'lp1'));
  await s.transact([{ op: 'update', table: 'Logical_Switch', where: [], row: { external_ids: { a: 'b' } } }, { op: 'commit', durable: true }]);
  await s.close();
  s = SqliteStore.open(file, nbSchema);
  t.after(() => s.close());
  assert.equal(await s.revision(), 2);
  const [ls] = await s.select('Logical_Switch');
  assert.deepEqual(ls?.['external_ids'], { a: 'b' });
  const r = await s.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls2' } }]);
  assert.equal(r.revision, 3);
  const events = await firstValueFrom(s.watch({ fromRevision: 0 }).pipe(take(3), toArray()));
  assert.deepEqual(events.map((e) => [e.type, e.revision]), [['change', 1], ['change', 2], ['change', 3]]);
  assert.deepEqual(s.checkInvariants(), []);
});

test('a file holding another database is refused', async (t) => {
  const file = tmpFile(t);
  const s = SqliteStore.open(file, nbSchema);
  await s.close();
  assert.throws(() => SqliteStore.open(file, sbSchema), { code: 'unavailable' });
});

test('watch: replay then live, no gap and no duplicate, even when the watcher commits', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  for (let i = 0; i < 5; i++) await s.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: `ls${i}` } }]);
  const seen: WatchEvent[] = [];
  let committed = false;
  const done = new Promise<void>((resolve, reject) => {
    const sub = s.watch({ fromRevision: 2 }).subscribe({
      next: (e) => {
        seen.push(e);
        // Commit from inside the handler during replay: must arrive once, after the replay.
        if (!committed) {
          committed = true;
          s.transactSync([{ op: 'insert', table: 'Logical_Switch', row: { name: 'inside' } }]);
        }
        if (e.revision === 7) {
          sub.unsubscribe();
          resolve();
        }
      },
      error: reject,
    });
  });
  await s.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'after' } }]);
  await done;
  assert.deepEqual(seen.map((e) => [e.type, e.revision]), [['change', 3], ['change', 4], ['change', 5], ['change', 6], ['change', 7]]);
});

test('a database file has one owner: a second open is refused until the first closes', async (t) => {
  const file = tmpFile(t);
  const a = SqliteStore.open(file, sbSchema);
  await a.transact([{ op: 'insert', table: 'Chassis_Private', row: { name: 'x' } }]);
  assert.throws(() => SqliteStore.open(file, sbSchema), { code: 'unavailable', message: /open in another process/ });
  await a.close();
  const b = SqliteStore.open(file, sbSchema);
  t.after(() => b.close());
  assert.equal(b.selectSync('Chassis_Private').length, 1);
});

test('the change log grows with the change, not with the row changed', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const n = 2000;
  const ports: Operation[] = Array.from({ length: n }, (_, i) => ({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `p${i}`, row: { name: `lp${i}` } }));
  await s.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls', ports: ['set', ports.map((_, i) => ['named-uuid', `p${i}`])] } }, ...ports]);
  const before = s.stats();
  for (let i = 0; i < 50; i++) {
    await s.transact([
      { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'np', row: { name: `new${i}` } },
      { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls']], mutations: [['ports', 'insert', ['named-uuid', 'np']]] },
    ]);
  }
  const after = s.stats();
  assert.equal(after.revision, before.revision + 50);
  assert.equal(after.logEntries, before.logEntries + 100);
  // One port's worth per commit (its uuid, the switch's old _version), far from the ~80 KB ports column.
  assert.ok(after.logBytes - before.logBytes < 50 * 1000, `log grew by ${after.logBytes - before.logBytes} bytes`);
  assert.equal(after.rows, n + 1 + 50);
});

test('a file that is not a database is refused with a LoomError', async (t) => {
  const file = tmpFile(t);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, 'this is not sqlite'.repeat(100));
  assert.throws(() => SqliteStore.open(file, nbSchema), (e: unknown) => e instanceof LoomError && e.code === 'unavailable' && /cannot open/.test(e.message));
});

test('big sets and maps (stored element by element) survive reopen exactly, across size thresholds', async (t) => {
  const fc = (await import('fast-check')).default;
  const file = tmpFile(t);
  let s = SqliteStore.open(file, nbSchema);
  t.after(() => s.close());
  await s.transact([{ op: 'insert', table: 'Address_Set', row: { name: 'as' } }, { op: 'insert', table: 'Address_Set', row: { name: 'other', addresses: Array.from({ length: 70 }, (_, i) => `10.1.0.${i}`) } }]);
  const step = fc.record({
    add: fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 80 }),
    del: fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 80 }),
    ids: fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.string({ maxLength: 3 })), { maxLength: 70 }),
    dropOther: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
      for (const st of steps) {
        await s.transact([
          { op: 'mutate', table: 'Address_Set', where: [['name', '==', 'as']], mutations: [['addresses', 'insert', st.add.map((i) => `10.0.0.${i}`)], ['addresses', 'delete', st.del.map((i) => `10.0.0.${i}`)]] },
          { op: 'update', table: 'Address_Set', where: [['name', '==', 'as']], row: { external_ids: Object.fromEntries(st.ids.map(([k, v]) => [`k${k}`, v])) } },
          ...(st.dropOther ? [{ op: 'delete', table: 'Address_Set', where: [['name', '==', 'other']] } as Operation] : []),
        ]);
      }
      const before = JSON.stringify(s.selectSync('Address_Set'));
      await s.close();
      s = SqliteStore.open(file, nbSchema);
      assert.equal(JSON.stringify(s.selectSync('Address_Set')), before);
      assert.deepEqual(s.checkInvariants(), []);
    }),
    { numRuns: 25, seed: 11 },
  );
});

test('a bulk commit\'s rows stay in its pending record: a change takes out only its row, a reopen reads the rest', async (t) => {
  const file = tmpFile(t);
  const s = SqliteStore.open(file, nbSchema);
  let open = true;
  t.after(() => (open ? s.close() : undefined));
  const n = 5000;
  const ports: Operation[] = Array.from({ length: n }, (_, i) => ({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `p${i}`, row: { name: `lp${i}` } }));
  await s.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls', ports: ['set', ports.map((_, i) => ['named-uuid', `p${i}`])] } }, ...ports]);
  assert.equal(s.pendingRows(), n + 1, 'every new row in the pending record, none filed after the commit');
  // nothing files them in the background
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(s.pendingRows(), n + 1);
  // a change and a delete take out the rows they touch, not their parts nor the bulk
  await s.transact([{ op: 'update', table: 'Logical_Switch_Port', where: [['name', '==', 'lp10']], row: { type: 'localnet' } }]);
  assert.equal(s.pendingRows(), n);
  const drop = (name: string): Operation[] => [
    { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls']], mutations: [['ports', 'delete', ['set', [['uuid', s.selectSync('Logical_Switch_Port', [['name', '==', name]])[0]!._uuid]]]]] },
    { op: 'delete', table: 'Logical_Switch_Port', where: [['name', '==', name]] },
  ];
  await s.transact(drop('lp4990'));
  assert.equal(s.pendingRows(), n - 2, 'the switch (with its 5000-port set) and lp4990 out');
  // the switch, now in rows whole, changes again: its set's members by difference
  await s.transact(drop('lp11'));
  const beforeClose = s.pendingRows();
  assert.equal(beforeClose, n - 3);
  await s.close();
  open = false;
  // a reopen reads the pending rows as they are (and files nothing)
  const again = SqliteStore.open(file, nbSchema);
  let reopened = true;
  t.after(() => (reopened ? again.close() : undefined));
  assert.equal(again.pendingRows(), beforeClose);
  assert.equal(again.selectSync('Logical_Switch_Port').length, n - 2);
  assert.equal(again.selectSync('Logical_Switch_Port', [['name', '==', 'lp10']])[0]?.['type'], 'localnet');
  assert.equal(again.selectSync('Logical_Switch_Port', [['name', '==', 'lp4990']]).length, 0);
  assert.equal((again.selectSync('Logical_Switch')[0]?.['ports'] as unknown[]).length, n - 2);
  assert.deepEqual(again.checkInvariants(), []);
  // a row read from a pending part changes like any other, and stays changed
  await again.transact([{ op: 'update', table: 'Logical_Switch_Port', where: [['name', '==', 'lp2500']], row: { type: 'router' } }]);
  assert.equal(again.pendingRows(), beforeClose - 1);
  await again.close();
  reopened = false;
  const third = SqliteStore.open(file, nbSchema);
  t.after(() => third.close());
  assert.equal(third.selectSync('Logical_Switch_Port', [['name', '==', 'lp2500']])[0]?.['type'], 'router');
  assert.equal(third.selectSync('Logical_Switch_Port').length, n - 2);
  assert.equal((third.selectSync('Logical_Switch')[0]?.['ports'] as unknown[]).length, n - 2, 'the switch as its last change left it');
  assert.deepEqual(third.checkInvariants(), []);
});
