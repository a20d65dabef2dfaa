// datapath/js/process.ts — `DatapathProcess`: a Datapath in a child process (host.ts).
//
// Owns: spawning the host (optionally pinned with taskset), request/response over IPC
//   with a time bound per call, packet-in events, and cleaning up after the child (its
//   EAL runtime dir) however it ended.
// Reads: host.ts. Called by: datapath tests, bench/datapath, anything that needs to
//   restart a datapath (EAL cannot be restarted inside one process).
// Never: leaves a child running after stop()/kill() resolve; waits unboundedly.

import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LoomError, type LoomErrorData } from '../../store/types.js';
import type { DatapathOptions, DatapathStats, PacketIn, PacketOutMetadata, PacketOutTarget, PortInfo, PortSpec, TraceResult } from './datapath.js';

export interface SpawnOptions extends DatapathOptions {
  /** Pin the whole host process (EAL threads included) to these CPUs: taskset -c. */
  readonly taskset?: string;
  /** Per-call time limit, ms. Default 30000. */
  readonly callTimeoutMs?: number;
  /** Receives the child's stderr lines (EAL logs); default: kept in `log`. */
  readonly onLog?: (line: string) => void;
}

interface Pending { resolve: (v: unknown) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }

export class DatapathProcess extends EventEmitter<{ packet_in: [PacketIn]; exit: [number | null] }> {
  readonly log: string[] = [];
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly #timeout: number;
  readonly #prefix: string;
  readonly exited: Promise<number | null>;
  #next = 1;
  #alive = true;

  private constructor(child: ChildProcess, timeout: number, prefix: string) {
    super();
    this.#child = child;
    this.#timeout = timeout;
    this.#prefix = prefix;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.#alive = false;
        for (const p of this.#pending.values()) {
          clearTimeout(p.timer);
          p.reject(new LoomError({ code: 'unavailable', message: `datapath process exited (${code}) before answering` }));
        }
        this.#pending.clear();
        rmSync(`/var/run/dpdk/${prefix}`, { recursive: true, force: true });
        this.emit('exit', code);
        resolve(code);
      });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }
  get filePrefix(): string {
    return this.#prefix;
  }

  /** Starts a host and waits (bounded) until its Datapath runs. */
  static async spawn(opts: SpawnOptions = {}): Promise<DatapathProcess> {
    const prefix = opts.filePrefix ?? `loom-dp-${process.pid}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
    const { taskset, callTimeoutMs, onLog, ...dpOpts } = opts;
    // From sources (tsx) run host.ts through tsx; from dist/ run the compiled host.js.
    const fromTs = import.meta.url.endsWith('.ts');
    const host = fileURLToPath(new URL(fromTs ? './host.ts' : './host.js', import.meta.url));
    const root = fileURLToPath(new URL(fromTs ? '../..' : '../../..', import.meta.url));
    const nodeArgs = [...(fromTs ? ['--import', 'tsx'] : []), host, JSON.stringify({ ...dpOpts, filePrefix: prefix })];
    const [cmd, args] = taskset ? ['taskset', ['-c', taskset, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    const dp = new DatapathProcess(child, callTimeoutMs ?? 30000, prefix);
    let tail = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      const lines = (tail + s).split('\n');
      tail = lines.pop() ?? '';
      for (const l of lines) {
        if (onLog) onLog(l);
        else if (dp.log.length < 2000) dp.log.push(l);
      }
    });
    child.on('message', (m: unknown) => dp.#onMessage(m));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new LoomError({ code: 'timed-out', message: `datapath process did not start in 30 s: ${dp.log.slice(-5).join(' | ')}` }));
      }, 30000);
      const onMsg = (m: unknown): void => {
        const ev = (m as { event?: unknown }).event;
        if (ev === 'ready') {
          clearTimeout(timer);
          child.off('message', onMsg);
          resolve();
        } else if (ev === 'failed') {
          clearTimeout(timer);
          child.off('message', onMsg);
          const err = (m as { error: LoomErrorData }).error;
          reject(new LoomError({ ...err, message: `${err.message} [${dp.log.slice(-5).join(' | ')}]` }));
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new LoomError({ code: 'unavailable', message: `datapath process exited (${code}) while starting: ${dp.log.slice(-5).join(' | ')}` }));
      });
    });
    return dp;
  }

  #onMessage(m: unknown): void {
    if (typeof m !== 'object' || m === null) return;
    const msg = m as { id?: number; result?: unknown; error?: LoomErrorData; event?: string; packet?: PacketIn };
    if (msg.event === 'packet_in' && msg.packet) {
      this.emit('packet_in', { ...msg.packet, data: Buffer.from(msg.packet.data) });
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    clearTimeout(p.timer);
    // A driver that refuses a port says why only in its log (EAL's stderr): carry the tail.
    if (msg.error) p.reject(new LoomError(msg.error.hint === 'datapath: port_probe' ? { ...msg.error, message: `${msg.error.message} [${this.log.slice(-3).join(' | ')}]` } : msg.error));
    else p.resolve(msg.result);
  }

  #call(method: string, ...args: unknown[]): Promise<unknown> {
    if (!this.#alive) return Promise.reject(new LoomError({ code: 'unavailable', message: 'datapath process is not running' }));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new LoomError({ code: 'timed-out', message: `${method} took longer than ${this.#timeout} ms` }));
      }, this.#timeout);
      this.#pending.set(id, { resolve, reject, timer });
      this.#child.send({ id, method, args });
    });
  }

  addPort(spec: PortSpec): Promise<PortInfo> {
    return this.#call('addPort', spec) as Promise<PortInfo>;
  }
  removePort(name: string): Promise<void> {
    return this.#call('removePort', name).then(() => undefined);
  }
  ports(): Promise<readonly PortInfo[]> {
    return this.#call('ports') as Promise<PortInfo[]>;
  }
  applyBatch(ops: unknown): Promise<{ readonly entries: number }> {
    return this.#call('applyBatch', ops) as Promise<{ entries: number }>;
  }
  stats(): Promise<DatapathStats> {
    return this.#call('stats') as Promise<DatapathStats>;
  }
  packetOut(target: PacketOutTarget, data: Uint8Array): Promise<boolean> {
    return this.#call('packetOut', target, data) as Promise<boolean>;
  }

  trace(target: { readonly inPort: number; readonly table?: number; readonly metadata?: PacketOutMetadata }, data: Uint8Array): Promise<TraceResult> {
    return this.#call('trace', target, data) as Promise<TraceResult>;
  }

  /** Asks the datapath to stop (ports removed, sockets closed); SIGKILL after `graceMs`. */
  async stop(graceMs = 10000): Promise<void> {
    if (!this.#alive) return;
    this.#call('stop').catch(() => undefined);
    const t = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** Kills the process without a goodbye (a crash, as a peer sees it). */
  async kill(): Promise<void> {
    if (!this.#alive) return;
    this.#child.kill('SIGKILL');
    await this.exited;
  }
}
