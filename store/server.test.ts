import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { sbSchema } from '../schemas/index.js';
import { SqliteStore } from './sqlite-store.js';
import { parseListen, runStoreService, serveStore, type StoreServer } from './server.js';
import { CloseCode, parseWatchMessage, type WatchMessage } from './watch-protocol.js';
import { LoomError, type Store } from './types.js';

async function fixture(t: { after: (fn: () => unknown) => void }, options: Parameters<typeof serveStore>[3] = {}): Promise<{ store: Store; server: StoreServer }> {
  const dir = mkdtempSync(join(tmpdir(), 'loom-server-'));
  const store = await SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  const server = await serveStore(store, '127.0.0.1', 0, options);
  t.after(async () => {
    await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, server };
}

/** A raw watch socket: messages and the close code/reason, each awaitable. */
function rawWatch(url: string, first: string): { ws: WebSocket; messages: WatchMessage[]; closed: Promise<{ code: number; reason: string }> } {
  const ws = new WebSocket(url.replace('http', 'ws') + '/v1/watch');
  const messages: WatchMessage[] = [];
  ws.on('open', () => ws.send(first));
  ws.on('message', (d) => {
    const m = parseWatchMessage(d.toString());
    if (!(m instanceof LoomError)) messages.push(m);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return { ws, messages, closed };
}

test('listen addresses', () => {
  assert.deepEqual(parseListen('127.0.0.1:6641'), { host: '127.0.0.1', port: 6641 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen(':6642'), { host: '0.0.0.0', port: 6642 });
  for (const bad of ['6641', 'host:99999', 'a:b', '[::1]']) {
    const e = parseListen(bad);
    assert.ok(e instanceof LoomError, bad);
    assert.match(e.hint ?? '', /HOST:PORT/);
  }
});

test('a watch whose first message is not a WatchRequest is closed 4400 with the error', { timeout: 30_000 }, async (t) => {
  const { server } = await fixture(t);
  const w = rawWatch(server.url, '{"fromRevision":"yesterday"}');
  const c = await w.closed;
  assert.equal(c.code, CloseCode.badRequest);
  const m = w.messages[0];
  assert.ok(m?.type === 'error');
  assert.equal(m.error.code, 'bad-request');
  assert.equal(m.error.path, '/fromRevision');
});

test('a watch naming an unknown column is closed 4404 with the table and column', { timeout: 30_000 }, async (t) => {
  const { server } = await fixture(t);
  const w = rawWatch(server.url, JSON.stringify({ tables: { Port_Binding: { where: [['chasis', '==', 'x']] } } }));
  const c = await w.closed;
  assert.equal(c.code, CloseCode.unknownName);
  const m = w.messages[0];
  assert.ok(m?.type === 'error');
  assert.equal(m.error.code, 'unknown-column');
  assert.equal(m.error.column, 'chasis');
});

test('a watcher that stops reading is closed 4001 once too far behind, then resumes from its last revision', { timeout: 30_000 }, async (t) => {
  const lines: string[] = [];
  let onLine: (() => void) | undefined;
  const { store, server } = await fixture(t, {
    watchHighWaterBytes: 64 * 1024,
    log: (l) => {
      lines.push(l);
      onLine?.();
    },
  });
  const slow = rawWatch(server.url, JSON.stringify({ tables: { Chassis: {} } }));
  await new Promise<void>((resolve) => slow.ws.once('message', () => resolve()));
  assert.equal(server.watchers(), 1);
  slow.ws.pause();
  const behind = new Promise<void>((resolve) => {
    onLine = () => lines.some((l) => l.includes('behind')) && resolve();
  });
  let closedByServer = false;
  void behind.then(() => (closedByServer = true));
  // Big rows fill the kernel buffers and then the server's send buffer; bounded at 300.
  const blob = 'x'.repeat(256 * 1024);
  let last = 0;
  for (let i = 0; i < 300 && !closedByServer; i++) {
    const r = await store.transact([
      { op: 'insert', table: 'Encap', row: { type: 'geneve', ip: `10.0.${i >> 8}.${i & 255}`, chassis_name: `c${i}` }, 'uuid-name': 'e' },
      { op: 'insert', table: 'Chassis', row: { name: `c${i}`, hostname: `h${i}`, encaps: ['named-uuid', 'e'], external_ids: ['map', [['blob', blob]]] } },
    ]);
    last = r.revision;
  }
  await behind;
  slow.ws.resume();
  const c = await slow.closed;
  assert.equal(c.code, CloseCode.tooSlow);
  assert.match(c.reason, /resume/);
  const got = slow.messages.filter((m) => m.type !== 'error').map((m) => m.revision);
  const lastSeen = got.at(-1);
  assert.ok(lastSeen !== undefined && lastSeen < last, `the slow watcher should have missed some commits (${lastSeen} vs ${last})`);

  // Resume: exactly the commits after the last one it received, once each.
  const again = rawWatch(server.url, JSON.stringify({ fromRevision: lastSeen, tables: { Chassis: {} } }));
  t.after(() => again.ws.terminate());
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('resume did not catch up')), 20_000);
    again.ws.on('message', () => {
      if (again.messages.at(-1)?.type !== 'error' && (again.messages.at(-1) as { revision: number } | undefined)?.revision === last) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const resumed = again.messages.map((m) => (m.type === 'error' ? -1 : m.revision));
  assert.deepEqual(resumed, Array.from({ length: last - lastSeen }, (_, i) => lastSeen + 1 + i));
});

test('close() tells watchers 1001 (going away) and stops accepting', { timeout: 30_000 }, async (t) => {
  const { server } = await fixture(t);
  const w = rawWatch(server.url, '{}');
  await new Promise<void>((resolve) => w.ws.once('message', () => resolve()));
  await server.close();
  const c = await w.closed;
  assert.equal(c.code, CloseCode.goingAway);
  await assert.rejects(fetch(`${server.url}/v1/health`));
});

test('a commit right before the store closes reaches its watcher before the 1001', { timeout: 30_000 }, async (t) => {
  const { store, server } = await fixture(t);
  const w = rawWatch(server.url, JSON.stringify({ tables: { Chassis: {} } }));
  await new Promise<void>((resolve) => w.ws.once('message', () => resolve()));
  // the event waits for the next turn; the close in this one must not drop it
  const r = await store.transact([
    { op: 'insert', table: 'Encap', row: { type: 'geneve', ip: '10.0.0.1', chassis_name: 'c1' }, 'uuid-name': 'e' },
    { op: 'insert', table: 'Chassis', row: { name: 'c1', hostname: 'h1', encaps: ['named-uuid', 'e'] } },
  ]);
  await store.close();
  const c = await w.closed;
  assert.equal(c.code, CloseCode.goingAway);
  assert.deepEqual(w.messages.map((m) => m.type), ['snapshot', 'change']);
  assert.equal((w.messages[1] as { revision: number }).revision, r.revision);
});

test('a watcher that does not answer heartbeat pings is dropped', { timeout: 30_000 }, async (t) => {
  const lines: string[] = [];
  let onLine: (() => void) | undefined;
  const { server } = await fixture(t, {
    heartbeatMs: 50,
    log: (l) => {
      lines.push(l);
      onLine?.();
    },
  });
  const w = rawWatch(server.url, '{}');
  t.after(() => w.ws.terminate());
  await new Promise<void>((resolve) => w.ws.once('message', () => resolve()));
  // A paused socket reads nothing, so it never sees the ping nor answers it.
  w.ws.pause();
  await new Promise<void>((resolve) => {
    onLine = () => lines.some((l) => l.includes('heartbeat')) && resolve();
    onLine();
  });
  w.ws.resume();
  const c = await w.closed;
  assert.notEqual(c.code, 1000);
  // The server side of the socket may close a few event-loop turns after the client's.
  for (let i = 0; i < 200 && server.watchers() > 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(server.watchers(), 0);
});

test('a wait that does not hold in time is 408 timed-out', { timeout: 30_000 }, async (t) => {
  const { server } = await fixture(t);
  const res = await fetch(`${server.url}/v1/transact`, {
    method: 'POST',
    body: JSON.stringify([{ op: 'wait', table: 'Chassis', where: [], columns: ['name'], until: '==', rows: [{ name: 'hv-never' }], timeout: 0 }]),
  });
  assert.equal(res.status, 408);
  const body = (await res.json()) as { error: { code: string; table: string } };
  assert.equal(body.error.code, 'timed-out');
  assert.equal(body.error.table, 'Chassis');
});

test('any first watch message gets a snapshot or a 4400/4404 refusal with an error, never an internal failure', { timeout: 60_000 }, async (t) => {
  const fc = await import('fast-check');
  const { server } = await fixture(t);
  const tables = ['Port_Binding', 'Chassis', 'Nope', '__proto__'];
  const columns = ['chassis', 'logical_port', 'name', 'nope', '_uuid'];
  const spec = fc.record({ where: fc.array(fc.tuple(fc.constantFrom(...columns), fc.constantFrom('==', '!=', 'includes', '<', '~'), fc.jsonValue({ maxDepth: 1 })), { maxLength: 2 }), columns: fc.array(fc.constantFrom(...columns), { maxLength: 2 }) }, { requiredKeys: [] });
  const req = fc.oneof(
    // No valid fromRevision: resuming at the current revision rightly sends nothing yet.
    fc.record({ fromRevision: fc.oneof(fc.integer({ min: -3, max: -1 }), fc.double().filter((d) => !Number.isInteger(d)), fc.string()), tables: fc.dictionary(fc.constantFrom(...tables), spec, { maxKeys: 2 }) }, { requiredKeys: [] }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const text = fc.oneof(req.map((r) => JSON.stringify(r)), fc.string());
  await fc.assert(
    fc.asyncProperty(text, async (first) => {
      const w = rawWatch(server.url, first);
      const firstMsg = new Promise<void>((resolve) => w.ws.once('message', () => resolve()));
      const outcome = await Promise.race([firstMsg.then(() => 'message' as const), w.closed.then(() => 'closed' as const)]);
      assert.equal(outcome, 'message', `closed without a message for ${first}`);
      const m = w.messages[0];
      if (m?.type === 'error') {
        const c = await w.closed;
        assert.ok(c.code === CloseCode.badRequest || c.code === CloseCode.unknownName, `close ${c.code} (${m.error.code}: ${m.error.message}) for ${first}`);
      } else {
        assert.equal(m?.type, 'snapshot', `first event ${JSON.stringify(m)} for ${first}`);
        w.ws.close();
        await w.closed;
      }
    }),
    { numRuns: 150, seed: 20261124 },
  );
});

test('GET /v1/metrics counts requests, commits, refusals and watch sockets', { timeout: 30_000 }, async (t) => {
  const { server } = await fixture(t);
  const post = (body: unknown): Promise<Response> => fetch(`${server.url}/v1/transact`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal((await post([{ op: 'insert', table: 'SB_Global', row: {} }])).status, 200);
  assert.equal((await post([{ op: 'insert', table: 'Chassis', row: { name: 5 } }])).status, 400);
  assert.equal((await post([{ op: 'bogus' }])).status, 400);
  assert.equal((await fetch(`${server.url}/v1/transact`, { method: 'POST', body: '[{' })).status, 400);
  const w = rawWatch(server.url, '{}');
  await new Promise<void>((resolve) => w.ws.once('message', () => resolve()));
  const res = await fetch(`${server.url}/v1/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
  const text = await res.text();
  const metric = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(name));
    assert.ok(line, `${name} missing in\n${text}`);
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  assert.equal(metric('loom_db_revision{database="OVN_Southbound"}'), 1);
  assert.equal(metric('loom_watchers{'), 1);
  assert.equal(metric('loom_transactions_total{database="OVN_Southbound",result="ok"}'), 1);
  assert.equal(metric('loom_transactions_total{database="OVN_Southbound",result="type-error"}'), 1);
  assert.equal(metric('loom_transactions_total{database="OVN_Southbound",result="bad-request"}'), 2);
  assert.equal(metric('loom_http_requests_total{database="OVN_Southbound",method="POST",route="/v1/transact",status="400"}'), 3);
  assert.equal(metric('loom_watch_connections_total{'), 1);
  assert.ok(metric('loom_watch_events_sent_total{') >= 1);
  assert.ok(metric('loom_watch_bytes_sent_total{') > 0);
  w.ws.close();
  await w.closed;
});

test('a service on a port already in use fails with unavailable, says why, and closes its store', { timeout: 30_000 }, async (t) => {
  const { server } = await fixture(t);
  const dir = mkdtempSync(join(tmpdir(), 'loom-server-inuse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const second = await SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  await assert.rejects(runStoreService(second, `127.0.0.1:${new URL(server.url).port}`), (e: unknown) => {
    assert.ok(e instanceof LoomError);
    assert.equal(e.code, 'unavailable');
    assert.match(e.message, /EADDRINUSE/);
    assert.match(e.hint ?? '', /--listen/);
    return true;
  });
  await assert.rejects(second.revision(), (e: unknown) => e instanceof LoomError && e.code === 'unavailable');
  const bad = await SqliteStore.open(join(dir, 'sb2.db'), sbSchema);
  await assert.rejects(runStoreService(bad, 'nonsense'), (e: unknown) => e instanceof LoomError && e.code === 'bad-request');
});
