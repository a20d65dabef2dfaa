// test/cli-northd-lock.test.ts — two `loom northd` processes against one nbdb/sbdb pair:
// one is active (holds the SB lock loom_northd) and compiles, the other stands by; when the
// active one is stopped, the standby takes over and compiles what comes next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { startNbdb } from '../nbdb/index.js';
import { startSbdb } from '../sbdb/index.js';
import { RemoteStore } from '../store/client.js';
import type { Row } from '../store/types.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Northd {
  readonly child: ChildProcess;
  out: string;
  readonly exited: Promise<number | null>;
  /** Resolves when stdout has matched re (false after 60 s or on exit). */
  saw(re: RegExp): Promise<boolean>;
}

function northd(nb: string, sb: string): Northd {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'northd', '--nb', nb, '--sb', sb], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const n: Northd = {
    child,
    out: '',
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
    saw: (re) =>
      new Promise<boolean>((resolve) => {
        if (re.test(n.out)) return resolve(true);
        const timer = setTimeout(() => done(false), 60_000);
        const onData = () => re.test(n.out) && done(true);
        const done = (v: boolean) => {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve(v);
        };
        child.stdout?.on('data', onData);
        void n.exited.then(() => done(re.test(n.out)));
      }),
  };
  child.stdout?.on('data', (d: Buffer) => (n.out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (n.out += d.toString()));
  return n;
}

test('two loom northd: one active, one standby; the standby takes over when the active one stops', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-lock-'));
  const nbSvc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const sbSvc = await startSbdb({ db: join(dir, 'sb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const nb = await RemoteStore.connect(nbSvc.url);
  const sb = await RemoteStore.connect(sbSvc.url);
  const procs: Northd[] = [];
  t.after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await nb.close();
    await sb.close();
    await nbSvc.close();
    await sbSvc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const first = northd(nbSvc.url, sbSvc.url);
  procs.push(first);
  assert.ok(await first.saw(/loom northd: active/), `first northd: ${first.out}`);
  const second = northd(nbSvc.url, sbSvc.url);
  procs.push(second);
  assert.ok(await second.saw(/loom northd: standby/), `second northd: ${second.out}`);

  const datapathFor = async (name: string) => {
    const [ls] = await nb.transact([{ op: 'insert', table: 'Logical_Switch', row: { name } }]).then((r) => r.results as { uuid: string }[]);
    const uuid = ls?.uuid as string;
    const has = (rows: readonly Row[] | undefined) => (rows ?? []).some((r) => (r['external_ids'] as Record<string, string> | undefined)?.['logical-switch'] === uuid);
    if (has(await sb.select('Datapath_Binding'))) return true;
    return firstValueFrom(
      sb.watch({ tables: { Datapath_Binding: {} } }).pipe(
        filter((ev) => (ev.type === 'snapshot' ? has(ev.tables['Datapath_Binding']) : ev.type === 'change' ? has(ev.changes.flatMap((c) => (c.new === null ? [] : [c.new]))) : false)),
        timeout({ first: 60_000 }),
      ),
    ).then(() => true);
  };
  assert.ok(await datapathFor('sw-first'));
  assert.doesNotMatch(second.out, /active/, 'the standby did not start compiling');

  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
  assert.ok(await second.saw(/loom northd: active/), `second northd: ${second.out}`);
  assert.ok(await datapathFor('sw-second'), 'the new active northd compiles');
});
