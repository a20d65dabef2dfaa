// `loom northd --unixctl PATH` and `loom appctl`, end to end: a real `loom northd` process
// (tsx) against nbdb and sbdb services; its control socket pauses it (NB changes held, SB
// untouched, sb_cfg not reported), resumes it (the held change compiled, sb_cfg reported),
// reports status, is-paused, memory/show and stats, refuses an unknown command; the CLI
// client finds the socket by path; `loom up` serves the same commands at STATE_DIR/northd.ctl.
// Everything started here is stopped in t.after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNbdb } from '../nbdb/index.js';
import { startSbdb } from '../sbdb/index.js';
import { RemoteStore } from '../store/client.js';
import { sendToDaemon } from '../cli/daemon.js';
import { nbctl } from '../cli/test-support.js';
import { int, map } from '../northd/nb.js';
import { waitSbCfg } from '../bench/northd/wait.js';
import { CLI_MAIN, root, run, within } from './fixtures.js';

test('loom northd control socket: pause, resume, status, memory/show; loom appctl', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-appctl-'));
  const nbSvc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const sbSvc = await startSbdb({ db: join(dir, 'sb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const nb = await RemoteStore.connect(nbSvc.url);
  const sb = await RemoteStore.connect(sbSvc.url);
  const socket = join(dir, 'northd.ctl');
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'northd', '--nb', nbSvc.url, '--sb', sbSvc.url, '--no-lock', '--unixctl', socket], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await nb.close();
    await sb.close();
    await nbSvc.close();
    await sbSvc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ask = async (...argv: string[]): Promise<{ status: number; text: string }> => sendToDaemon(socket, argv);

  await nbctl(nb, ['init']);
  await nbctl(nb, ['ls-add', 'sw0']);
  const bump = async (): Promise<number> => {
    await nb.transact([{ op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] }]);
    return int((await nb.select('NB_Global'))[0] ?? { _uuid: '' }, 'nb_cfg') ?? 0;
  };
  await within(waitSbCfg(nb, await bump(), 60_000), 60_000);
  assert.match(out, /control socket .*northd\.ctl/);
  assert.equal((await ask('status')).text, 'Status: active\n');

  assert.deepEqual(await ask('pause'), { status: 0, stream: 1, text: '' });
  assert.equal((await ask('is-paused')).text, 'true\n');
  assert.equal((await ask('status')).text, 'Status: paused\n');
  const sbRev = await sb.revision();
  await nbctl(nb, ['ls-add', 'sw1']);
  const cfg = await bump();
  // until northd holds the change (its stats say so; bounded)
  for (let i = 0; i < 200 && !/held_nb_changes:[1-9]/.test((await ask('inc-engine/show-stats')).text); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match((await ask('inc-engine/show-stats')).text, /held_nb_changes:[1-9]/);
  assert.equal(await sb.revision(), sbRev, 'paused northd wrote to SB');
  assert.ok((int((await nb.select('NB_Global'))[0] ?? { _uuid: '' }, 'sb_cfg') ?? 0) < cfg, 'paused northd reported sb_cfg');

  // the CLI client, by socket path
  const cli = await run(process.execPath, ['--import', 'tsx', CLI_MAIN, 'appctl', '-t', socket, 'is-paused'], { ...process.env });
  assert.deepEqual([cli.status, cli.out], [0, 'true\n']);

  assert.equal((await ask('resume')).status, 0);
  await within(waitSbCfg(nb, cfg, 60_000), 60_000);
  const names = (await sb.select('Datapath_Binding')).map((d) => map(d, 'external_ids')['name']).sort();
  assert.deepEqual(names, ['sw0', 'sw1']);
  assert.equal((await ask('is-paused')).text, 'false\n');

  assert.match((await ask('memory/show')).text, /^rss_mb:\d+\.\d peak_rss_mb:\d+\.\d heap_used_mb:\d+\.\d .*after_gc:false lflows:\d+/);
  assert.equal((await ask('inc-engine/recompute')).status, 0);
  const bad = await ask('no-such-command');
  assert.equal(bad.status, 2);
  assert.match(bad.text, /not a valid command/);
  assert.match((await ask('list-commands')).text, /inc-engine\/recompute/);

  // as ovn-appctl exit: the process stops as on SIGTERM
  assert.equal((await ask('exit')).status, 0);
  await within(exited, 30_000);
  assert.equal(existsSync(socket), false, 'the socket is removed on exit');
});

test('loom up serves the same control socket for its in-process northd (STATE_DIR/northd.ctl)', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-up-appctl-'));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, 'up', '--state-dir', dir, '--nb-listen', '127.0.0.1:0', '--sb-listen', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await within(new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('stop with SIGTERM')) resolve();
    });
    void exited.then(() => reject(new Error(`loom up exited: ${out}`)));
  }), 60_000);
  const socket = join(dir, 'northd.ctl');
  assert.match(out, /northd: running \(control: loom appctl -t \S+northd\.ctl status\)/);
  const ask = (...argv: string[]) => sendToDaemon(socket, argv);
  assert.equal((await ask('status')).text, 'Status: active\n');
  assert.equal((await ask('pause')).status, 0);
  assert.equal((await ask('status')).text, 'Status: paused\n');
  assert.equal((await ask('resume')).status, 0);
  assert.equal((await ask('is-paused')).text, 'false\n');
  assert.match((await ask('memory/show')).text, /^rss_mb:\d/);
});
