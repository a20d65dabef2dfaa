// northd's warm-up (northd/warm-up.ts): the scratch run goes through every step on the
// incremental path and leaves a scratch SB equal to a full compile of its NB; a northd runs
// one after a bulk batch, once its sb_cfg is written (never after a small one, never with
// warmUp: false), and
// the real SB is not touched by it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nbSchema, sbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { tenantOps } from './reference-topology.js';
import { startNorthd, type Northd } from './daemon.js';
import { warmIncremental } from './warm-up.js';
import { compiledLines, sbLines } from './testdata/sb-lines.js';

const bounded = <T>(p: Promise<T>, ms = 30_000): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms).unref())]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('the scratch run: every step incremental, its SB equal to a full compile of its NB', async () => {
  let seen = false;
  const r = await warmIncremental(async (nb, sb, northd) => {
    seen = true;
    const st = northd.stats();
    // the first compile, then one batch per step (each NB change of the CMS, its own batch)
    assert.ok(st.batches >= 7, `${st.batches} batches`);
    assert.deepEqual(st.lastBatch?.recomputed, [], 'the last step ran on the incremental path (no node recomputed)');
    assert.deepEqual(await sbLines(sb, { keys: true }), await compiledLines(nb, { keys: true }));
    assert.ok((await sb.select('Logical_Flow')).length > 50);
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.steps, 6);
  assert.ok(seen);
});

async function northdOn(ports: number, warmUp: boolean | undefined, closers: (() => Promise<unknown>)[]): Promise<{ n: Northd; nb: SqliteStore; sb: SqliteStore }> {
  const nb = SqliteStore.open(':memory:', nbSchema);
  closers.push(() => nb.close());
  const sb = SqliteStore.open(':memory:', sbSchema);
  closers.push(() => sb.close());
  await nb.transact([{ op: 'insert', table: 'NB_Global', row: {} }]);
  await nb.transact(tenantOps(1, ports));
  const n = await startNorthd({ nb, sb, ...(warmUp === undefined ? {} : { warmUp }) });
  closers.unshift(() => n.close());
  await bounded(n.synced());
  return { n, nb, sb };
}

async function until(f: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (f()) return true;
  return f();
}

test('a bulk batch is followed by one warm-up; the real SB is left as it was', async (t) => {
  const closers: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const c of closers) await c();
  });
  // a start-up compile of 1200 ports is a bulk batch (≥1000 changes, ≥ half of NB)
  const { n, nb, sb } = await northdOn(1200, undefined, closers);
  await bounded(n.idle());
  const rev = await sb.revision();
  assert.ok(await until(() => n.stats().warmUps.runs === 1, 20_000), 'a warm-up ran');
  assert.ok((n.stats().warmUps.lastMs ?? 0) > 0);
  assert.equal(await sb.revision(), rev, 'the real SB took no transaction from the warm-up');
  assert.deepEqual(await sbLines(sb, { keys: true }), await compiledLines(nb, { keys: true }));
  // a small batch afterwards: no second warm-up
  await nb.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'small' } }]);
  await bounded(n.synced());
  await sleep(300);
  assert.equal(n.stats().warmUps.runs, 1);
});

test('warmUp: false: no warm-up after a bulk batch', async (t) => {
  const closers: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const c of closers) await c();
  });
  const { n } = await northdOn(1200, false, closers);
  await bounded(n.idle());
  await sleep(400);
  assert.equal(n.stats().warmUps.runs, 0);
});
