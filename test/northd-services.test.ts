// northd through the services: nbdb and sbdb over HTTP/WS, northd connected by URL (what
// `loom northd --nb URL --sb URL` runs), the CLI's `--wait=sb` and `--wait=hv` returning
// once northd reported (a new port's up in the same NB commit as sb_cfg), and northd
// riding out an nbdb restart (watch resumes from its revision; changes made meanwhile
// reach SB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNbdb } from '../nbdb/index.js';
import { startNorthd } from '../northd/index.js';
import { startSbdb } from '../sbdb/index.js';
import { RemoteStore } from '../store/client.js';
import type { RowChange, Store } from '../store/types.js';
import { nbctl } from '../cli/test-support.js';


test('northd over the services: --wait=sb/hv, nbdb restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-svc-'));
  let nbSvc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const sbSvc = await startSbdb({ db: join(dir, 'sb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const nbListen = nbSvc.url.replace(/^http:\/\//, '');
  const nb = await RemoteStore.connect(nbSvc.url);
  const sb = await RemoteStore.connect(sbSvc.url);
  const northd = await startNorthd({ nb: nbSvc.url, sb: sbSvc.url, onError: () => undefined });
  t.after(async () => {
    await northd.close();
    await nb.close();
    await sb.close();
    await nbSvc.close();
    await sbSvc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await nbctl(nb, ['init']);
  /** NB's commits, each as its changes to those two tables */
  const commits: (readonly RowChange[])[] = [];
  let watchReady!: () => void;
  const ready = new Promise<void>((r) => (watchReady = r));
  const watching = nb.watch({ tables: { NB_Global: {}, Logical_Switch_Port: {} } }).subscribe((ev) => {
    watchReady();
    if (ev.type === 'change') commits.push(ev.changes);
  });
  t.after(() => watching.unsubscribe());
  await ready;
  // --wait=sb returns only after northd wrote SB and reported sb_cfg
  await nbctl(nb, ['--wait=sb', '--timeout=20', 'ls-add', 'sw0', '--', 'lsp-add', 'sw0', 'vm1', '--', 'lsp-set-addresses', 'vm1', '0a:00:00:00:00:01 10.0.0.1']);
  const pbs = await sb.select('Port_Binding', [['logical_port', '==', 'vm1']]);
  assert.equal(pbs.length, 1);
  // the new port's up (false: unclaimed) is in the NB commit that reports sb_cfg, as
  // ovn-northd writes them, not in a second commit behind it
  await northd.idle();
  const report = commits.find((c) => c.some((x) => x.table === 'NB_Global' && x.new !== null && typeof x.new['sb_cfg'] === 'number' && x.new['sb_cfg'] !== x.old?.['sb_cfg'] && x.new['sb_cfg'] === x.new['nb_cfg']));
  assert.ok(report, 'sb_cfg reported');
  assert.ok(report.some((x) => x.table === 'Logical_Switch_Port' && x.new?.['name'] === 'vm1' && x.new['up'] === false), JSON.stringify(commits.map((c) => c.map((x) => `${x.table}:${JSON.stringify(x.new)}`))));
  assert.equal(commits[commits.length - 1], report, 'no NB commit after the report');
  assert.ok((await sb.select('Logical_Flow')).some((f) => f['match'] === 'eth.dst == 0a:00:00:00:00:01'));
  // no chassis: hv_cfg follows sb_cfg, so --wait=hv returns too
  await nbctl(nb, ['--wait=hv', '--timeout=20', 'lsp-add', 'sw0', 'vm2']);
  assert.equal((await sb.select('Port_Binding', [['logical_port', '==', 'vm2']])).length, 1);

  // nbdb goes away and comes back on the same address; northd's watch resumes
  await nbSvc.close();
  nbSvc = await startNbdb({ db: join(dir, 'nb.db'), listen: nbListen, handleSignals: false });
  const nb2 = await RemoteStore.connect(nbSvc.url);
  try {
    await nbctl(nb2, ['--wait=sb', '--timeout=20', 'lsp-add', 'sw0', 'vm3', '--', 'lsp-set-addresses', 'vm3', '0a:00:00:00:00:03 10.0.0.3']);
    assert.ok((await sb.select('Logical_Flow')).some((f) => f['match'] === 'eth.dst == 0a:00:00:00:00:03'));
  } finally {
    await nb2.close();
  }
});
