import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchReferences, parseMatch } from './index.js';

test('matchReferences lists sets, groups, ports and symbols, sorted and unique', () => {
  const r = matchReferences(parseMatch('(outport == @pg2 || outport == {"p9", @pg1}) && ip4.src == {$b, $a, $b} && !is_chassis_resident("cr-x") && tcp && 1 < tcp.dst < 9'));
  assert.deepEqual(r, {
    addressSets: ['a', 'b'], portGroups: ['pg1', 'pg2'], ports: ['cr-x', 'p9'], symbols: ['ip4.src', 'outport', 'tcp', 'tcp.dst'],
  });
  assert.deepEqual(matchReferences(parseMatch('1')), { addressSets: [], portGroups: [], ports: [], symbols: [] });
});
