// datapath/js/batch.test.ts — the TS checks in front of the addon: value syntax and the
// errors a bad batch gets (LoomError with op index, path, column and value).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoomError } from '../../store/types.js';
import { normalizeBatch } from './batch.js';
import { fieldByName, parseFieldValue } from './fields.js';

const spec = (n: string) => {
  const f = fieldByName(n);
  assert.ok(f, n);
  return f;
};

test('field values: addresses, prefixes, masks, aliases', () => {
  assert.deepEqual(parseFieldValue(spec('eth.dst'), '00:00:5e:00:53:01'), { value: '0x5e005301', mask: '0xffffffffffff' });
  assert.deepEqual(parseFieldValue(spec('ip4.src'), '10.1.0.0/16'), { value: '0xa010000', mask: '0xffff0000' });
  assert.deepEqual(parseFieldValue(spec('ip4.dst'), '0.0.0.0/0'), { value: '0x0', mask: '0x0' });
  assert.deepEqual(parseFieldValue(spec('eth_type'), 0x0800), { value: '0x800', mask: '0xffff' });
  assert.deepEqual(parseFieldValue(spec('reg0'), '5/0xff'), { value: '0x5', mask: '0xff' });
  assert.deepEqual(parseFieldValue(spec('ip6.dst'), 'fe80::/64'), { value: '0xfe800000000000000000000000000000', mask: '0xffffffffffffffff0000000000000000' });
  assert.deepEqual(parseFieldValue(spec('ip6.src'), '::ffff:10.0.0.1'), { value: '0xffff0a000001', mask: '0xffffffffffffffffffffffffffffffff' });
  assert.equal(spec('tcp.dst').name, 'l4_dst');
  assert.equal(spec('icmp4.type').name, 'icmp_type');
  assert.equal(fieldByName('eth.bogus'), undefined);
});

test('field values out of range or inconsistent are refused', () => {
  assert.throws(() => parseFieldValue(spec('eth_type'), 0x10000), /does not fit/);
  assert.throws(() => parseFieldValue(spec('ip4_src'), '10.0.0.1/8'), /outside its mask/);
  assert.throws(() => parseFieldValue(spec('ip4_src'), '10.0.0.256'), /not a valid ip4/);
  assert.throws(() => parseFieldValue(spec('ip4_src'), '10.0.0.0/33'), /prefix length/);
  assert.throws(() => parseFieldValue(spec('eth_src'), 'aa:bb:cc:dd:ee'), /not a valid mac/);
  assert.throws(() => parseFieldValue(spec('in_port'), -1), /non-negative/);
});

test('a valid batch normalises to the wire form', () => {
  const ops = normalizeBatch([
    { op: 'set_miss', table: 0, miss: { goto: 1 } },
    { op: 'add_group', group: 7, buckets: [[{ type: 'output', port: 1 }], [{ type: 'output', port: 2 }]] },
    { op: 'add', entry: { table: 1, priority: 10, cookie: 42n, match: { 'eth.dst': 'ff:ff:ff:ff:ff:ff' }, actions: [{ type: 'group', group: 7 }] } },
    { op: 'add', entry: { table: 1, priority: 20, match: { 'ip4.dst': '10.0.0.0/24', 'tcp.dst': 80 }, actions: [{ type: 'ct', commit: true, zone: 3, nat: { kind: 'dst', addrMin: '10.0.0.9' }, table: 2 }] } },
    { op: 'delete_cookie', cookie: 42 },
  ]);
  assert.equal(ops.length, 5);
  assert.deepEqual(ops[0], { op: 'set_miss', table: 0, miss: 'goto', next: 1 });
  const add = ops[3];
  assert.ok(add && add.op === 'add');
  assert.deepEqual(add.entry.match, { ip4_dst: { value: '0xa000000', mask: '0xffffff00' }, l4_dst: { value: '0x50', mask: '0xffff' } });
  assert.deepEqual(add.entry.actions[0], { type: 'ct', zone: 3, commit: true, table: 2, dropInvalid: false, nat: { kind: 'dst', addrMin: '0xa000009', addrMax: '0xa000009', portMin: 0, portMax: 0 } });
  assert.equal(ops[2]?.op === 'add' ? ops[2].entry.cookie : '', '42');
});

test('a bad batch names the op, the path, the field and the value', () => {
  const bad = (ops: unknown, want: Partial<Record<'code' | 'op' | 'path' | 'column', unknown>> & { value?: unknown }) => {
    try {
      normalizeBatch(ops);
    } catch (e) {
      assert.ok(e instanceof LoomError, String(e));
      for (const [k, v] of Object.entries(want)) assert.deepEqual((e as unknown as Record<string, unknown>)[k], v, `${k} of ${e.message}`);
      return;
    }
    assert.fail('batch accepted');
  };
  const ok = { op: 'add', entry: { table: 0, priority: 1, match: {}, actions: [] } };
  bad({ op: 'add' }, { code: 'bad-request', path: '/ops' });
  bad([ok, { op: 'add', entry: { table: 0, priority: 1, match: { 'eth.dts': 1 }, actions: [] } }], { code: 'invalid-value', op: 1, path: '/ops/1/entry/match/eth.dts', column: 'eth.dts' });
  bad([{ op: 'add', entry: { table: 0, priority: 1, match: { 'ip4.src': '300.1.1.1' }, actions: [] } }], { op: 0, column: 'ip4_src', value: '300.1.1.1' });
  bad([ok, ok, { op: 'add', entry: { table: 0, priority: 1, match: {}, actions: [{ type: 'output' }] } }], { op: 2, path: '/ops/2/entry/actions/0/port' });
  bad([{ op: 'add', entry: { table: 256, priority: 1, match: {}, actions: [] } }], { path: '/ops/0/entry/table', value: 256 });
  bad([{ op: 'add', entry: { table: 0, priority: 1, match: {}, actions: [{ type: 'teleport' }] } }], { path: '/ops/0/entry/actions/0/type', value: 'teleport' });
  bad([{ op: 'set_miss', table: 3, miss: { goto: 2 } }], { path: '/ops/0/miss/goto', value: 2 });
  bad([{ op: 'add', entry: { table: 0, priority: 1, match: { tcp_dst: 1, 'tcp.dst': 2 }, actions: [] } }], { column: 'tcp.dst', path: '/ops/0/entry/match/tcp.dst' });
  bad([{ op: 'frobnicate' }], { code: 'bad-request', path: '/ops/0/op' });
});
