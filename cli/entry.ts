// cli/entry.ts — the `loom` command (cli/main.ts loads this, or its one-file bundle).
//
// Owns: dispatch: daemons (nbdb, sbdb, northd, up), `loom sb ...` (southbound), and
// everything else as ovn-nbctl-style northbound commands; printing results and errors
// (`loom: MESSAGE` + hint on stderr, exit 1; with --json the error object on stdout).
// Reads: argv and env (LOOM_NB, LOOM_SB, LOOM_NB_DAEMON: hand the command to the resident
// client that `loom --detach` started, cli/daemon.ts).
// Called by: cli/main.ts (bin/loom.js runs its compiled form; `node --import tsx cli/main.ts`
// in development).
// Must never: import a daemon module before it is asked for (dynamic import through load(),
// by URL so the bundler leaves it out of the CLI bundle), so a northbound command starts
// fast; swallow an error.
// Invariants: exit status 0 on success, 1 on any command or database error, 2 on a daemon
// usage error.

import { LoomError } from '../store/types.js';
import { parseArgs } from './args.js';
import type { CommandSpec } from './command.js';
import { commandHelp, daemonHelp, daemons, mainHelp } from './help.js';
import { nbCommands } from './nbctl.js';
import { sbCommands } from './sbctl.js';
import { runInvocation } from './run.js';
import { HttpStore } from './http-store.js';
import { sendToDaemon, startCtlDaemon, type CtlIo } from './daemon.js';
import { appctlMain, defaultNorthdSocket, startNorthdControl, type NorthdHandle, type NorthdSlot } from './appctl.js';
// Exported for cli/bundle.ts only: run before the bundle's code cache is recorded.
export { warmUp } from './warm-up.js';
import type { DatabaseSchema, Store } from '../store/types.js';

/** Imports a module of this repository by path relative to this file, at run time only. */
async function load<T>(rel: string): Promise<T> {
  return (await import(new URL(rel, import.meta.url).href)) as T;
}
type NbdbModule = typeof import('../nbdb/index.js');
type SbdbModule = typeof import('../sbdb/index.js');
type ClientModule = typeof import('../store/client.js');

const DEFAULT_NB = 'http://127.0.0.1:6641';
const DEFAULT_SB = 'http://127.0.0.1:6642';

const processIo: CtlIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

function printError(e: unknown, json: boolean, io: CtlIo = processIo): void {
  const err =
    e instanceof LoomError
      ? e
      : new LoomError({ code: 'internal', message: e instanceof Error ? e.message : String(e), hint: 'this is a bug in loom; please report it with the command line' });
  if (json) {
    io.out(JSON.stringify({ error: err.toJSON() }) + '\n');
    return;
  }
  let text = `loom: ${err.message}\n`;
  if (err.hint !== undefined) text += `hint: ${err.hint}\n`;
  io.err(text);
}

function connectError(url: string, e: unknown): LoomError {
  if (e instanceof LoomError && e.code !== 'unavailable') return e;
  const m = e instanceof Error ? /: (\w+)$/.exec(e.message) : null;
  return new LoomError({
    code: 'unavailable',
    message: `${url}: cannot reach the database (${m?.[1] ?? (e instanceof Error ? e.message : String(e))})`,
    value: url,
    hint: 'start it with `loom up` (or `loom nbdb` / `loom sbdb`), or point --db / LOOM_NB / LOOM_SB at it',
  });
}

/**
 * ovn-nbctl style: `loom [OPTIONS] CMD ARGS [-- ...]` against the NB (or SB) store.
 * `schemas`: database schemas already fetched, by URL (the resident daemon's cache).
 */
export async function ctl(
  argv: readonly string[],
  table: readonly CommandSpec[],
  defaultDb: string,
  prefix: string,
  io: CtlIo = processIo,
  schemas?: Map<string, DatabaseSchema>,
): Promise<number> {
  const json = argv.includes('--json') || argv.includes('--format=json');
  try {
    const inv = parseArgs(argv, table);
    if (inv.help) {
      io.out(inv.helpFor !== undefined ? commandHelp(inv.helpFor, prefix) : mainHelp(nbCommands, sbCommands));
      return 0;
    }
    if (inv.commands.length === 0) {
      throw new LoomError({ code: 'bad-request', message: 'missing command name (use --help for help)', hint: `example: ${prefix}show` });
    }
    const url = inv.global.db ?? defaultDb;
    const timeoutMs = inv.global.timeout > 0 ? inv.global.timeout * 1000 : 600_000;
    let store;
    try {
      store = await HttpStore.connect(url, timeoutMs, schemas?.get(url));
    } catch (e) {
      throw connectError(url, e);
    }
    schemas?.set(url, store.schema);
    try {
      const watchStore = async () => (await load<ClientModule>('../store/client.js')).RemoteStore.connect(url, { requestTimeoutMs: timeoutMs });
      const r = await runInvocation(store, inv, { watchStore });
      io.out(r.output);
    } finally {
      await store.close();
    }
    return 0;
  } catch (e) {
    printError(e, json, io);
    return 1;
  }
}

/** Whether argv is a command the resident daemon runs (not a daemon, help or --detach). */
export function forwardable(argv: readonly string[]): boolean {
  const first = argv[0];
  if (first === undefined || ['--help', '-h', 'help', '--version', '-V'].includes(first)) return false;
  return !daemons.some((d) => d.name === first) && !argv.includes('--detach');
}

/**
 * `loom --detach [--db=URL] [--pidfile[=FILE]] [--log-file[=FILE]]`: starts the resident
 * client in the background and prints its socket, as `ovn-nbctl --detach` (its --pidfile
 * and --log-file too, so `export OVN_NB_DAEMON=$(ovn-nbctl --pidfile --detach)` carries over).
 */
async function detach(argv: readonly string[]): Promise<number> {
  try {
    const { tmpdir } = await import('node:os');
    const { join, resolve } = await import('node:path');
    const run = process.env['XDG_RUNTIME_DIR'] ?? tmpdir();
    let pidfile = '';
    let logFile: string | undefined;
    // Optional values (--pidfile alone means the default file): not daemonArgs' `--opt VALUE`.
    const rest = argv.filter((a) => {
      const m = /^--(pidfile|log-file)(?:=(.*))?$/.exec(a);
      if (m === null) return true;
      if (m[1] === 'pidfile') pidfile = resolve(m[2] ?? join(run, 'loom-nbctl.pid'));
      else logFile = resolve(m[2] ?? join(run, 'loom-nbctl.log'));
      return false;
    });
    const a = daemonArgs('--detach', rest, ['db'], ['detach']);
    const nb = a.values.get('db') ?? process.env['LOOM_NB'] ?? DEFAULT_NB;
    const sb = process.env['LOOM_SB'] ?? DEFAULT_SB;
    const { spawn } = await import('node:child_process');
    const { openSync, closeSync } = await import('node:fs');
    const script = process.argv[1];
    if (script === undefined) throw new LoomError({ code: 'internal', message: 'cannot tell which script runs loom (no argv[1])' });
    const log = logFile === undefined ? 'ignore' : openSync(logFile, 'a');
    const child = spawn(process.execPath, [...process.execArgv, script, CHILD, nb, sb, pidfile], { detached: true, stdio: ['ignore', 'pipe', log] });
    if (typeof log === 'number') closeSync(log);
    const out = child.stdout;
    if (out === null) throw new LoomError({ code: 'internal', message: 'no pipe from the detached child' });
    const line = await new Promise<string>((resolve) => {
      let buf = '';
      out.on('data', (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      child.once('exit', (code) => resolve(`error the daemon exited (${String(code)}) before listening`));
    });
    out.destroy();
    child.unref();
    if (!line.startsWith('ready ')) throw new LoomError({ code: 'unavailable', message: `--detach: ${line.replace(/^error /, '')}` });
    process.stdout.write(line.slice('ready '.length) + '\n');
    return 0;
  } catch (e) {
    printError(e, false);
    return e instanceof LoomError && e.code === 'bad-request' ? 2 : 1;
  }
}

const CHILD = '__loom-ctl-daemon';

/** The detached child: serve forwarded commands until SIGTERM/SIGINT; `pidfile` ('' = none) holds its pid meanwhile. */
async function ctlDaemon(nb: string, sb: string, pidfile: string): Promise<number> {
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { writeFileSync, rmSync } = await import('node:fs');
  const socket = join(process.env['XDG_RUNTIME_DIR'] ?? tmpdir(), `loom-nbctl.${process.pid}.ctl`);
  let d;
  try {
    d = await startCtlDaemon(socket, (argv, io, schemas) => {
      if (!forwardable(argv)) {
        io.err(`loom: the loom daemon runs northbound and southbound commands only, not '${argv.join(' ')}'\nhint: unset LOOM_NB_DAEMON to run it directly\n`);
        return Promise.resolve(1);
      }
      return argv[0] === 'sb' ? ctl(argv.slice(1), sbCommands, sb, 'loom sb ', io, schemas) : ctl(argv, nbCommands, nb, 'loom ', io, schemas);
    });
  } catch (e) {
    process.stdout.write(`error cannot listen on ${socket}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const closers: Closer[] = [d];
  if (pidfile !== '') {
    try {
      writeFileSync(pidfile, `${process.pid}\n`);
    } catch (e) {
      await d.close();
      process.stdout.write(`error cannot write ${pidfile}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
    // untilSignal closes in reverse: the pid file goes first, then the socket.
    closers.push({ close: async () => rmSync(pidfile, { force: true }) });
  }
  const stopped = untilSignal(closers);
  process.stderr.write(`loom --detach: serving ${nb} (southbound ${sb}) on ${socket}, pid ${process.pid}\n`);
  process.stdout.write(`ready ${socket}\n`);
  return await stopped;
}

/** LOOM_NB_DAEMON set: hand argv to the resident client and print its answer. */
async function forward(socket: string, argv: readonly string[]): Promise<number> {
  try {
    const a = await sendToDaemon(socket, argv);
    (a.stream === 2 ? process.stderr : process.stdout).write(a.text);
    return a.status;
  } catch (e) {
    printError(e, false);
    return 1;
  }
}

interface DaemonArgs {
  readonly values: Map<string, string>;
  readonly flags: Set<string>;
}

function daemonArgs(name: string, argv: readonly string[], withValue: readonly string[], flags: readonly string[]): DaemonArgs {
  const values = new Map<string, string>();
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m === null) throw new LoomError({ code: 'bad-request', message: `${name}: unexpected argument '${a}'`, hint: `see loom ${name} --help` });
    const key = m[1] as string;
    if (withValue.includes(key)) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw new LoomError({ code: 'bad-request', message: `${name}: option '--${key}' requires an argument`, hint: `see loom ${name} --help` });
      values.set(key, v);
    } else if (flags.includes(key)) set.add(key);
    else throw new LoomError({ code: 'bad-request', message: `${name}: unrecognized option '--${key}'`, hint: `see loom ${name} --help` });
  }
  return { values, flags: set };
}

function need(name: string, a: DaemonArgs, key: string): string {
  const v = a.values.get(key);
  if (v === undefined) throw new LoomError({ code: 'bad-request', message: `${name}: --${key} is required`, hint: `see loom ${name} --help` });
  return v;
}

type Closer = { close(): Promise<void> };

interface NorthdModule {
  startNorthd?: (o: { nb: string | Store; sb: string | Store; recompute?: boolean; sbTxnLimit?: number; paused?: boolean }) => Promise<Closer & NorthdHandle>;
}
type LockRunnerModule = typeof import('../store/lock-runner.js');

/** The SB lock a `loom northd` holds while it is the active one (ovn-northd: ovn_northd). */
const NORTHD_LOCK = 'loom_northd';

async function loadNorthd(): Promise<NonNullable<NorthdModule['startNorthd']>> {
  let mod: NorthdModule;
  try {
    mod = await load<NorthdModule>('../northd/index.js');
  } catch {
    mod = {};
  }
  if (typeof mod.startNorthd !== 'function') {
    throw new LoomError({ code: 'unavailable', message: 'northd is not available yet in this build (northd/index.ts does not export startNorthd)', hint: 'rebuild after northd lands: npm run build' });
  }
  return mod.startNorthd;
}

function untilSignal(closers: readonly Closer[]): Promise<number> {
  return new Promise((resolve) => {
    let closing = false;
    const stop = () => {
      if (closing) return;
      closing = true;
      void (async () => {
        for (const c of [...closers].reverse()) {
          try {
            await c.close();
          } catch (e) {
            process.stderr.write(`loom: while closing: ${e instanceof Error ? e.message : String(e)}\n`);
          }
        }
        resolve(0);
      })();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}

async function daemon(name: string, argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(daemonHelp(daemons.find((d) => d.name === name) as (typeof daemons)[number]));
    return 0;
  }
  try {
    switch (name) {
      case 'nbdb':
      case 'sbdb': {
        const a = daemonArgs(name, argv, ['db', 'listen'], []);
        const db = need(name, a, 'db');
        const listen = a.values.get('listen') ?? (name === 'nbdb' ? '127.0.0.1:6641' : '127.0.0.1:6642');
        const svc =
          name === 'nbdb'
            ? await (await load<NbdbModule>('../nbdb/index.js')).startNbdb({ db, listen, handleSignals: false })
            : await (await load<SbdbModule>('../sbdb/index.js')).startSbdb({ db, listen, handleSignals: false });
        // handlers first: whoever reads "listening" may signal at once
        const stopped = untilSignal([svc]);
        process.stdout.write(`loom ${name}: ${db} listening on ${svc.url}\n`);
        return await stopped;
      }
      case 'appctl':
        return await appctlMain(argv);
      case 'northd': {
        const a = daemonArgs(name, argv, ['nb', 'sb', 'lock', 'unixctl'], ['recompute', 'no-lock', 'paused']);
        const startNorthd = await loadNorthd();
        const nb = a.values.get('nb') ?? process.env['LOOM_NB'] ?? DEFAULT_NB;
        const sb = a.values.get('sb') ?? process.env['LOOM_SB'] ?? DEFAULT_SB;
        const recompute = a.flags.has('recompute');
        const what = `${nb} into ${sb}${recompute ? ' (full recompute)' : ''}`;
        // the control socket (loom appctl) reaches whichever northd runs now; a pause while
        // none runs (standby) is what the next one starts with
        const slot: NorthdSlot = { current: undefined, paused: a.flags.has('paused'), idleState: 'standby', exit: () => process.kill(process.pid, 'SIGTERM') };
        const start = async (o: { nb: string | Store; sb: string | Store; recompute: boolean }): Promise<Closer> => {
          const n = await startNorthd({ ...o, paused: slot.paused });
          slot.current = n;
          return { close: async () => { if (slot.current === n) slot.current = undefined; await n.close(); } };
        };
        const explicit = a.values.get('unixctl');
        const socket = explicit ?? defaultNorthdSocket();
        const control = await startNorthdControl(socket, slot);
        process.stdout.write(`loom northd: control socket ${socket}${slot.paused ? ' (paused: loom appctl -t northd resume)' : ''}\n`);
        if (a.flags.has('no-lock')) {
          let n: Closer;
          try {
            n = await start({ nb, sb, recompute });
          } catch (e) {
            await control.close();
            throw e;
          }
          const stopped = untilSignal([control, n]);
          process.stdout.write(`loom northd: compiling ${what}\n`);
          return await stopped;
        }
        // Active/standby as ovn-northd: only the holder of the SB lock compiles, and every
        // SB transaction it sends asserts the lock (a northd that lost it writes nothing).
        const lock = a.values.get('lock') ?? NORTHD_LOCK;
        const { RemoteStore } = await load<ClientModule>('../store/client.js');
        const { runWhileLocked } = await load<LockRunnerModule>('../store/lock-runner.js');
        const sbStore = await RemoteStore.connect(sb);
        let runner: Awaited<ReturnType<typeof runWhileLocked>> | undefined;
        // handlers first: whoever reads "active"/"standby" may signal at once
        const stopped = untilSignal([control, { close: async () => { await runner?.close(); await sbStore.close(); } }]);
        try {
          runner = await runWhileLocked(sbStore, lock, (fenced) => start({ nb, sb: fenced, recompute }), {
            onState: (state, why) => process.stdout.write(state === 'active' ? `loom northd: active (${why}): compiling ${what}\n` : `loom northd: standby (${why})\n`),
            onError: (e) => process.stderr.write(`loom northd: ${e instanceof Error ? e.message : String(e)}\n`),
          });
        } catch (e) {
          await sbStore.close();
          await control.close();
          throw e;
        }
        return await stopped;
      }
      case 'up':
        return await up(argv);
    }
    throw new LoomError({ code: 'internal', message: `unknown daemon ${name}` });
  } catch (e) {
    printError(e, false);
    return e instanceof LoomError && e.code === 'bad-request' ? 2 : 1;
  }
}

async function up(argv: readonly string[]): Promise<number> {
  const a = daemonArgs('up', argv, ['state-dir', 'nb-listen', 'sb-listen'], ['recompute']);
  const { mkdirSync } = await import('node:fs');
  const { join, resolve } = await import('node:path');
  const dir = resolve(a.values.get('state-dir') ?? './loom-state');
  mkdirSync(dir, { recursive: true });
  const closers: Closer[] = [];
  try {
    const nb = await (await load<NbdbModule>('../nbdb/index.js')).startNbdb({ db: join(dir, 'nb.db'), listen: a.values.get('nb-listen') ?? '127.0.0.1:6641', handleSignals: false });
    closers.push(nb);
    const sb = await (await load<SbdbModule>('../sbdb/index.js')).startSbdb({ db: join(dir, 'sb.db'), listen: a.values.get('sb-listen') ?? '127.0.0.1:6642', handleSignals: false });
    closers.push(sb);
    // A fresh northbound database gets its NB_Global row, as `ovn-nbctl init` would.
    const { RemoteStore } = await load<ClientModule>('../store/client.js');
    const store = await RemoteStore.connect(nb.url);
    try {
      await runInvocation(store, parseArgs(['init'], nbCommands));
    } finally {
      await store.close();
    }
    let northd = 'northd: not available in this build';
    try {
      const start = await loadNorthd();
      // northd in the same process uses the two stores directly, not its own HTTP/WS
      // servers: no JSON encoding of 55k SB rows to parse again on the same thread
      const n = await start({ nb: nb.store, sb: sb.store, recompute: a.flags.has('recompute') });
      closers.push(n);
      const socket = join(dir, 'northd.ctl');
      closers.push(await startNorthdControl(socket, { current: n, paused: false, idleState: 'active', exit: () => process.kill(process.pid, 'SIGTERM') }));
      northd = `northd: running (control: loom appctl -t ${socket} status)`;
    } catch (e) {
      if (!(e instanceof LoomError && e.code === 'unavailable')) throw e;
    }
    const stopped = untilSignal(closers);
    process.stdout.write(
      `loom up: state in ${dir}\n` +
        `  nbdb: ${nb.url}\n  sbdb: ${sb.url}\n  ${northd}\n\n` +
        `use it:\n  export LOOM_NB=${nb.url} LOOM_SB=${sb.url}\n  loom ls-add sw0 -- lsp-add sw0 vm1 -- lsp-set-addresses vm1 "0a:00:00:00:00:01 10.0.0.11"\n  loom show\n  loom sb lflow-list sw0\n` +
        `stop with SIGTERM (Ctrl-C)\n`,
    );
    return await stopped;
  } catch (e) {
    for (const c of closers.reverse()) await c.close().catch(() => undefined);
    throw e;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(mainHelp(nbCommands, sbCommands));
    return 0;
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write('loom 0.1.0\n');
    return 0;
  }
  if (first === CHILD) return ctlDaemon(argv[1] ?? DEFAULT_NB, argv[2] ?? DEFAULT_SB, argv[3] ?? '');
  if (argv.includes('--detach')) return detach(argv);
  const fwd = process.env['LOOM_NB_DAEMON'];
  if (fwd !== undefined && fwd !== '' && forwardable(argv)) return forward(fwd, argv);
  if (daemons.some((d) => d.name === first)) return daemon(first, argv.slice(1));
  if (first === 'sb') return ctl(argv.slice(1), sbCommands, process.env['LOOM_SB'] ?? DEFAULT_SB, 'loom sb ');
  return ctl(argv, nbCommands, process.env['LOOM_NB'] ?? DEFAULT_NB, 'loom ');
}
