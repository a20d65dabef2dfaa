import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nbSchema } from '../schemas/index.js';
import type { ColumnSchema } from '../store/types.js';
import { formatValue, needsQuotes, parseDatum, toWire, formatBare } from './values.js';

const col = (table: string, column: string): ColumnSchema => nbSchema.tables[table]?.columns[column] as ColumnSchema;

test('strings are quoted only when ovs-vsctl would', () => {
  assert.equal(needsQuotes('vm1'), false);
  assert.equal(needsQuotes('stage-name'), false);
  assert.equal(needsQuotes('ls_in_lb'), false);
  assert.equal(needsQuotes(''), true);
  assert.equal(needsQuotes('10.0.0.1'), true);
  assert.equal(needsQuotes('00:00:00:00:ff:01'), true);
  assert.equal(needsQuotes('true'), true);
  assert.equal(needsQuotes('a b'), true);
  assert.equal(needsQuotes('77305149-9c74-48f0-a344-a8674d4a6358'), true);
});

test('list form of each column kind matches ovn-nbctl list', () => {
  assert.equal(formatValue(col('Logical_Switch_Port', 'addresses'), ['0a:00:00:00:00:01 10.0.0.11']), '["0a:00:00:00:00:01 10.0.0.11"]');
  assert.equal(formatValue(col('Logical_Switch_Port', 'addresses'), []), '[]');
  assert.equal(formatValue(col('Logical_Switch_Port', 'enabled'), null), '[]');
  assert.equal(formatValue(col('Logical_Switch_Port', 'up'), false), 'false');
  assert.equal(formatValue(col('Logical_Switch_Port', 'type'), ''), '""');
  assert.equal(formatValue(col('Logical_Switch_Port', 'name'), 'vm1'), 'vm1');
  assert.equal(formatValue(col('Logical_Switch', 'external_ids'), { a: 'b c', 'stage-name': 'ls_in_lb' }), '{a="b c", stage-name=ls_in_lb}');
  assert.equal(
    formatValue(col('Logical_Switch', 'ports'), ['d124a5bd-67cf-4432-bafd-f35dcdd41638', '77305149-9c74-48f0-a344-a8674d4a6358']),
    '[77305149-9c74-48f0-a344-a8674d4a6358, d124a5bd-67cf-4432-bafd-f35dcdd41638]',
  );
});

test('command-line values parse per column type', () => {
  assert.deepEqual(parseDatum(col('Address_Set', 'addresses'), '"10.0.0.11","10.0.0.12"'), ['10.0.0.11', '10.0.0.12']);
  assert.deepEqual(parseDatum(col('Address_Set', 'addresses'), '[10.0.0.2, 10.0.0.1]'), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(parseDatum(col('Address_Set', 'addresses'), '{10.0.0.1}'), ['10.0.0.1']);
  assert.deepEqual(parseDatum(col('Address_Set', 'addresses'), '[]'), []);
  assert.deepEqual(parseDatum(col('Logical_Switch', 'other_config'), '{mcast_snoop=true,"a b"="c:d"}'), { mcast_snoop: 'true', 'a b': 'c:d' });
  assert.deepEqual(parseDatum(col('Logical_Switch', 'other_config'), 'k=v'), { k: 'v' });
  assert.equal(parseDatum(col('ACL', 'priority'), '1002'), 1002);
  assert.equal(parseDatum(col('Logical_Switch_Port', 'enabled'), 'false'), false);
  assert.equal(parseDatum(col('Logical_Switch_Port', 'enabled'), ''), null);
  assert.equal(parseDatum(col('Logical_Router_Port', 'mac'), '"00:00:00:00:ff:01"'), '00:00:00:00:ff:01');
  assert.equal(parseDatum(col('Logical_Router_Port', 'mac'), '00:00:00:00:ff:01'), '00:00:00:00:ff:01');
  const sym = new Map([['@p', '77305149-9c74-48f0-a344-a8674d4a6358']]);
  assert.deepEqual(parseDatum(col('Logical_Switch', 'ports'), '@p', sym), ['77305149-9c74-48f0-a344-a8674d4a6358']);
});

test('bad values are refused with the offending text and what was expected', () => {
  assert.throws(() => parseDatum(col('ACL', 'priority'), 'high'), { code: 'type-error', message: '"high": expected an integer' });
  assert.throws(() => parseDatum(col('ACL', 'direction'), 'sideways'), (e: { code: string; hint?: string }) => e.code === 'type-error' && e.hint === 'allowed: from-lport, to-lport');
  assert.throws(() => parseDatum(col('Logical_Switch', 'ports'), 'not-a-uuid'), { code: 'type-error' });
  assert.throws(() => parseDatum(col('Logical_Switch', 'ports'), '@nope'), (e: { hint?: string }) => /--id=@name/.test(e.hint ?? ''));
  assert.throws(() => parseDatum(col('Logical_Switch', 'other_config'), '{a}'), { code: 'type-error' });
});

test('list form round-trips through the parser for string sets and maps', () => {
  const setCol = col('Address_Set', 'addresses');
  const mapCol = col('Logical_Switch', 'external_ids');
  const word = fc.string({ minLength: 0, maxLength: 12 });
  fc.assert(
    fc.property(fc.uniqueArray(word, { maxLength: 6 }), (xs) => {
      const sorted = [...xs].sort();
      assert.deepEqual(parseDatum(setCol, formatValue(setCol, sorted)), sorted);
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.dictionary(word, word, { maxKeys: 5 }), (m) => {
      assert.deepEqual(parseDatum(mapCol, formatValue(mapCol, m)), { ...m });
    }),
    { numRuns: 300 },
  );
});

test('wire JSON and bare forms match ovn-nbctl --format=json / --bare', () => {
  const ports = col('Logical_Switch', 'ports');
  assert.deepEqual(toWire(ports, ['1fcc8018-b3eb-4918-b50e-17b6f443a738']), ['uuid', '1fcc8018-b3eb-4918-b50e-17b6f443a738']);
  assert.deepEqual(toWire(ports, []), ['set', []]);
  assert.deepEqual(toWire(col('Logical_Switch', 'external_ids'), {}), ['map', []]);
  assert.equal(toWire(col('Logical_Switch', 'name'), 'sw0'), 'sw0');
  assert.equal(formatBare(col('Address_Set', 'addresses'), ['10.0.0.2', '10.0.0.1']), '10.0.0.1 10.0.0.2');
  assert.equal(formatBare(col('Logical_Switch', 'external_ids'), { b: '2', a: '1' }), 'a=1 b=2');
});

test('a map key named __proto__ is an ordinary key (found by the round-trip property)', () => {
  const m = parseDatum(col('Logical_Switch', 'external_ids'), '{__proto__=x}') as Record<string, string>;
  assert.deepEqual(Object.keys(m), ['__proto__']);
  assert.equal(Object.getPrototypeOf(m), Object.prototype);
  assert.equal(formatValue(col('Logical_Switch', 'external_ids'), m), '{__proto__=x}');
});
