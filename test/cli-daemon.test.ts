// test/cli-daemon.test.ts — `loom --detach` and LOOM_NB_DAEMON, end to end: a real resident
// client (started the way users start it) in front of a real nbdb, commands forwarded by
// bin/loom (sh + nc) and by the node entry, answers identical to running the same command
// directly: output, errors on the right stream, exit status, one transaction per chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNbdb } from '../nbdb/index.js';
import { RemoteStore } from '../store/client.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(root, 'cli', 'main.ts');

interface Out {
  readonly out: string;
  readonly err: string;
  readonly status: number;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Out> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, env, timeout: 60_000 }, (e, out, err) => {
      const status = e === null ? 0 : typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code) : -1;
      resolve({ out, err, status });
    });
  });
}

test('a resident client answers forwarded commands exactly as a direct run would', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-cli-daemon-'));
  const svc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const store = await RemoteStore.connect(svc.url);
  const base: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: dir, LOOM_NB: svc.url };
  delete base['LOOM_NB_DAEMON'];
  let pid = 0;
  t.after(async () => {
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await store.close();
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // As `export OVN_NB_DAEMON=$(ovn-nbctl --pidfile --detach)`, with a log file too.
  const d = await run(process.execPath, ['--import', 'tsx', MAIN, '--pidfile', `--log-file=${join(dir, 'd.log')}`, '--detach'], base);
  assert.equal(d.status, 0, d.err);
  const socket = d.out.trim();
  const m = /loom-nbctl\.(\d+)\.ctl$/.exec(socket);
  assert.ok(m !== null && socket.startsWith(dir), `socket path: ${socket}`);
  pid = Number(m[1]);
  assert.ok(existsSync(socket));
  assert.equal(readFileSync(join(dir, 'loom-nbctl.pid'), 'utf8').trim(), String(pid));
  assert.match(readFileSync(join(dir, 'd.log'), 'utf8'), new RegExp(`serving ${svc.url}.*pid ${pid}`));

  const viaSh = (...a: string[]) => run(join(root, 'bin', 'loom'), a, { ...base, LOOM_NB_DAEMON: socket });
  const viaNode = (...a: string[]) => run(process.execPath, ['--import', 'tsx', MAIN, ...a], { ...base, LOOM_NB_DAEMON: socket });
  const direct = (...a: string[]) => run(process.execPath, ['--import', 'tsx', MAIN, ...a], base);

  const r0 = await store.revision();
  const add = await viaSh('ls-add', 'sw0', '--', 'lsp-add', 'sw0', 'p1', '--', 'lsp-set-addresses', 'p1', '0a:00:00:00:00:01 10.0.0.11');
  assert.deepEqual([add.status, add.out, add.err], [0, '', '']);
  assert.equal(await store.revision(), r0 + 1, 'a chain is one transaction');
  const p = (await store.select('Logical_Switch_Port', [['name', '==', 'p1']]))[0];
  assert.deepEqual(p?.['addresses'], ['0a:00:00:00:00:01 10.0.0.11']);

  await viaNode('lsp-add', 'sw0', 'p2');
  const show = await direct('show');
  assert.match(show.out, /port p2/);
  assert.deepEqual(await viaSh('show'), show);
  assert.deepEqual(await viaNode('show'), show);
  assert.deepEqual(await viaSh('--format=json', 'list', 'Logical_Switch'), await direct('--format=json', 'list', 'Logical_Switch'));

  // A refused chain: error on stderr, status 1, nothing written; with --json on stdout.
  const r1 = await store.revision();
  const dup = await viaSh('lsp-add', 'sw0', 'p3', '--', 'ls-add', 'sw0');
  assert.equal(dup.status, 1);
  assert.equal(dup.out, '');
  assert.deepEqual(dup, await direct('lsp-add', 'sw0', 'p3', '--', 'ls-add', 'sw0'));
  assert.match(dup.err, /^loom: .*sw0/);
  const dj = await viaSh('--json', 'ls-add', 'sw0');
  assert.equal(dj.status, 1);
  assert.equal((JSON.parse(dj.out) as { error: { code: string } }).error.code, 'duplicate');
  assert.equal(await store.revision(), r1, 'refused chains change nothing');
  assert.equal((await store.select('Logical_Switch_Port', [['name', '==', 'p3']])).length, 0);

  // Daemons are never run by the resident client: `loom nbdb` through the forwarder runs directly.
  if (existsSync(join(root, 'dist', 'cli', 'main.js'))) {
    const help = await viaSh('nbdb', '--help');
    assert.deepEqual([help.status, /usage: loom nbdb/.test(help.out)], [0, true]);
  }

  // SIGTERM ends it and removes its socket; a forwarded command then says so.
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && existsSync(socket); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(!existsSync(socket), 'socket removed on SIGTERM');
  assert.ok(!existsSync(join(dir, 'loom-nbctl.pid')), 'pid file removed on SIGTERM');
  pid = 0;
  const gone = await viaSh('show');
  assert.equal(gone.status, 1);
  assert.match(gone.err, /cannot reach the loom daemon/);
});
