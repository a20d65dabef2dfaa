// Every match and action string that OVN 23.03's northd emitted for northd's test
// topologies (expr/testdata/ovn-23.03-flows.json) parses, normalizes within the limit, and
// prints canonically: loom's northd writes the same language, so this is the floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatActions, formatMatch, normalize, parseActions, parseMatch, type SymbolContext } from './index.js';

interface Corpus {
  readonly address_sets: Record<string, string[]>;
  readonly port_groups: Record<string, string[]>;
  readonly matches: string[];
  readonly actions: string[];
}
const corpus = JSON.parse(readFileSync(new URL('./testdata/ovn-23.03-flows.json', import.meta.url), 'utf8')) as Corpus;
const ctx: SymbolContext = {
  addressSets: (n) => corpus.address_sets[n],
  portGroups: (n) => corpus.port_groups[n],
};

test('OVN 23.03 matches parse, normalize and print canonically', () => {
  assert.ok(corpus.matches.length > 100);
  let most = 0;
  for (const text of corpus.matches) {
    const e = parseMatch(text, ctx);
    const canonical = formatMatch(e);
    assert.deepEqual(parseMatch(canonical, ctx), e, text);
    const conj = normalize(e, ctx);
    most = Math.max(most, conj.length);
  }
  assert.ok(most < 1000, `largest expansion ${most}`);
});

test('OVN 23.03 actions parse and round-trip', () => {
  assert.ok(corpus.actions.length > 50);
  for (const text of corpus.actions) {
    const a = parseActions(text, ctx);
    assert.deepEqual(parseActions(formatActions(a), ctx), a, text);
  }
});

test('the corpus uses the action forms this parser types (not only generic calls)', () => {
  const kinds = new Set(corpus.actions.flatMap((t) => parseActions(t, ctx).map((a) => (a.type === 'call' ? `call:${a.name}` : a.type))));
  for (const k of ['next', 'keyword', 'set', 'block', 'move']) assert.ok(kinds.has(k), k);
});
