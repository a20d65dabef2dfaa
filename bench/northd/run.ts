// bench/northd/run.ts — northd compile times on the reference topology, side by side with
// ovn-northd 23.03 (--ref runs /work/shared/bench/ref-ovn-northd.sh in the same run).
//
//   node --import tsx bench/northd/run.ts [--ports 1000,10000] [--ref] [--services | --both]
//
// Per size, in the reference's shape (ref-ovn-northd.sh pauses ovn-northd while NB loads):
// northd started on an empty NB, paused (`loom appctl pause`; it keeps watching), NB loaded,
// resumed, then `--wait=sb sync`:
//   full_compile_ms  resume → sb_cfg reported (compile of everything held + one SB
//                    transaction), in process with SqliteStore for NB and SB
//   full_with_startup_ms  the other shape, nothing hidden: a new northd started on the
//                    loaded NB and an empty SB → sb_cfg reported (start-up, first NB read,
//                    compile, SB transaction)
//   compile_only_ms  the pure compiler (compileFull) on the same NB, no store
//   port_add_ms      NB commit of one port → NB_Global.sb_cfg reported (ovn-nbctl --wait=sb)
//   acl_add_ms       the same for one ACL on a port group
//   port_add_next_ms, acl_add_next_ms  the median of the 5 port adds and 5 ACL adds that
//                    follow (the first of each, timed right after the compile as the
//                    reference does, also runs northd's incremental code for the first time)
//   northd_*_batch_ms  northd's own share: NB change in → SB transaction committed (full:
//                    the batches from resume to the one reporting sb_cfg)
//   lflows           northd's logical flows (checked equal to the compiler's);
//   full_cpu_ms      CPU used during full_compile_ms: loom:N in process (this whole process),
//                    sbdb:N,northd:N as services (each process, its helper threads included)
//   rss_mb           this process (NB+SB stores included)
//   rss_after_gc_mb  the same after a full collection (run node with --expose-gc, else NaN);
//   peak_rss_mb      the process's peak RSS (the first size run's peak stays for later ones)
// --services (--both: in process, then services): nbdb, sbdb and northd as separate processes,
// northd as users start it (bin/loom northd: the built CLI, no tsx loader; built first if
// dist/ is stale; paused and resumed through its control socket); rss_mb / peak_rss_mb are
// then northd's own process (/proc VmRSS, VmHWM), comparable to ovn-northd's RSS, and
// rss_after_gc_mb its memory/show (node --expose-gc through NODE_OPTIONS).
// As services the bench process is only the client (CMS and SB reader): it collects its own
// garbage before the timed increments (see measure()), as the reference's clients are fresh processes.
// Timings are wall clock on a shared 2-core machine: compare ratios within one run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateNbTxn } from '../../nbdb/validate.js';
import { compileFull } from '../../northd/compile.js';
import { startNorthd } from '../../northd/index.js';
import { NB_TABLES, emptySnapshot } from '../../northd/nb.js';
import { nbSchema, sbSchema } from '../../schemas/index.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Operation, Store } from '../../store/types.js';
import { RemoteStore } from '../../store/client.js';
import { spawnDbServer } from '../../store/server-process.js';
import { waitSbCfg } from './wait.js';
import { ensureBuilt, spawnNorthd, type NorthdProcess } from './northd-process.js';
import { sendToDaemon } from '../../cli/daemon.js';
import { aclAddOps, portAddOps, tenantOps } from '../../northd/reference-topology.js';
import { processCpuMs } from '../proc-cpu.js';

const args = process.argv.slice(2);
const flag = (f: string): boolean => args.includes(f);
const opt = (f: string, d: string): string => {
  const i = args.indexOf(f);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : d;
};
const sizes = opt('--ports', '1000,10000').split(',').map(Number);

/** how many more port adds and ACL adds follow the first (their medians: port_add_next_ms, acl_add_next_ms) */
const NEXT_STEPS = 5;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

interface Result { ports: number; full: number; fullStartup: number; fullNorthd: number; compileOnly: number; portAdd: number; aclAdd: number; portAddNorthd: number; aclAddNorthd: number; portAddNext: number; aclAddNext: number; lflows: number; rss: number; rssGc: number; peak: number; fullCpu: string }

/** RSS after a full collection (node --expose-gc), else NaN: what the process holds, not what V8 has yet to give back. */
function rssAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return NaN;
  gc();
  gc();
  return process.memoryUsage().rss / 1048576;
}

/** What the bench needs of a northd, in this process or as a `loom northd` process. */
interface BenchNorthd {
  lflows(): Promise<number>;
  /** northd's own time for the batches since the last call up to the one that reported nb_cfg `cfg` (NB change in → SB committed) */
  lastBatchMs(cfg: number): Promise<number>;
  /** nothing in flight, Logical_Switch_Port.up writes included */
  idle(): Promise<void>;
  /** as `ovn-appctl -t ovn-northd pause` / `resume` */
  pause(): Promise<void>;
  resume(): Promise<void>;
  memory(): Promise<{ rss: number; rssGc: number; peak: number }>;
  /** CPU ms used so far by the processes loom runs in: this one (in process), or sbdb's and northd's */
  cpu(): { [proc: string]: number };
  /** Rejects if northd's process ends before close() (never, in process): a step waiting on it fails at once. */
  readonly died: Promise<never>;
  close(): Promise<void>;
}

type Batches = { ms: number; nbCfg: number; lflows: number }[];

/** The summing of batch times both kinds share: from where the last call stopped to the batch that reported `cfg`. */
function batchClock(batches: Batches): (cfg: number) => Promise<number> {
  let seen = 0;
  return async (cfg) => {
    // a process's stderr may trail the NB watch a little (bounded wait)
    const done = (): number => batches.findIndex((b, i) => i >= seen && b.nbCfg >= cfg);
    for (let i = 0; i < 300 && done() < 0; i++) await new Promise((r) => setTimeout(r, 10));
    const end = done();
    if (end < 0) return NaN;
    let ms = 0;
    for (const b of batches.slice(seen, end + 1)) ms += b.ms;
    seen = end + 1;
    return ms;
  };
}

async function inProcessNorthd(nb: Store, sb: Store): Promise<BenchNorthd> {
  const batches: Batches = [];
  const n = await startNorthd({ nb, sb, onBatch: (b) => batches.push(b) });
  return {
    lflows: async () => n.stats().logicalFlows,
    lastBatchMs: batchClock(batches),
    idle: () => n.idle(),
    pause: () => n.pause(),
    resume: async () => n.resume(),
    // the bench process: NB + SB stores + northd (loom up's shape)
    memory: async () => ({ rss: process.memoryUsage().rss / 1048576, rssGc: rssAfterGc(), peak: process.resourceUsage().maxRSS / 1024 }),
    cpu: () => {
      const u = process.cpuUsage();
      return { loom: (u.user + u.system) / 1000 };
    },
    died: new Promise<never>(() => undefined),
    close: () => n.close(),
  };
}

function processNorthd(p: NorthdProcess, nb: Store, socket: string, sbdbPid: number): BenchNorthd {
  let closing = false;
  const died = p.exited.then((e): never => {
    if (!closing) throw new Error(`loom northd exited (${e.code ?? e.signal}) during the bench: its stderr is above`);
    return undefined as never;
  });
  void died.catch(() => undefined);
  const appctl = async (cmd: string): Promise<string> => {
    const a = await sendToDaemon(socket, [cmd]);
    if (a.status !== 0) throw new Error(`loom appctl ${cmd}: ${a.text.trim()}`);
    return a.text;
  };
  return {
    lflows: async () => p.batches[p.batches.length - 1]?.lflows ?? NaN,
    lastBatchMs: batchClock(p.batches),
    idle: async () => {
      // no controllers: northd sets every port's up (false for VIFs, true for router
      // ports) once; wait until NB has them all (bounded), then for quiet
      for (let i = 0; i < 600; i++) {
        const lsps = await nb.select('Logical_Switch_Port');
        if (lsps.every((r) => typeof r['up'] === 'boolean')) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 200));
    },
    pause: async () => void (await appctl('pause')),
    resume: async () => void (await appctl('resume')),
    // northd's own process, as `loom northd` runs (no tsx loader): /proc first, then
    // memory/show, whose full collection (node --expose-gc) gives the after-GC figure
    memory: async () => {
      const m = p.memory();
      const gc = /rss_mb:([\d.]+) .*after_gc:true/.exec(await appctl('memory/show'));
      return { ...m, rssGc: gc === null ? NaN : Number(gc[1]) };
    },
    cpu: () => ({ sbdb: processCpuMs(sbdbPid), northd: processCpuMs(p.pid) }),
    died,
    close: () => {
      closing = true;
      return p.kill();
    },
  };
}

async function measure(ports: number, services: boolean): Promise<Result> {
  const tenants = Math.max(1, Math.floor(ports / 100));
  const per = Math.floor(ports / tenants);
  const dir = mkdtempSync(join(tmpdir(), 'loom-bench-northd-'));
  const closers: (() => Promise<void>)[] = [];
  try {
    let nb: Store;
    let nbUrl = '';
    /** a northd on this NB and a fresh, empty SB; and how many Logical_Flow rows that SB holds */
    let startOne: () => Promise<BenchNorthd>;
    /** the northd started last (what a step waits on) */
    let current: BenchNorthd | undefined;
    let sbFlows: () => Promise<number> = async () => NaN;
    if (services) {
      // nbdb and sbdb as their own processes (as deployed): northd's heap is its own
      const n = await spawnDbServer('nbdb', join(dir, 'nb.db'));
      closers.push(async () => void (await n.kill('SIGTERM')));
      nbUrl = n.url;
      nb = await RemoteStore.connect(n.url);
      closers.unshift(() => nb.close());
      let runs = 0;
      startOne = async () => {
        const i = runs++;
        const s = await spawnDbServer('sbdb', join(dir, `sb${i}.db`));
        closers.push(async () => void (await s.kill('SIGTERM')));
        const socket = join(dir, `northd${i}.ctl`);
        const p = processNorthd(spawnNorthd(nbUrl, s.url, socket), nb, socket, s.pid);
        closers.unshift(() => p.close());
        sbFlows = async () => {
          const sb = await RemoteStore.connect(s.url);
          try {
            return (await sb.select('Logical_Flow')).length;
          } finally {
            await sb.close();
          }
        };
        return p;
      };
    } else {
      nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
      closers.push(() => nb.close());
      let runs = 0;
      startOne = async () => {
        const s = SqliteStore.open(join(dir, `sb${runs++}.db`), sbSchema);
        closers.push(() => s.close());
        const p = await inProcessNorthd(nb, s);
        closers.unshift(() => p.close());
        sbFlows = async () => (await s.select('Logical_Flow')).length;
        return p;
      };
    }
    await nb.transact([{ op: 'insert', table: 'NB_Global', row: {} }]);

    // every step waits as `ovn-nbctl --wait=sb` does: bump NB_Global.nb_cfg in the same
    // transaction, wait until northd reports NB_Global.sb_cfg >= it
    const bump: Operation = { op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] };
    let cfg = 0;
    const step = async (ops: Operation[]): Promise<void> => {
      const a = performance.now();
      await nb.transact([...ops, bump]);
      const b = performance.now();
      cfg++;
      // a northd process that ended (a crash, a bad option) fails the step now, not at the wait's half-hour bound
      const wait = waitSbCfg(nb, cfg);
      await (current === undefined ? wait : Promise.race([wait, current.died]));
      if (process.env['BENCH_DEBUG']) console.error(`[${performance.now().toFixed(0)}] step commit=${(b - a).toFixed(1)} wait=${(performance.now() - b).toFixed(1)}`);
    };
    // the reference's shape (ref-ovn-northd.sh): northd runs, paused, while NB is loaded
    // (it keeps watching); then resume and `--wait=sb sync`
    const northd = (current = await startOne());
    await step([]);
    await northd.lastBatchMs(cfg);
    await northd.pause();
    for (let t = 1; t <= tenants; t++) await nb.transact(tenantOps(t, per));
    const cpu0 = northd.cpu();
    const t0 = performance.now();
    await northd.resume();
    await step([]);
    const full = performance.now() - t0;
    const cpu1 = northd.cpu();
    const fullCpu = Object.entries(cpu1).map(([k, v]) => `${k}:${Math.round(v - (cpu0[k] ?? 0))}`).join(',');
    const fullNorthd = await northd.lastBatchMs(cfg);
    // the bulk of Logical_Switch_Port.up writes (and northd reading their echo) lands before
    // increments are timed: idle, then one more --wait=sb round trip, then idle
    await northd.idle();
    await step([]);
    await northd.idle();
    await northd.lastBatchMs(cfg);
    // as the reference counts SB's flows (`ovn-sbctl list Logical_Flow`) between the compile
    // and the increments: read from SB itself, and checked against what northd holds
    const lflows = await sbFlows();
    if (lflows !== (await northd.lflows())) throw new Error(`SB holds ${lflows} flows, northd ${await northd.lflows()}`);
    // As services this process is only the CMS (the reference's ovn-nbctl, a fresh process
    // per command) and the reader of SB and NB above: its own garbage from those reads
    // (220k flows, 50k ports, several times, at 50k) is collected before the timed steps,
    // and its sweeping let finish, so that the steps time loom and not this client. In
    // process it is loom's own heap: left alone.
    if (services) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((r) => setTimeout(r, 200));
    }

    const t1 = performance.now();
    await step(portAddOps());
    const portAdd = performance.now() - t1;
    const portAddNorthd = await northd.lastBatchMs(cfg);

    const t2 = performance.now();
    await step(aclAddOps());
    const aclAdd = performance.now() - t2;
    const aclAddNorthd = await northd.lastBatchMs(cfg);
    // the same steps again (the next ports and ACLs): the first of each, right after the
    // compile as the reference times it, also runs northd's incremental paths for the first
    // time in this process (JIT); the median of the next ones is a long-running northd's
    const next: { port: number[]; acl: number[] } = { port: [], acl: [] };
    for (let i = 2; i < 2 + NEXT_STEPS; i++) {
      const a = performance.now();
      await step(portAddOps(i));
      const b = performance.now();
      await step(aclAddOps(i));
      next.port.push(b - a);
      next.acl.push(performance.now() - b);
    }
    const portAddNext = median(next.port);
    const aclAddNext = median(next.acl);
    const want = await northd.lflows();
    const mem = await northd.memory();
    const { rss, rssGc, peak } = mem;
    await northd.close();
    // the pure compiler, so its copy of NB does not count in northd's memory
    const snap = emptySnapshot();
    for (const t of NB_TABLES) for (const r of await nb.select(t)) snap[t].set(r._uuid, r);
    const c0 = performance.now();
    const compiled = compileFull(snap);
    const compileOnly = performance.now() - c0;
    if (compiled.flows.size !== want) throw new Error(`northd holds ${want} flows, the compiler makes ${compiled.flows.size}`);
    // the other shape, start-up included: a new northd on the loaded NB and an empty SB,
    // started → sb_cfg reported (the first NB read and the compile)
    const t3 = performance.now();
    const second = (current = await startOne());
    await step([]);
    const fullStartup = performance.now() - t3;
    await second.idle();
    if ((await second.lflows()) !== want) throw new Error(`the second northd holds ${await second.lflows()} flows, the first ${want}`);
    return { ports, full, fullStartup, fullNorthd, compileOnly, portAdd, aclAdd, portAddNorthd, aclAddNorthd, portAddNext, aclAddNext, lflows, rss, rssGc, peak, fullCpu };
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

function ref(ports: number): { full: number; portAdd: number; aclAdd: number; lflows: number; rss: number } | null {
  try {
    const out = execFileSync('/work/shared/bench/ref-ovn-northd.sh', [String(ports)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 900_000 });
    const last = out.trim().split('\n').pop() ?? '';
    const kv = Object.fromEntries(last.split(' ').slice(1).map((p) => p.split('=') as [string, string]));
    return { full: Number(kv['full_compile_s']) * 1000, portAdd: Number(kv['port_add_ms']), aclAdd: Number(kv['acl_add_ms']), lflows: Number(kv['lflows']), rss: Number(kv['northd_rss_mb']) };
  } catch (e) {
    console.error('ref run failed:', e instanceof Error ? e.message : e);
    return null;
  }
}

const f = (n: number): string => n.toFixed(n < 100 ? 1 : 0);
// what this process held before any work (node + the tsx loader, ~30 MB over plain node):
// a northd started from the built CLI does not carry the loader
console.log(`bench baseline_rss_mb=${f(process.memoryUsage().rss / 1048576)} (node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
if (flag('--services') || flag('--both')) ensureBuilt((l) => console.error(l));
for (const ports of sizes) {
  for (const services of flag('--both') ? [false, true] : flag('--services') ? [true] : [false]) {
    const r = await measure(ports, services);
    console.log(`loom-northd${services ? '-services' : ''} ports=${r.ports} full_compile_ms=${f(r.full)} full_with_startup_ms=${f(r.fullStartup)} northd_full_batch_ms=${f(r.fullNorthd)} compile_only_ms=${f(r.compileOnly)} port_add_ms=${f(r.portAdd)} acl_add_ms=${f(r.aclAdd)} northd_port_batch_ms=${f(r.portAddNorthd)} northd_acl_batch_ms=${f(r.aclAddNorthd)} port_add_next_ms=${f(r.portAddNext)} acl_add_next_ms=${f(r.aclAddNext)} lflows=${r.lflows} rss_mb=${f(r.rss)} rss_after_gc_mb=${f(r.rssGc)} peak_rss_mb=${f(r.peak)} full_cpu_ms=${r.fullCpu}`);
    if (flag('--ref') && !services) {
      const o = ref(ports);
      if (o !== null) {
        console.log(`ovn-northd ports=${ports} full_compile_ms=${f(o.full)} port_add_ms=${f(o.portAdd)} acl_add_ms=${f(o.aclAdd)} lflows=${o.lflows} rss_mb=${f(o.rss)}`);
        console.log(`ratio(ovn/loom) ports=${ports} full_compile=${(o.full / r.full).toFixed(2)}x port_add=${(o.portAdd / r.portAdd).toFixed(1)}x acl_add=${(o.aclAdd / r.aclAdd).toFixed(1)}x`);
      }
    }
  }
}
