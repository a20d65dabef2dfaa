import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bigColumns, fromMembers, memberDelta, members, rowData, rowFromData } from './row-codec.js';
import type { Member } from './row-codec.js';
import type { ColumnSchema, Scalar, TableSchema, Value } from './types.js';
import { canonicalMap, canonicalSet } from './value.js';

const strSet: ColumnSchema = { key: { type: 'string' }, min: 0, max: 'unlimited' };
const intSet: ColumnSchema = { key: { type: 'integer' }, min: 0, max: 'unlimited' };
const intMap: ColumnSchema = { key: { type: 'integer' }, value: { type: 'string' }, min: 0, max: 'unlimited' };
const strMap: ColumnSchema = { key: { type: 'string' }, value: { type: 'integer' }, min: 0, max: 'unlimited' };

const value = (col: ColumnSchema): fc.Arbitrary<Value> => {
  if (col === strSet) return fc.array(fc.string({ maxLength: 3 }), { maxLength: 80 }).map((a) => canonicalSet(a));
  if (col === intSet) return fc.array(fc.integer({ min: -100, max: 100 }), { maxLength: 80 }).map((a) => canonicalSet(a));
  if (col === intMap) return fc.array(fc.tuple(fc.integer({ min: -100, max: 100 }), fc.string({ maxLength: 2 })), { maxLength: 80 }).map((p) => canonicalMap(p as [Scalar, Scalar][]));
  return fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 80 }).map((p) => canonicalMap(p as [Scalar, Scalar][]));
};

function applyDelta(stored: Member[], d: { put: Member[]; del: string[] }): Member[] {
  const m = new Map(stored.map((x) => [x.k, x]));
  for (const k of d.del) m.delete(k);
  for (const x of d.put) m.set(x.k, x);
  return [...m.values()];
}

for (const col of [strSet, intSet, intMap, strMap]) {
  test(`members round-trip and deltas (${col.key.type} ${col.value !== undefined ? 'map' : 'set'})`, () => {
    fc.assert(
      fc.property(value(col), value(col), (a, b) => {
        assert.equal(JSON.stringify(fromMembers(col, members(col, a))), JSON.stringify(a));
        const stored = applyDelta(members(col, a), memberDelta(col, a, b));
        assert.equal(JSON.stringify(fromMembers(col, stored)), JSON.stringify(b));
      }),
      { numRuns: 200 },
    );
  });
}

test('only sets and maps of bigFrom elements or more are split out', () => {
  const table: TableSchema = { name: 'T', isRoot: true, indexes: [], columns: { s: strSet, m: strMap, x: { key: { type: 'string' }, min: 1, max: 1 } } };
  const big = Array.from({ length: 64 }, (_, i) => `a${i}`).sort();
  const row = { _uuid: 'u', s: big, m: { a: 1 }, x: 'y' };
  assert.deepEqual(bigColumns(table, row), ['s']);
  assert.deepEqual(JSON.parse(rowData(table, { ...row, _version: 'v' }, ['s'])), { _version: 'v', m: { a: 1 }, x: 'y' });
  assert.deepEqual(bigColumns(table, { ...row, s: big.slice(1) }), []);
});

test('rowData drops _uuid and default values; rowFromData restores exactly the row (and reads the older, complete layout)', () => {
  const table: TableSchema = {
    name: 'T',
    isRoot: true,
    indexes: [],
    columns: {
      s: strSet,
      m: strMap,
      name: { key: { type: 'string' }, min: 1, max: 1 },
      n: { key: { type: 'integer' }, min: 1, max: 1 },
      b: { key: { type: 'boolean' }, min: 1, max: 1 },
      opt: { key: { type: 'string' }, min: 0, max: 1 },
      constructor: { key: { type: 'string' }, min: 0, max: 1 } satisfies ColumnSchema as ColumnSchema,
    },
  };
  const rowArb = fc.record({
    s: value(strSet),
    m: value(strMap),
    name: fc.constantFrom('', 'a', 'x y'),
    n: fc.constantFrom(0, 1, -5),
    b: fc.boolean(),
    opt: fc.constantFrom(null, '', 'v'),
    constructor: fc.constantFrom(null, 'c'),
  });
  fc.assert(
    fc.property(rowArb, (cols) => {
      const row = { _uuid: '11111111-2222-4333-8444-555555555555', _version: '21111111-2222-4333-8444-555555555555', ...cols };
      const text = rowData(table, row, []);
      assert.equal(rowFromData(table, row._uuid, JSON.parse(text) as Record<string, unknown>)['_uuid'], row._uuid);
      assert.deepEqual(rowFromData(table, row._uuid, JSON.parse(text) as Record<string, unknown>), row);
      assert.deepEqual(rowFromData(table, row._uuid, JSON.parse(JSON.stringify(row)) as Record<string, unknown>), row);
      assert.ok(!text.includes('_uuid'));
    }),
    { numRuns: 300 },
  );
});
