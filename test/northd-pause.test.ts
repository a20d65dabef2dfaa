// northd pause / resume / recompute, in process on real SqliteStores: paused, northd keeps
// watching NB but writes nothing to SB or NB (SB revision and NB_Global.sb_cfg stay put);
// resume runs one batch with everything held, after which SB equals the pure compiler's
// content; started paused, nothing is written until resume; a live recompute rewrites
// nothing when SB is already right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateNbTxn } from '../nbdb/validate.js';
import { int } from '../northd/nb.js';
import { startNorthd, type Northd } from '../northd/index.js';
import { readTopologies } from '../northd/testdata/nbctl.js';
import { nbSchema, sbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/types.js';
import { nbctl } from '../cli/test-support.js';
import { within } from './fixtures.js';
import { compiledLines, sbLines } from '../northd/testdata/sb-lines.js';

const topologies = readTopologies(readFileSync(new URL('../northd/testdata/topologies.sh', import.meta.url), 'utf8'));


/** Until northd's NB watch has delivered every NB commit (bounded: 2 s). */
async function seenNb(n: Northd, nb: Store): Promise<void> {
  const rev = await nb.revision();
  for (let i = 0; i < 200 && n.stats().nbRevision < rev; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(n.stats().nbRevision >= rev, `northd saw NB revision ${n.stats().nbRevision}, NB is at ${rev}`);
}

const sbCfg = async (nb: Store): Promise<number> => int((await nb.select('NB_Global'))[0] ?? { _uuid: '' }, 'sb_cfg') ?? 0;
/** NB_Global.nb_cfg += 1, as `ovn-nbctl --wait=sb` does before it waits */
const bump = (nb: Store): Promise<unknown> => nb.transact([{ op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] }]);

function stores(t: { after(fn: () => Promise<void>): void }): { nb: SqliteStore; sb: SqliteStore } {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-pause-'));
  const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  const sb = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  t.after(async () => {
    await nb.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { nb, sb };
}

test('northd pause: NB changes held, SB and NB untouched; resume: one batch, SB equals a full compile', async (t) => {
  const { nb, sb } = stores(t);
  await nbctl(nb, ['init']);
  for (const words of topologies.get('router-plain') ?? []) await nbctl(nb, words);
  const errors: unknown[] = [];
  const n = await startNorthd({ nb, sb, onError: (e) => errors.push(e) });
  t.after(() => n.close());
  await within(n.synced());
  await within(n.idle());

  await n.pause();
  assert.equal(n.isPaused(), true);
  const sbRev = await sb.revision();
  const cfgBefore = await sbCfg(nb);
  const batches = n.stats().batches;
  const txns = n.stats().sbTransactions;
  // a new switch, a port moved between addresses, a port gone, and nb_cfg bumped twice
  await nbctl(nb, ['ls-add', 'lsq', '--', 'lsp-add', 'lsq', 'q1', '--', 'lsp-set-addresses', 'q1', '0a:00:00:00:09:01 10.9.0.1']);
  await nbctl(nb, ['lsp-set-addresses', 'q1', '0a:00:00:00:09:02 10.9.0.2']);
  await nbctl(nb, ['lsp-add', 'lsq', 'q2', '--', 'lsp-del', 'q2']);
  await bump(nb);
  await bump(nb);
  await seenNb(n, nb);
  await within(n.idle());
  assert.equal(await sb.revision(), sbRev, 'paused northd wrote to SB');
  assert.equal(await sbCfg(nb), cfgBefore, 'paused northd reported sb_cfg');
  assert.equal(n.stats().batches, batches);
  assert.ok(n.stats().heldChanges > 0);
  assert.notDeepEqual(await sbLines(sb), await compiledLines(nb));

  n.resume();
  assert.equal(n.isPaused(), false);
  await within(n.synced());
  await within(n.idle());
  assert.equal(n.stats().sbTransactions, txns + 1, 'everything held went in one SB transaction');
  assert.deepEqual(await sbLines(sb), await compiledLines(nb));
  const nbCfg = int((await nb.select('NB_Global'))[0] ?? { _uuid: '' }, 'nb_cfg') ?? 0;
  assert.equal(await sbCfg(nb), nbCfg);

  // recompute with SB already right: a batch runs, nothing is written
  const rev2 = await sb.revision();
  const batches2 = n.stats().batches;
  n.recompute();
  await within(n.idle());
  assert.equal(n.stats().batches, batches2 + 1);
  assert.equal(await sb.revision(), rev2);
  assert.deepEqual(errors, []);
});

test('northd started paused writes nothing until resume, then compiles everything held', async (t) => {
  const { nb, sb } = stores(t);
  await nbctl(nb, ['init']);
  const n = await startNorthd({ nb, sb, paused: true });
  t.after(() => n.close());
  const sbRev = await sb.revision();
  for (const words of topologies.get('router-plain') ?? []) await nbctl(nb, words);
  await bump(nb);
  await seenNb(n, nb);
  await within(n.idle());
  assert.equal(await sb.revision(), sbRev);
  assert.equal(await sbCfg(nb), 0);
  n.resume();
  await within(n.synced());
  assert.deepEqual(await sbLines(sb), await compiledLines(nb));
  assert.equal(await sbCfg(nb), 1);
  // pausing again and resuming with nothing held reports and writes nothing new
  await n.pause();
  const rev = await sb.revision();
  n.resume();
  await within(n.idle());
  assert.equal(await sb.revision(), rev);
});
