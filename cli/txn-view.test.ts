import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nbSchema } from '../schemas/index.js';
import type { Operation } from '../store/types.js';
import { TxnView } from './txn-view.js';

const SW = '11111111-1111-4111-8111-111111111111';
const P1 = '22222222-2222-4222-8222-222222222222';

function view(): TxnView {
  const v = new TxnView(nbSchema);
  v.load('Logical_Switch', [{ _uuid: SW, name: 'sw0', ports: [P1], acls: [], other_config: { a: '1' } }]);
  v.load('Logical_Switch_Port', [{ _uuid: P1, name: 'p1', addresses: ['router'], type: '' }]);
  return v;
}

test('untouched rows produce no operations', () => {
  assert.deepEqual(view().operations(), []);
});

test('a new child is inserted before the parent that refers to it, by named-uuid; the parent set grows by mutate', () => {
  const v = view();
  const p = v.insert('Logical_Switch_Port', { name: 'p2', addresses: ['0a:00:00:00:00:02'] });
  v.addToSet('Logical_Switch', SW, 'ports', [p._uuid]);
  const s = v.insert('Logical_Switch', { name: 'sw1' });
  const q = v.insert('Logical_Switch_Port', { name: 'q1' });
  v.addToSet('Logical_Switch', s._uuid, 'ports', [q._uuid]);
  const ops = v.operations();
  const inserts = ops.filter((o): o is Extract<Operation, { op: 'insert' }> => o.op === 'insert');
  assert.deepEqual(inserts.map((o) => o.table), ['Logical_Switch_Port', 'Logical_Switch_Port', 'Logical_Switch'], 'referenced table first');
  const sw1 = inserts.find((o) => o.table === 'Logical_Switch');
  assert.deepEqual(sw1?.row['ports'], ['set', [['named-uuid', q._uuid]]]);
  assert.equal(sw1?.row['name'], 'sw1');
  assert.equal('acls' in (sw1?.row ?? {}), false, 'empty sets are left to the store');
  const mut = ops.find((o) => o.op === 'mutate');
  assert.deepEqual(mut, { op: 'mutate', table: 'Logical_Switch', where: [['_uuid', '==', ['uuid', SW]]], mutations: [['ports', 'insert', ['set', [['named-uuid', p._uuid]]]]] });
});

test('scalars and maps of existing rows change by update of just those columns; sets by delete+insert mutations', () => {
  const v = view();
  v.update('Logical_Switch_Port', P1, { type: 'router', addresses: ['unknown'] });
  v.update('Logical_Switch', SW, { other_config: { b: '2' } });
  assert.deepEqual(v.operations(), [
    { op: 'update', table: 'Logical_Switch_Port', where: [['_uuid', '==', ['uuid', P1]]], row: { type: 'router' } },
    { op: 'mutate', table: 'Logical_Switch_Port', where: [['_uuid', '==', ['uuid', P1]]], mutations: [['addresses', 'delete', ['set', ['router']]], ['addresses', 'insert', ['set', ['unknown']]]] },
    { op: 'update', table: 'Logical_Switch', where: [['_uuid', '==', ['uuid', SW]]], row: { other_config: ['map', [['b', '2']]] } },
  ]);
});

test('deleting a switch drops its non-root ports with it; a row inserted and deleted in the chain leaves no trace', () => {
  const v = view();
  const tmp = v.insert('Logical_Switch_Port', { name: 'tmp' });
  v.addToSet('Logical_Switch', SW, 'ports', [tmp._uuid]);
  v.delete('Logical_Switch', SW);
  assert.equal(v.get('Logical_Switch_Port', P1), undefined);
  assert.deepEqual(v.operations(), [
    { op: 'delete', table: 'Logical_Switch', where: [['_uuid', '==', ['uuid', SW]]] },
    { op: 'delete', table: 'Logical_Switch_Port', where: [['_uuid', '==', ['uuid', P1]]] },
  ]);
});

test('a table fetched by name only refuses to list all its rows (a command declared keys wrongly)', () => {
  const v = new TxnView(nbSchema);
  v.loadPartial('Logical_Switch_Port', []);
  assert.throws(() => v.rows('Logical_Switch_Port'), { code: 'internal' });
  assert.deepEqual(v.find('Logical_Switch_Port', 'name', 'p1'), []);
});
