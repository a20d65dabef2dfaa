// bench/store/sb-bulk.ts — the SB store's commit of northd's real full-compile batch: loads
// the reference topology (northd/reference-topology.ts, 10k ports by default) into an NB store,
// runs northd in process against an SB store wrapper that records every operation northd
// writes (transact and transactParts alike), then times SqliteStore committing that batch
// on a fresh file, a few times: CPU ms of this process (user+system) and wall ms for
// transact() (executeTransaction + persist + apply + announce), and for reopening the file
// (the rows read back from the commit's pending record); then the same batch handed over in parts
// (transactParts: CPU of the adds, and of the commit; the adds also check the rows each part
// inserts and write their pending record text to the file, which the commit then adopts).
// Prints each run and the medians.
// Run:     flock /tmp/loom-bench.lock node --expose-gc --import tsx bench/store/sb-bulk.ts [--ports 10000] [--runs 5]
// Iterate: --ops /tmp/sb-ops.json keeps the captured batch in that file (captured once).
// Profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/store/sb-bulk.ts --runs 3
// Never asserts: numbers only (the store tests check correctness).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { nbSchema, sbSchema } from '../../schemas/index.js';
import { validateNbTxn } from '../../nbdb/validate.js';
import { startNorthd } from '../../northd/index.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Operation, Store, TransactOptions, TransactResult, TxnParts } from '../../store/types.js';
import { tenantOps } from '../../northd/reference-topology.js';
import { waitSbCfg } from '../northd/wait.js';


/** `sb` with every committed transaction's operations recorded (in commit order). */
function recording(sb: SqliteStore, txns: Operation[][]): Store {
  return {
    schema: sb.schema,
    transact: async (ops: readonly Operation[], options?: TransactOptions): Promise<TransactResult> => {
      const r = await sb.transact(ops, options);
      txns.push([...ops]);
      return r;
    },
    transactParts: (options?: TransactOptions): TxnParts => {
      const parts = sb.transactParts(options);
      const all: Operation[] = [];
      return {
        add: async (ops) => {
          await parts.add(ops);
          for (const o of ops) all.push(o);
        },
        commit: async (ops = []) => {
          const r = await parts.commit(ops);
          for (const o of ops) all.push(o);
          txns.push(all);
          return r;
        },
        abort: () => parts.abort(),
      };
    },
    select: (t, w) => sb.select(t, w),
    revision: () => sb.revision(),
    watch: (r) => sb.watch(r),
    close: async () => undefined,
  };
}

/** The operations of northd's full compile of the reference topology (its biggest SB transaction). */
export async function capture(dir: string, ports: number): Promise<Operation[]> {
  const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  const sb = SqliteStore.open(join(dir, 'sb-capture.db'), sbSchema);
  const txns: Operation[][] = [];
  try {
    await nb.transact([{ op: 'insert', table: 'NB_Global', row: {} }]);
    const tenants = Math.max(1, Math.floor(ports / 100));
    const per = Math.floor(ports / tenants);
    for (let t = 1; t <= tenants; t++) await nb.transact(tenantOps(t, per));
    await nb.transact([{ op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] }]);
    const northd = await startNorthd({ nb, sb: recording(sb, txns), onError: (e) => console.error('northd:', e) });
    try {
      await waitSbCfg(nb, 1, 600_000);
    } finally {
      await northd.close();
    }
  } finally {
    await sb.close();
    await nb.close();
  }
  let biggest: Operation[] = [];
  for (const t of txns) if (t.length > biggest.length) biggest = t;
  console.error(`captured ${txns.length} SB transactions from northd; the biggest has ${biggest.length} operations`);
  return biggest;
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ports: { type: 'string', default: '10000' }, runs: { type: 'string', default: '5' }, ops: { type: 'string' } } });
  const ports = Number(values.ports);
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), 'loom-sb-bulk-'));
  try {
    // --ops FILE: the captured batch is kept there and read back by later runs (while iterating)
    const ops = await capturedOps(dir, ports, values.ops);
    const gc = (globalThis as { gc?: () => void }).gc;
    const rows: { cpu: number; wall: number; reopenCpu: number; reopenWall: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const s = SqliteStore.open(join(dir, `sb${i}.db`), sbSchema);
      gc?.();
      const u0 = process.cpuUsage();
      const w0 = performance.now();
      const r = await s.transact(ops);
      const wall = performance.now() - w0;
      const cpu = cpuMs(process.cpuUsage(u0));
      const u1 = process.cpuUsage();
      const w1 = performance.now();
      await s.close();
      await SqliteStore.open(join(dir, `sb${i}.db`), sbSchema).close();
      const reopenWall = performance.now() - w1;
      const reopenCpu = cpuMs(process.cpuUsage(u1));
      rows.push({ cpu, wall, reopenCpu, reopenWall });
      console.log(`run ${i + 1}: transact ${cpu.toFixed(0)} ms CPU, ${wall.toFixed(0)} ms wall (revision ${r.revision}, ${r.results.length} results); close and reopen ${reopenCpu.toFixed(0)} ms CPU, ${reopenWall.toFixed(0)} ms wall`);
    }
    // the same batch handed over in parts of 5000 (Store.transactParts, as northd does): the
    // parts run as they are added, so commit() has only the commit-time rules and the write
    const partRows: { add: number; commit: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const s = SqliteStore.open(join(dir, `sbp${i}.db`), sbSchema);
      gc?.();
      const u0 = process.cpuUsage();
      const txn = s.transactParts();
      for (let k = 0; k < ops.length; k += 5000) await txn.add(ops.slice(k, k + 5000));
      const add = cpuMs(process.cpuUsage(u0));
      const u1 = process.cpuUsage();
      await txn.commit();
      const commit = cpuMs(process.cpuUsage(u1));
      await s.close();
      partRows.push({ add, commit });
      console.log(`run ${i + 1} in parts: adds ${add.toFixed(0)} ms CPU, commit ${commit.toFixed(0)} ms CPU`);
    }
    const m = (k: keyof (typeof rows)[number]): string => median(rows.map((r) => r[k])).toFixed(0);
    if (runs > 0) console.log(`sb-bulk in parts of 5000: median adds ${median(partRows.map((r) => r.add)).toFixed(0)} ms CPU, commit ${median(partRows.map((r) => r.commit)).toFixed(0)} ms CPU`);
    console.log(`sb-bulk ${ports} ports, ${ops.length} ops: median transact ${m('cpu')} ms CPU / ${m('wall')} ms wall; close and reopen ${m('reopenCpu')} ms CPU / ${m('reopenWall')} ms wall (load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `--ops FILE` read, or captured (and kept in FILE when given). */
export async function capturedOps(dir: string, ports: number, file: string | undefined): Promise<Operation[]> {
  if (file !== undefined && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Operation[];
  const ops = await capture(dir, ports);
  if (file !== undefined) writeFileSync(file, JSON.stringify(ops));
  return ops;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
