// bench/store/bulk.ts — the store's big transactions, shaped like northd's full compile
// at 10k ports: one SB transaction inserting 100 Datapath_Binding rows, 10 Logical_DP_Group
// rows, 44k Logical_Flow rows (match/actions strings, external_ids map, a
// logical_datapath or logical_dp_group reference) and 10k Port_Binding rows; and one NB
// transaction of a switch with 10k ports (as store/measure.ts). Fresh store on a temp file
// per run; prints CPU (process.cpuUsage: user+system) and wall ms per run and the medians.
// Run: node --import tsx bench/store/bulk.ts [--runs N] [--ports 10000] [--flows 44000]
// Profile: node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/store/bulk.ts --runs 1
// Never asserts: numbers only.

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nbSchema, sbSchema } from '../../schemas/index.js';
import { validateNbTxn } from '../../nbdb/validate.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Operation } from '../../store/types.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, ports: { type: 'string', default: '10000' }, flows: { type: 'string', default: '44000' } } });
const runs = Number(values.runs);
const ports = Number(values.ports);
const flows = Number(values.flows);

export function sbOps(nPorts: number, nFlows: number): Operation[] {
  const ops: Operation[] = [];
  const dps = 100;
  for (let d = 0; d < dps; d++) ops.push({ op: 'insert', table: 'Datapath_Binding', 'uuid-name': `dp${d}`, row: { tunnel_key: d + 1, external_ids: { 'logical-switch': `00000000-0000-0000-0000-${String(d).padStart(12, '0')}`, name: `ls${d}` } } });
  const groups = 10;
  for (let g = 0; g < groups; g++) ops.push({ op: 'insert', table: 'Logical_DP_Group', 'uuid-name': `g${g}`, row: { datapaths: ['set', Array.from({ length: 10 }, (_, i) => ['named-uuid', `dp${g * 10 + i}`])] } });
  for (let i = 0; i < nFlows; i++) {
    const ref = i % 2 === 0 ? { logical_datapath: ['named-uuid', `dp${i % dps}`] } : { logical_dp_group: ['named-uuid', `g${i % groups}`] };
    ops.push({
      op: 'insert',
      table: 'Logical_Flow',
      row: {
        ...ref,
        pipeline: i % 3 === 0 ? 'egress' : 'ingress',
        table_id: i % 30,
        priority: (i * 7) % 65536,
        match: `inport == "lp${i}" && eth.src == {00:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}} && ip4.src == 10.0.${(i >> 8) & 255}.${i & 255}`,
        actions: `reg0[${i % 16}] = 1; next;`,
        external_ids: { source: 'northd.c:1234', stage: `ls_in_stage_${i % 30}` },
      },
    } as Operation);
  }
  for (let i = 0; i < nPorts; i++) {
    ops.push({ op: 'insert', table: 'Port_Binding', row: { logical_port: `lp${i}`, type: '', datapath: ['named-uuid', `dp${i % dps}`], tunnel_key: Math.floor(i / dps) + 1, mac: [`00:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} 10.0.${(i >> 8) & 255}.${i & 255}`], external_ids: { name: `port ${i}` } } } as Operation);
  }
  return ops;
}

export function nbOps(nPorts: number): Operation[] {
  const ops: Operation[] = [{ op: 'insert', table: 'Logical_Switch', row: { name: 'big', ports: ['set', Array.from({ length: nPorts }, (_, i) => ['named-uuid', `p${i}`])] } }];
  for (let i = 0; i < nPorts; i++) ops.push({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `p${i}`, row: { name: `lp${i}`, addresses: [`00:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} 10.0.${(i >> 8) & 255}.${i & 255}`], external_ids: { i: String(i) } } });
  return ops;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** CPU and wall time of f, and CPU until the next event-loop turn is done (work the store defers, e.g. a WAL checkpoint). */
async function timed(f: () => Promise<unknown>): Promise<{ cpu: number; wall: number; cpuAfter: number }> {
  const c0 = cpuMs();
  const t0 = performance.now();
  await f();
  const cpu = cpuMs() - c0;
  const wall = performance.now() - t0;
  await new Promise((res) => setImmediate(res));
  await new Promise((res) => setImmediate(res));
  return { cpu, wall, cpuAfter: cpuMs() - c0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`${cpus().length} cpus, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'loom-bulk-'));
  const sb: { cpu: number; wall: number; cpuAfter: number }[] = [];
  const nb: { cpu: number; wall: number; cpuAfter: number }[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      const ops = sbOps(ports, flows);
      const s = SqliteStore.open(join(dir, `sb-${r}.db`), sbSchema);
      const t = await timed(() => s.transact(ops));
      await s.close();
      sb.push(t);
      console.log(`run ${r}: SB ${ops.length}-row transaction: cpu ${t.cpu.toFixed(0)} ms (${t.cpuAfter.toFixed(0)} with deferred work), wall ${t.wall.toFixed(0)} ms`);
      const nops = nbOps(ports);
      const n = SqliteStore.open(join(dir, `nb-${r}.db`), nbSchema, { validate: validateNbTxn });
      const tn = await timed(() => n.transact(nops));
      await n.close();
      nb.push(tn);
      console.log(`run ${r}: NB ${nops.length}-row transaction: cpu ${tn.cpu.toFixed(0)} ms (${tn.cpuAfter.toFixed(0)} with deferred work), wall ${tn.wall.toFixed(0)} ms`);
    }
    console.log(`median SB: cpu ${median(sb.map((x) => x.cpu)).toFixed(0)} ms (${median(sb.map((x) => x.cpuAfter)).toFixed(0)} with deferred work), wall ${median(sb.map((x) => x.wall)).toFixed(0)} ms`);
    console.log(`median NB: cpu ${median(nb.map((x) => x.cpu)).toFixed(0)} ms (${median(nb.map((x) => x.cpuAfter)).toFixed(0)} with deferred work), wall ${median(nb.map((x) => x.wall)).toFixed(0)} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
