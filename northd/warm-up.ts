// northd/warm-up.ts — runs northd's incremental path once, on a scratch topology in memory,
// after a bulk compile: so that the first change a CMS makes afterwards does not pay for V8
// compiling that path.
//
// Why: a bulk compile (start-up, a resume, a recompute) runs the bulk code and none of the
// incremental code (unit rebuilds, SB diffs of single rows, small SB transactions). The
// first port added after a 50k-port compile spent 8–16 ms in northd's compile where the next
// ones spend 2–3 ms: V8 compiling and profiling functions met for the first time.
// Owns: the scratch run — an NB and an SB store in memory (SqliteStore on ':memory:', never a
// file), one tenant of the reference shape (a switch with a router port and three ports with
// addresses and port security, a router, a port group with three ACLs), a northd of its own
// on them, then the CMS's usual changes, each waited through to SB: a port added, its
// addresses changed, an ACL added, a port group grown, the ACL and the port deleted.
// Called by: northd/daemon.ts after a bulk batch, once its sb_cfg is written (never by the
// scratch northd itself: its batches are never bulk). In loom up the stores' own code is warmed as well.
// Never: touches the real stores, prints, or throws (a failure is returned, the caller says it).
// Invariants: deterministic (same topology and steps every time); everything it opens it
// closes, whatever happens.

import type { Condition, Operation } from '../store/types.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { nbSchema, sbSchema } from '../schemas/index.js';
import { startNorthd, type Northd } from './daemon.js';

const PORTS = 3;

function tenant(): Operation[] {
  const ops: Operation[] = [{ op: 'insert', table: 'NB_Global', row: {} }];
  const ports: unknown[] = [];
  for (let p = 1; p <= PORTS; p++) {
    const a = `0a:00:00:00:00:0${p} 10.0.0.${p + 1}`;
    ops.push({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `p${p}`, row: { name: `w-p${p}`, addresses: [a], port_security: [a] } });
    ports.push(['named-uuid', `p${p}`]);
  }
  ops.push(
    { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'rp', row: { name: 'w-ls-lr', type: 'router', addresses: ['router'], options: { 'router-port': 'w-lrp' } } },
    { op: 'insert', table: 'Logical_Switch', row: { name: 'w-ls', ports: ['set', [...ports, ['named-uuid', 'rp']]] } },
    { op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'lrp', row: { name: 'w-lrp', mac: '00:00:01:00:00:01', networks: ['10.0.0.254/24'] } },
    { op: 'insert', table: 'Logical_Router', row: { name: 'w-lr', ports: ['set', [['named-uuid', 'lrp']]] } },
  );
  const acls: [number, string, string][] = [
    [1002, 'outport == @w_pg && ip4 && tcp.dst == 22', 'allow-related'],
    [1002, 'outport == @w_pg && ip4 && ip4.src == $w_pg_ip4', 'allow-related'],
    [1001, 'outport == @w_pg && ip', 'drop'],
  ];
  acls.forEach(([priority, match, action], i) => {
    ops.push({ op: 'insert', table: 'ACL', 'uuid-name': `a${i}`, row: { direction: 'to-lport', priority, match, action } });
  });
  ops.push({ op: 'insert', table: 'Port_Group', row: { name: 'w_pg', ports: ['set', ports.slice(0, PORTS - 1)], acls: ['set', acls.map((_, i) => ['named-uuid', `a${i}`])] } });
  return ops;
}

const bump: Operation = { op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] };
const byName = (name: string): Condition => ['name', '==', name];

/** Rows made by earlier steps, by the name a later step uses. */
interface Made { x?: string; a?: string }
const ref = (u: string | undefined): unknown => ['set', u === undefined ? [] : [['uuid', u]]];

/** The CMS's usual changes, in order (each one NB transaction, given the rows made before it). */
const STEPS: readonly ((m: Made) => Operation[])[] = [
  () => [
    { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'x', row: { name: 'w-x', addresses: ['0a:00:00:00:00:09 10.0.0.9'], port_security: ['0a:00:00:00:00:09 10.0.0.9'] } },
    { op: 'mutate', table: 'Logical_Switch', where: [byName('w-ls')], mutations: [['ports', 'insert', ['set', [['named-uuid', 'x']]]]] },
  ],
  () => [{ op: 'update', table: 'Logical_Switch_Port', where: [byName('w-x')], row: { addresses: ['0a:00:00:00:00:0a 10.0.0.10'] } }],
  () => [
    { op: 'insert', table: 'ACL', 'uuid-name': 'a', row: { direction: 'to-lport', priority: 1003, match: 'outport == @w_pg && tcp.dst == 443', action: 'allow-related' } },
    { op: 'mutate', table: 'Port_Group', where: [byName('w_pg')], mutations: [['acls', 'insert', ['set', [['named-uuid', 'a']]]]] },
  ],
  (m) => [{ op: 'mutate', table: 'Port_Group', where: [byName('w_pg')], mutations: [['ports', 'insert', ref(m.x)]] }],
  (m) => [
    { op: 'mutate', table: 'Port_Group', where: [byName('w_pg')], mutations: [['acls', 'delete', ref(m.a)]] },
    { op: 'delete', table: 'ACL', where: [['priority', '==', 1003]] },
  ],
  (m) => [
    { op: 'mutate', table: 'Port_Group', where: [byName('w_pg')], mutations: [['ports', 'delete', ref(m.x)]] },
    { op: 'mutate', table: 'Logical_Switch', where: [byName('w-ls')], mutations: [['ports', 'delete', ref(m.x)]] },
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
    await nb.transact(tenant());
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
