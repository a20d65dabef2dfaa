// northd/warm-up.ts — runs northd's incremental path once, on a scratch topology in memory,
// after a bulk compile: so that the first change a CMS makes afterwards does not pay for V8
// compiling that path.
//
// Why: a bulk compile (start-up, a resume, a recompute) runs the bulk code and none of the
// incremental code (unit rebuilds, SB diffs of single rows, small SB transactions). The
// first port added after a 50k-port compile spent 8–16 ms in northd's compile where the next
// ones spend 2–3 ms: V8 compiling and profiling functions met for the first time.
// Owns: the scratch run — an NB and an SB store in memory (SqliteStore on ':memory:', never a
// file), one tenant of the reference topology (northd/reference-topology.ts) with three
// ports, a northd of its own on them, then the CMS's usual changes, each waited through to
// SB: a port added, its addresses changed, an ACL added, a port group grown, the ACL and the
// port deleted.
// Called by: northd/daemon.ts after a bulk batch, once its sb_cfg is written (never by the
// scratch northd itself: its batches are never bulk). In loom up the stores' own code is warmed as well.
// Never: touches the real stores, prints, or throws (a failure is returned, the caller says it).
// Invariants: deterministic (same topology and steps every time); everything it opens it
// closes, whatever happens.

import type { Condition, Operation } from '../store/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { nbSchema, sbSchema } from '../schemas/index.js';
import { startNorthd, type Northd } from './daemon.js';
import { aclAddOps, portAddOps, tenantOps } from './reference-topology.js';

/** Ports of the scratch tenant. */
const PORTS = 3;

const bump: Operation = { op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] };
const byName = (name: string): Condition => ['name', '==', name];

/** Rows made by earlier steps, by the name a later step uses. */
interface Made { x?: string; a?: string }
const ref = (u: string | undefined): unknown => ['set', u === undefined ? [] : [['uuid', u]]];

/**
 * The CMS's usual changes, in order (each one NB transaction, given the rows made before it):
 * the reference's port add and ACL add (uuid-names x and a), then more of the same rows.
 */
const STEPS: readonly ((m: Made) => Operation[])[] = [
  () => portAddOps(1),
  () => [{ op: 'update', table: 'Logical_Switch_Port', where: [byName('extra1')], row: { addresses: ['0a:ff:00:00:00:02 10.0.1.248'] } }],
  () => aclAddOps(1),
  (m) => [{ op: 'mutate', table: 'Port_Group', where: [byName('pg1')], mutations: [['ports', 'insert', ref(m.x)]] }],
  (m) => [
    { op: 'mutate', table: 'Port_Group', where: [byName('pg1')], mutations: [['acls', 'delete', ref(m.a)]] },
    { op: 'delete', table: 'ACL', where: [['priority', '==', 1003]] },
  ],
  (m) => [
    { op: 'mutate', table: 'Port_Group', where: [byName('pg1')], mutations: [['ports', 'delete', ref(m.x)]] },
    { op: 'mutate', table: 'Logical_Switch', where: [byName('ls1')], mutations: [['ports', 'delete', ref(m.x)]] },
  ],
];

export interface WarmUpResult {
  readonly ms: number;
  readonly steps: number;
  readonly error?: unknown;
}

/**
 * One scratch run (see the header); resolves with its wall time, or the error that stopped it.
 * `inspect` (tests) sees the scratch stores and northd after the last step, before they close.
 */
export async function warmIncremental(inspect?: (nb: SqliteStore, sb: SqliteStore, northd: Northd) => Promise<void>): Promise<WarmUpResult> {
  const t0 = performance.now();
  let steps = 0;
  let nb: SqliteStore | undefined;
  let sb: SqliteStore | undefined;
  try {
    nb = SqliteStore.open(':memory:', nbSchema);
    sb = SqliteStore.open(':memory:', sbSchema);
    await nb.transact([{ op: 'insert', table: 'NB_Global', row: {} }, ...tenantOps(1, PORTS)]);
    const errors: unknown[] = [];
    const northd = await startNorthd({ nb, sb, quiet: true, warmUp: false, onError: (e) => void errors.push(e) });
    try {
      await northd.synced();
      const made: Made = {};
      for (const step of STEPS) {
        const ops = step(made);
        const res = await nb.transact([...ops, bump]);
        ops.forEach((o, i) => {
          const u = (res.results[i] as { uuid?: string } | undefined)?.uuid;
          if (o.op === 'insert' && u !== undefined && (o['uuid-name'] === 'x' || o['uuid-name'] === 'a')) made[o['uuid-name']] = u;
        });
        await northd.synced();
        steps++;
      }
      await northd.idle();
      await inspect?.(nb, sb, northd);
    } finally {
      await northd.close();
    }
    if (errors.length > 0) throw errors[0];
    return { ms: performance.now() - t0, steps };
  } catch (error) {
    return { ms: performance.now() - t0, steps, error };
  } finally {
    await nb?.close().catch(() => undefined);
    await sb?.close().catch(() => undefined);
  }
}
