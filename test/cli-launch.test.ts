// test/cli-launch.test.ts — bin/loom.js runs the one-file bundle only while it is fresh, its
// V8 code cache only when it was made for exactly that bundle, and falls back to the
// compiled modules otherwise. Runs the real launcher in a throwaway tree with stand-in
// bundle and modules (so it never depends on, or disturbs, this checkout's dist/); and the
// real launcher and bundle, when built, start a daemon (its modules are imported at run time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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
