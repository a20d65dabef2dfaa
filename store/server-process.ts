// store/server-process.ts — a database server as a separate OS process, for tests and bench.
//
// Owns: the tiny runner protocol (`node --import tsx nbdb/serve.ts --db F --listen H:P`
// prints one JSON line `{"url":..., "pid":...}` once it listens) and spawning/killing such a
// child, so durability and resume tests kill a real process with SIGKILL.
// Reads: nbdb/serve.ts, sbdb/serve.ts (the runners), their stdout.
// Called by: test/store-*.test.ts, bench/store/run.ts; `serveMain` by the runners.
// Must never: kill anything but the child it spawned (by its pid), or wait unboundedly.
// Invariants: spawnDbServer resolves only once the child listens, or rejects with its stderr;
// kill() resolves once the child has exited.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LoomError } from './types.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface DbProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Sends the signal and resolves with the exit code/signal once the child is gone. */
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `loom nbdb`/`loom sbdb` equivalents as a child process and waits until it listens. */
export function spawnDbServer(kind: 'nbdb' | 'sbdb', db: string, listen = '127.0.0.1:0', timeoutMs = 20_000, extra: { nodeArgs?: readonly string[]; stderrTo?: (line: string) => void } = {}): Promise<DbProcess> {
  // the young generation `loom nbdb`/`loom sbdb` get from bin/loom, so a bench of separate
  // processes measures what users run (≈20% less CPU for a full compile's SB commit)
  const child = spawn(process.execPath, ['--max-semi-space-size=32', ...(extra.nodeArgs ?? []), '--import', 'tsx', `${kind}/serve.ts`, '--db', db, '--listen', listen], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-4000);
    extra.stderrTo?.(d);
  });
  return new Promise<DbProcess>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited (${code ?? signal}) before listening: ${stderr}`));
    });
    let listening = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      // node's own tracing (--trace-gc) also writes to stdout: only the runner's JSON line counts
      if (listening) return extra.stderrTo?.(d);
      out += d;
      let nl: number;
      let line: { url: string; pid: number } | undefined;
      while (line === undefined && (nl = out.indexOf('\n')) >= 0) {
        const text = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (text.startsWith('{"url"')) line = JSON.parse(text) as { url: string; pid: number };
        else extra.stderrTo?.(`${text}\n`);
      }
      if (line === undefined) return;
      listening = true;
      clearTimeout(timer);
      resolve({
        url: line.url,
        pid: line.pid,
        child,
        kill: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    });
  });
}

/** The body of nbdb/serve.ts and sbdb/serve.ts: parse --db/--listen, start, print the URL line. */
export async function serveMain(start: (o: { db: string; listen: string; handleSignals: boolean; log: (l: string) => void }) => Promise<{ url: string }>): Promise<void> {
  const { values } = parseArgs({ options: { db: { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:0' } } });
  if (values.db === undefined) throw new LoomError({ code: 'bad-request', message: '--db FILE is required', hint: 'serve.ts --db FILE --listen HOST:PORT' });
  const svc = await start({ db: values.db, listen: values.listen ?? '127.0.0.1:0', handleSignals: true, log: (l) => process.stderr.write(`${l}\n`) });
  const profileTo = process.env['LOOM_DB_CPU_PROFILE'];
  if (profileTo !== undefined && profileTo !== '') profileOnSignal(profileTo);
  process.stdout.write(`${JSON.stringify({ url: svc.url, pid: process.pid })}\n`);
}

/**
 * Bench aid: SIGUSR2 starts a CPU profile of this process, the next SIGUSR2 writes it to
 * `file` (.cpuprofile, for a phase of a bench: --cpu-prof covers the whole life and is not
 * written when a signal ends the process).
 */
function profileOnSignal(file: string): void {
  const session = new inspector.Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.start'));
      return;
    }
    running = false;
    session.post('Profiler.stop', (err, r) => {
      if (err === null) writeFileSync(file, JSON.stringify(r.profile));
    });
  });
}
