// datapath/core/core.test.ts — builds the C++ datapath core and runs its own tests.
//
// Owns: the bridge from `npm test` to the core's native test suite: configures and
// builds datapath/core with cmake into datapath/build/core (incremental, -j2, ASan+UBSan),
// runs the gtest binary (any failure fails this test), then the libFuzzer target for a
// bounded time when clang and its fuzzer runtime are installed.
// Never: leaves processes behind (every child has a timeout and is waited for).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'datapath', 'core');
const build = join(root, 'datapath', 'build', 'core');

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function fuzzerRuntime(): boolean {
  const base = '/usr/lib/llvm-14/lib/clang';
  if (!existsSync(base)) return false;
  return readdirSync(base).some((v) => existsSync(join(base, v, 'lib', 'linux', 'libclang_rt.fuzzer-x86_64.a')));
}

function run(cmd: string, args: readonly string[], timeoutMs: number, env?: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    env: env ?? process.env,
  });
  if (r.error) throw r.error;
  return r;
}

function tail(s: string, n = 60): string {
  return s.split('\n').slice(-n).join('\n');
}

const useClang = have('clang++') && fuzzerRuntime();

test('datapath core: cmake build, gtest suite, bounded fuzzing', { timeout: 9 * 60_000 }, async (t) => {
  if (!have('cmake')) {
    t.skip('cmake is not installed (setup/install.sh installs it)');
    return;
  }
  mkdirSync(build, { recursive: true });

  await t.test('configure and build (incremental)', () => {
    if (!existsSync(join(build, 'CMakeCache.txt'))) {
      const env = { ...process.env, ...(useClang ? { CXX: 'clang++' } : {}) };
      const c = run('cmake', ['-S', src, '-B', build, '-DLOOM_SANITIZE=ON', `-DLOOM_FUZZ=${useClang ? 'ON' : 'OFF'}`], 120_000, env);
      assert.equal(c.status, 0, `cmake configure failed:\n${tail(c.stdout + c.stderr)}`);
    }
    const b = run('cmake', ['--build', build, '-j2'], 8 * 60_000);
    assert.equal(b.status, 0, `build failed:\n${tail(b.stdout + b.stderr)}`);
  });

  await t.test('gtest unit tests pass', () => {
    const bin = join(build, 'loomcore_test');
    assert.ok(existsSync(bin), 'loomcore_test was not built');
    const r = run(bin, ['--gtest_brief=1'], 5 * 60_000);
    const out = r.stdout + r.stderr;
    assert.equal(r.status, 0, `gtest failed:\n${tail(out, 120)}`);
    const m = /\[\s+PASSED\s+\]\s+(\d+) tests?/.exec(out);
    assert.ok(m && Number(m[1]) > 0, `no passing tests reported:\n${tail(out)}`);
  });

  await t.test('fuzzer runs clean for a bounded time', (tt) => {
    const bin = join(build, 'loomcore_fuzz');
    if (!useClang || !existsSync(bin)) {
      tt.skip('clang++ with the libFuzzer runtime is not installed');
      return;
    }
    const corpus = join(build, 'fuzz-corpus');
    mkdirSync(corpus, { recursive: true });
    // Well-formed seeds (every in_port branch of the fuzz pipeline) so the fuzzer starts deep.
    const seeds = run(join(build, 'loomcore_seeds'), [corpus], 30_000);
    assert.equal(seeds.status, 0, `seed writer failed:\n${seeds.stdout}${seeds.stderr}`);
    const r = run(bin, ['-max_total_time=20', '-rss_limit_mb=1024', '-timeout=10', corpus], 90_000);
    assert.equal(r.status, 0, `fuzzer found a problem:\n${tail(r.stdout + r.stderr, 80)}`);
    assert.match(r.stderr, /Done \d+ runs/);
  });
});
