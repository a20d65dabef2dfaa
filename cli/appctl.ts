// cli/appctl.ts — northd's control socket and `loom appctl`, as ovn-northd's unixctl socket
// and `ovn-appctl -t ovn-northd COMMAND`.
//
// Owns: the commands a running northd answers (pause, resume, is-paused, status,
// inc-engine/recompute (alias recompute), inc-engine/show-stats, memory/show, exit, list-commands),
// their output text, where a northd's socket lives by default, and the client that finds it.
// Wire format: cli/daemon.ts (argv words each ended by NUL; answer "STATUS FD\nTEXT"), so
// one request at a time, in arrival order.
// Reads: the northd of this process through NorthdSlot (absent while a `loom northd` stands
// by for the SB lock: status says standby; pause/resume still set what it starts with).
// Called by: cli/entry.ts (`loom northd`, `loom up`: the server; `loom appctl`: the client).
// Must never: import northd's code (types only: the CLI bundle stays small); block the
// event loop (memory/show's forced collection runs only when node has --expose-gc).
// Invariants: a socket is created with umask 077 and removed when the server closes; an
// unknown command answers status 2 with the list of commands, changing nothing.

import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoomError } from '../store/types.js';
import type { Northd } from '../northd/index.js';
import { sendToDaemon, startCtlDaemon, type CtlDaemon } from './daemon.js';

/** What the server needs of northd. */
export type NorthdHandle = Pick<Northd, 'pause' | 'resume' | 'isPaused' | 'recompute' | 'stats'>;

/**
 * The northd of this process, which may come and go (active/standby): pause/resume
 * while none runs set `paused`, which the next one starts with.
 */
export interface NorthdSlot {
  current: NorthdHandle | undefined;
  paused: boolean;
  /** what to say when none runs (e.g. "standby") */
  idleState: string;
  /** `exit`: stop this process as SIGTERM would (after the answer is sent); absent: refused */
  exit?: () => void;
}

/** Where `loom northd` puts its socket by default: $LOOM_RUNDIR (else the temp dir)/loom-northd.PID.ctl. */
export function runDir(): string {
  return process.env['LOOM_RUNDIR'] ?? tmpdir();
}

export function defaultNorthdSocket(pid = process.pid): string {
  return join(runDir(), `loom-northd.${pid}.ctl`);
}

const COMMANDS: readonly (readonly [string, string])[] = [
  ['pause', 'stop writing to SB and NB; NB changes are watched and held'],
  ['resume', 'compile everything held in one batch and carry on'],
  ['is-paused', 'true or false'],
  ['status', 'Status: active | paused | standby'],
  ['inc-engine/recompute', 'recompute every unit in the next batch (SB gets only what differs); alias: recompute'],
  ['inc-engine/show-stats', 'batches, SB transactions, the last batch'],
  ['memory/show', 'RSS, peak RSS, V8 heap (after a full collection when node runs with --expose-gc)'],
  ['exit', 'stop the process (as SIGTERM: the lock and the socket are given up)'],
  ['list-commands', 'this list'],
];

const mb = (n: number): string => (n / 1048576).toFixed(1);

/** VmHWM of this process (MB text), or '?' off Linux. */
function peakRss(): string {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? '?' : (Number(m[1]) / 1024).toFixed(1);
  } catch {
    return '?';
  }
}

/** memory/show: key:value words as OVS daemons print them, plus northd's own counts. */
export function memoryShow(stats?: ReturnType<Northd['stats']>): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  const words = [`rss_mb:${mb(m.rss)}`, `peak_rss_mb:${peakRss()}`, `heap_used_mb:${mb(m.heapUsed)}`, `heap_total_mb:${mb(m.heapTotal)}`, `external_mb:${mb(m.external)}`, `after_gc:${gc !== undefined}`];
  if (stats !== undefined) words.push(`lflows:${stats.logicalFlows}`, `held_nb_changes:${stats.heldChanges}`);
  return words.join(' ') + '\n';
}

/** One command's answer: exit status and text (status 0: stdout; else stderr). */
export async function runNorthdCommand(slot: NorthdSlot, argv: readonly string[]): Promise<{ status: number; text: string }> {
  const [cmd, ...rest] = argv;
  const n = slot.current;
  if (rest.length > 0) return { status: 2, text: `"${cmd}" takes no arguments\n` };
  switch (cmd) {
    case 'pause':
      slot.paused = true;
      await n?.pause();
      return { status: 0, text: '' };
    case 'resume':
      slot.paused = false;
      n?.resume();
      return { status: 0, text: '' };
    case 'is-paused':
      return { status: 0, text: `${slot.paused}\n` };
    case 'status':
      return { status: 0, text: `Status: ${slot.paused ? 'paused' : n === undefined ? slot.idleState : 'active'}\n` };
    case 'recompute':
    case 'inc-engine/recompute':
      if (n === undefined) return { status: 1, text: `northd is not running here (${slot.idleState}): nothing to recompute\n` };
      n.recompute();
      return { status: 0, text: '' };
    case 'inc-engine/show-stats': {
      if (n === undefined) return { status: 0, text: `northd: ${slot.idleState}\n` };
      const s = n.stats();
      const b = s.lastBatch;
      let text = `batches:${s.batches} sb_transactions:${s.sbTransactions} nb_revision:${s.nbRevision} lflows:${s.logicalFlows} held_nb_changes:${s.heldChanges}\n`;
      if (b !== null) text += `last_batch: nb_changes:${b.nbChanges} sb_ops:${b.sbOps} ms:${b.ms.toFixed(1)} units:${b.units} recomputed:${b.recomputed.join(',') || '-'}\n`;
      // the scratch runs of the incremental path after bulk batches (northd/warm-up.ts)
      if (s.warmUps.runs > 0) text += `warm_ups: runs:${s.warmUps.runs} last_ms:${(s.warmUps.lastMs ?? 0).toFixed(1)}\n`;
      return { status: 0, text };
    }
    case 'exit': {
      const exit = slot.exit;
      if (exit === undefined) return { status: 1, text: 'exit is not offered here\n' };
      // after this answer has gone out
      setTimeout(exit, 50);
      return { status: 0, text: '' };
    }
    case 'memory/show':
      return { status: 0, text: memoryShow(n?.stats()) };
    case 'list-commands':
    case 'help':
      return { status: 0, text: `The available commands are:\n${COMMANDS.map(([c, d]) => `  ${c.padEnd(24)}${d}\n`).join('')}` };
    default:
      return { status: 2, text: `"${cmd ?? ''}" is not a valid command (use list-commands to see a list of valid commands)\n` };
  }
}

/**
 * Listens on `socket` for appctl requests to this process's northd. A socket file that no
 * process answers on (left by one that was killed) is replaced; a live one is an error.
 */
export async function startNorthdControl(socket: string, slot: NorthdSlot): Promise<CtlDaemon> {
  // default-named sockets of processes that are gone (killed before they could remove theirs)
  for (const s of defaultSockets()) {
    if (s.alive) continue;
    try {
      unlinkSync(s.path);
    } catch {
      // another northd swept it first
    }
  }
  if (existsSync(socket)) {
    if (await answers(socket)) throw new LoomError({ code: 'unavailable', message: `${socket}: another process is serving this control socket`, value: socket, hint: 'give this northd its own with --unixctl PATH' });
    unlinkSync(socket);
  }
  return startCtlDaemon(socket, async (argv, io) => {
    const r = await runNorthdCommand(slot, argv);
    (r.status === 0 ? io.out : io.err)(r.text);
    return r.status;
  });
}

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(socket);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** The default-named sockets in the run directory whose process is alive (pid in the name). */
function defaultSockets(): { path: string; alive: boolean }[] {
  let names: string[] = [];
  try {
    names = readdirSync(runDir()).filter((f) => /^loom-northd\.\d+\.ctl$/.test(f));
  } catch {
    // no run directory: nothing runs
  }
  return names.map((f) => {
    let alive = true;
    try {
      process.kill(Number(f.split('.')[1]), 0);
    } catch (e) {
      alive = (e as { code?: string }).code !== 'ESRCH';
    }
    return { path: join(runDir(), f), alive };
  });
}

/** `-t northd` (or none): the one live loom-northd.*.ctl in the run directory. */
async function findNorthdSocket(): Promise<string> {
  const dir = runDir();
  const live: string[] = [];
  for (const s of defaultSockets()) if (s.alive && (await answers(s.path))) live.push(s.path);
  if (live.length === 1) return live[0] as string;
  if (live.length === 0) {
    throw new LoomError({ code: 'unavailable', message: `no running loom northd has a control socket in ${dir}`, value: dir,
      hint: 'start one with `loom northd`, or name its socket: loom appctl -t PATH COMMAND (loom up: STATE_DIR/northd.ctl)' });
  }
  throw new LoomError({ code: 'bad-request', message: `${live.length} loom northd processes serve control sockets in ${dir}: ${live.join(', ')}`, hint: 'pick one: loom appctl -t PATH COMMAND' });
}

/** `loom appctl [-t TARGET | --target=TARGET] COMMAND`: prints the answer; exit status is northd's. */
export async function appctlMain(argv: readonly string[]): Promise<number> {
  let target = 'northd';
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-t' || a === '--target') {
      const v = argv[++i];
      if (v === undefined) throw new LoomError({ code: 'bad-request', message: `appctl: ${a} requires a target (northd, or a socket path)`, hint: 'see loom appctl --help' });
      target = v;
    } else if (a.startsWith('--target=')) target = a.slice('--target='.length);
    else words.push(a);
  }
  if (words.length === 0) throw new LoomError({ code: 'bad-request', message: 'appctl: missing command', hint: 'e.g. loom appctl -t northd status; loom appctl list-commands' });
  const socket = target === 'northd' || target === 'loom-northd' || target === 'ovn-northd' ? await findNorthdSocket() : target;
  let a;
  try {
    a = await sendToDaemon(socket, words);
  } catch (e) {
    throw new LoomError({ code: 'unavailable', message: `cannot reach northd's control socket ${socket}${e instanceof LoomError ? `: ${e.message.replace(/^.*: /, '')}` : ''}`, value: socket, hint: 'is loom northd (or loom up) running? its socket: --unixctl, default $LOOM_RUNDIR/loom-northd.PID.ctl' });
  }
  (a.stream === 2 ? process.stderr : process.stdout).write(a.text);
  return a.status;
}
