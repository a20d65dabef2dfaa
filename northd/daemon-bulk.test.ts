// A bulk batch (a resume after a bulk load, a bulk deletion) is compiled with its flows
// built between the parts of its one SB transaction (daemon.ts `defer`, engine.ts
// buildPending): SB still gets one revision per batch and equals a full compile of NB, the
// UUIDs learnt from the parts are right (a later bulk deletion finds every row), and the
// deleted datapaths go in the last part, after the flows that referred to them. In process
// and over HTTP (sbdb service).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateNbTxn } from '../nbdb/validate.js';
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Operation } from '../store/types.js';
import { tenantOps } from './reference-topology.js';
import { startNorthd } from './daemon.js';
import { compiledLines, sbLines, sbStore } from './testdata/sb-lines.js';

const bounded = <T>(p: Promise<T>, ms = 60_000): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms).unref())]);


for (const mode of ['in process', 'over HTTP'] as const) {
  test(`a bulk batch built between the parts of one SB transaction (${mode}): one revision, SB equals a full compile`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'loom-northd-bulk-'));
    const closers: (() => Promise<unknown>)[] = [];
    t.after(async () => {
      for (const c of closers.reverse()) await c();
      rmSync(dir, { recursive: true, force: true });
    });
    const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
    closers.push(() => nb.close());
    const { sb, sbFor } = await sbStore(mode, join(dir, 'sb.db'), closers);
    await nb.transact([{ op: 'insert', table: 'NB_Global', row: {} }]);
    const errors: unknown[] = [];
    // small parts: the ~6000 flows are built and sent over many parts
    const n = await startNorthd({ nb, sb: sbFor, sbPartKeys: 300, paused: true, onError: (e) => errors.push(e) });
    closers.push(() => n.close());
    for (let tn = 1; tn <= 5; tn++) await nb.transact(tenantOps(tn, 250));
    const rev0 = await sb.revision();
    n.resume();
    await bounded(n.synced());
    assert.equal(n.stats().sbTransactions, 1);
    assert.ok((n.stats().lastBatch?.sbOps ?? 0) > 6000, `${n.stats().lastBatch?.sbOps} operations`);
    assert.equal(await sb.revision(), rev0 + 1, 'the parts committed as one SB transaction');
    assert.deepEqual(await sbLines(sb, { keys: true }), await compiledLines(nb, { keys: true }));

    // a bulk deletion of four tenants (1000+ rows): their flows, bindings and datapaths go (by the UUIDs
    // learnt from the parts), the datapaths after what referred to them
    const del = (table: string, name: string): Operation => ({ op: 'delete', table, where: [['name', '==', name]] });
    const rev1 = await sb.revision();
    await nb.transact([2, 3, 4, 5].flatMap((tn) => [del('Logical_Switch', `ls${tn}`), del('Logical_Router', `lr${tn}`), del('Port_Group', `pg${tn}`)]));
    await bounded(n.synced());
    assert.equal(await sb.revision(), rev1 + 1, 'the bulk deletion is one SB transaction');
    const after = await sbLines(sb, { keys: true });
    assert.deepEqual(after, await compiledLines(nb, { keys: true }));
    assert.ok(!after.some((l) => l.startsWith('dp ls2') || l.startsWith('dp lr5')));
    assert.ok(after.some((l) => l.startsWith('dp ls1')));
    await bounded(n.idle());
    assert.deepEqual(errors, []);
  });
}
