// test/fixtures.ts — set-ups the end-to-end tests share: a real nbdb service on an ephemeral
// port in a temporary directory with a RemoteStore on it, a resident client
// (`loom --detach`) started the way users start it, and a child-process runner that never
// throws (status, stdout, stderr). Everything made here is torn down by t.after, even when
// the test fails. Tests only.
import type { TestContext } from 'node:test';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNbdb } from '../nbdb/index.js';
import { RemoteStore } from '../store/client.js';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const CLI_MAIN = join(root, 'cli', 'main.ts');

export interface Out {
  readonly out: string;
  readonly err: string;
  readonly status: number;
}

/** Runs FILE ARGS in the repository root; resolves with its exit status (-1 if killed). */
export function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Out> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, env, timeout: 60_000 }, (e, out, err) => {
      const code = e === null ? 0 : (e as { code?: unknown }).code;
      resolve({ out, err, status: typeof code === 'number' ? code : e === null ? 0 : -1 });
    });
  });
}

export interface NbdbFixture {
  readonly dir: string;
  readonly url: string;
  readonly store: RemoteStore;
  /** The environment a CLI run against this nbdb gets: LOOM_NB set, no resident client. */
  readonly env: NodeJS.ProcessEnv;
}

/** An nbdb service with its own database file, a client on it, and a private XDG_RUNTIME_DIR. */
export async function nbdbFixture(t: TestContext, prefix: string): Promise<NbdbFixture> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const svc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
  const store = await RemoteStore.connect(svc.url);
  t.after(async () => {
    await store.close();
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: dir, LOOM_NB: svc.url };
  delete env['LOOM_NB_DAEMON'];
  return { dir, url: svc.url, store, env };
}

export interface ResidentClient {
  readonly socket: string;
  /** 0 once the test has ended it itself (see stopped()). */
  readonly pid: number;
  /** What `loom --detach` printed and its status, for tests that check them. */
  readonly started: Out;
  /** Tells the fixture the process is already gone, so teardown does not signal a reused PID. */
  stopped(): void;
}

/** `loom [EXTRA...] --detach` as users start it; SIGTERMed after the test unless stopped(). */
export async function residentClient(t: TestContext, env: NodeJS.ProcessEnv, extra: readonly string[] = []): Promise<ResidentClient> {
  const started = await run(process.execPath, ['--import', 'tsx', CLI_MAIN, ...extra, '--detach'], env);
  if (started.status !== 0) throw new Error(`loom --detach failed (${started.status}): ${started.err}`);
  const socket = started.out.trim();
  let pid = Number(/loom-nbctl\.(\d+)\.ctl$/.exec(socket)?.[1] ?? 0);
  if (!(pid > 0)) throw new Error(`loom --detach printed no socket path: ${JSON.stringify(started.out)}`);
  t.after(() => {
    if (pid <= 0) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  });
  return {
    socket,
    get pid() {
      return pid;
    },
    started,
    stopped() {
      pid = 0;
    },
  };
}

/** Bounds a wait: resolves as P does, or rejects once MS have passed. */
export async function within<T>(p: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}
