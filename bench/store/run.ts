// bench/store/run.ts — how fast the store is, in-process and over its HTTP/WS API.
//
// Measures: single-row commits/s (in-process engine; over HTTP to a separate nbdb process,
// one at a time and pipelined), the time of one 10k-row transaction (both ways), and watch
// fan-out latency to 100 WebSocket watchers (p50/p99 from just before the transaction is
// sent to delivery at each watcher), unfiltered and filtered per watcher (sbdb's pattern). Prints a table, or JSON with --json.
// Run: node --import tsx bench/store/run.ts [--json] [--quick] [--runs N] (default 3; medians)
// Hook for the CLI helper: timeReplay() times a replay of NB transactions against a running
// nbdb (e.g. the 10k-port topology of ../shared/bench/ref-ovn-northd.sh).
// Never asserts: numbers only (tests check correctness).

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nbSchema } from '../../schemas/index.js';
import { validateNbTxn } from '../../nbdb/validate.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import { RemoteStore } from '../../store/client.js';
import { EventCollector } from '../../store/client-collect.js';
import { spawnDbServer } from '../../store/server-process.js';
import type { Operation, Store } from '../../store/types.js';

interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** Seconds to run `txns` in order against the nbdb at `url` (each one transaction). */
export async function timeReplay(url: string, txns: readonly (readonly Operation[])[], inFlight = 1): Promise<number> {
  const nb = await RemoteStore.connect(url);
  try {
    const t0 = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < txns.length) {
        const ops = txns[next++];
        if (ops) await nb.transact(ops);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return (performance.now() - t0) / 1000;
  } finally {
    await nb.close();
  }
}

function lsInsert(name: string): Operation[] {
  return [{ op: 'insert', table: 'Logical_Switch', row: { name } }];
}

/** One transaction: a switch with n ports, each with an address and port security. */
function bigTxn(prefix: string, n: number): Operation[] {
  const ops: Operation[] = [];
  const refs: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const mac = `0a:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    ops.push({ op: 'insert', table: 'Logical_Switch_Port', row: { name: `${prefix}-p${i}`, addresses: [`${mac} ${ip}`], port_security: [`${mac} ${ip}`] }, 'uuid-name': `p${i}` });
    refs.push(['named-uuid', `p${i}`]);
  }
  ops.push({ op: 'insert', table: 'Logical_Switch', row: { name: `${prefix}-ls`, ports: ['set', refs] } });
  return ops;
}

async function commitsPerSecond(store: Store, prefix: string, n: number, inFlight: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) await store.transact(lsInsert(`${prefix}-${next++}`));
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return n / ((performance.now() - t0) / 1000);
}

async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * Commit-to-delivery latency over WebSocket. Unfiltered: every watcher gets every commit.
 * Filtered (the sbdb per-chassis pattern): watcher k watches only rows tagged k, and commit i
 * is for watcher i mod N, so the server filters each commit for all N and delivers to one.
 */
async function fanOut(url: string, watchers: number, commits: number, filtered: boolean): Promise<{ p50: number; p99: number; max: number }> {
  const nb = await RemoteStore.connect(url);
  const sent = new Map<number, number>(); // revision → time just before the POST
  let lat: number[] = [];
  const record = (rev: number, at: number): void => {
    const t0 = sent.get(rev);
    if (t0 !== undefined) lat.push(at - t0);
  };
  const start = await nb.revision();
  const tag = (k: number): Operation[] => [{ op: 'insert', table: 'Logical_Switch', row: { name: `fan-${filtered ? 'f' : 'u'}-${start}-${sent.size}-${k}`, external_ids: ['map', [['owner', `w${k}`]]] } }];
  const cs = Array.from({ length: watchers }, (_, k) => {
    const where = filtered ? [['external_ids', 'includes', ['map', [['owner', `w${k}`]]]] as const] : [];
    return new EventCollector(nb.watch({ fromRevision: start, tables: { Logical_Switch: { where } } }), (e) => e.type === 'change' && record(e.revision, performance.now()));
  });
  const waiters = (k: number): EventCollector[] => {
    const one = cs[k];
    return filtered ? (one ? [one] : []) : cs;
  };
  try {
    // Let every watcher connect and reach the current revision before timing.
    for (let k = 0; k < (filtered ? watchers : 1); k++) {
      const warm = await nb.transact(tag(k));
      await Promise.all(waiters(k).map((c) => c.untilRevision(warm.revision, 30_000)));
    }
    lat = [];
    let rev = await nb.revision();
    for (let i = 0; i < commits; i++) {
      const k = i % watchers;
      // The revision is known only after the answer; stamp the expected one first.
      sent.set(rev + 1, performance.now());
      const r = await nb.transact(tag(k));
      if (r.revision !== rev + 1) throw new Error(`unexpected revision ${r.revision} (another writer?)`);
      rev = r.revision;
      await Promise.all(waiters(k).map((c) => c.untilRevision(r.revision, 30_000)));
    }
    const sorted = [...lat].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
  } finally {
    for (const c of cs) c.stop();
    await nb.close();
  }
}

interface Sizes {
  readonly n: number;
  readonly big: number;
  readonly fanCommits: number;
}

/** One round of every measurement, on fresh database files under `dir`. */
async function round(dir: string, r: number, { n, big, fanCommits }: Sizes): Promise<Figure[]> {
  const figures: Figure[] = [];
  // In-process engine, with nbdb's validate hook as nbdb runs it.
  const store = await SqliteStore.open(join(dir, `inproc-${r}.db`), nbSchema, { validate: validateNbTxn });
  figures.push({ name: 'single-row commits, in-process', value: await commitsPerSecond(store, 'ip', n, 1), unit: 'txn/s' });
  figures.push({ name: `${big}-row transaction, in-process`, value: await timeMs(() => store.transact(bigTxn('ip', big))), unit: 'ms' });
  await store.close();

  // A separate nbdb process: client and server on different cores, as in production.
  const proc = await spawnDbServer('nbdb', join(dir, `http-${r}.db`));
  try {
    const nb = await RemoteStore.connect(proc.url);
    figures.push({ name: 'single-row commits, HTTP, 1 in flight', value: await commitsPerSecond(nb, 'h1', n, 1), unit: 'txn/s' });
    figures.push({ name: 'single-row commits, HTTP, 8 in flight', value: await commitsPerSecond(nb, 'h8', n, 8), unit: 'txn/s' });
    figures.push({ name: `${big}-row transaction, HTTP`, value: await timeMs(() => nb.transact(bigTxn('http', big))), unit: 'ms' });
    await nb.close();
    const f = await fanOut(proc.url, 100, fanCommits, false);
    figures.push({ name: 'watch fan-out to 100 WS watchers, p50', value: f.p50, unit: 'ms' });
    figures.push({ name: 'watch fan-out to 100 WS watchers, p99', value: f.p99, unit: 'ms' });
    figures.push({ name: 'watch fan-out to 100 WS watchers, max', value: f.max, unit: 'ms' });
    const g = await fanOut(proc.url, 100, fanCommits, true);
    figures.push({ name: '100 filtered watchers (1 matches), p50', value: g.p50, unit: 'ms' });
    figures.push({ name: '100 filtered watchers (1 matches), p99', value: g.p99, unit: 'ms' });
  } finally {
    await proc.kill('SIGTERM');
  }
  return figures;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, runs: { type: 'string', default: '3' } } });
  const sizes: Sizes = values.quick ? { n: 500, big: 2000, fanCommits: 30 } : { n: 3000, big: 10_000, fanCommits: 200 };
  const runs = Math.max(1, Number(values.runs) || 1);
  const dir = mkdtempSync(join(tmpdir(), 'loom-bench-store-'));
  const byName = new Map<string, { unit: string; values: number[] }>();
  const load = [loadavg()[0] ?? 0];
  try {
    for (let r = 0; r < runs; r++) {
      for (const f of await round(dir, r, sizes)) {
        const e = byName.get(f.name) ?? { unit: f.unit, values: [] };
        e.values.push(f.value);
        byName.set(f.name, e);
      }
      load.push(loadavg()[0] ?? 0);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = [...byName].map(([name, { unit, values: v }]) => {
    const sorted = [...v].sort((a, b) => a - b);
    return { name, unit, median: percentile(sorted, 50), min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, runs: v };
  });
  const notes = [
    `${runs} run(s); median, min and max per figure; fan-out latency is from just before the POST to delivery at each watcher (${sizes.fanCommits} commits x 100 watchers per run)`,
    `1-min load average during the runs: ${load.map((l) => l.toFixed(1)).join(', ')} on ${cpus().length} cores (a shared machine: compare runs made together)`,
  ];
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ bench: 'store', sizes, figures: rows, notes }, null, 2)}\n`);
    return;
  }
  const w = Math.max(...rows.map((f) => f.name.length));
  const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(2));
  process.stdout.write(`${'figure'.padEnd(w)}  ${'median'.padStart(9)}  ${'min'.padStart(9)}  ${'max'.padStart(9)}  unit\n`);
  for (const f of rows) process.stdout.write(`${f.name.padEnd(w)}  ${fmt(f.median).padStart(9)}  ${fmt(f.min).padStart(9)}  ${fmt(f.max).padStart(9)}  ${f.unit}\n`);
  for (const n of notes) process.stdout.write(`# ${n}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
