// bench/northd/northd-process.ts — `loom northd` as users run it, for the services bench:
// the built CLI (bin/loom, no tsx loader) in its own process, its batches read from
// stderr (LOOM_NORTHD_TRACE=1) and its memory from /proc (VmRSS, VmHWM).
//
// Its control socket (cli/appctl.ts) pauses and resumes it and answers memory/show.
// Owns: making sure dist/ holds the current northd and store code (tsc when a source is
// newer than its output), spawning the process, killing it by its pid.
// Never: kills anything but the child it spawned; waits without a bound.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A .ts under these folders newer than its dist/*.js: the process would run old code. */
function staleOutputs(): string[] {
  const out: string[] = [];
  for (const dir of ['northd', 'store', 'expr', 'cli', 'schemas', 'nbdb', 'sbdb']) {
    for (const f of readdirSync(join(root, dir))) {
      if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
      const js = join(root, 'dist', dir, f.replace(/\.ts$/, '.js'));
      let jsTime = 0;
      try {
        jsTime = statSync(js).mtimeMs;
      } catch {
        // not built at all
      }
      if (statSync(join(root, dir, f)).mtimeMs > jsTime) out.push(`${dir}/${f}`);
    }
  }
  return out;
}

/** Builds dist/ when a source is newer (tsc emits even when another file has type errors). */
export function ensureBuilt(log: (l: string) => void): void {
  const stale = staleOutputs();
  if (stale.length === 0) return;
  log(`bench: dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` (+${stale.length - 3})` : ''}: npm run build`);
  try {
    execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  } catch (e) {
    log(`bench: build reported errors (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); using what it emitted`);
  }
  const still = staleOutputs();
  if (still.length > 0) throw new Error(`dist/ still older than ${still.join(', ')}`);
}

export interface NorthdProcess {
  readonly pid: number;
  /** northd's batches so far (ms of each, newest last) */
  readonly batches: { ms: number; sbOps: number; lflows: number; nbCfg: number }[];
  /** VmRSS and VmHWM (peak) of the process, MB */
  memory(): { rss: number; peak: number };
  /** Settles when the process has exited, however it ended (a bad option, a crash, kill()). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
}

/**
 * `bin/loom northd` with its control socket at `unixctl`; node runs with --expose-gc (through
 * NODE_OPTIONS) so that its memory/show reports RSS after a full collection.
 */
export function spawnNorthd(nbUrl: string, sbUrl: string, unixctl: string): NorthdProcess {
  const child: ChildProcess = spawn(join(root, 'bin', 'loom'), ['northd', '--nb', nbUrl, '--sb', sbUrl, '--unixctl', unixctl], {
    env: { ...process.env, LOOM_NORTHD_TRACE: '1', NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --expose-gc`.trim() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const batches: NorthdProcess['batches'] = [];
  let buf = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /batch nb_changes=\d+ sb_ops=(\d+) ms=([\d.]+) lflows=(\d+) nb_cfg=(-?\d+)/.exec(line);
      if (m !== null) batches.push({ sbOps: Number(m[1]), ms: Number(m[2]), lflows: Number(m[3]), nbCfg: Number(m[4]) });
      if (process.env['BENCH_DEBUG']) process.stderr.write(`[northd] ${line}\n`);
      else if (line.trim() !== '') process.stderr.write(`[northd] ${line}\n`);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start bin/loom northd');
  return {
    pid,
    batches,
    exited,
    memory: () => {
      // bin/loom is sh exec'ing node: the pid is node's
      const st = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)?.[1] ?? NaN);
      return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
