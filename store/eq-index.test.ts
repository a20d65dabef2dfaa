// store/eq-index.test.ts — equality scans on columns the schema does not index: once a table
// is big, the Database answers them from an index it builds on demand and keeps through every
// commit; the rows found are always those a full scan finds, including what the running
// transaction wrote; a column whose values repeat too much gets no index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from './sqlite-store.js';
import type { Condition, Operation, Row } from './types.js';
import { nbSchema } from '../schemas/index.js';

const sorted = (rows: readonly Row[]): string[] => rows.map((r) => r._uuid).sort();

/** What a scan of every row finds: the reference the indexed answer must equal. */
async function scanned(s: SqliteStore, table: string, column: string, value: unknown): Promise<string[]> {
  return sorted((await s.select(table)).filter((r) => r[column] === value));
}

async function found(s: SqliteStore, table: string, column: string, value: unknown): Promise<string[]> {
  return sorted(await s.select(table, [[column, '==', value]]));
}

test('equality scans on an unindexed column of a big table: an index built on demand, the same rows as a scan through renames, inserts and deletes', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const ops: Operation[] = [];
  for (let i = 0; i < 400; i++) ops.push({ op: 'insert', table: 'Logical_Switch', row: { name: `ls${i}` } });
  for (let i = 0; i < 10; i++) ops.push({ op: 'insert', table: 'Logical_Switch', row: { name: 'dup' } });
  await s.transact(ops);
  assert.deepEqual(s.eqIndexes(), []);

  // Logical_Switch.name is not unique in OVN's schema: the first scan on it builds the index
  for (const v of ['ls5', 'dup', 'nothing']) assert.deepEqual(await found(s, 'Logical_Switch', 'name', v), await scanned(s, 'Logical_Switch', 'name', v));
  assert.deepEqual(s.eqIndexes(), [{ on: 'Logical_Switch.name', kept: true }]);
  assert.equal((await found(s, 'Logical_Switch', 'name', 'dup')).length, 10);

  // in one transaction: what it wrote is seen by its own later scans
  const ls5 = (await found(s, 'Logical_Switch', 'name', 'ls5'))[0];
  const r = await s.transact([
    { op: 'update', table: 'Logical_Switch', where: [['name', '==', 'ls5']], row: { name: 'ls5b' } },
    { op: 'select', table: 'Logical_Switch', where: [['name', '==', 'ls5']] },
    { op: 'select', table: 'Logical_Switch', where: [['name', '==', 'ls5b']] },
    { op: 'insert', table: 'Logical_Switch', row: { name: 'ls5' }, 'uuid-name': 'fresh' },
    { op: 'select', table: 'Logical_Switch', where: [['name', '==', 'ls5']] },
    { op: 'update', table: 'Logical_Switch', where: [['name', '==', 'ls6']], row: { name: 'ls5' } },
    { op: 'select', table: 'Logical_Switch', where: [['name', '==', 'ls5']] },
  ]);
  const rows = (i: number): string[] => sorted((r.results[i] as { rows: Row[] }).rows);
  const fresh = (r.results[3] as { uuid: string }).uuid;
  assert.equal((r.results[0] as { count: number }).count, 1);
  assert.deepEqual(rows(1), []);
  assert.deepEqual(rows(2), [ls5]);
  assert.deepEqual(rows(4), [fresh]);
  assert.equal(rows(6).length, 2);
  assert.ok(rows(6).includes(fresh));
  assert.deepEqual(s.checkInvariants(), []);

  // across commits: renames, deletes, a value shared by many rows and then by one
  for (const step of [
    [{ op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'dup']] }],
    [{ op: 'update', table: 'Logical_Switch', where: [['name', '==', 'ls7']], row: { name: 'dup' } }],
    [{ op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls8']], mutations: [['other_config', 'insert', ['map', [['k', 'v']]]]] }],
    [{ op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'ls5']] }],
  ] as Operation[][]) {
    const res = await s.transact(step);
    assert.ok((res.results[0] as { count: number }).count >= 1, JSON.stringify(step));
    assert.deepEqual(s.checkInvariants(), []);
    for (const v of ['dup', 'ls5', 'ls5b', 'ls6', 'ls7', 'ls8', 'ls9']) assert.deepEqual(await found(s, 'Logical_Switch', 'name', v), await scanned(s, 'Logical_Switch', 'name', v), v);
  }
  assert.equal((await found(s, 'Logical_Switch', 'name', 'dup')).length, 1);
  assert.deepEqual(await found(s, 'Logical_Switch', 'name', 'ls5'), []);
});

test('equality scans: a small table is scanned, a column whose values repeat gets no index, and both answer right', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  await s.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'small' } }]);
  assert.deepEqual(await found(s, 'Logical_Switch', 'name', 'small'), await scanned(s, 'Logical_Switch', 'name', 'small'));
  assert.deepEqual(s.eqIndexes(), []);

  // 300 switches under three names: an index of three values would not pay for itself
  const ops: Operation[] = [];
  for (let i = 0; i < 300; i++) ops.push({ op: 'insert', table: 'Logical_Switch', row: { name: ['a', 'b', 'c'][i % 3] } });
  await s.transact(ops);
  for (const v of ['a', 'b', 'small', 'nothing']) assert.deepEqual(await found(s, 'Logical_Switch', 'name', v), await scanned(s, 'Logical_Switch', 'name', v), v);
  assert.deepEqual(s.eqIndexes(), [{ on: 'Logical_Switch.name', kept: false }]);
  const r = await s.transact([{ op: 'update', table: 'Logical_Switch', where: [['name', '==', 'c']], row: { name: 'b' } }]);
  assert.equal((r.results[0] as { count: number }).count, 100);
  assert.equal((await found(s, 'Logical_Switch', 'name', 'b')).length, 200);
  assert.deepEqual(s.checkInvariants(), []);
});

test('equality scans: with two equalities, the one whose column is worth an index gives the candidates', async (t) => {
  const s = SqliteStore.open(':memory:', nbSchema);
  t.after(() => s.close());
  const ops: Operation[] = [];
  const mac = (i: number): string => `0a:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
  for (let i = 0; i < 300; i++) ops.push({ op: 'insert', table: 'Static_MAC_Binding', row: { logical_port: `p${i}`, ip: `10.0.${i >> 8}.${i & 255}`, mac: mac(i % 150), override_dynamic_mac: i % 2 === 0 } });
  await s.transact(ops);
  const where = (m: string, o: boolean): Condition[] => [['override_dynamic_mac', '==', o], ['mac', '==', m]];
  for (const [m, o] of [[mac(7), true], [mac(7), false], [mac(8), true], ['none', true]] as const) {
    const want = sorted((await s.select('Static_MAC_Binding')).filter((r) => r['mac'] === m && r['override_dynamic_mac'] === o));
    assert.deepEqual(sorted(await s.select('Static_MAC_Binding', where(m, o))), want, `${m} ${o}`);
  }
  // a boolean of two values is not worth an index; the MAC (two rows each) is
  assert.deepEqual(s.eqIndexes(), [{ on: 'Static_MAC_Binding.override_dynamic_mac', kept: false }, { on: 'Static_MAC_Binding.mac', kept: true }]);
  assert.equal((await s.select('Static_MAC_Binding', where(mac(7), false))).length, 2);
  assert.equal((await s.select('Static_MAC_Binding', where(mac(7), true))).length, 0);
  assert.deepEqual(s.checkInvariants(), []);
});
