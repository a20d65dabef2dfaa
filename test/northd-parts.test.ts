// northd's SB transaction in parts (Store.transactParts): a batch bigger than sbPartKeys is
// built and handed over part by part and still commits as ONE SB transaction (one SB
// revision), in process and over HTTP (sbdb service, RemoteStore: each part sent as it is
// built); the row UUIDs learnt from the parts' results are right (a later deletion of a
// whole switch finds every row); SB equals the pure compiler's content after each step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateNbTxn } from '../nbdb/validate.js';
import { startNorthd } from '../northd/index.js';
import { readTopologies } from '../northd/testdata/nbctl.js';
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { nbctl } from '../cli/test-support.js';
import { within } from './fixtures.js';
import { compiledLines, sbLines, sbStore } from '../northd/testdata/sb-lines.js';

const topologies = readTopologies(readFileSync(new URL('../northd/testdata/topologies.sh', import.meta.url), 'utf8'));


for (const mode of ['in process', 'over HTTP'] as const) {
  test(`northd SB transaction in parts (${mode}): one SB revision per batch, SB equals a full compile`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'loom-northd-parts-'));
    const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
    const closers: (() => Promise<void>)[] = [() => nb.close()];
    const { sb, sbFor } = await sbStore(mode, join(dir, 'sb.db'), closers);
    t.after(async () => {
      for (const c of closers.reverse()) await c();
      rmSync(dir, { recursive: true, force: true });
    });
    await nbctl(nb, ['init']);
    for (const name of ['router-plain', 'load-balancer']) for (const words of topologies.get(name) ?? []) await nbctl(nb, words);
    const errors: unknown[] = [];
    const n = await startNorthd({ nb, sb: sbFor, sbPartKeys: 25, paused: true, onError: (e) => errors.push(e) });
    t.after(() => n.close());
    const rev0 = await sb.revision();
    n.resume();
    await within(n.synced());
    assert.equal(n.stats().sbTransactions, 1);
    assert.ok((n.stats().lastBatch?.sbOps ?? 0) > 100, `a batch of ${n.stats().lastBatch?.sbOps} operations is not many parts of 25 keys`);
    assert.equal(await sb.revision(), rev0 + 1, 'the parts committed as one SB transaction');
    assert.deepEqual(await sbLines(sb), await compiledLines(nb));
    // the UUIDs learnt from the parts: deleting a switch deletes its rows by them
    await nbctl(nb, ['ls-del', 'sw0']);
    await within(n.synced());
    assert.deepEqual(await sbLines(sb), await compiledLines(nb));
    await within(n.idle());
    assert.deepEqual(errors, []);
  });
}
