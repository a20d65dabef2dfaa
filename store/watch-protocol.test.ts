import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoomError } from './types.js';
import { CloseCode, errorBody, errorFromBody, httpStatusOf, isRetriableClose, parseTransactBody, parseWatchMessage, parseWatchRequest } from './watch-protocol.js';

test('transact body: {ops} and a bare array are the same operations', () => {
  const ops = [{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls1' } }, { op: 'comment', comment: 'x' }];
  assert.deepEqual(parseTransactBody({ ops }), ops);
  assert.deepEqual(parseTransactBody(ops), ops);
});

test('transact body: an unknown op kind names the op index and the allowed kinds', () => {
  const r = parseTransactBody({ ops: [{ op: 'comment', comment: 'a' }, { op: 'upsert', table: 'T', row: {} }] });
  assert.ok(r instanceof LoomError);
  assert.equal(r.code, 'bad-request');
  assert.equal(r.op, 1);
  assert.equal(r.table, 'T');
  assert.equal(r.path, '/ops/1');
  assert.match(r.message, /unknown op "upsert"/);
  assert.match(r.hint ?? '', /insert, select, update/);
});

test('transact body: a malformed condition is pinned to its path', () => {
  const r = parseTransactBody([{ op: 'delete', table: 'T', where: [['name', '~=', 'x']] }]);
  assert.ok(r instanceof LoomError);
  assert.equal(r.path, '/ops/0/where/0/1');
  assert.equal(r.value, '~=');
  assert.equal(r.op, 0);
});

test('transact body: missing fields, extra fields and a non-object body are refused', () => {
  const missing = parseTransactBody([{ op: 'update', table: 'T', where: [] }]);
  assert.ok(missing instanceof LoomError);
  assert.match(missing.message, /missing field "row"/);
  const extra = parseTransactBody([{ op: 'abort', now: true }]);
  assert.ok(extra instanceof LoomError);
  assert.match(extra.message, /unexpected field "now"/);
  const scalar = parseTransactBody('hello');
  assert.ok(scalar instanceof LoomError);
  assert.equal(scalar.path, '');
  const noOps = parseTransactBody({ operations: [] });
  assert.ok(noOps instanceof LoomError);
});

test('watch request: accepted shapes and refusals', () => {
  assert.deepEqual(parseWatchRequest('{}'), {});
  const req = { fromRevision: 7, tables: { Port_Binding: { where: [['chassis', '==', 'x']], columns: ['logical_port'] } } };
  assert.deepEqual(parseWatchRequest(JSON.stringify(req)), req);
  const notJson = parseWatchRequest('{');
  assert.ok(notJson instanceof LoomError);
  assert.equal(notJson.code, 'bad-request');
  const neg = parseWatchRequest('{"fromRevision":-1}');
  assert.ok(neg instanceof LoomError);
  assert.equal(neg.path, '/fromRevision');
});

test('watch messages: events pass, errors become LoomError data, garbage is internal', () => {
  const ev = { type: 'change', revision: 3, changes: [] };
  assert.deepEqual(parseWatchMessage(JSON.stringify(ev)), ev);
  const err = parseWatchMessage(JSON.stringify({ type: 'error', error: { code: 'unknown-table', message: 'no', table: 'X' } }));
  assert.ok(!(err instanceof LoomError) && err.type === 'error');
  assert.equal(err.error.code, 'unknown-table');
  assert.equal(err.error.table, 'X');
  const junk = parseWatchMessage('{"type":"change","revision":"3"}');
  assert.ok(junk instanceof LoomError);
  assert.equal(junk.code, 'internal');
});

test('error bodies round-trip and keep only the fields that are set', () => {
  const e = new LoomError({ code: 'duplicate', message: 'dup', table: 'Logical_Switch', column: 'name', value: 'ls1', op: 2 });
  const body = errorBody(e);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'column', 'message', 'op', 'table', 'value']);
  const back = errorFromBody(JSON.parse(JSON.stringify(body)), 409);
  assert.deepEqual(back.toJSON(), e.toJSON());
  assert.equal(errorFromBody('<html>', 502).code, 'internal');
  assert.equal(errorFromBody(undefined, 503).code, 'unavailable');
});

test('HTTP status per code and retriable close codes', () => {
  assert.equal(httpStatusOf('bad-request'), 400);
  assert.equal(httpStatusOf('type-error'), 400);
  assert.equal(httpStatusOf('not-found'), 404);
  assert.equal(httpStatusOf('unknown-table'), 404);
  assert.equal(httpStatusOf('duplicate'), 409);
  assert.equal(httpStatusOf('referential-integrity'), 409);
  assert.equal(httpStatusOf('too-large'), 413);
  assert.equal(httpStatusOf('timed-out'), 408);
  assert.equal(httpStatusOf('internal'), 500);
  assert.equal(isRetriableClose(CloseCode.tooSlow), true);
  assert.equal(isRetriableClose(CloseCode.goingAway), true);
  assert.equal(isRetriableClose(1006), true);
  assert.equal(isRetriableClose(CloseCode.badRequest), false);
  assert.equal(isRetriableClose(CloseCode.unknownName), false);
});
