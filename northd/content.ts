// northd/content.ts — SbContent: everything northd wants the southbound database to hold,
// as plain data keyed by natural keys (no SB UUIDs), so a full compile and the incremental
// engine can be compared with `canonical()` and sb-sync.ts can diff it against SB.
//
// Owns: the shapes. Called by engine.ts (producer), sb-sync.ts and tests (consumers).
// Never: holds SB row UUIDs (those belong to sb-sync.ts).

import type { Uuid } from '../store/types.js';
import { flowExternalIds, type SharedFlow } from './lflow.js';

export interface SbDatapath {
  readonly nb: Uuid;
  readonly type: 'switch' | 'router';
  readonly name: string;
  readonly tunnel_key: number;
  readonly external_ids: { readonly [k: string]: string };
}

export interface SbPortBinding {
  readonly nb: Uuid;
  readonly logical_port: string;
  /** NB uuid of the switch/router */
  readonly datapath: Uuid;
  readonly tunnel_key: number;
  readonly type: string;
  readonly mac: readonly string[];
  readonly port_security: readonly string[];
  readonly options: { readonly [k: string]: string };
  readonly parent_port: string | null;
  readonly tag: number | null;
  readonly external_ids: { readonly [k: string]: string };
}

export interface SbMulticastGroup {
  readonly datapath: Uuid;
  readonly name: string;
  readonly tunnel_key: number;
  /** logical port names */
  readonly ports: readonly string[];
}

export interface SbContent {
  readonly datapaths: ReadonlyMap<Uuid, SbDatapath>;
  /** by logical_port */
  readonly portBindings: ReadonlyMap<string, SbPortBinding>;
  /** by `${datapath} ${name}` */
  readonly multicastGroups: ReadonlyMap<string, SbMulticastGroup>;
  /** by flow identity (lflow.ts flowKey) */
  readonly flows: ReadonlyMap<string, SharedFlow>;
  readonly addressSets: ReadonlyMap<string, readonly string[]>;
  readonly portGroups: ReadonlyMap<string, readonly string[]>;
}

const byKey = <T>(m: ReadonlyMap<string, T>): [string, T][] => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** A deterministic text of the whole content: equal texts mean equal SB. */
export function canonical(c: SbContent): string {
  const flows = byKey(c.flows).map(([k, f]) => [k, [...f.dps.keys()].sort(), flowExternalIds(f.flow)]);
  return JSON.stringify({
    datapaths: byKey(c.datapaths),
    portBindings: byKey(c.portBindings),
    multicastGroups: byKey(c.multicastGroups),
    flows,
    addressSets: byKey(c.addressSets),
    portGroups: byKey(c.portGroups),
  });
}
