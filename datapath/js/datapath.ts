// datapath/js/datapath.ts — `Datapath`: the TypeScript face of the native DPDK datapath.
//
// Owns: loading loom_datapath.node, turning options into EAL arguments, validating ports
//   and batches before they reach C++, mapping addon errors onto LoomError, delivering
//   packet-ins as events.
// Reads: datapath/build/loom_datapath.node (built by datapath/build.sh).
// Called by: the controller (in-process), datapath/js/host.ts (a child process for tests
//   and bench), tests.
// Never: sees packets on the fast path (only packet-in/out, which are the slow path);
//   starts EAL twice in one process (the addon refuses; start a new process instead).
// Invariants: every method after stop() throws 'unavailable'; one Datapath per process.

import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LoomError, type ErrorCode } from '../../store/types.js';
import { normalizeBatch } from './batch.js';

export type PortType = 'vhost-user' | 'vhost-user-client' | 'af_packet' | 'tap';
export const PORT_TYPES: readonly PortType[] = ['vhost-user', 'vhost-user-client', 'af_packet', 'tap'];

export interface PortSpec {
  readonly name: string;
  readonly type: PortType;
  /** vhost-user socket path (server: loom creates it; client: loom connects and reconnects). */
  readonly path?: string;
  /** Host interface for af_packet and tap. */
  readonly iface?: string;
}

export interface PortInfo {
  readonly id: number;
  readonly name: string;
  readonly type: PortType;
  readonly path: string;
  readonly device: string;
}

export interface PortStats extends PortInfo {
  /** vhost-user: a peer is connected with its rings ready; af_packet/tap: the interface is up. */
  readonly linkUp: boolean;
  readonly rx: number;
  readonly tx: number;
  readonly txDropped: number;
  readonly pmd: { readonly ipackets: number; readonly opackets: number; readonly imissed: number; readonly ierrors: number; readonly oerrors: number };
}
export interface WorkerStats {
  readonly lcore: number;
  readonly busyCycles: number;
  readonly idleCycles: number;
  readonly sleeps: number;
  readonly polls: number;
  readonly bursts: number;
}
export interface EntryStats {
  readonly table: number;
  readonly priority: number;
  readonly cookie: number;
  readonly packets: number;
  readonly bytes: number;
}
export interface DatapathStats {
  readonly pipeline: string;
  readonly ports: readonly PortStats[];
  readonly workers: readonly WorkerStats[];
  readonly drops: { readonly [reason: string]: number };
  readonly entries: readonly EntryStats[];
  readonly packetInDropped: number;
  readonly packetOutDropped: number;
  readonly tscHz: number;
  /** Connection tracking (core pipeline); null when the pipeline has none. */
  readonly conntrack: ConntrackStats | null;
}
export interface ConntrackStats {
  readonly conns: number;
  readonly created: number;
  readonly expired: number;
  readonly tableFull: number;
  readonly natExhausted: number;
  readonly invalid: number;
}

/** Conntrack timeouts (seconds) that can be overridden; OVS's names and defaults. */
export const CT_TIMEOUT_NAMES = [
  'tcp_syn_sent', 'tcp_syn_recv', 'tcp_established', 'tcp_fin_wait', 'tcp_time_wait', 'tcp_closed',
  'udp_first', 'udp_single', 'udp_multiple', 'icmp_first', 'icmp_reply', 'other',
] as const;
export type CtTimeoutName = (typeof CT_TIMEOUT_NAMES)[number];

export interface PacketIn {
  readonly inPort: number;
  readonly table: number;
  readonly reason: number;
  readonly cookie: number;
  /** Length on the wire; `data` holds at most the first 2048 bytes. */
  readonly origLen: number;
  readonly data: Buffer;
}

export interface DatapathOptions {
  /** Unique per process (EAL runtime dir /var/run/dpdk/<prefix>). Default loom-<pid>. */
  readonly filePrefix?: string;
  /** Hugepage memory in MB (EAL -m). Default 256. */
  readonly memoryMb?: number;
  /** Forwarding workers (lcores). Default 1. */
  readonly workers?: number;
  /** CPU for each worker; omitted: workers float over every CPU (a 2-core machine stays usable). */
  readonly workerCpus?: readonly number[];
  /** CPU of the main lcore (the JS thread); omitted: floats over every CPU. */
  readonly mainCpu?: number;
  readonly hugeDir?: string;
  /** Cap of the adaptive idle sleep, µs. Default 200. */
  readonly idleSleepCapUs?: number;
  /** Empty polls that spin before the first sleep. Default 16. */
  readonly idleSpinPolls?: number;
  readonly mbufs?: number;
  /** Packet-in queue length; when full, packet-ins are dropped and counted. Default 1024. */
  readonly packetInQueue?: number;
  /** EAL log level, default 'notice'. */
  readonly logLevel?: string;
  readonly extraEal?: readonly string[];
  /** Conntrack timeout overrides in seconds (core pipeline). */
  readonly ctTimeouts?: { readonly [K in CtTimeoutName]?: number };
  /** Period of the control thread's conntrack expiry sweep, ms. Default 100. */
  readonly ctExpireMs?: number;
}

/** Logical metadata a packet-out carries into the pipeline (OVN's logical datapath and ports). */
export interface PacketOutMetadata {
  readonly metadata?: number;
  readonly inport?: number;
  readonly outport?: number;
  readonly flags?: number;
}
export type PacketOutTarget =
  | { readonly port: number }
  | { readonly table: number; readonly inPort: number; readonly metadata?: PacketOutMetadata };

export interface TraceResult {
  readonly lookups: readonly { readonly table: number; readonly priority?: number; readonly cookie?: number; readonly miss?: true }[];
  readonly steps: readonly { readonly step: string; readonly a: number; readonly b: number }[];
  readonly outputs: readonly { readonly port: number; readonly data: Buffer }[];
  readonly packetIns: readonly { readonly reason: number; readonly table: number; readonly cookie: number }[];
  readonly drops: readonly string[];
}

// The addon's surface (datapath/addon/addon.cc), checked loosely at load.
interface Addon {
  start(o: {
    eal: string[]; workers: number; idleSleepCapUs: number; idleSpinPolls: number; mbufs: number; packetInQueue: number;
    ctExpireMs: number; ctTimeouts: Record<string, number>;
  }, onPacketIn: () => void): void;
  addPort(name: string, type: string, path: string): unknown;
  removePort(name: string): void;
  ports(): unknown;
  applyBatch(ops: unknown): unknown;
  stats(): unknown;
  packetOut(port: number, startTable: number, data: Buffer, meta?: PacketOutMetadata): boolean;
  trace(inPort: number, table: number, data: Buffer, meta?: PacketOutMetadata): unknown;
  drainPacketIns(): unknown;
  stop(): void;
}

// LOOM_DATAPATH_ADDON names another build of the addon (A/B comparisons of native builds
// in bench/datapath); otherwise the one datapath/build.sh writes.
function addonPath(): string {
  const override = process.env.LOOM_DATAPATH_ADDON;
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) throw new LoomError({ code: 'unavailable', message: `LOOM_DATAPATH_ADDON=${override} does not exist` });
    return override;
  }
  const here = fileURLToPath(import.meta.url);
  const candidates = [
    new URL('../build/loom_datapath.node', import.meta.url),
    new URL('../../../datapath/build/loom_datapath.node', import.meta.url), // from dist/
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new LoomError({ code: 'unavailable', message: `native datapath not built (looked for ${candidates.join(', ')} from ${here})`, hint: 'run datapath/build.sh (or setup/install.sh)' });
  }
  return found;
}

let addon: Addon | undefined;
function loadAddon(): Addon {
  if (!addon) {
    const req = createRequire(import.meta.url);
    const m: unknown = req(addonPath());
    if (typeof m !== 'object' || m === null || typeof (m as { start?: unknown }).start !== 'function') {
      throw new LoomError({ code: 'internal', message: 'loom_datapath.node does not export start()' });
    }
    addon = m as Addon;
  }
  return addon;
}

// C++ codes -> the store's ErrorCode set; the specific code goes in the hint.
const CODE_MAP: Readonly<Record<string, ErrorCode>> = {
  overlap: 'constraint-violation', duplicate: 'duplicate', duplicate_cookie: 'duplicate', duplicate_port: 'duplicate',
  not_found: 'not-found', no_such_entry: 'not-found', no_such_port: 'not-found', bad_field: 'invalid-value',
  bad_mask: 'invalid-value', bad_value: 'invalid-value', bad_table: 'invalid-value', bad_group: 'invalid-value',
  not_writable: 'invalid-value', bad_action: 'invalid-value', unsupported: 'invalid-value', bad_op: 'bad-request',
  bad_argument: 'bad-request', bad_path: 'invalid-value', bad_port_type: 'invalid-value', bad_option: 'invalid-value',
  too_long: 'too-large',
};

/** Converts an error thrown by the addon into a LoomError (anything else is rethrown as is). */
export function fromAddonError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const x = e as Error & { code?: unknown; index?: unknown; field?: unknown; value?: unknown; where?: unknown };
  if (typeof x.code !== 'string') return e;
  const code = CODE_MAP[x.code] ?? 'unavailable';
  const op = typeof x.index === 'number' ? x.index : undefined;
  return new LoomError({
    code, message: x.message, hint: `datapath: ${x.code}`,
    ...(op === undefined ? {} : { op, path: `/ops/${op}` }),
    ...(typeof x.field === 'string' ? { column: x.field } : {}),
    ...(x.value === undefined ? {} : { value: x.value }),
  });
}

function call<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromAddonError(e);
  }
}

export function ealArgs(o: DatapathOptions): string[] {
  const n = Math.max(1, cpus().length);
  const all = n === 1 ? '0' : `0-${n - 1}`;
  const workers = o.workers ?? 1;
  const lcores = [o.mainCpu === undefined ? `0@(${all})` : `0@${o.mainCpu}`];
  for (let i = 1; i <= workers; i++) {
    const c = o.workerCpus?.[i - 1];
    lcores.push(c === undefined ? `${i}@(${all})` : `${i}@${c}`);
  }
  return [
    '--no-pci', '--in-memory', '--file-prefix', o.filePrefix ?? `loom-${process.pid}`,
    '-m', String(o.memoryMb ?? 256), '--no-telemetry', '--lcores', lcores.join(','),
    '--log-level', o.logLevel ?? 'notice',
    ...(o.hugeDir ? ['--huge-dir', o.hugeDir] : []),
    ...(o.extraEal ?? []),
  ];
}

const PORT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

export class Datapath extends EventEmitter<{ packet_in: [PacketIn]; error: [unknown] }> {
  #stopped = false;
  readonly #addon: Addon;

  private constructor(a: Addon) {
    super();
    this.#addon = a;
  }

  /** Starts EAL and the forwarding workers in this process (once per process). */
  static start(opts: DatapathOptions = {}): Datapath {
    const a = loadAddon();
    const workers = opts.workers ?? 1;
    // The core has 8 executor slots; one is kept for trace().
    if (!Number.isInteger(workers) || workers < 1 || workers > 7) {
      throw new LoomError({ code: 'invalid-value', message: 'workers must be 1..7', column: 'workers', value: workers });
    }
    const ctTimeouts: Record<string, number> = {};
    for (const [k, v] of Object.entries(opts.ctTimeouts ?? {})) {
      if (!(CT_TIMEOUT_NAMES as readonly string[]).includes(k)) {
        throw new LoomError({ code: 'invalid-value', message: `unknown conntrack timeout '${k}'`, column: 'ctTimeouts', value: k, hint: CT_TIMEOUT_NAMES.join(', ') });
      }
      if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) {
        throw new LoomError({ code: 'invalid-value', message: `conntrack timeout ${k} must be a whole number of seconds >= 1`, column: 'ctTimeouts', value: v });
      }
      ctTimeouts[k] = v;
    }
    const ctExpireMs = opts.ctExpireMs ?? 100;
    if (!Number.isInteger(ctExpireMs) || ctExpireMs < 1 || ctExpireMs > 60000) {
      throw new LoomError({ code: 'invalid-value', message: 'ctExpireMs must be 1..60000', column: 'ctExpireMs', value: ctExpireMs });
    }
    const dp = new Datapath(a);
    call(() => a.start({
      eal: ealArgs(opts), workers, idleSleepCapUs: opts.idleSleepCapUs ?? 200, idleSpinPolls: opts.idleSpinPolls ?? 16,
      mbufs: opts.mbufs ?? 16383, packetInQueue: opts.packetInQueue ?? 1024, ctExpireMs, ctTimeouts,
    }, () => dp.#drain()));
    return dp;
  }

  #live(): Addon {
    if (this.#stopped) throw new LoomError({ code: 'unavailable', message: 'the datapath is stopped' });
    return this.#addon;
  }

  addPort(spec: PortSpec): PortInfo {
    const bad = (message: string, column: string, value: unknown): never => {
      throw new LoomError({ code: 'invalid-value', message, column, value });
    };
    if (typeof spec.name !== 'string' || !PORT_NAME.test(spec.name)) bad('port name: 1-64 of [A-Za-z0-9_.:-]', 'name', spec.name);
    if (!PORT_TYPES.includes(spec.type)) bad(`port type must be one of ${PORT_TYPES.join(', ')}`, 'type', spec.type);
    const vhost = spec.type === 'vhost-user' || spec.type === 'vhost-user-client';
    const where = vhost ? spec.path : spec.iface;
    if (typeof where !== 'string' || where === '' || where.includes(',')) {
      bad(vhost ? 'vhost-user ports need a socket path (no commas)' : `${spec.type} ports need a host interface name (iface)`, vhost ? 'path' : 'iface', where);
    }
    const a = this.#live();
    return call(() => a.addPort(spec.name, spec.type, where as string)) as PortInfo;
  }

  removePort(name: string): void {
    const a = this.#live();
    call(() => a.removePort(name));
  }

  ports(): readonly PortInfo[] {
    return this.#live().ports() as PortInfo[];
  }

  /** Applies table/group operations all or nothing; returns the number of installed entries. */
  applyBatch(ops: unknown): { readonly entries: number } {
    const wire = normalizeBatch(ops);
    const a = this.#live();
    return call(() => a.applyBatch(wire)) as { entries: number };
  }

  stats(): DatapathStats {
    return this.#live().stats() as DatapathStats;
  }

  /** Sends bytes out of a port, or through the pipeline from `table` as if received on `inPort`. */
  packetOut(target: PacketOutTarget, data: Uint8Array): boolean {
    const a = this.#live();
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length < 14 || buf.length > 9216) throw new LoomError({ code: 'invalid-value', message: 'packet-out needs 14..9216 bytes', value: buf.length });
    if ('port' in target) return call(() => a.packetOut(target.port, -1, buf));
    const md = target.metadata ?? {};
    for (const [k, v] of Object.entries(md)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new LoomError({ code: 'invalid-value', message: `packet-out metadata.${k} must be a 32-bit unsigned integer`, column: k, value: v });
      }
    }
    return call(() => a.packetOut(target.inPort, target.table, buf, md));
  }

  /**
   * Runs `data` through the installed tables from `table` as if received on `inPort`,
   * on the calling thread, transmitting nothing: every lookup (table, hit priority/cookie
   * or miss), every step (ct, output, group, encap, ...), outputs, packet-ins and drops.
   * Like OVS's ofproto/trace, ct actions act on the real connection table.
   */
  trace(target: { readonly inPort: number; readonly table?: number; readonly metadata?: PacketOutMetadata }, data: Uint8Array): TraceResult {
    const a = this.#live();
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (buf.length < 14 || buf.length > 9216) throw new LoomError({ code: 'invalid-value', message: 'trace needs 14..9216 bytes', value: buf.length });
    return call(() => a.trace(target.inPort, target.table ?? 0, buf, target.metadata ?? {})) as TraceResult;
  }

  #drain(): void {
    if (this.#stopped) return;
    const list = this.#addon.drainPacketIns() as PacketIn[];
    for (const p of list) this.emit('packet_in', p);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#addon.stop();
  }
}
