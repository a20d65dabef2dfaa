// A northd compile reaches SB as ONE transaction over HTTP even when its body is far over
// the sbdb's request limit: RemoteStore sends it in parts, the server commits it once, and
// an SB watcher (what a controller is) sees every port binding and flow in one event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNbdb } from '../nbdb/index.js';
import { startNorthd } from '../northd/index.js';
import { startSbdb } from '../sbdb/index.js';
import { RemoteStore } from '../store/client.js';
import type { Store, WatchEvent } from '../store/types.js';
import { nbctl } from '../cli/test-support.js';


const PORTS = 150;
const SB_BODY = 64 * 1024;

test('a compile lands in SB as one revision over HTTP with a small body cap', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-atomic-'));
  const nbSvc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const sbSvc = await startSbdb({ db: join(dir, 'sb.db'), listen: '127.0.0.1:0', handleSignals: false, maxBodyBytes: SB_BODY });
  const nb = await RemoteStore.connect(nbSvc.url);
  const sb = await RemoteStore.connect(sbSvc.url);
  const errors: unknown[] = [];
  const northd = await startNorthd({ nb: nbSvc.url, sb: sbSvc.url, onError: (e) => errors.push(e) });
  t.after(async () => {
    await northd.close();
    await nb.close();
    await sb.close();
    await nbSvc.close();
    await sbSvc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await nbctl(nb, ['--wait=sb', '--timeout=20', 'init']);
  const rev0 = await sb.revision();
  const txns0 = northd.stats().sbTransactions;
  const events: WatchEvent[] = [];
  const sub = sb.watch({ fromRevision: rev0, tables: { Port_Binding: {}, Logical_Flow: {} } }).subscribe((e) => events.push(e));
  t.after(() => sub.unsubscribe());

  const words = ['--wait=sb', '--timeout=30', 'ls-add', 'sw0'];
  for (let i = 0; i < PORTS; i++) {
    const mac = `0a:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    words.push('--', 'lsp-add', 'sw0', `vm${i}`, '--', 'lsp-set-addresses', `vm${i}`, `${mac} 10.0.${i >> 8}.${(i & 255) + 1}`);
  }
  await nbctl(nb, words);
  const rev1 = await sb.revision();
  // the watch may trail the transaction's answer: wait (bounded) for it to reach rev1
  for (let i = 0; i < 200 && !events.some((e) => e.revision >= rev1); i++) await new Promise((r) => setTimeout(r, 25));

  const flows = await sb.select('Logical_Flow');
  assert.ok(Buffer.byteLength(JSON.stringify(flows)) > 2 * SB_BODY, 'the compile must be bigger than the SB body limit');
  assert.deepEqual(errors, []);
  const withPorts = events.filter((e) => e.type === 'change' && e.changes.some((c) => c.table === 'Port_Binding'));
  assert.equal(withPorts.length, 1, 'the compile must reach SB as one change');
  const ev = withPorts[0];
  assert.ok(ev !== undefined && ev.type === 'change');
  assert.equal(ev.changes.filter((c) => c.table === 'Port_Binding' && c.old === null).length, PORTS);
  // every flow SB holds after the compile came in that same event (init's flows before it)
  const inserted = new Set(ev.changes.filter((c) => c.table === 'Logical_Flow' && c.old === null).map((c) => c.uuid));
  const later = events.filter((e) => e.type === 'change' && e.revision > ev.revision && e.changes.some((c) => c.table === 'Logical_Flow'));
  assert.deepEqual(later, []);
  assert.ok(inserted.size > PORTS, `expected the port flows in the one event, got ${inserted.size}`);
  // one SB transaction for the batch (sb_cfg reported inside it)
  assert.equal(northd.stats().sbTransactions - txns0, 1);
});
