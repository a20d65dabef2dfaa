// test/cli-daemon.test.ts — `loom --detach` and LOOM_NB_DAEMON, end to end: a real resident
// client (started the way users start it) in front of a real nbdb, commands forwarded by
// bin/loom (sh + nc) and by the node entry, answers identical to running the same command
// directly: output, errors on the right stream, exit status, one transaction per chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_MAIN as MAIN, nbdbFixture, residentClient, root, run } from './fixtures.js';

test('a resident client answers forwarded commands exactly as a direct run would', async (t) => {
  const { dir, url, store, env: base } = await nbdbFixture(t, 'loom-cli-daemon-');

  // As `export OVN_NB_DAEMON=$(ovn-nbctl --pidfile --detach)`, with a log file too.
  const daemon = await residentClient(t, base, ['--pidfile', `--log-file=${join(dir, 'd.log')}`]);
  const { socket, pid } = daemon;
  assert.ok(socket.startsWith(dir), `socket path: ${socket}`);
  assert.ok(existsSync(socket));
  assert.equal(readFileSync(join(dir, 'loom-nbctl.pid'), 'utf8').trim(), String(pid));
  assert.match(readFileSync(join(dir, 'd.log'), 'utf8'), new RegExp(`serving ${url}.*pid ${pid}`));

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
  daemon.stopped();
  const gone = await viaSh('show');
  assert.equal(gone.status, 1);
  assert.match(gone.err, /cannot reach the loom daemon/);
});
