// store/locks.test.ts — OVSDB locks: the lock table alone (grant, queue, steal, release on
// session end), then through a real store server with RemoteStore clients: contention,
// steal, a dropped session socket releasing its locks, re-acquiring after a server restart,
// and `assert` refusing (and writing nothing) for a session that lost its lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from './sqlite-store.js';
import { serveStore, type StoreServer } from './server.js';
import { RemoteStore, type LockEvent } from './client.js';
import { LockManager, parseLockRequest, type SessionMessage } from './locks.js';
import { LoomError, type Operation } from './types.js';

test('lock table: first asker owns, others queue in order, steal notifies the owner, ending a session passes its locks on', () => {
  const m = new LockManager();
  const notes = new Map<string, SessionMessage[]>();
  const open = (name: string) => {
    notes.set(name, []);
    return m.open((msg) => notes.get(name)?.push(msg));
  };
  const a = open('a');
  const b = open('b');
  const c = open('c');
  assert.deepEqual(m.request(a, { id: 1, method: 'lock', lock: 'northd' }), { locked: true });
  assert.deepEqual(m.request(b, { id: 1, method: 'lock', lock: 'northd' }), { locked: false });
  assert.deepEqual(m.request(c, { id: 1, method: 'lock', lock: 'northd' }), { locked: false });
  assert.throws(() => m.request(b, { id: 2, method: 'lock', lock: 'northd' }), (e: unknown) => e instanceof LoomError && e.code === 'duplicate');
  assert.deepEqual([...m.held(a)], ['northd']);
  assert.equal(m.held(b).size, 0);

  m.request(a, { id: 2, method: 'unlock', lock: 'northd' });
  assert.equal(m.owner('northd'), b, 'the first waiter gets it');
  assert.deepEqual(notes.get('b'), [{ type: 'locked', lock: 'northd' }]);
  assert.equal(m.held(a).size, 0);

  assert.deepEqual(m.request(a, { id: 3, method: 'steal', lock: 'northd' }), { locked: true });
  assert.equal(m.owner('northd'), a);
  assert.deepEqual(notes.get('b')?.at(-1), { type: 'stolen', lock: 'northd' });
  assert.equal(m.held(b).size, 0);

  // c still waits; a's session ends: c gets it; b (stolen, not waiting) gets nothing more.
  const bNotes = notes.get('b')?.length;
  m.close(a);
  assert.equal(m.owner('northd'), c);
  assert.deepEqual(notes.get('c'), [{ type: 'locked', lock: 'northd' }]);
  assert.equal(notes.get('b')?.length, bNotes);
  const held = m.held(c);
  m.close(c);
  assert.equal(held.size, 0, 'the live set a queued transaction holds sees the release');
  assert.equal(m.owner('northd'), undefined);
  assert.throws(() => m.request(b, { id: 9, method: 'unlock', lock: 'northd' }), (e: unknown) => e instanceof LoomError && e.code === 'not-owner');
  assert.equal(m.held('no-such-session').size, 0);
});

test('session messages are checked', () => {
  assert.deepEqual(parseLockRequest('{"id":1,"method":"steal","lock":"ovn_northd"}'), { id: 1, method: 'steal', lock: 'ovn_northd' });
  for (const bad of ['nope', '[]', '{"method":"lock","lock":"x"}', '{"id":1,"method":"grab","lock":"x"}', '{"id":1,"method":"lock","lock":""}', '{"id":1,"method":"lock","lock":"a b"}']) {
    const r = parseLockRequest(bad);
    assert.ok('error' in r && r.error.code === 'bad-request', bad);
  }
});

async function fixture(t: { after: (fn: () => unknown) => void }): Promise<{ local: SqliteStore; server: () => StoreServer; restart(): Promise<void>; client(): Promise<RemoteStore> }> {
  const dir = mkdtempSync(join(tmpdir(), 'loom-locks-'));
  const local = await SqliteStore.open(join(dir, 'nb.db'), nbSchema);
  let server = await serveStore(local, '127.0.0.1', 0, { heartbeatMs: 0 });
  const port = Number(new URL(server.url).port);
  const clients: RemoteStore[] = [];
  t.after(async () => {
    for (const c of clients) await c.close();
    await server.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    local,
    server: () => server,
    restart: async () => {
      await server.close();
      server = await serveStore(local, '127.0.0.1', port, { heartbeatMs: 0 });
    },
    client: async () => {
      const c = await RemoteStore.connect(server.url, { backoffMs: 10, maxBackoffMs: 50 });
      clients.push(c);
      return c;
    },
  };
}

const guarded = (lock: string, name: string): Operation[] => [
  { op: 'assert', lock },
  { op: 'insert', table: 'Logical_Switch', row: { name } },
];

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof LoomError && e.code === code);
}

test('two clients contend for a lock: only the owner commits under assert; unlock hands it over', { timeout: 30_000 }, async (t) => {
  const f = await fixture(t);
  const a = await f.client();
  const b = await f.client();
  assert.equal(await a.lock('loom_northd'), true);
  const bLocked = firstValueFrom(b.lockEvents().pipe(filter((e) => e.type === 'locked')));
  assert.equal(await b.lock('loom_northd'), false);
  assert.equal(a.holds('loom_northd'), true);
  assert.equal(b.holds('loom_northd'), false);

  await a.transact(guarded('loom_northd', 'by-a'));
  const rev = await f.local.revision();
  await refused(b.transact(guarded('loom_northd', 'by-b')), 'not-owner');
  await refused(b.transact(guarded('other_lock', 'by-b')), 'not-owner');
  assert.equal(await f.local.revision(), rev, 'a refused assert writes nothing');
  assert.equal((await f.local.select('Logical_Switch', [['name', '==', 'by-b']])).length, 0);

  await a.unlock('loom_northd');
  assert.deepEqual(await bLocked, { type: 'locked', lock: 'loom_northd' });
  assert.equal(b.holds('loom_northd'), true);
  await b.transact(guarded('loom_northd', 'by-b'));
  await refused(a.transact(guarded('loom_northd', 'by-a-again')), 'not-owner');
  assert.deepEqual((await f.local.select('Logical_Switch')).map((r) => r['name']).sort(), ['by-a', 'by-b']);
  const metrics = await (await fetch(f.server().url + '/v1/metrics')).text();
  assert.match(metrics, /loom_lock_sessions_total\{database="OVN_Northbound"\} 2/);
  assert.match(metrics, /loom_lock_requests_total\{database="OVN_Northbound",method="lock",result="queued"\} 1/);
  assert.match(metrics, /loom_lock_requests_total\{database="OVN_Northbound",method="lock",result="ok"\} 1/);
});

test('steal: the owner is told, and its asserts are refused from then on', { timeout: 30_000 }, async (t) => {
  const f = await fixture(t);
  const a = await f.client();
  const b = await f.client();
  assert.equal(await a.lock('loom_northd'), true);
  const stolen = firstValueFrom(a.lockEvents());
  await b.steal('loom_northd');
  assert.deepEqual(await stolen, { type: 'stolen', lock: 'loom_northd' });
  assert.equal(a.holds('loom_northd'), false);
  assert.equal(b.holds('loom_northd'), true);
  const rev = await f.local.revision();
  await refused(a.transact(guarded('loom_northd', 'late-a')), 'not-owner');
  assert.equal(await f.local.revision(), rev);
  await b.transact(guarded('loom_northd', 'b'));
  assert.equal(f.server().locks.owner('loom_northd') !== undefined, true);
});

test('a session socket that drops releases its locks to the next waiter', { timeout: 30_000 }, async (t) => {
  const f = await fixture(t);
  // A bare session socket, so the test can cut it the way a crashed process would.
  const raw = new WebSocket(f.server().url.replace('http', 'ws') + '/v1/session');
  const rawMsgs: unknown[] = [];
  const replied = new Promise<void>((resolve) =>
    raw.on('message', (d) => {
      rawMsgs.push(JSON.parse(d.toString()));
      if (rawMsgs.length === 2) resolve();
    }),
  );
  t.after(() => raw.terminate());
  await new Promise<void>((resolve) => raw.on('open', () => resolve()));
  raw.send(JSON.stringify({ id: 1, method: 'lock', lock: 'loom_northd' }));
  await replied;
  assert.deepEqual(rawMsgs[1], { id: 1, result: { locked: true } });
  const sid = (rawMsgs[0] as { id: string }).id;

  // Its id on a transaction: the assert holds while the socket lives.
  const res = await fetch(f.server().url + '/v1/transact', { method: 'POST', headers: { 'loom-session': sid }, body: JSON.stringify({ ops: guarded('loom_northd', 'raw') }) });
  assert.equal(res.status, 200);

  const b = await f.client();
  const bLocked = firstValueFrom(b.lockEvents());
  assert.equal(await b.lock('loom_northd'), false);
  raw.terminate();
  assert.deepEqual(await bLocked, { type: 'locked', lock: 'loom_northd' });
  const after = await fetch(f.server().url + '/v1/transact', { method: 'POST', headers: { 'loom-session': sid }, body: JSON.stringify({ ops: guarded('loom_northd', 'raw-late') }) });
  assert.equal(after.status, 409);
  assert.equal(((await after.json()) as { error: { code: string } }).error.code, 'not-owner');
  assert.equal((await f.local.select('Logical_Switch', [['name', '==', 'raw-late']])).length, 0);
});

test('after a server restart the client learns it lost its lock, then gets it again', { timeout: 30_000 }, async (t) => {
  const f = await fixture(t);
  const a = await f.client();
  assert.equal(await a.lock('loom_northd'), true);
  const events = firstValueFrom(a.lockEvents().pipe(take(2), toArray()));
  await f.restart();
  const seen: LockEvent[] = await events;
  assert.deepEqual(seen, [
    { type: 'lost', lock: 'loom_northd' },
    { type: 'locked', lock: 'loom_northd' },
  ]);
  assert.equal(a.holds('loom_northd'), true);
  await a.transact(guarded('loom_northd', 'after-restart'));
  assert.equal(f.server().locks.owner('loom_northd') !== undefined, true);
});
