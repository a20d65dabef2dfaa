// Operations, conditions, mutators, references, GC, indexes and errors of one transaction,
// run through the real engine (an in-memory SQLite store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from './sqlite-store.js';
import { LoomError } from './types.js';
import type { Operation, Row, TxnView } from './types.js';
import { nbSchema, sbSchema } from '../schemas/index.js';

function open(t: { after: (fn: () => unknown) => void }, schema = nbSchema, validate?: (v: TxnView) => void): SqliteStore {
  const s = SqliteStore.open(':memory:', schema, validate !== undefined ? { validate, maxRequestOps: 50 } : { maxRequestOps: 50 });
  t.after(() => s.close());
  return s;
}

function fails(s: SqliteStore, ops: unknown, code: string): LoomError {
  const before = s.currentRevision;
  try {
    s.transactSync(ops);
  } catch (e) {
    assert.ok(e instanceof LoomError, String(e));
    assert.equal(e.code, code, `${e.code}: ${e.message}`);
    assert.equal(s.currentRevision, before);
    assert.deepEqual(s.checkInvariants(), []);
    return e;
  }
  assert.fail(`expected ${code}`);
}

const uuidOf = (r: { results: readonly unknown[] }, i: number): string => (r.results[i] as { uuid: string }).uuid;
const ins = (table: string, row: Record<string, unknown>, name?: string): Operation => ({ op: 'insert', table, row, ...(name !== undefined ? { 'uuid-name': name } : {}) });

test('insert: defaults, explicit uuid, wire notation, plain-string uuid-names, forward references', (t) => {
  const s = open(t);
  const r = s.transactSync([
    { op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', ports: ['set', [['named-uuid', 'a'], 'b']], other_config: ['map', [['k', 'v']]] } },
    { ...ins('Logical_Switch_Port', { name: 'a', addresses: 'router', tag: ['set', []] }, 'a'), uuid: '11111111-2222-4333-8444-555555555555' },
    ins('Logical_Switch_Port', { name: 'b', tag_request: 7, options: { z: '1', a: '2' } }, 'b'),
  ]);
  assert.equal(uuidOf(r, 1), '11111111-2222-4333-8444-555555555555');
  const [ls] = s.selectSync('Logical_Switch');
  assert.deepEqual(ls?.['ports'], [uuidOf(r, 1), uuidOf(r, 2)].sort());
  assert.deepEqual(ls?.['other_config'], { k: 'v' });
  const [b] = s.selectSync('Logical_Switch_Port', [['name', '==', 'b']]);
  assert.equal(b?.['tag_request'], 7);
  assert.deepEqual(Object.keys(b?.['options'] as object), ['a', 'z']);
  const [a] = s.selectSync('Logical_Switch_Port', [['name', '==', 'a']]);
  assert.deepEqual(a?.['addresses'], ['router']);
  assert.equal(a?.['tag'], null);
  fails(s, [{ ...ins('Logical_Switch', {}), uuid: uuidOf(r, 0) }], 'duplicate');
  fails(s, [ins('Logical_Switch', {}, 'x'), ins('Logical_Switch', {}, 'x')], 'bad-request');
  fails(s, [ins('Logical_Switch', { ports: [['named-uuid', 'nope']] })], 'bad-request');
});

test('schema errors name table, column, value and path', (t) => {
  const s = open(t);
  let e = fails(s, [{ op: 'insert', table: 'Logical_Swich', row: {} }], 'unknown-table');
  assert.equal(e.path, '/ops/0/table');
  assert.match(e.hint ?? '', /Logical_Switch/);
  e = fails(s, [ins('Logical_Switch', {}), ins('Logical_Switch', { nmae: 'x' })], 'unknown-column');
  assert.equal(e.op, 1);
  assert.equal(e.path, '/ops/1/row/nmae');
  e = fails(s, [ins('ACL', { priority: 40000, direction: 'to-lport', action: 'drop', match: 'ip' })], 'type-error');
  assert.deepEqual([e.table, e.column, e.value, e.path], ['ACL', 'priority', 40000, '/ops/0/row/priority']);
  e = fails(s, [ins('ACL', { priority: 1, direction: 'sideways', action: 'drop' })], 'type-error');
  assert.match(e.message, /"sideways" is not one of "from-lport", "to-lport"/);
  e = fails(s, [ins('ACL', { priority: 1, action: 'drop' })], 'type-error');
  assert.match(e.message, /ACL\.direction is required/);
  fails(s, [ins('ACL', { priority: 1.5, direction: 'to-lport', action: 'drop' })], 'type-error');
  fails(s, [ins('ACL', { name: 'x'.repeat(64), priority: 1, direction: 'to-lport', action: 'drop' })], 'type-error');
  fails(s, [ins('Logical_Switch', { name: 5 })], 'type-error');
  fails(s, [ins('Logical_Switch', { external_ids: { a: 1 } })], 'type-error');
  fails(s, [ins('Logical_Switch', { ports: ['not-a-uuid'] })], 'type-error');
  fails(s, [ins('Logical_Switch_Port', { name: 'p', tag: [1, 2] })], 'constraint-violation');
  fails(s, [ins('Logical_Switch', { _uuid: '11111111-2222-4333-8444-555555555555' })], 'constraint-violation');
  fails(s, [{ op: 'frobnicate', table: 'Logical_Switch' }], 'bad-request');
  fails(s, [{ op: 'select', table: 'Logical_Switch' }], 'bad-request');
  fails(s, { not: 'an array' }, 'bad-request');
  fails(s, Array.from({ length: 51 }, () => ({ op: 'comment', comment: 'x' })), 'too-large');
});

test('select with columns; update; delete; counts', (t) => {
  const s = open(t);
  s.transactSync([ins('Logical_Switch', { name: 'a', external_ids: { k: '1' } }), ins('Logical_Switch', { name: 'b' }), ins('Logical_Switch', { name: 'c' })]);
  const sel = s.transactSync([{ op: 'select', table: 'Logical_Switch', where: [['name', '!=', 'b']], columns: ['name'] }]);
  const rows = (sel.results[0] as { rows: Row[] }).rows;
  assert.deepEqual(rows.map((r) => r['name']).sort(), ['a', 'c']);
  assert.deepEqual(Object.keys(rows[0] as object).sort(), ['_uuid', 'name']);
  const up = s.transactSync([{ op: 'update', table: 'Logical_Switch', where: [['name', 'includes', 'a']], row: { external_ids: { k: '2' } } }]);
  assert.deepEqual(up.results, [{ count: 1 }]);
  assert.deepEqual(s.selectSync('Logical_Switch', [['name', '==', 'a']])[0]?.['external_ids'], { k: '2' });
  const del = s.transactSync([{ op: 'delete', table: 'Logical_Switch', where: [['name', 'excludes', 'a']] }]);
  assert.deepEqual(del.results, [{ count: 2 }]);
  assert.equal(s.selectSync('Logical_Switch').length, 1);
  fails(s, [{ op: 'update', table: 'Logical_Switch', where: [], row: { _version: '11111111-2222-4333-8444-555555555555' } }], 'constraint-violation');
});

test('conditions: every function on scalar, optional, set and map columns', (t) => {
  const s = open(t);
  s.transactSync([
    ins('ACL', { priority: 10, direction: 'to-lport', action: 'drop', match: 'm', severity: 'info', external_ids: { a: '1', b: '2' } }, 'x'),
    ins('ACL', { priority: 20, direction: 'to-lport', action: 'allow', match: 'm' }, 'y'),
    ins('ACL', { priority: 30, direction: 'from-lport', action: 'allow', match: 'm', external_ids: { a: '1' } }, 'z'),
    ins('Port_Group', { name: 'pg', acls: ['x', 'y', 'z'] }),
  ]);
  const prios = (where: unknown[]): number[] => s.selectSync('ACL', where as never).map((r) => r['priority'] as number).sort((a, b) => a - b);
  assert.deepEqual(prios([['priority', '<', 20]]), [10]);
  assert.deepEqual(prios([['priority', '<=', 20]]), [10, 20]);
  assert.deepEqual(prios([['priority', '>', 20]]), [30]);
  assert.deepEqual(prios([['priority', '>=', 20]]), [20, 30]);
  assert.deepEqual(prios([['priority', '==', 20]]), [20]);
  assert.deepEqual(prios([['priority', '!=', 20]]), [10, 30]);
  assert.deepEqual(prios([['direction', '==', 'to-lport'], ['priority', '>', 10]]), [20]);
  assert.deepEqual(prios([['severity', '==', 'info']]), [10]);
  assert.deepEqual(prios([['severity', '==', ['set', []]]]), [20, 30]);
  assert.deepEqual(prios([['severity', 'includes', ['set', []]]]), [10, 20, 30]);
  assert.deepEqual(prios([['external_ids', 'includes', { a: '1' }]]), [10, 30]);
  assert.deepEqual(prios([['external_ids', 'includes', ['map', [['a', '1'], ['b', '2']]]]]), [10]);
  assert.deepEqual(prios([['external_ids', 'excludes', { b: '2' }]]), [20, 30]);
  assert.deepEqual(prios([['external_ids', '==', { a: '1' }]]), [30]);
  assert.deepEqual(prios([['external_ids', '!=', {}]]), [10, 30]);
  const acls = s.selectSync('ACL');
  const pg = (where: unknown[]): number => s.selectSync('Port_Group', where as never).length;
  const ids = acls.map((r) => r._uuid);
  assert.equal(pg([['acls', 'includes', ids.slice(0, 2)]]), 1);
  assert.equal(pg([['acls', 'includes', [...ids, '11111111-2222-4333-8444-555555555555']]]), 0);
  assert.equal(pg([['acls', 'excludes', ['11111111-2222-4333-8444-555555555555']]]), 1);
  assert.equal(pg([['acls', 'excludes', [ids[0]]]]), 0);
  assert.equal(pg([['acls', '==', ['set', ids]]]), 1);
  assert.equal(pg([['_uuid', '==', ['uuid', s.selectSync('Port_Group')[0]?._uuid]]]), 1);
  fails(s, [{ op: 'select', table: 'ACL', where: [['match', '<', 'm']] }], 'type-error');
  fails(s, [{ op: 'select', table: 'ACL', where: [['external_ids', '>', {}]] }], 'type-error');
  fails(s, [{ op: 'select', table: 'ACL', where: [['priority', 'like', 1]] }], 'bad-request');
  fails(s, [{ op: 'select', table: 'ACL', where: [['nope', '==', 1]] }], 'unknown-column');
  fails(s, [{ op: 'select', table: 'ACL', where: [['priority', '==', 'ten']] }], 'type-error');
});

test('mutate: arithmetic, set and map insert/delete, constraints', (t) => {
  const s = open(t);
  s.transactSync([ins('Logical_Switch_Port', { name: 'p', tag_request: 10, addresses: ['a'], options: { x: '1', y: '2' } }, 'p'), ins('Logical_Switch', { name: 'ls', ports: ['p'] })]);
  const m = (mutations: unknown[]): Row => {
    s.transactSync([{ op: 'mutate', table: 'Logical_Switch_Port', where: [['name', '==', 'p']], mutations: mutations as never }]);
    return s.selectSync('Logical_Switch_Port')[0] as Row;
  };
  assert.equal(m([['tag_request', '+=', 5]])['tag_request'], 15);
  assert.equal(m([['tag_request', '-=', 3]])['tag_request'], 12);
  assert.equal(m([['tag_request', '*=', 2]])['tag_request'], 24);
  assert.equal(m([['tag_request', '/=', 5]])['tag_request'], 4);
  assert.equal(m([['tag_request', '%=', 3]])['tag_request'], 1);
  assert.deepEqual(m([['addresses', 'insert', ['c', 'b']]])['addresses'], ['a', 'b', 'c']);
  assert.deepEqual(m([['addresses', 'delete', 'b']])['addresses'], ['a', 'c']);
  assert.deepEqual(m([['options', 'insert', { x: 'changed', z: '3' }]])['options'], { x: '1', y: '2', z: '3' }, 'insert keeps existing keys');
  assert.deepEqual(m([['options', 'delete', ['y']]])['options'], { x: '1', z: '3' });
  assert.deepEqual(m([['options', 'delete', { x: '2', z: '3' }]])['options'], { x: '1' }, 'delete by pair needs the value to match');
  assert.equal(m([['tag', 'insert', 5]])['tag'], 5);
  assert.equal(m([['tag', '+=', 1]])['tag'], 6);
  fails(s, [{ op: 'mutate', table: 'Logical_Switch_Port', where: [], mutations: [['tag', 'insert', 7]] }], 'constraint-violation');
  fails(s, [{ op: 'mutate', table: 'Logical_Switch_Port', where: [], mutations: [['tag', '+=', 5000]] }], 'constraint-violation');
  fails(s, [{ op: 'mutate', table: 'Logical_Switch_Port', where: [], mutations: [['tag_request', '/=', 0]] }], 'constraint-violation');
  fails(s, [{ op: 'mutate', table: 'Logical_Switch_Port', where: [], mutations: [['name', '+=', 1]] }], 'type-error');
  fails(s, [{ op: 'mutate', table: 'Logical_Switch_Port', where: [], mutations: [['name', 'insert', 'x']] }], 'type-error');
  fails(s, [{ op: 'mutate', table: 'Logical_Switch_Port', where: [], mutations: [['options', '+=', 1]] }], 'type-error');
  fails(s, [{ op: 'mutate', table: 'Logical_Switch_Port', where: [], mutations: [['name', '^=', 1]] }], 'bad-request');
  fails(s, [{ op: 'mutate', table: 'Logical_Switch_Port', where: [], mutations: [['_uuid', 'insert', 1]] }], 'constraint-violation');
});

test('strong references: missing targets, targets in the wrong table, deleted in the same transaction', (t) => {
  const s = open(t);
  let e = fails(s, [ins('Logical_Switch', { name: 'ls', ports: ['11111111-2222-4333-8444-555555555555'] })], 'referential-integrity');
  assert.deepEqual([e.table, e.column, e.value], ['Logical_Switch', 'ports', '11111111-2222-4333-8444-555555555555']);
  assert.match(e.message, /does not exist/);
  const r = s.transactSync([ins('Logical_Router', { name: 'lr' })]);
  fails(s, [ins('Logical_Switch', { name: 'ls', ports: [uuidOf(r, 0)] })], 'referential-integrity');
  s.transactSync([ins('Logical_Switch', { name: 'ls', ports: ['p'] }), ins('Logical_Switch_Port', { name: 'p' }, 'p')]);
  const [p] = s.selectSync('Logical_Switch_Port');
  e = fails(s, [{ op: 'delete', table: 'Logical_Switch_Port', where: [] }], 'referential-integrity');
  assert.equal(e.row, p?._uuid);
  // Deleting both the switch and its port in one transaction is fine.
  s.transactSync([{ op: 'delete', table: 'Logical_Switch', where: [] }, { op: 'delete', table: 'Logical_Switch_Port', where: [] }]);
  assert.equal(s.selectSync('Logical_Switch_Port').length, 0);
});

test('garbage collection: router children, ACLs dropped from a port group, unreferenced inserts', (t) => {
  const s = open(t);
  s.transactSync([
    ins('Logical_Router', { name: 'lr', static_routes: ['r1', 'r2'], nat: ['n'], ports: ['lrp'] }),
    ins('Logical_Router_Static_Route', { ip_prefix: '0.0.0.0/0', nexthop: '10.0.0.1' }, 'r1'),
    ins('Logical_Router_Static_Route', { ip_prefix: '10.1.0.0/16', nexthop: '10.0.0.2' }, 'r2'),
    ins('NAT', { type: 'snat', external_ip: '1.2.3.4', logical_ip: '10.0.0.0/24' }, 'n'),
    ins('Logical_Router_Port', { name: 'lrp', mac: '00:00:00:00:00:01', networks: ['10.0.0.1/24'], gateway_chassis: ['gc'] }, 'lrp'),
    ins('Gateway_Chassis', { name: 'gc', chassis_name: 'hv1' }, 'gc'),
    ins('Port_Group', { name: 'pg', acls: ['a1', 'a2'] }),
    ins('ACL', { priority: 1, direction: 'to-lport', action: 'drop', match: '1' }, 'a1'),
    ins('ACL', { priority: 2, direction: 'to-lport', action: 'drop', match: '2' }, 'a2'),
  ]);
  const count = (table: string): number => s.selectSync(table).length;
  assert.deepEqual(['Logical_Router_Static_Route', 'NAT', 'Logical_Router_Port', 'Gateway_Chassis', 'ACL'].map(count), [2, 1, 1, 1, 2]);
  const [a1] = s.selectSync('ACL', [['priority', '==', 1]]);
  s.transactSync([{ op: 'mutate', table: 'Port_Group', where: [], mutations: [['acls', 'delete', [a1?._uuid]]] }]);
  assert.deepEqual(s.selectSync('ACL').map((r) => r['priority']), [2]);
  s.transactSync([{ op: 'delete', table: 'Logical_Router', where: [] }]);
  assert.deepEqual(['Logical_Router_Static_Route', 'NAT', 'Logical_Router_Port', 'Gateway_Chassis'].map(count), [0, 0, 0, 0], 'cascade through Logical_Router_Port to Gateway_Chassis');
  const before = s.currentRevision;
  const r = s.transactSync([ins('ACL', { priority: 3, direction: 'to-lport', action: 'drop', match: '3' })]);
  assert.match(uuidOf(r, 0), /^[0-9a-f-]{36}$/);
  assert.equal(count('ACL'), 1, 'an unreferenced non-root insert is collected at commit');
  assert.equal(r.revision, before, 'so the transaction changed nothing');
  assert.deepEqual(s.checkInvariants(), []);
});

test('weak references to deleted rows are removed; min violated by removal fails', (t) => {
  const s = open(t);
  s.transactSync([
    ins('Load_Balancer', { name: 'lb', vips: { '10.0.0.10:80': '10.0.0.2:80' } }, 'lb'),
    ins('Logical_Router', { name: 'lr', load_balancer: ['lb'] }),
    ins('Logical_Switch', { name: 'ls', ports: ['p'] }),
    ins('Logical_Switch_Port', { name: 'p' }, 'p'),
    ins('Port_Group', { name: 'pg', ports: ['p'] }),
  ]);
  s.transactSync([{ op: 'delete', table: 'Load_Balancer', where: [] }]);
  assert.deepEqual(s.selectSync('Logical_Router')[0]?.['load_balancer'], []);
  // The port group's weak reference does not keep the port alive.
  s.transactSync([{ op: 'update', table: 'Logical_Switch', where: [], row: { ports: [] } }]);
  assert.equal(s.selectSync('Logical_Switch_Port').length, 0);
  assert.deepEqual(s.selectSync('Port_Group')[0]?.['ports'], []);
  // A weak reference to a row that never existed is dropped on write.
  s.transactSync([{ op: 'update', table: 'Port_Group', where: [], row: { ports: ['11111111-2222-4333-8444-555555555555'] } }]);
  assert.deepEqual(s.selectSync('Port_Group')[0]?.['ports'], []);
  const sb = open(t, sbSchema);
  sb.transactSync([
    ins('Chassis', { name: 'hv1', hostname: 'hv1', encaps: ['e'] }, 'c'),
    ins('Encap', { type: 'geneve', ip: '192.0.2.1', chassis_name: 'hv1' }, 'e'),
    ins('Datapath_Binding', { tunnel_key: 1 }, 'dp'),
    ins('Port_Binding', { logical_port: 'lp1', datapath: 'dp', tunnel_key: 1, chassis: 'c' }),
  ]);
  sb.transactSync([{ op: 'delete', table: 'Chassis', where: [] }]);
  assert.equal(sb.selectSync('Port_Binding')[0]?.['chassis'], null);
  assert.equal(sb.selectSync('Encap').length, 0);
  assert.deepEqual(sb.checkInvariants(), []);
});

test('indexes: duplicates refused, composite keys, swaps within one transaction', (t) => {
  const s = open(t, sbSchema);
  s.transactSync([ins('Datapath_Binding', { tunnel_key: 1 }, 'dp'), ins('Port_Binding', { logical_port: 'a', datapath: 'dp', tunnel_key: 1 }), ins('Port_Binding', { logical_port: 'b', datapath: 'dp', tunnel_key: 2 })]);
  const [dp] = s.selectSync('Datapath_Binding');
  const e = fails(s, [ins('Port_Binding', { logical_port: 'a', datapath: dp?._uuid, tunnel_key: 3 })], 'duplicate');
  assert.equal(e.table, 'Port_Binding');
  assert.equal(e.column, 'logical_port');
  assert.equal(e.value, 'a');
  fails(s, [ins('Port_Binding', { logical_port: 'c', datapath: dp?._uuid, tunnel_key: 2 })], 'duplicate');
  fails(s, [ins('Port_Binding', { logical_port: 'c', datapath: dp?._uuid, tunnel_key: 5 }), ins('Port_Binding', { logical_port: 'c', datapath: dp?._uuid, tunnel_key: 6 })], 'duplicate');
  s.transactSync([
    { op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'a']], row: { logical_port: 'tmp' } },
    { op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'b']], row: { logical_port: 'a' } },
    { op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'tmp']], row: { logical_port: 'b' } },
  ]);
  assert.equal(s.selectSync('Port_Binding', [['logical_port', '==', 'a']])[0]?.['tunnel_key'], 2);
  s.transactSync([{ op: 'delete', table: 'Port_Binding', where: [['logical_port', '==', 'a']] }, ins('Port_Binding', { logical_port: 'a', datapath: dp?._uuid, tunnel_key: 2 })]);
  assert.deepEqual(s.checkInvariants(), []);
});

test('maxRows', (t) => {
  const s = open(t);
  s.transactSync([ins('NB_Global', {})]);
  const e = fails(s, [ins('NB_Global', {})], 'constraint-violation');
  assert.equal(e.table, 'NB_Global');
  s.transactSync([{ op: 'delete', table: 'NB_Global', where: [] }, ins('NB_Global', { name: 'x' })]);
});

test('wait, comment, assert, commit, abort', async (t) => {
  const s = open(t);
  s.transactSync([ins('Logical_Switch', { name: 'a' })]);
  const wait = (until: '==' | '!=', name: string, timeout?: number): Operation => ({ op: 'wait', table: 'Logical_Switch', where: [], columns: ['name'], until, rows: [{ name }], ...(timeout !== undefined ? { timeout } : {}) });
  assert.deepEqual(s.transactSync([wait('==', 'a', 0), { op: 'comment', comment: 'ok' }, { op: 'commit', durable: true }]).results, [{}, {}, {}]);
  fails(s, [wait('==', 'b', 0)], 'timed-out');
  fails(s, [wait('!=', 'a', 0)], 'timed-out');
  fails(s, [{ op: 'assert', lock: 'l' }], 'not-owner');
  assert.throws(() => s.transactSync([ins('Logical_Switch', { name: 'held' }), { op: 'assert', lock: 'l' }], { locks: new Set(['other']) }), (e: unknown) => e instanceof LoomError && e.code === 'not-owner');
  assert.deepEqual(s.transactSync([{ op: 'assert', lock: 'l' }], { locks: new Set(['l']) }).results, [{}]);
  assert.equal((await s.select('Logical_Switch', [['name', '==', 'held']])).length, 0);
  fails(s, [ins('Logical_Switch', { name: 'z' }), { op: 'abort' }], 'aborted');
  // A wait with a timeout holds the transaction until a commit makes it true.
  const waiting = s.transact([wait('==', 'b', 10000), { op: 'insert', table: 'Logical_Switch', row: { name: 'after-wait' } }]);
  await s.transact([{ op: 'update', table: 'Logical_Switch', where: [], row: { name: 'b' } }]);
  const r = await waiting;
  assert.equal(r.revision, 3);
  await assert.rejects(s.transact([wait('==', 'never', 20)]), { code: 'timed-out' });
});

test('the validate hook sees the final change set and can refuse it', (t) => {
  let seen: TxnView | undefined;
  const s = open(t, nbSchema, (v) => {
    seen = v;
    for (const c of v.changes) {
      if (c.table === 'Logical_Switch' && c.new?.['name'] === 'bad') throw new LoomError({ code: 'invalid-value', message: 'bad name', table: c.table, column: 'name', value: 'bad' });
    }
  });
  s.transactSync([ins('Logical_Router', { name: 'lr', nat: ['n'] }), ins('NAT', { type: 'snat', external_ip: '1.2.3.4', logical_ip: '10.0.0.0/24' }, 'n')]);
  s.transactSync([{ op: 'delete', table: 'Logical_Router', where: [] }]);
  assert.deepEqual(seen?.changes.map((c) => [c.table, c.old !== null, c.new !== null]).sort(), [['Logical_Router', true, false], ['NAT', true, false]]);
  assert.equal(seen?.select('NAT').length, 0, 'select sees the state after the transaction');
  fails(s, [ins('Logical_Switch', { name: 'ok' }), ins('Logical_Switch', { name: 'bad' })], 'invalid-value');
  assert.equal(s.selectSync('Logical_Switch').length, 0);
});

test('selects by a unique index see this transaction\'s own writes', (t) => {
  const s = open(t, sbSchema);
  s.transactSync([ins('Datapath_Binding', { tunnel_key: 1 }, 'dp'), ins('Port_Binding', { logical_port: 'a', datapath: 'dp', tunnel_key: 1 })]);
  const [dp] = s.selectSync('Datapath_Binding');
  const sel = (lp: string): Operation => ({ op: 'select', table: 'Port_Binding', where: [['logical_port', '==', lp]], columns: ['logical_port'] });
  const r = s.transactSync([
    sel('a'),
    { op: 'update', table: 'Port_Binding', where: [['logical_port', '==', 'a']], row: { logical_port: 'z' } },
    sel('a'),
    sel('z'),
    ins('Port_Binding', { logical_port: 'n', datapath: dp?._uuid, tunnel_key: 2 }),
    sel('n'),
    { op: 'delete', table: 'Port_Binding', where: [['logical_port', '==', 'n']] },
    sel('n'),
    { op: 'select', table: 'Port_Binding', where: [['datapath', '==', dp?._uuid], ['tunnel_key', '==', 1]], columns: ['logical_port'] },
  ]);
  const names = (i: number): unknown[] => (r.results[i] as { rows: Row[] }).rows.map((x) => x['logical_port']);
  assert.deepEqual([0, 2, 3, 5, 7, 8].map(names), [['a'], [], ['z'], ['n'], [], ['z']]);
  assert.deepEqual(s.selectSync('Port_Binding', [['logical_port', '==', 'z']]).length, 1);
  assert.deepEqual(s.selectSync('Port_Binding', [['logical_port', '==', 'z'], ['tunnel_key', '==', 2]]).length, 0);
});

test('committed rows are frozen: callers cannot corrupt the store', (t) => {
  const s = open(t);
  s.transactSync([ins('Logical_Switch', { name: 'ls', external_ids: { a: 'b' } })]);
  const [ls] = s.selectSync('Logical_Switch');
  assert.throws(() => {
    (ls as unknown as { name: string }).name = 'x';
  }, TypeError);
  assert.throws(() => {
    (ls?.['external_ids'] as Record<string, string>)['a'] = 'c';
  }, TypeError);
  assert.deepEqual(s.selectSync('Logical_Switch')[0]?.['external_ids'], { a: 'b' });
});

test('every row a commit writes gets a _version no other row or commit has, a uuid text', (t) => {
  const s = open(t);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const seen = new Set<string>();
  const versions = (): string[] => s.selectSync('Logical_Switch').map((r) => r._version as string);
  s.transactSync(Array.from({ length: 20 }, (_, i) => ins('Logical_Switch', { name: `ls${i}` })));
  for (const v of versions()) seen.add(v);
  assert.equal(seen.size, 20);
  s.transactSync([{ op: 'update', table: 'Logical_Switch', where: [['name', '==', 'ls3']], row: { external_ids: { a: 'b' } } }, ins('Logical_Switch', { name: 'ls20' })]);
  const after = versions();
  assert.equal(after.length, 21);
  for (const v of after) assert.match(v, uuid);
  // ls3's new version and ls20's are new; the 19 others kept theirs
  assert.equal(after.filter((v) => !seen.has(v)).length, 2);
  assert.equal(new Set(after).size, 21);
});

test('fuzz: any JSON as a transaction is a result or a LoomError, and the store stays consistent', async (t) => {
  const fc = (await import('fast-check')).default;
  const s = open(t);
  s.transactSync([ins('Logical_Switch', { name: 'ls', ports: ['p'] }), ins('Logical_Switch_Port', { name: 'p' }, 'p')]);
  const tables = fc.constantFrom('Logical_Switch', 'Logical_Switch_Port', 'ACL', 'Nope', '__proto__', 'constructor');
  const cols = fc.constantFrom('name', 'ports', 'external_ids', 'tag', 'priority', '_uuid', 'toString', '__proto__');
  const val = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(['set', []], ['map', [['a', 'b']]], ['named-uuid', 'n'], ['uuid', 'x'], 'n'));
  const cond = fc.tuple(cols, fc.constantFrom('==', '!=', '<', 'includes', 'excludes', '~'), val);
  const op = fc.oneof(
    fc.record({ op: fc.constant('insert'), table: tables, row: fc.dictionary(cols, val, { maxKeys: 3 }), 'uuid-name': fc.constantFrom('n', 'm', '9bad') }, { requiredKeys: ['op', 'table', 'row'] }),
    fc.record({ op: fc.constantFrom('select', 'delete'), table: tables, where: fc.array(cond, { maxLength: 2 }) }),
    fc.record({ op: fc.constant('update'), table: tables, where: fc.array(cond, { maxLength: 2 }), row: fc.dictionary(cols, val, { maxKeys: 2 }) }),
    fc.record({ op: fc.constant('mutate'), table: tables, where: fc.array(cond, { maxLength: 1 }), mutations: fc.array(fc.tuple(cols, fc.constantFrom('+=', 'insert', 'delete', '%='), val), { maxLength: 2 }) }),
    fc.record({ op: fc.constant('wait'), table: tables, where: fc.constant([]), columns: fc.array(cols, { maxLength: 1 }), until: fc.constantFrom('==', '!='), rows: fc.array(fc.dictionary(cols, val), { maxLength: 1 }), timeout: fc.constant(0) }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  fc.assert(
    fc.property(fc.oneof(fc.array(op, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), (ops) => {
      try {
        s.transactSync(ops);
      } catch (e) {
        assert.ok(e instanceof LoomError, `${String(e)} for ${JSON.stringify(ops)}`);
        assert.notEqual(e.code, 'internal', `${e.message} for ${JSON.stringify(ops)}`);
      }
      assert.deepEqual(s.checkInvariants(), []);
    }),
    { numRuns: 400, seed: 7 },
  );
});
