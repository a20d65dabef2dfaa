// test/cli-launch.test.ts — bin/loom.js runs the one-file bundle only while it is fresh, its
// V8 code cache only when it was made for exactly that bundle, and falls back to the
// compiled modules otherwise. Runs the real launcher in a throwaway tree with stand-in
// bundle and modules (so it never depends on, or disturbs, this checkout's dist/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync, readFileSync } from 'node:fs';
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

test('a fresh bundle runs (its exit status kept); its code cache is written, then used', (t) => {
  const { dir, run } = tree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = run('ls-list');
  assert.equal(a.out, 'bundle ls-list\n');
  assert.equal(a.status, 3);
  assert.match(a.err, /bundle \(code cache absent\)/);
  const b = run('show');
  assert.equal(b.out, 'bundle show\n');
  assert.match(b.err, /bundle \(code cache used\)/);
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

test('a code cache made for another bundle, or corrupted, is never used; the right code runs', (t) => {
  const { dir, run, bundle } = tree();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  run('x');
  assert.match(run('x').err, /code cache used/);
  // A rebuilt bundle of the same length: V8 alone would not tell them apart.
  bundle('BUNDLE');
  const later = new Date(Date.now() + 1000);
  utimesSync(join(dir, 'dist', 'cli', 'loom.bundle.cjs'), later, later);
  const r = run('x');
  assert.equal(r.out, 'BUNDLE x\n');
  assert.match(r.err, /code cache absent/);
  // Right key, damaged payload: V8 rejects it, the bundle still runs, the cache is rewritten.
  const cacheFile = join(dir, 'dist', 'cli', 'loom.bundle.cache');
  const cache = readFileSync(cacheFile);
  const nl = cache.indexOf(10);
  writeFileSync(cacheFile, Buffer.concat([cache.subarray(0, nl + 1), Buffer.alloc(cache.length - nl - 1, 7)]));
  const c = run('y');
  assert.equal(c.out, 'BUNDLE y\n');
  assert.match(c.err, /code cache rejected/);
  assert.match(run('z').err, /code cache used/);
});
