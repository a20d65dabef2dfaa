// test/datapath-peers.ts — real peers for the datapath tests and bench: dpdk-testpmd with
// virtio-user ports (what a VM's virtio driver speaks to vhost-user), and network
// namespaces with veth pairs (real kernel stacks on both ends).
//
// Owns: starting/stopping those peers with bounded waits and tracking everything created
//   so `cleanup()` removes it even after a failure.
// Called by: test/datapath-*.test.ts, bench/datapath.
// Never: kills anything it did not start (by PID only); touches interfaces/namespaces it
//   did not create.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { DatapathProcess, type SpawnOptions } from '../datapath/js/process.js';
import { LoomError } from '../store/types.js';

export function canRunDpdk(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (DPDK, namespaces)';
  let free = 0;
  try {
    free = Number(/HugePages_Free:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  } catch {
    return 'cannot read /proc/meminfo';
  }
  if (free < 256) return `needs >= 256 free 2 MiB hugepages (have ${free}); run setup/install.sh`;
  if (!existsSync('datapath/build/loom_datapath.node')) return 'native datapath not built (datapath/build.sh)';
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `f` every `stepMs` until it returns a value (not undefined), at most `timeoutMs`. */
export async function waitFor<T>(what: string, f: () => Promise<T | undefined> | T | undefined, timeoutMs = 10000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < Math.ceil(timeoutMs / stepMs) + 1; i++) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) break;
    await sleep(stepMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Spawns a datapath and attaches af_packet ports to the given host interfaces. The suite
 * runs two files at once, and DPDK's af_packet driver names its fanout group after
 * pid ^ ifindex, so another test's datapath can hold our group id on another interface
 * (the datapath says so: `datapath: fanout_conflict`). A new process has a new pid: up to
 * `attempts` processes are tried, and every one that is not returned is stopped.
 */
export async function spawnWithAfPacket(opts: SpawnOptions, ports: ReadonlyArray<{ name: string; iface: string }>, attempts = 5): Promise<{ dp: DatapathProcess; ids: number[] }> {
  for (let i = 1; ; i++) {
    const dp = await DatapathProcess.spawn(opts);
    try {
      const ids: number[] = [];
      for (const p of ports) ids.push((await dp.addPort({ name: p.name, type: 'af_packet', iface: p.iface })).id);
      return { dp, ids };
    } catch (e) {
      await dp.stop();
      if (!(e instanceof LoomError && e.hint === 'datapath: fanout_conflict') || i >= attempts) throw e;
    }
  }
}

export interface PortCounters { rx: number; tx: number }

/** An interactive dpdk-testpmd driven through stdin, its output parsed from stdout. */
export class Testpmd {
  out = '';
  readonly prefix: string;
  #child: ChildProcess;
  #exited: Promise<number | null>;

  private constructor(child: ChildProcess, prefix: string) {
    this.#child = child;
    this.prefix = prefix;
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.out += s;
      if (this.out.length > 4_000_000) this.out = this.out.slice(-1_000_000);
    });
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.out += s;
    });
    this.#exited = new Promise((r) => child.once('exit', (c) => r(c)));
  }

  /**
   * vdevs: e.g. ['net_virtio_user0,path=/tmp/x/sock0,queues=1']. cpu: taskset list for
   * the whole process; omitted: both lcores float over every CPU.
   */
  static async start(vdevs: readonly string[], opts: { cpu?: string; memMb?: number; fwd?: string; extra?: readonly string[] } = {}): Promise<Testpmd> {
    // Rarely (seen under heavy load, cause not found yet) testpmd stalls during start-up
    // after EAL's first lines; one bounded retry, and both outputs if it stalls twice.
    try {
      return await Testpmd.startOnce(vdevs, opts);
    } catch (first) {
      Testpmd.startFailures.push((first as Error).message);
      return await Testpmd.startOnce(vdevs, opts).catch((second: unknown) => {
        throw new Error(`testpmd did not start twice: 1) ${(first as Error).message} 2) ${(second as Error).message}`);
      });
    }
  }

  /** Messages of start-up attempts that stalled and were retried. */
  static readonly startFailures: string[] = [];

  private static async startOnce(vdevs: readonly string[], opts: { cpu?: string; memMb?: number; fwd?: string; extra?: readonly string[] }): Promise<Testpmd> {
    const prefix = `loom-tp-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
    const cpus = opts.cpu ?? '0-1';
    const lc = opts.cpu && !opts.cpu.includes('-') && !opts.cpu.includes(',') ? `0@${opts.cpu},1@${opts.cpu}` : `0@(${cpus}),1@(${cpus})`;
    const args = [
      '-c', cpus, 'stdbuf', '-oL', 'dpdk-testpmd', '--lcores', lc, '--file-prefix', prefix, '--no-pci', '--in-memory',
      '--single-file-segments', '-m', String(opts.memMb ?? 256), '--no-telemetry',
      ...vdevs.flatMap((v) => ['--vdev', v]),
      '--', '-i', `--forward-mode=${opts.fwd ?? 'io'}`, '--total-num-mbufs=16384', ...(opts.extra ?? []),
    ];
    const child = spawn('taskset', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const tp = new Testpmd(child, prefix);
    try {
      await tp.waitOut(/testpmd> /, 30000);
    } catch (e) {
      await tp.quit();
      throw new Error(`${(e as Error).message}; testpmd said: ${tp.out.slice(-1500)}`);
    }
    return tp;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  async waitOut(re: RegExp, timeoutMs = 10000, from = 0): Promise<void> {
    await waitFor(`testpmd output ${re}`, () => (re.test(this.out.slice(from)) ? true : this.#child.exitCode !== null ? Promise.reject(new Error(`testpmd exited: ${this.out.slice(-800)}`)) : undefined), timeoutMs, 50);
  }

  /** Sends one command and waits for the next prompt. */
  async cmd(line: string, timeoutMs = 10000): Promise<string> {
    const from = this.out.length;
    this.#child.stdin?.write(`${line}\n`);
    await this.waitOut(/testpmd> /, timeoutMs, from);
    return this.out.slice(from);
  }

  /** RX/TX packet counters per port from `show port stats all`. */
  async portStats(): Promise<PortCounters[]> {
    const s = await this.cmd('show port stats all');
    const res: PortCounters[] = [];
    const re = /RX-packets:\s+(\d+)[\s\S]*?TX-packets:\s+(\d+)/g;
    for (let m = re.exec(s); m; m = re.exec(s)) res.push({ rx: Number(m[1]), tx: Number(m[2]) });
    return res;
  }

  async quit(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.stdin?.write('quit\n');
      const t = setTimeout(() => this.#child.kill('SIGKILL'), 10000);
      await this.#exited;
      clearTimeout(t);
    }
    rmSync(`/var/run/dpdk/${this.prefix}`, { recursive: true, force: true });
  }
}

function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Network namespaces and veth pairs, removed by cleanup(). */
export class Netns {
  readonly namespaces: string[] = [];
  readonly links: string[] = [];

  /** A namespace with veth `inner` (addr CIDR) whose host end `outer` stays in the root ns. */
  addHost(ns: string, outer: string, inner: string, addr: string, mac: string): void {
    sh('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    // The peer gets a unique name in the root namespace and its final name inside `ns`.
    const tmp = `${outer}p`;
    sh('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', tmp]);
    this.links.push(outer);
    sh('ip', ['link', 'set', tmp, 'netns', ns]);
    sh('ip', ['-n', ns, 'link', 'set', tmp, 'name', inner]);
    sh('ip', ['-n', ns, 'link', 'set', inner, 'address', mac]);
    sh('ip', ['-n', ns, 'addr', 'add', addr, 'dev', inner]);
    sh('ip', ['-n', ns, 'link', 'set', inner, 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    sh('ip', ['link', 'set', outer, 'up']);
    // af_packet hands the datapath frames as the kernel queued them: without these, TCP/UDP
    // leave with a partial checksum (CHECKSUM_PARTIAL) and as 64 KB GSO super-frames.
    sh('ip', ['netns', 'exec', ns, 'ethtool', '-K', inner, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
    sh('ethtool', ['-K', outer, 'gro', 'off', 'rx', 'off', 'tx', 'off', 'tso', 'off', 'gso', 'off']);
    // No IPv6 chatter (router solicitations, DAD) in counters.
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    sh('sysctl', ['-qw', `net.ipv6.conf.${outer}.disable_ipv6=1`]);
  }

  /** A veth pair with both ends in the root namespace, up, offloads off (a wire between two datapaths); `index` fixes x's ifindex. */
  addWire(x: string, y: string, index?: number): void {
    sh('ip', ['link', 'add', x, ...(index === undefined ? [] : ['index', String(index)]), 'type', 'veth', 'peer', 'name', y]);
    this.links.push(x);
    for (const l of [x, y]) {
      sh('ethtool', ['-K', l, 'gro', 'off', 'rx', 'off', 'tx', 'off', 'tso', 'off', 'gso', 'off']);
      sh('sysctl', ['-qw', `net.ipv6.conf.${l}.disable_ipv6=1`]);
      sh('ip', ['link', 'set', l, 'up']);
    }
  }

  exec(ns: string, cmd: string, args: readonly string[], timeoutMs = 20000): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  cleanup(): void {
    for (const l of this.links.splice(0)) {
      try { sh('ip', ['link', 'del', l]); } catch { /* already gone with its namespace */ }
    }
    for (const ns of this.namespaces.splice(0)) {
      try { sh('ip', ['netns', 'del', ns]); } catch { /* gone */ }
    }
  }
}
