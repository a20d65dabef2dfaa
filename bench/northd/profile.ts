// bench/northd/profile.ts — a CPU profile (and CPU time) of one northd phase on the
// reference topology, in process: NB loaded first, then the profiler runs only around
// the phase, so the profile is northd + the stores, not the NB load.
//
//   node --import tsx bench/northd/profile.ts [--ports 10000] [--phase full|resume|port|acl] [--settle] [--out /tmp/northd.cpuprofile] [--no-profile] [--services]
//
// --phase resume: northd started on an empty NB and paused while NB loads, then resume +
// --wait=sb (the timed phase); --settle waits 4 s before it (the NB load's garbage and WAL checkpoints behind).
// --sb-txn-limit N: northd's sbTxnLimit (keys per SB transaction).
// --services: NB and SB are nbdb / sbdb processes and northd talks to them over HTTP, as
// `loom northd` does (northd still runs in this process, under the profiler).
// --sbdb-profile DIR (with --services): sbdb runs under node --cpu-prof and writes its whole
// life's profile to DIR when it exits (the phase is the part after the NB load).
//
// Prints the phase's wall and CPU ms (process.cpuUsage) and the top self-time functions.
// Never asserts: numbers only.
import { Session } from 'node:inspector/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { validateNbTxn } from '../../nbdb/validate.js';
import { startNorthd } from '../../northd/index.js';
import { nbSchema, sbSchema } from '../../schemas/index.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Operation, Store } from '../../store/types.js';
import { RemoteStore } from '../../store/client.js';
import { spawnDbServer } from '../../store/server-process.js';
import { waitSbCfg } from './wait.js';
import { aclAddOps, portAddOps, tenantOps } from '../../northd/reference-topology.js';

const { values } = parseArgs({ options: { ports: { type: 'string', default: '10000' }, phase: { type: 'string', default: 'full' }, out: { type: 'string', default: '/tmp/northd.cpuprofile' }, top: { type: 'string', default: '30' }, 'no-profile': { type: 'boolean', default: false }, services: { type: 'boolean', default: false }, 'sb-txn-limit': { type: 'string' }, settle: { type: 'boolean', default: false }, 'sbdb-profile': { type: 'string' } } });
const ports = Number(values.ports);
const tenants = Math.max(1, Math.floor(ports / 100));
const per = Math.floor(ports / tenants);
const dir = mkdtempSync(join(tmpdir(), 'loom-bench-northd-prof-'));

interface ProfNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: ProfNode[]; samples: number[]; timeDeltas: number[] }

function top(p: Profile, n: number): string[] {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i] as number);
    if (node === undefined) continue;
    const f = node.callFrame;
    const k = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(k, (self.get(k) ?? 0) + (p.timeDeltas[i + 1] ?? 0) / 1000);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`);
}

const servers: { kill(signal: NodeJS.Signals): Promise<unknown> }[] = [];
let nb: Store;
let sb: Store;
let nbFor: Store | string;
let sbFor: Store | string;
if (values.services) {
  const n = await spawnDbServer('nbdb', join(dir, 'nb.db'));
  const s = await spawnDbServer('sbdb', join(dir, 'sb.db'), '127.0.0.1:0', 20000, values['sbdb-profile'] !== undefined ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values['sbdb-profile']}`] } : {});
  servers.push(n, s);
  nb = await RemoteStore.connect(n.url);
  sb = await RemoteStore.connect(s.url);
  nbFor = n.url;
  sbFor = s.url;
} else {
  nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  sb = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  nbFor = nb;
  sbFor = sb;
}
try {
  await nb.transact([{ op: 'insert', table: 'NB_Global', row: {} }]);
  const limit = values['sb-txn-limit'] !== undefined ? { sbTxnLimit: Number(values['sb-txn-limit']) } : {};
  // --phase resume: northd runs, paused, while NB loads (bench/northd/run.ts's shape)
  const early = values.phase === 'resume' ? await startNorthd({ nb: nbFor, sb: sbFor, ...limit }) : undefined;
  await early?.synced();
  await early?.pause();
  for (let t = 1; t <= tenants; t++) await nb.transact(tenantOps(t, per));
  const bump: Operation = { op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] };
  let cfg = 0;
  const step = async (ops: Operation[]): Promise<void> => {
    await nb.transact([...ops, bump]);
    await waitSbCfg(nb, ++cfg);
  };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  const run = async (phase: () => Promise<void>): Promise<void> => {
    // --no-profile: wall, CPU and GC pause time only (no sampling overhead)
    let gcMs = 0;
    const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) gcMs += e.duration; });
    obs.observe({ entryTypes: ['gc'] });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    if (values['no-profile']) {
      await phase();
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      await new Promise((r) => setTimeout(r, 100));
      obs.disconnect();
      console.log(`phase=${values.phase} ports=${ports} wall_ms=${wall.toFixed(1)} cpu_ms=${((cpu.user + cpu.system) / 1000).toFixed(1)} gc_pause_ms=${gcMs.toFixed(1)} heap_mb=${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} rss_mb=${(process.memoryUsage().rss / 1048576).toFixed(0)} (load ${loadavg()[0]?.toFixed(1)})`);
      return;
    }
    await session.post('Profiler.start');
    await phase();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(c0);
    writeFileSync(values.out, JSON.stringify(profile));
    console.log(`phase=${values.phase} ports=${ports} wall_ms=${wall.toFixed(1)} cpu_ms=${((cpu.user + cpu.system) / 1000).toFixed(1)} profile=${values.out}`);
    for (const l of top(profile, Number(values.top))) console.log(l);
  };
  if (early !== undefined) {
    // the NB load's aftermath (collections, WAL checkpoints) first, as by the time anyone resumes
    if (values['settle'] === true) await new Promise((r) => setTimeout(r, 4000));
    await run(async () => {
      early.resume();
      await step([]);
    });
    await early.close();
  } else if (values.phase === 'full') {
    let northd: Awaited<ReturnType<typeof startNorthd>> | undefined;
    await run(async () => {
      northd = await startNorthd({ nb: nbFor, sb: sbFor, ...(values['sb-txn-limit'] !== undefined ? { sbTxnLimit: Number(values['sb-txn-limit']) } : {}) });
      await step([]);
    });
    await northd?.close();
  } else {
    const northd = await startNorthd({ nb: nbFor, sb: sbFor, ...(values['sb-txn-limit'] !== undefined ? { sbTxnLimit: Number(values['sb-txn-limit']) } : {}) });
    await step([]);
    await northd.idle();
    await step([]);
    await northd.idle();
    // northd collects once idle after a bulk (daemon.ts GC_IDLE_MS): let that pass first
    await new Promise((r) => setTimeout(r, 500));
    await run(() => step(values.phase === 'port' ? portAddOps() : aclAddOps()));
    await northd.close();
  }
} finally {
  await nb.close();
  await sb.close();
  for (const x of servers) await x.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
