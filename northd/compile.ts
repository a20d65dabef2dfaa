// northd/compile.ts — the whole-database compile: NB snapshot in, SB content out.
//
// Owns: compileFull. Reads: an NbSnapshot and, optionally, the tunnel keys already in use
// (a recompute keeps existing keys, as ovn-northd does). Called by tests, bench and the
// daemon's first sync. Never: keeps state between calls.
// Invariant: compileFull(nb, keysOf(x)) equals the incremental engine's content x.

import type { SbContent } from './content.js';
import { NorthdEngine, type KeySeed } from './engine.js';
import type { NbChange } from './model.js';
import { NB_TABLES, type NbSnapshot } from './nb.js';

export function snapshotChanges(nb: NbSnapshot): NbChange[] {
  const out: NbChange[] = [];
  for (const t of NB_TABLES) for (const [uuid, row] of nb[t]) out.push({ table: t, uuid, old: null, new: row });
  return out;
}

/** `svcStatus`: Service_Monitor status by key (health-checked backends reported down leave the flows). */
export function compileFull(nb: NbSnapshot, keys?: KeySeed, svcStatus?: ReadonlyMap<string, string>): SbContent {
  const e = new NorthdEngine(keys, svcStatus);
  e.apply(snapshotChanges(nb), { recompute: true });
  return e;
}

export function keysOf(c: SbContent): KeySeed {
  return {
    datapaths: new Map([...c.datapaths].map(([u, d]) => [u, d.tunnel_key])),
    ports: new Map([...c.portBindings].map(([n, p]) => [n, p.tunnel_key])),
  };
}
