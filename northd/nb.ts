// northd/nb.ts — northd's read-only view of the northbound database.
//
// Owns: the NbSnapshot shape (table → uuid → row, plain form as store/types.ts defines it)
// and typed column readers, so the pipelines never poke at `Value` unions directly.
// Reads: rows handed in by the engine (from a Store snapshot or watch). Called by every
// pipeline builder. Never: mutates a row or the snapshot; builders treat NB as immutable.
// Invariant: a missing column reads as its empty value ('' / [] / {} / null), the way
// OVSDB presents an unset optional column.

import type { Row, Uuid, Value } from '../store/types.js';

/** NB tables northd reads. */
export const NB_TABLES = [
  'NB_Global', 'Logical_Switch', 'Logical_Switch_Port', 'Logical_Router', 'Logical_Router_Port',
  'ACL', 'Port_Group', 'Address_Set', 'Load_Balancer', 'NAT', 'Logical_Router_Static_Route',
  'Logical_Router_Policy', 'DHCP_Options', 'Gateway_Chassis', 'HA_Chassis_Group', 'HA_Chassis', 'DNS', 'QoS',
  'Meter', 'Meter_Band', 'Load_Balancer_Health_Check', 'Load_Balancer_Group',
] as const;
export type NbTable = (typeof NB_TABLES)[number];

export type NbSnapshot = { readonly [T in NbTable]: ReadonlyMap<Uuid, Row> };

export function emptySnapshot(): { [T in NbTable]: Map<Uuid, Row> } {
  const s = {} as { [T in NbTable]: Map<Uuid, Row> };
  for (const t of NB_TABLES) s[t] = new Map();
  return s;
}

export function str(row: Row, col: string): string {
  const v = row[col];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0]; // optional column given as a 0/1 set
  return v === undefined || v === null ? '' : String(v);
}

export function optStr(row: Row, col: string): string | null {
  const v = row[col];
  if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return null;
  return str(row, col);
}

export function int(row: Row, col: string): number | null {
  const v: Value | undefined = row[col];
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return null;
}

export function bool(row: Row, col: string): boolean | null {
  const v: Value | undefined = row[col];
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v) && typeof v[0] === 'boolean') return v[0];
  return null;
}

const NONE: readonly string[] = Object.freeze([]);
const NO_MAP: { readonly [k: string]: string } = Object.freeze({});

// Rows are immutable and their sets and maps are nearly always of strings already: those are
// handed out as they are (readonly), a copy only when an atom needs String() (a compile reads
// ~20 columns of each of 10k ports; copying each was a good part of its garbage).
export function list(row: Row, col: string): readonly string[] {
  const v = row[col];
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') return v.map(String);
    return v as readonly string[];
  }
  if (typeof v === 'string') return [v];
  return NONE;
}

export function map(row: Row, col: string): { readonly [k: string]: string } {
  const v = row[col];
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v)) return NO_MAP;
  for (const k in v) {
    if (typeof (v as { readonly [k: string]: unknown })[k] !== 'string') {
      const out: { [k: string]: string } = {};
      for (const [k2, x] of Object.entries(v)) out[k2] = String(x);
      return out;
    }
  }
  return v as { readonly [k: string]: string };
}
