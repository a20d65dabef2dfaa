import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from './sqlite-store.js';
import { serveStore, type StoreServer } from './server.js';
import { RemoteStore } from './client.js';
import { EventCollector } from './client-collect.js';
import { LoomError } from './types.js';

async function fixture(t: { after: (fn: () => unknown) => void }): Promise<{ local: SqliteStore; server: StoreServer; remote: RemoteStore }> {
  const dir = mkdtempSync(join(tmpdir(), 'loom-client-'));
  const local = await SqliteStore.open(join(dir, 'nb.db'), nbSchema);
  const server = await serveStore(local, '127.0.0.1', 0);
  const remote = await RemoteStore.connect(server.url, { backoffMs: 10, maxBackoffMs: 50 });
  t.after(async () => {
    await remote.close();
    await server.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { local, server, remote };
}

test('transact, select and revision answer as the store behind the server does', { timeout: 60_000 }, async (t) => {
  const { local, remote } = await fixture(t);
  assert.deepEqual(remote.schema, JSON.parse(JSON.stringify(local.schema)));
  const r = await remote.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', external_ids: { a: 'b' } } }]);
  assert.equal(r.revision, await local.revision());
  assert.equal(await remote.revision(), r.revision);
  assert.deepEqual(await remote.select('Logical_Switch', [['name', '==', 'ls1']]), await local.select('Logical_Switch', [['name', '==', 'ls1']]));
  assert.deepEqual(await remote.select('Logical_Switch', [['name', '==', 'nope']]), []);
  await assert.rejects(remote.select('Nope'), (e: unknown) => e instanceof LoomError && e.code === 'unknown-table');
  // A condition too long for a URL still works (sent as a read-only transaction).
  const many = Array.from({ length: 2000 }, (_, i) => `ls-${i}`);
  const long = await remote.select('Logical_Switch', [['name', '!=', 'x'.repeat(20_000)], ['external_ids', 'excludes', Object.fromEntries(many.map((n) => [n, n]))]]);
  assert.deepEqual(long.map((x) => x['name']), ['ls1']);
});

test('a watch starts with a snapshot, follows commits, and completes on close()', { timeout: 60_000 }, async (t) => {
  const { local, remote } = await fixture(t);
  await local.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'before' } }]);
  const w = new EventCollector(remote.watch({ tables: { Logical_Switch: { columns: ['name'] } } }));
  await w.until((ev) => ev.length > 0, 10_000, 'snapshot');
  const snap = w.events[0];
  assert.ok(snap?.type === 'snapshot');
  assert.deepEqual(snap.tables['Logical_Switch']?.map((r) => r['name']), ['before']);
  const r = await local.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'after' } }]);
  await w.untilRevision(r.revision);
  const ch = w.events.at(-1);
  assert.ok(ch?.type === 'change');
  assert.equal(ch.changes[0]?.new?.['name'], 'after');
  await remote.close();
  await w.until(() => w.done, 5000, 'completion');
  assert.equal(w.error, undefined);
  await assert.rejects(remote.revision(), (e: unknown) => e instanceof LoomError && e.code === 'unavailable');
});

test('an unreachable server is `unavailable`; a watch gives up after maxRetries', { timeout: 60_000 }, async (t) => {
  const { server, remote } = await fixture(t);
  const url = server.url;
  const limited = await RemoteStore.connect(url, { maxRetries: 2, backoffMs: 10 });
  t.after(() => limited.close());
  await server.close();
  await assert.rejects(RemoteStore.connect(url), (e: unknown) => e instanceof LoomError && e.code === 'unavailable');
  await assert.rejects(remote.transact([{ op: 'comment', comment: 'x' }]), (e: unknown) => {
    assert.ok(e instanceof LoomError);
    assert.equal(e.code, 'unavailable');
    assert.match(e.hint ?? '', /may or may not have committed/);
    return true;
  });
  const gaveUp = new EventCollector(limited.watch());
  await assert.rejects(gaveUp.until(() => false, 10_000, 'giving up'), (e: unknown) => e instanceof LoomError && e.code === 'unavailable');
  // The fixture's remote retries forever; closing it must still end its watch.
  const w = new EventCollector(remote.watch());
  await remote.close();
  await w.until(() => w.done, 5000, 'completion after close');
  assert.equal(w.error, undefined);
});

test('a watch resuming past the kept history gets a snapshot and passes it on as one', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-client-hist-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const local = await SqliteStore.open(join(dir, 'nb.db'), nbSchema, { changeLogLimit: 5 });
  t.after(() => local.close());
  let server = await serveStore(local, '127.0.0.1', 0);
  const port = Number(new URL(server.url).port);
  t.after(() => server.close());
  const remote = await RemoteStore.connect(server.url, { backoffMs: 10, maxBackoffMs: 50 });
  t.after(() => remote.close());
  const w = new EventCollector(remote.watch({ tables: { Logical_Switch: { columns: ['name'] } } }));
  t.after(() => w.stop());
  await w.until((ev) => ev.length > 0, 10_000, 'first snapshot');
  const first = w.lastRevision() ?? 0;
  await server.close();
  // While the watcher is away, more commits than the change log keeps.
  for (let i = 0; i < 20; i++) await local.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: `away-${i}` } }]);
  server = await serveStore(local, '127.0.0.1', port);
  const final = await local.revision();
  await w.untilRevision(final);
  const after = w.events.filter((e) => e.revision > first);
  assert.equal(after.length, 1);
  const snap = after[0];
  assert.ok(snap?.type === 'snapshot', `expected a snapshot, got ${snap?.type}`);
  assert.equal(snap.revision, final);
  assert.equal(snap.tables['Logical_Switch']?.length, 20);
});

test('exactly once, in order, while the server restarts repeatedly under concurrent commits', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-client-flap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const local = await SqliteStore.open(join(dir, 'nb.db'), nbSchema);
  t.after(() => local.close());
  let server = await serveStore(local, '127.0.0.1', 0);
  const port = Number(new URL(server.url).port);
  t.after(() => server.close());
  const remote = await RemoteStore.connect(server.url, { backoffMs: 5, maxBackoffMs: 40 });
  t.after(() => remote.close());
  const start = await local.revision();
  const w = new EventCollector(remote.watch({ fromRevision: start, tables: { Logical_Switch: {} } }));
  t.after(() => w.stop());

  const COMMITS = 300;
  const RESTARTS = 6;
  const names = new Map<number, string>();
  for (let i = 0; i < COMMITS; i++) {
    const r = await local.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: `flap-${i}` } }]);
    names.set(r.revision, `flap-${i}`);
    if (i % Math.floor(COMMITS / RESTARTS) === 25) {
      await server.close();
      server = await serveStore(local, '127.0.0.1', port);
    }
    // Let sockets make progress between commits, as a real writer's I/O would.
    await new Promise((r) => setImmediate(r));
  }
  const final = await local.revision();
  await w.untilRevision(final, 20_000);
  assert.equal(w.events.some((e) => e.type === 'snapshot'), false);
  const revs = w.events.filter((e) => e.type === 'change').map((e) => e.revision);
  assert.deepEqual(revs, Array.from({ length: final - start }, (_, i) => start + 1 + i));
  for (const e of w.events) if (e.type === 'change') assert.equal(e.changes[0]?.new?.['name'], names.get(e.revision));
});

test('a silent watch socket (no event, no ping) is replaced, and resuming repeats nothing', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-client-idle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const local = await SqliteStore.open(join(dir, 'nb.db'), nbSchema);
  t.after(() => local.close());
  // No heartbeat from this server: to the client it looks like a dead peer once idle.
  const server = await serveStore(local, '127.0.0.1', 0, { heartbeatMs: 0 });
  t.after(() => server.close());
  let upgrades = 0;
  let onUpgrade: (() => void) | undefined;
  server.http.on('upgrade', () => {
    upgrades++;
    onUpgrade?.();
  });
  const remote = await RemoteStore.connect(server.url, { watchIdleTimeoutMs: 100, backoffMs: 10 });
  t.after(() => remote.close());
  const w = new EventCollector(remote.watch({ tables: { Logical_Switch: {} } }));
  t.after(() => w.stop());
  await new Promise<void>((resolve) => {
    onUpgrade = () => upgrades >= 3 && resolve();
  });
  const r = await local.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'late' } }]);
  await w.untilRevision(r.revision);
  assert.deepEqual(w.events.filter((e) => e.type !== 'progress').map((e) => e.type), ['snapshot', 'change']);
});

test('connect() with waitForServerMs waits for a server that comes up later', { timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-client-wait-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const local = await SqliteStore.open(join(dir, 'nb.db'), nbSchema);
  t.after(() => local.close());
  // Find a free port, then leave it free until the client is already trying.
  const probe = await serveStore(local, '127.0.0.1', 0);
  const url = probe.url;
  await probe.close();
  await assert.rejects(RemoteStore.connect(url), (e: unknown) => e instanceof LoomError && e.code === 'unavailable');
  const connecting = RemoteStore.connect(url, { waitForServerMs: 20_000, backoffMs: 20, maxBackoffMs: 100 });
  const server = await serveStore(local, '127.0.0.1', Number(new URL(url).port));
  t.after(() => server.close());
  const remote = await connecting;
  t.after(() => remote.close());
  assert.equal(remote.schema.name, 'OVN_Northbound');
  await assert.rejects(RemoteStore.connect('http://127.0.0.1:1', { waitForServerMs: 100, backoffMs: 20 }), (e: unknown) => e instanceof LoomError && e.code === 'unavailable');
});
