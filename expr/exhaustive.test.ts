// Exhaustive small-width checks in the spirit of OVN's tests/test-ovn.c "exhaustive": every
// tree of up to three leaves (over a 2-bit field, a 1-bit field and a 1-bit field with a
// prerequisite) under ! / && / ||, checked on every packet of the domain: normalize agrees
// with evaluate, and formatMatch/parseMatch round-trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitValues, packets } from './arbitrary.js';
import { evaluate, evaluateConjunctions, formatMatch, normalize, parseMatch, type MatchExpr, type SymbolContext } from './index.js';

const ctx: SymbolContext = { addressSets: () => undefined, portGroups: () => undefined };
const LEAVES: readonly string[] = [
  'reg0[0..1] == 0', 'reg0[0..1] == 1', 'reg0[0..1] == 2', 'reg0[0..1] == 3', 'reg0[0..1] != 1', 'reg0[0..1] < 2', 'reg0[0..1] >= 1',
  '1 < reg0[0..1] <= 3', 'reg0[0..1] == {0, 3}', 'reg0[0..1] == 0x2/0x2', 'reg0[2]', 'ct.new', '0', '1',
];
const PKTS = packets({ reg0: bitValues([0, 1, 2]), ct_state: bitValues([0, 5]) });

function* trees(): Generator<MatchExpr> {
  const leaves = LEAVES.map((t) => parseMatch(t));
  const unary = [...leaves, ...leaves.map((e): MatchExpr => ({ type: 'not', expr: e }))];
  yield* unary;
  for (const op of ['and', 'or'] as const) {
    for (const a of unary) for (const b of unary) yield { type: op, terms: [a, b] };
    const other = op === 'and' ? 'or' : 'and';
    for (const a of leaves) for (const b of leaves) for (const c of leaves) {
      yield { type: op, terms: [{ type: other, terms: [a, b] }, c] };
      yield { type: 'not', expr: { type: op, terms: [a, { type: other, terms: [b, c] }] } };
    }
  }
}

test('every tree of up to three leaves: normalize keeps meaning and text round-trips', () => {
  let n = 0;
  for (const e of trees()) {
    n++;
    const text = formatMatch(e);
    assert.deepEqual(parseMatch(text), e, text);
    const conj = normalize(e, ctx);
    for (const p of PKTS) {
      if (evaluate(e, p, ctx) !== evaluateConjunctions(conj, p, ctx)) assert.fail(`${text} disagrees on reg0=${String(p['reg0'])} ct_state=${String(p['ct_state'])}`);
    }
  }
  assert.ok(n > 10_000, `${n} trees`);
});
