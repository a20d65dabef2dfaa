// cli/http-store.test.ts — the CLI's small store client over node:http:
// a round trip against a real node:http server, including errors and keep-alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpStore } from './http-store.js';
import { LoomError } from '../store/types.js';


test('HttpStore: schema, transact and errors over one kept-alive connection', async (t) => {
  const sockets = new Set<unknown>();
  const schema = { name: 'T', version: '1', tables: {} };
  const server = createServer((req, res) => {
    sockets.add(req.socket);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/schema') return void res.end(JSON.stringify(schema));
      if (req.url === '/v1/health') return void res.end(JSON.stringify({ revision: 7 }));
      const ops = (JSON.parse(body) as { ops: { op: string }[] }).ops;
      if (ops[0]?.op === 'bad') {
        res.statusCode = 400;
        // Chunked on purpose: res.write before end without a length.
        res.write('{"error":{"code":"duplicate","message":"no",');
        return void res.end('"table":"X","hint":"h"}}');
      }
      res.end(JSON.stringify({ revision: 3, results: ops.map(() => ({ rows: [{ _uuid: 'u' }] })) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const store = await HttpStore.connect(url, 5000);
  try {
    assert.deepEqual(store.schema, schema);
    assert.deepEqual(await store.select('X'), [{ _uuid: 'u' }]);
    assert.equal(await store.revision(), 7);
    await assert.rejects(
      store.transact([{ op: 'bad' } as never]),
      (e: unknown) => e instanceof LoomError && e.code === 'duplicate' && e.table === 'X' && e.hint === 'h',
    );
    assert.equal((await store.transact([{ op: 'select', table: 'X', where: [] }])).revision, 3);
    assert.equal(sockets.size, 1, 'every request went over the one connection');
  } finally {
    await store.close();
  }
});

test('HttpStore: a refused connection is an unavailable LoomError; a bad URL is bad-request', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  await assert.rejects(HttpStore.connect(`http://127.0.0.1:${port}`, 2000), (e: unknown) => e instanceof LoomError && e.code === 'unavailable' && /ECONNREFUSED$/.test(e.message));
  await assert.rejects(HttpStore.connect('https://127.0.0.1:1', 2000), (e: unknown) => e instanceof LoomError && e.code === 'bad-request');
});
