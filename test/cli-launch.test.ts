// test/cli-launch.test.ts — bin/loom (sh) hands argv to node byte for byte, without
// NODE_EXTRA_CA_CERTS unless an https URL is in play, or to a resident client
// (LOOM_NB_DAEMON) with its answer's stream and status; bin/loom.js runs the one-file
// bundle only while it is fresh and falls back to the compiled modules otherwise. Runs the
// real launchers in a throwaway tree with stand-in bundle and modules (so it never depends
// on, or disturbs, this checkout's dist/); and the real launcher and bundle, when built,
// start a daemon (its modules are imported at run time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function tree(): { dir: string; run(...argv: string[]): { out: string; err: string; status: number | null }; bundle(text: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'loom-launch-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  copyFileSync(join(root, 'bin', 'loom.js'), join(dir, 'bin', 'loom.js'));
  copyFileSync(join(root, 'bin', 'package.json'), join(dir, 'bin', 'package.json'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'dist', 'cli', 'main.js'), "process.stdout.write('modules ' + process.argv.slice(2).join(' ') + '\\n');\n");
  writeFileSync(join(dir, 'dist', 'cli', 'entry.js'), '// stands for the modules the bundle was built from\n');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(dir, 'dist', 'cli', 'entry.js'), past, past);
  writeFileSync(join(dir, 'dist', 'cli', 'loom.bundle.json'), JSON.stringify({ inputs: ['dist/cli/entry.js'] }));
  const bundle = (text: string) => {
    writeFileSync(join(dir, 'dist', 'cli', 'loom.bundle.cjs'), `module.exports.main = async (argv) => { process.stdout.write(${JSON.stringify(text)} + ' ' + argv.join(' ') + '\\n'); return 3; };\n`);
  };
  bundle('bundle');
  const run = (...argv: string[]) => {
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'loom.js'), ...argv], { encoding: 'utf8', env: { ...process.env, LOOM_LAUNCH_DEBUG: '1' }, timeout: 20_000 });
    return { out: r.stdout, err: r.stderr, status: r.status };
  };
  return { dir, run, bundle };
}

test('a fresh bundle runs, with its exit status; a rebuilt one runs its new code', (t) => {
  const { dir, run, bundle } = tree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = run('ls-list');
  assert.equal(a.out, 'bundle ls-list\n');
  assert.equal(a.status, 3);
  assert.match(a.err, /loom launch: bundle/);
  bundle('BUNDLE');
  assert.equal(run('show').out, 'BUNDLE show\n');
});

test('a module newer than the bundle, a missing module or a missing manifest means the modules run', (t) => {
  const { dir, run } = tree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const entry = join(dir, 'dist', 'cli', 'entry.js');
  const future = new Date(Date.now() + 60_000);
  utimesSync(entry, future, future);
  let r = run('show');
  assert.equal(r.out, 'modules show\n');
  assert.match(r.err, /loom launch: modules/);
  const past = new Date(Date.now() - 60_000);
  utimesSync(entry, past, past);
  assert.equal(run('show').out, 'bundle show\n');
  writeFileSync(join(dir, 'dist', 'cli', 'loom.bundle.json'), JSON.stringify({ inputs: ['dist/cli/entry.js', 'dist/cli/gone.js'] }));
  assert.equal(run('show').out, 'modules show\n');
  rmSync(join(dir, 'dist', 'cli', 'loom.bundle.json'));
  r = run('show');
  assert.equal(r.out, 'modules show\n');
  assert.equal(r.status, 0);
});

test('a code cache is used only for the bundle it was recorded for, only for plain commands; one V8 refuses still runs', (t) => {
  const { dir, run, bundle } = tree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = join(dir, 'dist', 'cli');
  // Recorded through the launcher's own compileBundle, as cli/bundle.ts does.
  const rec = spawnSync(process.execPath, ['-e', `const l = require(${JSON.stringify(join(dir, 'bin', 'loom.js'))}); const fs = require('node:fs'); const c = l.compileBundle(); fs.writeFileSync(l.cacheFile, c.script.createCachedData()); fs.writeFileSync(l.cacheMeta, JSON.stringify(l.cacheKey(fs.statSync(l.bundle))));`], { encoding: 'utf8' });
  assert.equal(rec.status, 0, rec.stderr);
  let r = run('ls-list');
  assert.deepEqual([r.out, r.status], ['bundle ls-list\n', 3]);
  assert.match(r.err, /loom launch: bundle \(code cache\)/);
  for (const argv of [['nbdb', '--db', 'x'], ['--wait=sb', 'ls-add', 'a'], ['--detach']]) {
    r = run(...argv);
    assert.equal(r.out, `bundle ${argv.join(' ')}\n`);
    assert.match(r.err, /loom launch: bundle\n/, `${argv.join(' ')}: required, not from the cache`);
  }
  // Garbage of the right key: V8 refuses it, the bundle is compiled from source and runs.
  writeFileSync(join(cli, 'loom.bundle.cache'), Buffer.alloc(64, 7));
  r = run('show');
  assert.equal(r.out, 'bundle show\n');
  assert.match(r.err, /code cache rejected by V8/);
  // A rebuilt bundle (other size and mtime): the old cache is not even offered.
  bundle('REBUILT');
  r = run('show');
  assert.equal(r.out, 'REBUILT show\n');
  assert.match(r.err, /loom launch: bundle\n/);
});

test('the built launcher runs `loom nbdb` (a run-time import from the bundle) and stops it by SIGTERM', { skip: !existsSync(join(root, 'dist', 'cli', 'loom.bundle.cjs')) && 'no bundle built' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-launch-db-'));
  const child = spawn(process.execPath, [join(root, 'bin', 'loom.js'), 'nbdb', '--db', join(dir, 'nb.db'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const listening = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening on http:/.test(out)) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    void exited.then(() => resolve(false));
  });
  assert.ok(listening, `nbdb did not start: ${out} ${err}`);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.equal(err, '', 'nothing on stderr (no warnings)');
});

/** A tree with the real bin/loom and a stand-in bin/loom.js that reports what it was given. */
function shTree(): { dir: string; sh(argv: string[], env?: NodeJS.ProcessEnv, via?: string): { out: string; err: string; status: number | null } } {
  const dir = mkdtempSync(join(tmpdir(), 'loom-sh-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(root, 'bin', 'loom'), join(dir, 'bin', 'loom'));
  copyFileSync(join(root, 'bin', 'package.json'), join(dir, 'bin', 'package.json'));
  writeFileSync(
    join(dir, 'bin', 'loom.js'),
    "process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), exec: process.execArgv, ca: process.env.NODE_EXTRA_CA_CERTS ?? null })); process.exitCode = 4;\n",
  );
  const sh = (argv: string[], env: NodeJS.ProcessEnv = {}, via = join(dir, 'bin', 'loom')) => {
    const base: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: '/dev/null' };
    delete base['LOOM_NB'];
    delete base['LOOM_SB'];
    delete base['LOOM_NB_DAEMON'];
    const r = spawnSync('sh', [via, ...argv], { encoding: 'utf8', env: { ...base, ...env }, timeout: 20_000 });
    return { out: r.stdout, err: r.stderr, status: r.status };
  };
  return { dir, sh };
}

test('bin/loom: argv reaches node byte for byte, with its exit status, also through an npm-style symlink', (t) => {
  const { dir, sh } = shTree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const argv = ['--db=http://127.0.0.1:1', 'acl-add', 'pg1', 'to-lport', '1002', "outport == @pg1 && ip4.src == $pg1_ip4 'q' \"d\"", '', 'a\nb', '*', '-- x'];
  const r = sh(argv);
  assert.equal(r.status, 4);
  assert.deepEqual(JSON.parse(r.out).argv, argv);
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync('../../bin/loom', join(dir, 'node_modules', '.bin', 'loom'));
  const l = sh(['ls-list'], {}, join(dir, 'node_modules', '.bin', 'loom'));
  assert.deepEqual(JSON.parse(l.out).argv, ['ls-list']);
  // Node flags: none for a command; a larger young generation for the long-lived ones, and
  // the idle collection after a bulk compile (northd/idle-gc.ts) for northd.
  assert.deepEqual(JSON.parse(l.out).exec, []);
  const flags: [string[], string[]][] = [
    [['nbdb', '--db', 'x.db'], ['--max-semi-space-size=32']],
    [['sbdb', '--db', 'y.db'], ['--max-semi-space-size=32']],
    [['northd', '--nb', 'x', '--sb', 'y'], ['--expose-gc']],
    [['--detach'], ['--max-semi-space-size=32']],
  ];
  for (const [argv, exec] of flags) {
    const d = JSON.parse(sh(argv).out) as { argv: string[]; exec: string[] };
    assert.deepEqual([d.argv, d.exec], [argv, exec]);
  }
});

test('bin/loom: NODE_EXTRA_CA_CERTS is dropped unless an https URL is in argv, LOOM_NB or LOOM_SB', (t) => {
  const { dir, sh } = shTree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ca = (argv: string[], env: NodeJS.ProcessEnv = {}) => JSON.parse(sh(argv, env).out).ca as string | null;
  assert.equal(ca(['--db=http://127.0.0.1:6641', 'show']), null);
  assert.equal(ca(['nbdb', '--db', 'x.db']), null);
  assert.equal(ca(['--db=https://nb.example:6641', 'show']), '/dev/null');
  assert.equal(ca(['show'], { LOOM_NB: 'https://nb.example:6641' }), '/dev/null');
  assert.equal(ca(['sb', 'show'], { LOOM_SB: 'https://sb.example:6642' }), '/dev/null');
});

test('bin/loom: with LOOM_NB_DAEMON, commands go to the resident client (stream and status from its answer); daemons, help and --detach do not', { skip: spawnSync('sh', ['-c', 'command -v nc']).status !== 0 && 'no nc' }, async (t) => {
  const { dir, sh } = shTree();
  const socket = join(dir, 'd.ctl');
  const got: string[] = [];
  const server = createServer({ allowHalfOpen: true }, (c) => {
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      got.push(body);
      c.end(body.startsWith('fail\0') ? '3 2\nloom: boom\n' : '0 1\nok: ' + JSON.stringify(body.split('\0')) + '\n');
    });
  });
  await new Promise<void>((r) => server.listen(socket, r));
  t.after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { LOOM_NB_DAEMON: socket };
  // spawnSync would block the event loop the stand-in daemon runs on: use the async form.
  const run = (argv: string[]) =>
    new Promise<{ out: string; err: string; status: number | null }>((resolve) => {
      const base = { ...process.env, ...env };
      const c = spawn('sh', [join(dir, 'bin', 'loom'), ...argv], { env: base });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (err += d.toString()));
      c.once('close', (status) => resolve({ out, err, status }));
    });
  const a = await run(['lsp-add', 'sw0', 'p 1', '']);
  assert.equal(a.status, 0);
  assert.equal(a.out, 'ok: ' + JSON.stringify(['lsp-add', 'sw0', 'p 1', '', '']) + '\n');
  const b = await run(['fail']);
  assert.deepEqual([b.status, b.out, b.err], [3, '', 'loom: boom\n']);
  for (const argv of [['nbdb', '--db', 'x'], ['--help'], ['--detach']]) {
    const r = await run(argv);
    assert.equal(r.status, 4, `${argv.join(' ')} runs node`);
    assert.deepEqual(JSON.parse(r.out).argv, argv);
  }
  assert.equal(got.length, 2);
  const gone = sh(['ls-list'], { LOOM_NB_DAEMON: join(dir, 'nothing.ctl') });
  assert.equal(gone.status, 1);
  assert.match(gone.err, /cannot reach the loom daemon/);
});
