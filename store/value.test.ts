// Reading column values: plain form and RFC 7047 wire notation give the same canonical value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseValue, defaultValue, defaultIsInvalid, valuesEqual, compareAtoms, canonicalMap, parsePairs, checkSize } from './value.js';
import type { ValueContext } from './value.js';
import type { ColumnSchema } from './types.js';
import { LoomError } from './types.js';

const ctx: ValueContext = { table: 'T', column: 'c', path: '/ops/0/row/c', op: 0, resolve: (n) => (n === 'row1' ? '11111111-2222-4333-8444-555555555555' : undefined) };
const strSet: ColumnSchema = { key: { type: 'string' }, min: 0, max: 'unlimited' };
const intMap: ColumnSchema = { key: { type: 'integer' }, value: { type: 'string' }, min: 0, max: 'unlimited' };
const optRef: ColumnSchema = { key: { type: 'uuid', refTable: 'X', refType: 'strong' }, min: 0, max: 1 };
const real: ColumnSchema = { key: { type: 'real' }, min: 1, max: 1 };
const boolMap: ColumnSchema = { key: { type: 'boolean' }, value: { type: 'integer', minInteger: 0, maxInteger: 9 }, min: 0, max: 2 };

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof LoomError);
    assert.equal(e.table, 'T');
    assert.equal(e.column, 'c');
    assert.equal(e.op, 0);
    return e.code;
  }
  return 'ok';
}

test('sets: plain arrays, ["set", ...], a bare atom, null — sorted and deduplicated', () => {
  assert.deepEqual(parseValue(strSet, ['b', 'a', 'b'], ctx), ['a', 'b']);
  assert.deepEqual(parseValue(strSet, ['set', ['b', 'a']], ctx), ['a', 'b']);
  assert.deepEqual(parseValue(strSet, 'x', ctx), ['x']);
  assert.deepEqual(parseValue(strSet, null, ctx), []);
  assert.equal(code(() => parseValue(strSet, [1], ctx)), 'type-error');
  assert.equal(code(() => parseValue({ ...strSet, max: 1, min: 0 }, ['a', 'b'], ctx)), 'constraint-violation');
});

test('maps: objects and ["map", ...]; integer and boolean keys read back from text', () => {
  assert.deepEqual(parseValue(intMap, { 10: 'x', 2: 'y' }, ctx), { 2: 'y', 10: 'x' });
  assert.deepEqual(parseValue(intMap, ['map', [[10, 'x'], [2, 'y']]], ctx), { 2: 'y', 10: 'x' });
  assert.equal(code(() => parseValue(intMap, { abc: 'x' }, ctx)), 'type-error');
  assert.equal(code(() => parseValue(intMap, ['map', [[1, 'x'], [1, 'y']]], ctx)), 'type-error');
  assert.equal(code(() => parseValue(intMap, ['a'], ctx)), 'type-error');
  assert.deepEqual(parseValue(boolMap, { true: 1, false: 0 }, ctx), { false: 0, true: 1 });
  assert.equal(code(() => parseValue(boolMap, { yes: 1 }, ctx)), 'type-error');
  assert.equal(code(() => parseValue(boolMap, { true: 10 }, ctx)), 'type-error');
});

test('uuids: plain, ["uuid", ...], ["named-uuid", ...], plain uuid-names; lower-cased', () => {
  const u = '11111111-2222-4333-8444-555555555555';
  assert.equal(parseValue(optRef, u.toUpperCase(), ctx), u);
  assert.equal(parseValue(optRef, ['uuid', u], ctx), u);
  assert.equal(parseValue(optRef, ['named-uuid', 'row1'], ctx), u);
  assert.equal(parseValue(optRef, 'row1', ctx), u);
  assert.equal(parseValue(optRef, ['set', []], ctx), null);
  assert.equal(parseValue(optRef, [], ctx), null);
  assert.equal(code(() => parseValue(optRef, ['named-uuid', 'nope'], ctx)), 'bad-request');
  assert.equal(code(() => parseValue(optRef, 'nope', ctx)), 'type-error');
});

test('scalars: reals take integers; NaN, Infinity and unsafe integers are refused', () => {
  assert.equal(parseValue(real, 2, ctx), 2);
  assert.equal(parseValue(real, ['set', [2.5]], ctx), 2.5);
  assert.equal(code(() => parseValue(real, '2', ctx)), 'type-error');
  assert.equal(code(() => parseValue(real, Infinity, ctx)), 'type-error');
  assert.equal(code(() => parseValue({ key: { type: 'integer' }, min: 1, max: 1 }, 2 ** 60, ctx)), 'type-error');
  assert.equal(code(() => parseValue({ key: { type: 'string', maxLength: 2 }, min: 1, max: 1 }, '😀😀😀', ctx)), 'type-error');
  assert.equal(parseValue({ key: { type: 'string', maxLength: 2 }, min: 1, max: 1 }, '😀😀', ctx), '😀😀', 'lengths count characters, not UTF-16 units');
});

test('defaults follow OVSDB; a default that breaks the column makes it required', () => {
  assert.deepEqual(defaultValue(strSet), []);
  assert.deepEqual(defaultValue(intMap), {});
  assert.equal(defaultValue(optRef), null);
  assert.equal(defaultValue(real), 0);
  assert.equal(defaultIsInvalid(real), false);
  assert.equal(defaultIsInvalid({ key: { type: 'string', enum: ['a', 'b'] }, min: 1, max: 1 }), true);
  assert.equal(defaultIsInvalid({ key: { type: 'integer', minInteger: 1 }, min: 1, max: 1 }), true);
  assert.equal(defaultIsInvalid({ key: { type: 'uuid', refTable: 'X' }, min: 1, max: 1 }), true);
  assert.equal(defaultIsInvalid({ key: { type: 'string' }, min: 1, max: 'unlimited' }), true);
});

test('equality and order', () => {
  assert.ok(valuesEqual({ a: 'x', b: 'y' }, { b: 'y', a: 'x' }));
  assert.ok(!valuesEqual({ a: 'x' }, { a: 'x', b: 'y' }));
  assert.ok(!valuesEqual(['a'], 'a'));
  assert.ok(compareAtoms(2, 10) < 0);
  assert.ok(compareAtoms('10', '2') < 0);
  assert.ok(compareAtoms(false, true) < 0);
});

test('a string map given as an object: the direct path gives the general path\'s value or refusal (and the wire form\'s value)', () => {
  // Objects take a direct path when their keys are in order, others parsePairs +
  // canonicalMap; the result and the first refusal (code and message) must not tell which.
  const cols: ColumnSchema[] = [
    { key: { type: 'string' }, value: { type: 'string' }, min: 0, max: 'unlimited' },
    { key: { type: 'string', minLength: 1, maxLength: 3 }, value: { type: 'integer', minInteger: 0, maxInteger: 9 }, min: 1, max: 3 },
    { key: { type: 'string', enum: ['a', 'b', 'c'] }, value: { type: 'string', enum: ['x', 'y'] }, min: 0, max: 2 },
  ];
  const keyArb = fc.oneof(fc.constantFrom('a', 'b', 'c', '', 'abcd', 'é', 'Z'), fc.string({ maxLength: 4 }));
  const valArb = fc.oneof(fc.constantFrom('x', 'y', '', 5, 12, -1, true, null), fc.string({ maxLength: 3 }), fc.integer({ min: -3, max: 12 }));
  const outcome = (f: () => unknown): unknown => {
    try {
      return { ok: f() };
    } catch (e) {
      assert.ok(e instanceof LoomError);
      return { code: e.code, message: e.message };
    }
  };
  fc.assert(
    fc.property(fc.constantFrom(...cols), fc.dictionary(keyArb, valArb, { maxKeys: 5 }), fc.boolean(), fc.boolean(), (col, obj, sortKeys, strict) => {
      const keys = Object.keys(obj);
      if (sortKeys) keys.sort();
      const plain: Record<string, unknown> = {};
      for (const k of keys) plain[k] = obj[k];
      const wire = ['map', keys.map((k) => [k, plain[k]])];
      // The general path, as parseValue read every map before the direct path existed.
      const general = (x: unknown): unknown => {
        const m = canonicalMap(parsePairs(col, x, ctx, strict));
        if (strict) checkSize(col, Object.keys(m).length, ctx, x);
        return m;
      };
      const got = outcome(() => parseValue(col, plain, ctx, strict));
      assert.deepEqual(got, outcome(() => general(plain)));
      if ('ok' in (got as object)) assert.deepEqual(got, outcome(() => parseValue(col, wire, ctx, strict)));
    }),
    { numRuns: 500 },
  );
});

test('a frozen string map in canonical order is taken as it is once checked; any other is copied', () => {
  const col: ColumnSchema = { key: { type: 'string' }, value: { type: 'string' }, min: 0, max: 'unlimited' };
  const ctx: ValueContext = { table: 'T', column: 'external_ids', path: '/row/external_ids' };
  const frozen = Object.freeze({ a: '1', b: '2' });
  assert.equal(parseValue(col, frozen, ctx), frozen);
  const open = { a: '1', b: '2' };
  const parsed = parseValue(col, open, ctx);
  assert.notEqual(parsed, open);
  assert.deepEqual(parsed, open);
  // out of order: a sorted copy, never the caller's object
  const unsorted = Object.freeze({ b: '2', a: '1' });
  assert.deepEqual(Object.keys(parseValue(col, unsorted, ctx) as object), ['a', 'b']);
  // frozen does not mean trusted: a bad value is refused the same way
  assert.throws(() => parseValue(col, Object.freeze({ a: 1 }), ctx), (e: unknown) => e instanceof LoomError && e.code === 'type-error' && e.column === 'external_ids');
});
