// End-to-end: durability of nbdb across SIGKILL, and its graceful stop on SIGTERM. A client pipelines single-row transactions
// to a separate nbdb process, which is SIGKILLed midway; restarted on the same file, every
// acknowledged transaction is there, and the revisions (acknowledged ones plus the store's
// replayed history) have no gap and no repeat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteStore } from '../store/client.js';
import { EventCollector } from '../store/client-collect.js';
import { spawnDbServer, type DbProcess } from '../store/server-process.js';
import { LoomError } from '../store/types.js';
import { WebSocket } from 'ws';

const TOTAL = 3000;
const KILL_AFTER = 1500;
const IN_FLIGHT = 8;

test('every acknowledged transaction survives SIGKILL; revisions have no gap and no repeat', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-durability-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'nb.db');
  let proc: DbProcess = await spawnDbServer('nbdb', db);
  t.after(() => proc.kill('SIGKILL'));
  let nb = await RemoteStore.connect(proc.url);
  const start = await nb.revision();

  const acked = new Map<number, string>(); // revision → switch name
  const refused: unknown[] = [];
  const sent = new Set<string>();
  let next = 0;
  let killing: Promise<unknown> | undefined;
  // IN_FLIGHT writers share one counter; after the kill each stops at its first failure.
  const writer = async (): Promise<void> => {
    while (next < TOTAL && killing === undefined) {
      const name = `sw-${next++}`;
      sent.add(name);
      try {
        const r = await nb.transact([{ op: 'insert', table: 'Logical_Switch', row: { name } }]);
        assert.equal(acked.has(r.revision), false, `revision ${r.revision} acknowledged twice`);
        acked.set(r.revision, name);
        if (acked.size === KILL_AFTER) killing = proc.kill('SIGKILL');
      } catch (e) {
        refused.push(e);
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
  const exit = await killing;
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL' });
  assert.ok(acked.size >= KILL_AFTER);
  for (const e of refused) assert.ok(e instanceof LoomError && e.code === 'unavailable', String(e));
  await nb.close();

  proc = await spawnDbServer('nbdb', db);
  nb = await RemoteStore.connect(proc.url);
  t.after(() => nb.close());
  const final = await nb.revision();
  const stored = new Map((await nb.select('Logical_Switch')).map((r) => [String(r['name']), r._uuid]));

  t.diagnostic(`acknowledged ${acked.size}, refused at the kill ${refused.length}, stored ${stored.size}, revisions ${start + 1}..${final}`);
  // Every acknowledged transaction is there; anything else there was sent (in flight at the kill).
  for (const name of acked.values()) assert.ok(stored.has(name), `acknowledged ${name} lost`);
  for (const name of stored.keys()) assert.ok(sent.has(name), `${name} was never sent`);
  // One row per commit: as many commits as rows, none lost, none doubled.
  assert.equal(final - start, stored.size);
  assert.ok(Math.max(...acked.keys()) <= final);

  // The store's own history from the start, replayed: revisions start+1..final, each one
  // insert, agreeing with every acknowledgement.
  const w = new EventCollector(nb.watch({ fromRevision: start, tables: { Logical_Switch: {} } }));
  t.after(() => w.stop());
  await w.untilRevision(final, 20_000);
  const replay = new Map<number, string>();
  for (const e of w.events) {
    assert.equal(e.type, 'change', 'the history reaches back to the start: no snapshot expected');
    if (e.type !== 'change') continue;
    assert.equal(replay.has(e.revision), false, `revision ${e.revision} replayed twice`);
    assert.equal(e.changes.length, 1);
    replay.set(e.revision, String(e.changes[0]?.new?.['name']));
  }
  assert.deepEqual([...replay.keys()], Array.from({ length: final - start }, (_, i) => start + 1 + i));
  for (const [rev, name] of acked) assert.equal(replay.get(rev), name, `revision ${rev}`);
});

test('SIGTERM: watchers are told 1001, the process ends by the signal, and the data is intact', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-sigterm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'nb.db');
  let proc: DbProcess = await spawnDbServer('nbdb', db);
  t.after(() => proc.kill('SIGKILL'));
  const nb = await RemoteStore.connect(proc.url);
  const r = await nb.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'kept' } }]);
  await nb.close();
  const ws = new WebSocket(`${proc.url.replace('http', 'ws')}/v1/watch`);
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const first = new Promise<void>((resolve) => ws.once('message', () => resolve()));
  ws.on('open', () => ws.send('{}'));
  await first;
  const exit = await proc.kill('SIGTERM');
  assert.equal(await closed, 1001);
  assert.deepEqual(exit, { code: null, signal: 'SIGTERM' });
  proc = await spawnDbServer('nbdb', db);
  const again = await RemoteStore.connect(proc.url);
  t.after(() => again.close());
  assert.equal(await again.revision(), r.revision);
  assert.deepEqual((await again.select('Logical_Switch')).map((x) => x['name']), ['kept']);
});
