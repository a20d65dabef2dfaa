// store/change-log.ts — how an update's old row is written in the change log.
//
// Owns: the encoding of `old` beside a full `new` row: only the columns the update
// changed, and for a large set or map only its difference ("~ports": {"add": [...],
// "del": [...]} for a set, {"put": {...}, "del": [...]} for a map), so that adding one
// port to a switch of 10k ports logs one uuid, not 10k. Reads: the table schema (map
// key types, to restore canonical key order). Called by SqliteStore when it writes and
// replays the log. Never sees inserts (old is null) or deletes (old is the full row).
// Invariants: decodeOld(encodeOld(old, new), new) equals old, canonically (tested with
// fast-check); column names never start with "~", so delta keys cannot collide.

import type { Row, Scalar, TableSchema, Value } from './types.js';
import { canonicalSet, kindOf, setDiff } from './value.js';

/** Below this many atoms a changed column is logged whole: simpler to read, as cheap. */
const deltaFrom = 32;

type MapValue = { readonly [k: string]: Scalar };
interface SetDelta {
  readonly add: readonly Scalar[];
  readonly del: readonly Scalar[];
}
interface MapDelta {
  readonly put: MapValue;
  readonly del: readonly string[];
}

function size(v: Value | undefined): number {
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  return 1;
}

export function encodeOld(table: TableSchema | undefined, old: Row, nw: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(old)) {
    const a = old[k];
    const b = nw[k];
    if (a === b) continue;
    const col = table?.columns[k];
    if (col === undefined || size(a) + size(b) < deltaFrom) {
      out[k] = a;
      continue;
    }
    const kind = kindOf(col);
    if (kind === 'set' && Array.isArray(a) && Array.isArray(b)) {
      // Both sorted: what new has that old lacks (add), and what old had (del).
      const d = setDiff(a as readonly Scalar[], b as readonly Scalar[]);
      const add = d.added;
      const del = d.removed;
      out[`~${k}`] = { add, del } satisfies SetDelta;
    } else if (kind === 'map' && a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
      const am = a as MapValue;
      const bm = b as MapValue;
      const put: Record<string, Scalar> = {};
      const del: string[] = [];
      for (const [key, v] of Object.entries(am)) if (bm[key] !== v) put[key] = v;
      for (const key of Object.keys(bm)) if (!Object.prototype.hasOwnProperty.call(am, key)) del.push(key);
      out[`~${k}`] = { put, del } satisfies MapDelta;
    } else {
      out[k] = a;
    }
  }
  return out;
}

export function decodeOld(table: TableSchema | undefined, encoded: Record<string, unknown>, nw: Row): Row {
  const old: Record<string, unknown> = { ...nw };
  for (const [k, v] of Object.entries(encoded)) {
    if (!k.startsWith('~')) {
      old[k] = v;
      continue;
    }
    const column = k.slice(1);
    const cur = nw[column];
    if (Array.isArray(cur)) {
      const d = v as SetDelta;
      const add = new Set(d.add);
      old[column] = canonicalSet([...(cur as readonly Scalar[]).filter((a) => !add.has(a)), ...d.del]);
    } else {
      const d = v as MapDelta;
      const m: Record<string, Scalar> = { ...(cur as MapValue) };
      for (const key of d.del) delete m[key];
      Object.assign(m, d.put);
      const numeric = table?.columns[column]?.key.type === 'integer' || table?.columns[column]?.key.type === 'real';
      const keys = Object.keys(m).sort((x, y) => (numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0));
      const sorted: Record<string, Scalar> = {};
      for (const key of keys) sorted[key] = m[key] as Scalar;
      old[column] = sorted;
    }
  }
  return old as Row;
}
