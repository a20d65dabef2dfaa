// bench/store/run.ts — how fast the store is, in-process and over its HTTP/WS API.
//
// Measures: single-row commits/s (in-process engine; over HTTP to a separate nbdb process,
// one at a time and pipelined), the time of one 10k-row transaction (both ways), and watch
// fan-out latency to 100 WebSocket watchers (p50/p99 from just before the transaction is
// sent to delivery at each watcher). Prints a table, or JSON with --json.
// Run: node --import tsx bench/store/run.ts [--json] [--quick]
// Hook for the CLI helper: timeReplay() times a replay of NB transactions against a running
// nbdb (e.g. the 10k-port topology of ../shared/bench/ref-ovn-northd.sh).
// Never asserts: numbers only (tests check correctness).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  readonly note?: string;
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
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function fanOut(url: string, watchers: number, commits: number): Promise<{ p50: number; p99: number; max: number; samples: number }> {
  const nb = await RemoteStore.connect(url);
  const sent = new Map<number, number>(); // revision → time just before the POST
  const lat: number[] = [];
  const pending: { rev: number; at: number }[] = [];
  const record = (rev: number, at: number): void => {
    const t0 = sent.get(rev);
    if (t0 === undefined) pending.push({ rev, at });
    else lat.push(at - t0);
  };
  const start = await nb.revision();
  const cs = Array.from({ length: watchers }, () => new EventCollector(nb.watch({ fromRevision: start, tables: { Logical_Switch: {} } }), (e) => e.type === 'change' && record(e.revision, performance.now())));
  try {
    // Let every watcher connect and reach the current revision before timing.
    const warm = await nb.transact(lsInsert(`fan-warm-${start}`));
    await Promise.all(cs.map((c) => c.untilRevision(warm.revision, 30_000)));
    lat.length = 0;
    pending.length = 0;
    for (let i = 0; i < commits; i++) {
      const t0 = performance.now();
      // The revision is known only after the answer; stamp the expected one first.
      const expect = warm.revision + 1 + i;
      sent.set(expect, t0);
      const r = await nb.transact(lsInsert(`fan-${start}-${i}`));
      if (r.revision !== expect) throw new Error(`unexpected revision ${r.revision} (another writer?)`);
      await Promise.all(cs.map((c) => c.untilRevision(r.revision, 30_000)));
    }
    for (const p of pending) record(p.rev, p.at);
    const sorted = [...lat].sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, samples: sorted.length };
  } finally {
    for (const c of cs) c.stop();
    await nb.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } } });
  const n = values.quick ? 500 : 3000;
  const big = values.quick ? 2000 : 10_000;
  const fanCommits = values.quick ? 30 : 200;
  const dir = mkdtempSync(join(tmpdir(), 'loom-bench-store-'));
  const figures: Figure[] = [];
  try {
    // In-process engine, with nbdb's validate hook as nbdb runs it.
    const store = await SqliteStore.open(join(dir, 'inproc.db'), nbSchema, { validate: validateNbTxn });
    figures.push({ name: 'single-row commits, in-process', value: await commitsPerSecond(store, 'ip', n, 1), unit: 'txn/s' });
    figures.push({ name: `${big}-row transaction, in-process`, value: await timeMs(() => store.transact(bigTxn('ip', big))), unit: 'ms' });
    await store.close();

    // A separate nbdb process: client and server on different cores, as in production.
    const proc = await spawnDbServer('nbdb', join(dir, 'http.db'));
    try {
      const nb = await RemoteStore.connect(proc.url);
      figures.push({ name: 'single-row commits, HTTP, 1 in flight', value: await commitsPerSecond(nb, 'h1', n, 1), unit: 'txn/s' });
      figures.push({ name: 'single-row commits, HTTP, 8 in flight', value: await commitsPerSecond(nb, 'h8', n, 8), unit: 'txn/s' });
      figures.push({ name: `${big}-row transaction, HTTP`, value: await timeMs(() => nb.transact(bigTxn('http', big))), unit: 'ms' });
      await nb.close();
      const f = await fanOut(proc.url, 100, fanCommits);
      const note = `${f.samples} samples, from before POST to delivery`;
      figures.push({ name: 'watch fan-out to 100 WS watchers, p50', value: f.p50, unit: 'ms', note });
      figures.push({ name: 'watch fan-out to 100 WS watchers, p99', value: f.p99, unit: 'ms', note });
      figures.push({ name: 'watch fan-out to 100 WS watchers, max', value: f.max, unit: 'ms', note });
    } finally {
      await proc.kill('SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ bench: 'store', figures }, null, 2)}\n`);
    return;
  }
  const w = Math.max(...figures.map((f) => f.name.length));
  for (const f of figures) {
    const v = f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(2);
    process.stdout.write(`${f.name.padEnd(w)}  ${v.padStart(10)} ${f.unit}${f.note ? `  (${f.note})` : ''}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
