import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeOld, encodeOld } from './change-log.js';
import type { Row, TableSchema } from './types.js';
import { canonicalMap, canonicalSet } from './value.js';

const table: TableSchema = {
  name: 'T',
  isRoot: true,
  indexes: [],
  columns: {
    s: { key: { type: 'string' }, min: 0, max: 'unlimited' },
    n: { key: { type: 'integer' }, min: 0, max: 'unlimited' },
    m: { key: { type: 'string' }, value: { type: 'string' }, min: 0, max: 'unlimited' },
    im: { key: { type: 'integer' }, value: { type: 'integer' }, min: 0, max: 'unlimited' },
    x: { key: { type: 'integer' }, min: 1, max: 1 },
  },
};

const atoms = fc.array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')), { maxLength: 60 });
const ints = fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 60 });
const row: fc.Arbitrary<Row> = fc.record({ s: atoms, n: ints, m: fc.array(fc.tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split('')), fc.string({ maxLength: 2 })), { maxLength: 40 }), im: fc.array(fc.tuple(fc.integer({ min: -99, max: 99 }), fc.integer()), { maxLength: 40 }), x: fc.integer() }).map((r) => ({
  _uuid: '11111111-2222-4333-8444-555555555555',
  s: canonicalSet([...r.s]),
  n: canonicalSet([...r.n]),
  m: canonicalMap(r.m.map(([k, v]) => [k, v])),
  im: canonicalMap(r.im.map(([k, v]) => [k, v])),
  x: r.x,
}));

test('decodeOld(encodeOld(old, new), new) gives old back, in canonical order', () => {
  fc.assert(
    fc.property(row, row, (old, nw) => {
      const enc = JSON.parse(JSON.stringify(encodeOld(table, old, nw))) as Record<string, unknown>;
      const dec = decodeOld(table, enc, nw);
      assert.equal(JSON.stringify(dec), JSON.stringify(old));
    }),
    { numRuns: 500 },
  );
});

test('a large set logs only its difference', () => {
  const big = Array.from({ length: 1000 }, (_, i) => `p${String(i).padStart(4, '0')}`);
  const old: Row = { _uuid: 'u', s: big, x: 1 };
  const nw: Row = { _uuid: 'u', s: [...big, 'zz'], x: 1 };
  const enc = encodeOld(table, old, nw);
  assert.deepEqual(enc, { '~s': { add: ['zz'], del: [] } });
  assert.deepEqual(decodeOld(table, enc, nw), old);
  assert.deepEqual(encodeOld(table, { _uuid: 'u', s: ['a'], x: 1 }, { _uuid: 'u', s: ['b'], x: 2 }), { s: ['a'], x: 1 }, 'small columns are logged whole');
});
