// bench/northd/engine.ts — the compiler alone, no store: the reference topology's NB rows
// in memory, then NorthdEngine full compile, and the incremental port add / ACL add
// (engine + SB diff generation, i.e. everything northd does before the SB transaction).
//
//   node --import tsx bench/northd/engine.ts [--ports 10000,50000] [--reps 15]
//
// Prints median and min of the increments over --reps add/remove cycles, and the heap the
// engine holds after the full compile.
import type { Row } from '../../store/types.js';
import { snapshotChanges } from '../../northd/compile.js';
import { NorthdEngine } from '../../northd/engine.js';
import type { NbChange } from '../../northd/model.js';
import { emptySnapshot, list } from '../../northd/nb.js';
import { SbSync } from '../../northd/sb-sync.js';
import { aclAddOps, portAddOps, tenantOps } from '../../northd/reference-topology.js';

const args = process.argv.slice(2);
const opt = (f: string, d: string): string => {
  const i = args.indexOf(f);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : d;
};

let n = 0;
const uid = (): string => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;

/** The tenant transactions as rows (named uuids resolved, defaults filled). */
function rows(ports: number): ReturnType<typeof emptySnapshot> {
  const nb = emptySnapshot();
  const tenants = Math.max(1, Math.floor(ports / 100));
  for (let t = 1; t <= tenants; t++) {
    const ops = tenantOps(t, Math.floor(ports / tenants));
    const names = new Map<string, string>();
    for (const o of ops) if (o.op === 'insert' && o['uuid-name'] !== undefined) names.set(o['uuid-name'], uid());
    const fix = (v: unknown): unknown => {
      if (!Array.isArray(v)) return v;
      if (v[0] === 'named-uuid') return names.get(String(v[1]));
      if (v[0] === 'set') return (v[1] as unknown[]).map(fix).sort();
      return v;
    };
    for (const o of ops) {
      if (o.op !== 'insert') continue;
      const u = o['uuid-name'] !== undefined ? (names.get(o['uuid-name']) ?? uid()) : uid();
      const row: { [k: string]: unknown } = { _uuid: u, options: {} };
      for (const [k, v] of Object.entries(o.row)) row[k] = fix(v);
      for (const c of ['ports', 'acls', 'load_balancer', 'nat', 'static_routes', 'policies', 'addresses', 'port_security', 'networks']) row[c] ??= [];
      nb[o.table as keyof typeof nb].set(u, row as Row);
    }
  }
  return nb;
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `median=${(s[Math.floor(s.length / 2)] ?? NaN).toFixed(2)} min=${(s[0] ?? NaN).toFixed(2)}`;
};

for (const ports of opt('--ports', '10000').split(',').map(Number)) {
  const reps = Number(opt('--reps', '15'));
  const nb = rows(ports);
  global.gc?.();
  const h0 = process.memoryUsage().heapUsed;
  const e = new NorthdEngine();
  const sync = new SbSync();
  const t0 = performance.now();
  e.apply(snapshotChanges(nb), { recompute: true });
  const compile = performance.now() - t0;
  const t1 = performance.now();
  const ops = sync.ops(e, sync.allKeys(e), 0).ops.length;
  const diff = performance.now() - t1;
  e.takeChanges();
  global.gc?.();
  const heap = (process.memoryUsage().heapUsed - h0) / 1048576;

  const ls1 = [...nb.Logical_Switch.values()].find((r) => r['name'] === 'ls1');
  const pg1 = [...nb.Port_Group.values()].find((r) => r['name'] === 'pg1');
  if (ls1 === undefined || pg1 === undefined) throw new Error('no ls1/pg1');
  const portRow = portAddOps()[0];
  const aclRow = aclAddOps()[0];
  if (portRow?.op !== 'insert' || aclRow?.op !== 'insert') throw new Error('bad ops');
  const portTimes: number[] = [];
  const aclTimes: number[] = [];
  const timed = (batch: NbChange[], into: number[]): void => {
    const a = performance.now();
    e.apply(batch);
    sync.ops(e, e.takeChanges(), 0);
    into.push(performance.now() - a);
  };
  for (let i = 0; i < reps; i++) {
    const p = { _uuid: uid(), type: '', port_security: [], options: {}, ...portRow.row } as unknown as Row;
    const ls1b = { ...ls1, ports: [...list(ls1, 'ports'), p._uuid].sort() } as Row;
    timed([{ table: 'Logical_Switch_Port', uuid: p._uuid, old: null, new: p }, { table: 'Logical_Switch', uuid: ls1._uuid, old: ls1, new: ls1b }], portTimes);
    e.apply([{ table: 'Logical_Switch_Port', uuid: p._uuid, old: p, new: null }, { table: 'Logical_Switch', uuid: ls1._uuid, old: ls1b, new: ls1 }]);
    sync.ops(e, e.takeChanges(), 0);
    const a = { _uuid: uid(), options: {}, label: 0, ...aclRow.row } as unknown as Row;
    const pg1b = { ...pg1, acls: [...list(pg1, 'acls'), a._uuid].sort() } as Row;
    timed([{ table: 'ACL', uuid: a._uuid, old: null, new: a }, { table: 'Port_Group', uuid: pg1._uuid, old: pg1, new: pg1b }], aclTimes);
    e.apply([{ table: 'ACL', uuid: a._uuid, old: a, new: null }, { table: 'Port_Group', uuid: pg1._uuid, old: pg1b, new: pg1 }]);
    sync.ops(e, e.takeChanges(), 0);
  }
  console.log(`loom-northd-engine ports=${ports} compile_ms=${compile.toFixed(0)} sb_diff_ms=${diff.toFixed(0)} sb_ops=${ops} lflows=${e.flows.size} heap_mb=${heap.toFixed(0)} port_add_ms(${stats(portTimes)}) acl_add_ms(${stats(aclTimes)})`);
}
