// bench/store/small-txn.ts — where the time of a small SB transaction over HTTP goes when
// sbdb holds a big database (northd's increments at 50k ports: ≈10 ms per SB transaction
// as services, ≈2 ms in process). An sbdb process (as `loom sbdb`), loaded with the SB
// batch northd writes for the reference topology (bench/store/sb-bulk.ts captures it),
// then small transactions shaped like a port add's (a few Logical_Flow inserts and one
// Port_Binding update) timed from a keep-alive HTTP client, with the server's own share
// from its Server-Timing header (body: read and parse; txn: the store's work). Phases:
// empty store; right after the bulk load; 2 s later (settled); with
// watchers of every table connected; and the same transactions on an in-process store.
// Run:     flock /tmp/loom-bench.lock node --expose-gc --import tsx bench/store/small-txn.ts [--ports 50000] [--ops /tmp/sb-ops-50k.json] [--n 40]
// Never asserts: numbers only.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sbSchema } from '../../schemas/index.js';
import { RemoteStore } from '../../store/client.js';
import { spawnDbServer } from '../../store/server-process.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Operation, Store, WatchEvent } from '../../store/types.js';
import { capturedOps } from './sb-bulk.js';

const { values } = parseArgs({ options: { ports: { type: 'string', default: '50000' }, ops: { type: 'string' }, n: { type: 'string', default: '40' }, 'server-args': { type: 'string' }, 'server-log': { type: 'string' }, 'profile-phase': { type: 'string' } } });
const ports = Number(values.ports);
const n = Number(values.n);

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

interface Timing {
  readonly client: number;
  readonly body: number;
  readonly txn: number;
}

function post(url: string, ops: readonly Operation[]): Promise<Timing> {
  const body = JSON.stringify({ ops });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/transact`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const client = performance.now() - t0;
        if (res.statusCode !== 200) return reject(new Error(`${res.statusCode}: ${Buffer.concat(chunks).toString()}`));
        const st = String(res.headers['server-timing'] ?? '');
        const dur = (name: string): number => Number(new RegExp(`${name};dur=([0-9.]+)`).exec(st)?.[1] ?? NaN);
        resolve({ client, body: dur('body'), txn: dur('txn') });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A port add's shape on SB: 6 flows on one datapath, one Port_Binding's external_ids changed. */
function smallOps(i: number, dp: string, pb: string): Operation[] {
  const ops: Operation[] = [];
  for (let k = 0; k < 6; k++) {
    ops.push({ op: 'insert', table: 'Logical_Flow', row: { logical_datapath: ['uuid', dp], pipeline: 'ingress', table_id: 8 + k, priority: 50, match: `inport == "bench-${i}" && eth.src == 0a:00:00:00:${(i >> 8) & 255}:${i & 255}`, actions: 'next;', external_ids: { stage_name: 'ls_in_bench' } } });
  }
  ops.push({ op: 'update', table: 'Port_Binding', where: [['_uuid', '==', ['uuid', pb]]], row: { external_ids: { bench: String(i) } } });
  return ops;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

let seq = 0;
let markPhase: (what: string) => void = () => undefined;
let serverUrl = '';
async function serverBusyMs(): Promise<number> {
  if (serverUrl === '') return NaN;
  const h = (await (await fetch(`${serverUrl}/v1/health`)).json()) as { event_loop_active_ms?: number };
  return h.event_loop_active_ms ?? NaN;
}
let serverPid = 0;
async function phase(name: string, run: (ops: Operation[]) => Promise<Timing>, dp: string, pb: string): Promise<void> {
  markPhase(`${name} begins`);
  // --profile-phase NAME (with LOOM_DB_CPU_PROFILE=FILE in the environment): sbdb's CPU profile of that phase
  const profiling = serverPid !== 0 && values['profile-phase'] !== undefined && name.includes(values['profile-phase']);
  if (profiling) process.kill(serverPid, 'SIGUSR2');
  const ts: Timing[] = [];
  const busy0 = await serverBusyMs();
  const elu0 = performance.eventLoopUtilization();
  const w0 = performance.now();
  for (let i = 0; i < n; i++) ts.push(await run(smallOps(seq++, dp, pb)));
  const wall = performance.now() - w0;
  const clientBusy = performance.eventLoopUtilization(elu0).active;
  const serverBusy = (await serverBusyMs()) - busy0;
  if (profiling) process.kill(serverPid, 'SIGUSR2');
  const f = (k: keyof Timing): string => `${pct(ts.map((t) => t[k]), 0.5).toFixed(2)}/${pct(ts.map((t) => t[k]), 0.9).toFixed(2)}`;
  markPhase(`${name} ends`);
  console.log(`${name.padEnd(34)} client ${f('client')} ms (median/p90)  server body ${f('body')}  txn ${f('txn')}  busy: server ${(serverBusy / wall * 100).toFixed(0)}% client ${(clientBusy / wall * 100).toFixed(0)}% of ${wall.toFixed(0)} ms  load ${loadavg()[0]?.toFixed(2)}`);
}

async function refs(store: Store): Promise<{ dp: string; pb: string }> {
  const pbs = await store.select('Port_Binding');
  const pb = pbs[0];
  if (pb === undefined) throw new Error('no Port_Binding');
  return { dp: String(pb['datapath']), pb: pb._uuid };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'loom-small-txn-'));
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    // the batch is held only while it is loaded: the client's own heap stays small, as a
    // client's GC pauses would count in every figure
    let big: Operation[] | undefined = await capturedOps(dir, ports, values.ops);
    const count = big.length;
    console.log(`${ports} ports: northd's SB batch is ${count} operations`);
    // --server-args '--trace-gc' --server-log FILE: what the server process did meanwhile
    const logFile = values['server-log'];
    const mark = (what: string): void => {
      if (logFile !== undefined) appendFileSync(logFile, `=== ${what} at ${(performance.now() - started).toFixed(0)} ms\n`);
    };
    const started = performance.now();
    const s = await spawnDbServer('sbdb', join(dir, 'sb.db'), '127.0.0.1:0', 20_000, {
      nodeArgs: (values['server-args'] ?? '').split(' ').filter((a) => a !== ''),
      ...(logFile !== undefined ? { stderrTo: (d: string) => appendFileSync(logFile, d) } : {}),
    });
    cleanup.push(() => s.kill('SIGTERM'));
    markPhase = mark;
    serverUrl = s.url;
    serverPid = s.pid;
    const sb = await RemoteStore.connect(s.url);
    cleanup.unshift(() => sb.close());

    // empty store: a datapath and a port binding of our own
    const seed = await sb.transact([
      { op: 'insert', table: 'Datapath_Binding', 'uuid-name': 'dp', row: { tunnel_key: 16000000, external_ids: { name: 'bench' } } },
      { op: 'insert', table: 'Port_Binding', row: { logical_port: 'bench-port', datapath: ['named-uuid', 'dp'], tunnel_key: 1 } },
    ]);
    const seedDp = (seed.results[0] as { uuid: string }).uuid;
    const seedPb = (seed.results[1] as { uuid: string }).uuid;
    await phase('HTTP, empty store', (ops) => post(s.url, ops), seedDp, seedPb);

    const t0 = performance.now();
    const parts = sb.transactParts();
    for (let i = 0; i < count; i += 20000) await parts.add(big.slice(i, i + 20000));
    big = undefined;
    const t1 = performance.now();
    await parts.commit();
    const t2 = performance.now();
    (globalThis as { gc?: () => void }).gc?.();
    console.log(`bulk load over HTTP in parts of 20000 operations: ${(t2 - t0).toFixed(0)} ms, of which the commit (last request) ${(t2 - t1).toFixed(0)} ms`);
    const r = await refs(sb);
    await phase('HTTP, right after the bulk load', (ops) => post(s.url, ops), r.dp, r.pb);
    // "settled": 2 s later, the bulk's WAL checkpoint behind (before b333650 the store filed
    // the bulk's 275k rows for seconds after it and this waited 15 s; now the two agree)
    await new Promise((res) => setTimeout(res, 2_000));
    await phase('HTTP, settled', (ops) => post(s.url, ops), r.dp, r.pb);

    // watchers of every table, as northd and a controller hold
    const seen = [0, 0];
    const subs = seen.map((_, i) => sb.watch({ tables: Object.fromEntries(Object.keys(sbSchema.tables).map((t) => [t, {}])) }).subscribe((e: WatchEvent) => void (seen[i] = e.revision)));
    cleanup.unshift(async () => subs.forEach((x) => x.unsubscribe()));
    const deadline = Date.now() + 60_000;
    while (seen.some((w) => w === 0) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    (globalThis as { gc?: () => void }).gc?.();
    await phase('HTTP, 2 watchers of every table', (ops) => post(s.url, ops), r.dp, r.pb);
    subs.forEach((x) => x.unsubscribe());
    await phase('HTTP, watchers gone', (ops) => post(s.url, ops), r.dp, r.pb);

    // the same on an in-process store
    const local = SqliteStore.open(join(dir, 'local.db'), sbSchema);
    cleanup.unshift(() => local.close());
    await local.transact(await capturedOps(dir, ports, values.ops));
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((res) => setTimeout(res, 15_000));
    const lr = await refs(local);
    serverUrl = '';
    await phase('in process, settled', async (ops) => {
      const a = performance.now();
      await local.transact(ops);
      const d = performance.now() - a;
      return { client: d, body: 0, txn: d };
    }, lr.dp, lr.pb);
  } finally {
    for (const c of cleanup) await c().catch(() => undefined);
    agent.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
