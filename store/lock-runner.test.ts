// store/lock-runner.test.ts — active/standby through a real store server: one of two
// runners is active; a steal stops it (and its fenced writes are refused, writing nothing);
// the lock passes to the standby in queue order; a dropped session hands over too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from './sqlite-store.js';
import { serveStore } from './server.js';
import { RemoteStore } from './client.js';
import { runWhileLocked, type LockRunner } from './lock-runner.js';
import { LoomError, type Store } from './types.js';

const LOCK = 'loom_northd';

test('two runners: one active, a steal stops it and fences its writes, the standby takes over in order', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-lockrun-'));
  const local = await SqliteStore.open(join(dir, 'nb.db'), nbSchema);
  const server = await serveStore(local, '127.0.0.1', 0, { heartbeatMs: 0 });
  const stores: RemoteStore[] = [];
  const runners: LockRunner[] = [];
  t.after(async () => {
    for (const r of runners) await r.close();
    for (const s of stores) await s.close();
    await server.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = async () => {
    const s = await RemoteStore.connect(server.url, { backoffMs: 10, maxBackoffMs: 50 });
    stores.push(s);
    return s;
  };

  const log: string[] = [];
  const fenced = new Map<string, Store>();
  const runner = async (name: string, store: RemoteStore) => {
    const r = await runWhileLocked(
      store,
      LOCK,
      async (sb) => {
        fenced.set(name, sb);
        log.push(`${name} start`);
        return { close: async () => void log.push(`${name} stop`) };
      },
      { onState: (s) => log.push(`${name} ${s}`) },
    );
    runners.push(r);
    return r;
  };
  const sa = await client();
  const a = await runner('a', sa);
  const b = await runner('b', await client());
  assert.equal(a.active(), true);
  assert.equal(b.active(), false);
  assert.deepEqual(log, ['a start', 'a active', 'b standby']);

  // a writes through its fenced store; results line up with the operations it sent.
  const fa = fenced.get('a') as Store;
  const r = await fa.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'by-a' } }]);
  assert.equal(r.results.length, 1);
  assert.ok('uuid' in (r.results[0] as object));
  // an error names the operation as the caller numbered it
  await assert.rejects(fa.transact([{ op: 'comment', comment: 'x' }, { op: 'update', table: 'Logical_Switch', where: [], row: { name: 5 } }]), (e: unknown) => e instanceof LoomError && e.op === 1);

  // A third session steals the lock: a stops (and asks again, queueing behind b).
  const thief = await client();
  await thief.steal(LOCK);
  await assert.rejects(fa.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'late-a' } }]), (e: unknown) => e instanceof LoomError && e.code === 'not-owner');
  assert.equal((await local.select('Logical_Switch', [['name', '==', 'late-a']])).length, 0, 'a fenced write after the loss wrote nothing');
  for (let i = 0; i < 100 && a.active(); i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(a.active(), false);

  // The thief lets go: b asked first, so b becomes active, not a.
  await thief.unlock(LOCK);
  await b.whenActive();
  assert.equal(a.active(), false);
  assert.deepEqual(log.slice(3), ['a stop', 'a standby', 'b start', 'b active']);

  // b's process dies (its session socket closes): a takes over.
  await stores[1]?.close();
  await a.whenActive();
  assert.equal(a.active(), true);
  await (fenced.get('a') as Store).transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'a-again' } }]);
  assert.deepEqual((await local.select('Logical_Switch')).map((x) => x['name']).sort(), ['a-again', 'by-a']);
});

test('a service that fails to start gives the lock back and is tried again (after a growing pause) until it starts', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-lockrun-'));
  const local = await SqliteStore.open(join(dir, 'nb.db'), nbSchema);
  const server = await serveStore(local, '127.0.0.1', 0, { heartbeatMs: 0 });
  const store = await RemoteStore.connect(server.url, { backoffMs: 10, maxBackoffMs: 50 });
  let runner: LockRunner | undefined;
  t.after(async () => {
    await runner?.close();
    await store.close();
    await server.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let attempts = 0;
  const errors: unknown[] = [];
  let started: () => void = () => undefined;
  const up = new Promise<void>((r) => (started = r));
  runner = await runWhileLocked(
    store,
    LOCK,
    async () => {
      attempts++;
      if (attempts < 3) throw new LoomError({ code: 'unavailable', message: `attempt ${attempts}: the database is down` });
      started();
      return { close: async () => undefined };
    },
    { onError: (e) => errors.push(e), retryMs: 20 },
  );
  await up;
  await runner.whenActive();
  assert.equal(attempts, 3);
  assert.equal(errors.length, 2);
  assert.equal(runner.active(), true);
});
