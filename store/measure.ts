// store/measure.ts — quick figures for the engine (not a test, not the benchmark suite:
// bench/store owns comparisons). Prints single-row commits/s and the time of one
// 10k-row transaction, on a file in the temp directory (WAL, synchronous=NORMAL).
// Run: node --import tsx store/measure.ts [rows=10000] [commits=2000]

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from './sqlite-store.js';
import type { Operation } from './types.js';
import { nbSchema } from '../schemas/index.js';

const rows = Number(process.argv[2] ?? 10000);
const commits = Number(process.argv[3] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'loom-measure-'));
// Shared machines: say how busy this one was, so figures are read in context.
console.log(`${cpus().length} cpus, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
try {
  for (const checkRows of [true, false]) {
    const s = SqliteStore.open(join(dir, `nb-${checkRows}.db`), nbSchema, { checkRows });
    let t0 = performance.now();
    for (let i = 0; i < commits; i++) await s.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: `ls${i}`, external_ids: { i: String(i) } } }]);
    let dt = performance.now() - t0;
    console.log(`checkRows=${checkRows} single-row commits: ${commits} in ${dt.toFixed(0)} ms = ${((commits * 1000) / dt).toFixed(0)}/s`);
    // One transaction: a switch with `rows` ports (each a strong ref, an indexed name, a map).
    const ops: Operation[] = [{ op: 'insert', table: 'Logical_Switch', row: { name: 'big', ports: ['set', Array.from({ length: rows }, (_, i) => ['named-uuid', `p${i}`])] } }];
    for (let i = 0; i < rows; i++) ops.push({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `p${i}`, row: { name: `lp${i}`, addresses: [`00:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} 10.0.${(i >> 8) & 255}.${i & 255}`], external_ids: { i: String(i) } } });
    t0 = performance.now();
    await s.transact(ops);
    dt = performance.now() - t0;
    console.log(`checkRows=${checkRows} ${rows}-row transaction (+1 switch referencing all): ${dt.toFixed(0)} ms`);
    t0 = performance.now();
    await s.transact([{ op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'big']] }]);
    dt = performance.now() - t0;
    console.log(`checkRows=${checkRows} delete of the switch, GC of ${rows} ports: ${dt.toFixed(0)} ms`);
    await s.close();
    t0 = performance.now();
    const re = SqliteStore.open(join(dir, `nb-${checkRows}.db`), nbSchema);
    console.log(`reopen (load ${re.selectSync('Logical_Switch').length} rows): ${(performance.now() - t0).toFixed(0)} ms`);
    await re.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
