// Transactions in parts on the embedded store: parts checked as they come, run as ONE
// transaction at commit (one revision, one watch event), nothing written on any failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { SqliteStore } from './sqlite-store.js';
import { fencedStore } from './lock-runner.js';
import { LoomError } from './types.js';
import type { Operation, Row, WatchEvent } from './types.js';
import { nbSchema } from '../schemas/index.js';

function ports(prefix: string, n: number): Operation[] {
  return Array.from({ length: n }, (_, i) => ({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `${prefix}_${i}`, row: { name: `${prefix}-${i}` } }) as Operation);
}

function switchOf(prefix: string, n: number): Operation {
  return { op: 'insert', table: 'Logical_Switch', row: { name: `ls-${prefix}`, ports: ['set', Array.from({ length: n }, (_, i) => ['named-uuid', `${prefix}_${i}`])] } } as Operation;
}

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

test('parts naming uuid-names of earlier parts commit as one revision and one watch event', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const events: WatchEvent[] = [];
  const sub = s.watch({ fromRevision: 0 }).subscribe((e) => events.push(e));
  t.after(() => sub.unsubscribe());
  const txn = s.transactParts();
  await txn.add(ports('a', 30));
  await txn.add(ports('b', 20));
  assert.equal(await s.revision(), 0, 'nothing commits before commit()');
  assert.equal((await s.select('Logical_Switch_Port')).length, 0);
  const r = await txn.commit([switchOf('a', 30), { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-b', ports: ['set', [['named-uuid', 'b_0'], ['named-uuid', 'b_19']]] } } as Operation]);
  assert.equal(r.revision, 1);
  assert.equal(r.results.length, 52);
  const changes = events.filter((e) => e.type === 'change');
  assert.equal(changes.length, 1);
  // 30 + 2 ports referenced by a switch, 2 switches (the other 18 ports nobody refers to are collected)
  assert.equal(changes[0]?.type === 'change' ? changes[0].changes.length : 0, 34);
  const [lsA] = await s.select('Logical_Switch', [['name', '==', 'ls-a']]);
  assert.equal((lsA?.['ports'] as readonly string[]).length, 30);
  // the result of an earlier part's insert is the row's uuid
  const first = r.results[0];
  assert.ok(first !== undefined && 'uuid' in first);
  assert.equal((await s.select('Logical_Switch_Port', [['_uuid', '==', first.uuid]]))[0]?.['name'], 'a-0');
});

test('a failing operation in a late part leaves nothing, and says its index in the whole transaction', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const txn = s.transactParts();
  await txn.add(ports('x', 10));
  await txn.add(ports('y', 10));
  await rejects(txn.commit([switchOf('x', 10), { op: 'insert', table: 'Logical_Switch', row: { name: 'bad', ports: ['uuid', '00000000-0000-4000-8000-000000000001'] } } as Operation]), 'referential-integrity');
  assert.equal(await s.revision(), 0);
  assert.equal((await s.select('Logical_Switch_Port')).length, 0);
  // an operation refused by its own checks names its index over every part
  const t2 = s.transactParts();
  await t2.add(ports('z', 5));
  const bad = await rejects(t2.commit([{ op: 'insert', table: 'Logical_Switch', row: { name: 'n', other_config: 7 } } as Operation]), 'type-error');
  assert.equal(bad.op, 5);
});

test('a part refused on arrival fails the whole transaction; commit after it rejects the same way', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const txn = s.transactParts();
  await txn.add(ports('p', 3));
  // the same uuid-name as in the first part
  const dup = await rejects(txn.add(ports('p', 1)), 'bad-request');
  assert.equal(dup.op, 3);
  assert.equal(dup.path, '/ops/3/uuid-name');
  await rejects(txn.commit(), 'bad-request');
  const t2 = s.transactParts();
  await rejects(t2.add([{ op: 'insert', table: 'Nope', row: {} } as unknown as Operation]), 'unknown-table');
  await rejects(t2.commit([]), 'unknown-table');
  assert.equal(await s.revision(), 0);
});

test('abort frees the parts: a later commit is refused and nothing is written', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const txn = s.transactParts();
  await txn.add(ports('q', 4));
  await txn.abort();
  await rejects(txn.commit([switchOf('q', 4)]), 'aborted');
  await rejects(txn.add(ports('r', 1)), 'aborted');
  assert.equal(await s.revision(), 0);
  // committed once, a transaction in parts takes nothing more
  const t2 = s.transactParts();
  await t2.commit([...ports('s', 1), switchOf('s', 1)]);
  await rejects(t2.commit([]), 'bad-request');
  assert.equal(await s.revision(), 1);
});

test('a fenced store leads the first part with its assert and hides it from results and error indices', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const fenced = fencedStore(s, 'northd');
  // no session holds the lock here: the assert (index 0 of the whole) fails at commit
  const txn = fenced.transactParts();
  await txn.add(ports('f', 2));
  await rejects(txn.commit([switchOf('f', 2)]), 'not-owner');
  assert.equal(await s.revision(), 0);
  // with the lock held: results cover only the caller's operations, indices are theirs
  const held = fencedStore({ schema: s.schema, transact: (o) => s.transact(o, { locks: new Set(['northd']) }), transactParts: () => s.transactParts({ locks: new Set(['northd']) }), select: (a, b) => s.select(a, b), revision: () => s.revision(), watch: (r) => s.watch(r), close: () => s.close() }, 'northd');
  const ok = held.transactParts();
  await ok.add(ports('g', 2));
  const r = await ok.commit([switchOf('g', 2)]);
  assert.equal(r.results.length, 3);
  assert.ok(r.results[0] !== undefined && 'uuid' in r.results[0]);
  const bad = held.transactParts();
  await bad.add(ports('h', 2));
  const e = await rejects(bad.commit([{ op: 'insert', table: 'Logical_Switch', row: { name: 'h', other_config: 7 } } as Operation]), 'type-error');
  assert.equal(e.op, 2);
});

test('the operation cap counts every part, and is refused as soon as the parts pass it', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema, { maxRequestOps: 10 });
  t.after(() => s.close());
  const txn = s.transactParts();
  await txn.add(ports('c', 6));
  const e = await rejects(txn.add(ports('d', 6)), 'too-large');
  assert.equal(e.path, '/ops');
  await rejects(txn.commit([]), 'too-large');
  // the default cap takes a northd 50k-port compile (≈275k operations) as one transaction
  const big = SqliteStore.open(':memory:', nbSchema);
  t.after(() => big.close());
  const many = big.transactParts();
  for (let i = 0; i < 3; i++) await many.add(Array.from({ length: 100_000 }, () => ({ op: 'comment', comment: 'x' }) as Operation));
  const r = await many.commit([]);
  assert.equal(r.results.length, 300_000);
});

test('a part may name a uuid-name of a later part (the whole transaction runs again at commit)', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const txn = s.transactParts();
  await txn.add([{ op: 'insert', table: 'Logical_Switch', row: { name: 'fwd', ports: ['named-uuid', 'later'] } } as Operation]);
  const r = await txn.commit([{ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'later', row: { name: 'late-port' } } as Operation]);
  assert.equal(r.results.length, 2);
  const [ls] = await s.select('Logical_Switch', [['name', '==', 'fwd']]);
  assert.deepEqual(ls?.['ports'], [(r.results[1] as { uuid: string }).uuid]);
});

test('a commit landing between parts is seen by the transaction in parts', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  // the parts insert an address set (unique name) another client creates meanwhile: refused as a duplicate
  const txn = s.transactParts();
  await txn.add([{ op: 'insert', table: 'Address_Set', row: { name: 'race' } } as Operation]);
  await s.transact([{ op: 'insert', table: 'Address_Set', row: { name: 'race' } }]);
  await rejects(txn.commit([]), 'duplicate');
  assert.equal((await s.select('Address_Set', [['name', '==', 'race']])).length, 1);
  // an update handed over before another client inserted the rows it matches: the
  // operations run at commit, so it updates them (as OVSDB would)
  const t2 = s.transactParts();
  await t2.add([{ op: 'update', table: 'Logical_Switch', where: [['name', '==', 'late']], row: { other_config: { a: '2' } } } as Operation]);
  await s.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'late', other_config: { a: '1' } } }]);
  const r = await t2.commit([{ op: 'insert', table: 'Logical_Switch', row: { name: 'other' } } as Operation]);
  assert.deepEqual(r.results[0], { count: 1 });
  assert.deepEqual((await s.select('Logical_Switch', [['name', '==', 'late']]))[0]?.['other_config'], { a: '2' });
});

test('parts give the same rows, results and errors as one transaction of the same operations', async (t) => {
  const ops: Operation[] = [...ports('e', 40), switchOf('e', 40), { op: 'update', table: 'Logical_Switch_Port', where: [['name', '==', 'e-3']], row: { addresses: ['unknown'] } } as Operation, { op: 'select', table: 'Logical_Switch_Port', where: [['name', '==', 'e-3']], columns: ['addresses'] } as Operation];
  const whole = SqliteStore.open(':memory:', nbSchema);
  const inParts = SqliteStore.open(':memory:', nbSchema);
  t.after(() => whole.close());
  t.after(() => inParts.close());
  const a = await whole.transact(ops);
  const txn = inParts.transactParts();
  for (let i = 0; i < ops.length; i += 7) await txn.add(ops.slice(i, i + 7));
  const b = await txn.commit();
  assert.equal(b.revision, a.revision);
  // uuids differ (generated); everything else is the same
  const shape = (x: unknown): unknown => JSON.parse(JSON.stringify(x).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'U'));
  assert.deepEqual(shape(b.results), shape(a.results));
  for (const table of ['Logical_Switch', 'Logical_Switch_Port']) {
    const rows = async (st: SqliteStore): Promise<unknown> => shape((await st.select(table)).map((r) => ({ ...r, _uuid: '', _version: '' }) as Record<string, unknown>).sort((x, y) => String(x['name']).localeCompare(String(y['name']))));
    assert.deepEqual(await rows(inParts), await rows(whole), table);
  }
  // an error in a middle part names the same operation as in one transaction
  const bad: Operation[] = [...ports('f', 10), { op: 'insert', table: 'Logical_Switch', row: { name: 'f', other_config: 3 } } as Operation, switchOf('f', 10)];
  const ea = await rejects(whole.transact(bad), 'type-error');
  const t2 = inParts.transactParts();
  await t2.add(bad.slice(0, 6));
  await t2.add(bad.slice(6, 11));
  const eb = await rejects(t2.commit(bad.slice(11)), 'type-error');
  assert.equal(eb.op, ea.op);
  assert.equal(eb.path, ea.path);
});

test('a bulk in parts files exactly what it committed, where later parts changed, deleted or collected rows of earlier ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-parts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const n = 3000;
  // part 1: ports and a port group naming two of them (weakly); later parts change rows of
  // earlier ones: an update, a mutate, a delete (which the group's weak reference loses),
  // and the switch leaves one port out (collected): big enough for the pending record
  const ops: Operation[] = [
    ...ports('q', n),
    { op: 'insert', table: 'Port_Group', row: { name: 'pg', ports: ['set', [['named-uuid', 'q_20'], ['named-uuid', 'q_21']]] } } as Operation,
    { op: 'update', table: 'Logical_Switch_Port', where: [['name', '==', 'q-10']], row: { addresses: ['unknown'] } } as Operation,
    { op: 'mutate', table: 'Logical_Switch_Port', where: [['name', '==', 'q-11']], mutations: [['external_ids', 'insert', ['map', [['k', 'v']]]]] } as Operation,
    { op: 'delete', table: 'Logical_Switch_Port', where: [['name', '==', 'q-20']] } as Operation,
    { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-q', ports: ['set', Array.from({ length: n }, (_, i) => ['named-uuid', `q_${i}`]).filter((_, i) => i !== 20 && i !== 30)] } } as Operation,
  ];
  const whole = SqliteStore.open(':memory:', nbSchema);
  t.after(() => whole.close());
  await whole.transact(ops);
  const file = join(dir, 'nb.db');
  const s = SqliteStore.open(file, nbSchema);
  let open = true;
  t.after(() => (open ? s.close() : undefined));
  const txn = s.transactParts();
  // the changes come in parts after the ones holding the rows they change
  for (let i = 0; i < n; i += 500) await txn.add(ops.slice(i, i + 500));
  await txn.add(ops.slice(n, n + 3));
  await txn.commit(ops.slice(n + 3));
  // the file as the commit left it
  const copy = join(dir, 'copy.db');
  copyFileSync(file, copy);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${copy}-wal`);
  const shape = (rows: readonly Row[]): unknown => rows.map((r): Row => ({ ...r, _uuid: '', _version: '' })).sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
  const byName = (rows: readonly Row[]): Map<unknown, Row> => new Map(rows.map((r) => [r['name'], r]));
  for (const table of ['Logical_Switch_Port', 'Port_Group']) {
    const got = s.selectSync(table);
    // as one transaction of the same operations (uuids aside)
    const same = (rows: readonly Row[]): unknown => JSON.parse(JSON.stringify(shape(rows)).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'U'));
    assert.deepEqual(same(got), same(whole.selectSync(table)), table);
  }
  assert.equal(s.selectSync('Logical_Switch_Port').length, n - 2);
  assert.deepEqual(s.selectSync('Logical_Switch_Port', [['name', '==', 'q-10']])[0]?.['addresses'], ['unknown']);
  assert.equal((s.selectSync('Port_Group')[0]?.['ports'] as readonly string[]).length, 1);
  // the file says exactly what memory says, rows and versions alike
  const reread = SqliteStore.open(copy, nbSchema);
  try {
    for (const table of ['Logical_Switch_Port', 'Port_Group', 'Logical_Switch']) {
      const mine = byName(s.selectSync(table));
      const theirs = byName(reread.selectSync(table));
      assert.equal(theirs.size, mine.size, table);
      for (const [name, row] of mine) assert.deepEqual(theirs.get(name), row, `${table} ${String(name)}`);
    }
    assert.deepEqual(reread.checkInvariants(), []);
  } finally {
    await reread.close();
  }
  await s.close();
  open = false;
});

/** The file and its WAL copied as they are now (the store stays open). */
function snapshotFile(file: string, to: string): string {
  copyFileSync(file, to);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${to}-wal`);
  return to;
}

/** Opens `file` (a copy: the store that wrote it stays open), checks its ports and indexes, closes it. */
async function assertReopens(file: string, ports: number): Promise<void> {
  const s = SqliteStore.open(file, nbSchema);
  try {
    assert.equal(s.selectSync('Logical_Switch_Port').length, ports);
    assert.deepEqual(s.checkInvariants(), []);
  } finally {
    await s.close();
  }
}

/** Pending record parts in the file: all, or those of transactions in parts (staged: revision < 0). */
function pendingRows(file: string, staged = false): number {
  const db = new Sqlite(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM pending${staged ? ' WHERE revision < 0' : ''}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('parts written to the file before their commit count only once it commits; abort removes them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-parts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'nb.db');
  const s = SqliteStore.open(file, nbSchema);
  let open = true;
  t.after(() => (open ? s.close() : undefined));
  // a committed bulk, still pending in the file, and a second transaction in parts not committed
  await s.transact([...ports('a', 2500), switchOf('a', 2500)]);
  const txn = s.transactParts();
  for (let i = 0; i < 3000; i += 1000) await txn.add(ports('b', 3000).slice(i, i + 1000));
  const cut = snapshotFile(file, join(dir, 'cut.db'));
  assert.ok(pendingRows(cut, true) > 0, 'the parts are in the file already');
  // a process ending here: the parts never committed, the bulk before them did
  await assertReopens(cut, 2500);
  assert.equal(pendingRows(cut, true), 0, 'open removed the parts of the transaction that never committed');
  assert.ok(pendingRows(cut) > 0, 'the committed bulk stays in its pending record');
  // abort takes them out of the file at once
  await txn.abort();
  const aborted = snapshotFile(file, join(dir, 'aborted.db'));
  assert.equal(pendingRows(aborted, true), 0);
  // and the next transaction in parts commits as usual, its parts adopted
  const next = s.transactParts();
  for (let i = 0; i < 3000; i += 1000) await next.add(ports('c', 3000).slice(i, i + 1000));
  await next.commit([switchOf('c', 3000)]);
  await assertReopens(snapshotFile(file, join(dir, 'done.db')), 5500);
  await s.close();
  open = false;
  // the adopted parts stay in the file as rows' home: a reopened store numbers its next
  // transaction in parts after them, so aborting one removes its own parts, not theirs
  assert.ok(pendingRows(file, true) > 0, 'the adopted parts are in the file');
  const again = SqliteStore.open(file, nbSchema);
  try {
    const more = again.transactParts();
    for (let i = 0; i < 3000; i += 1000) await more.add(ports('e', 3000).slice(i, i + 1000));
    await more.commit([switchOf('e', 3000)]);
    // numbered from 1 again, this one would share the adopted parts' stage: its first parts
    // clash with theirs (not stored), its later ones are stored, and its abort would
    // delete everything of that stage, the adopted rows with it
    const dropped = again.transactParts();
    const d = ports('d', 5000);
    for (const [from, to] of [[0, 3000], [3000, 4000], [4000, 5000]] as const) await dropped.add(d.slice(from, to));
    await dropped.abort();
    assert.equal(again.selectSync('Logical_Switch_Port').length, 8500);
  } finally {
    await again.close();
  }
  await assertReopens(file, 8500);
});
