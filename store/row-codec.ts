// store/row-codec.ts — how a row is laid out in the SQLite file.
//
// Owns: the split of a row into its JSON text (rows.data) and, for each set or map
// column of at least `bigFrom` elements, one SQLite row per element (members table), so
// that adding one port to a switch of 10k ports writes one member, not a 400 KB text.
// Reads: the table schema (which columns are sets/maps, map key types). Called by
// SqliteStore when it writes a commit and when it loads the file. Never decides what a
// row is (that is the transaction's); it only stores and restores it exactly.
// Invariants: fromMembers(col, members(col, v)) equals v canonically; applying
// memberDelta(col, a, b) to members(col, a) gives members(col, b) (tested).

import type { ColumnSchema, Row, Scalar, TableSchema, Value } from './types.js';
import { canonicalMap, canonicalSet, defaultValue, kindOf, setDiff } from './value.js';
import { rowFactory } from './database.js';

/** Sets and maps this large (or larger) are stored one element per SQLite row. */
export const bigFrom = 64;

/** One stored element: a set's atom (k, JSON) or a map's entry (k: key text, v: value JSON). */
export interface Member {
  readonly k: string;
  readonly v: string | null;
}

type MapValue = { readonly [k: string]: Scalar };

/** At least bigFrom elements? Counts a map's keys only that far (no key array per row). */
function isBig(v: Value | undefined): boolean {
  if (Array.isArray(v)) return v.length >= bigFrom;
  if (v === null || v === undefined || typeof v !== 'object') return false;
  let n = 0;
  for (const _ in v) if (++n >= bigFrom) return true;
  return false;
}

/** The column's value is its OVSDB default (written rows leave those out). */
function isDefault(v: Value, dflt: Value): boolean {
  if (v === dflt) return true;
  if (Array.isArray(v)) return v.length === 0 && Array.isArray(dflt);
  if (v === null || typeof v !== 'object') return false;
  if (dflt === null || typeof dflt !== 'object' || Array.isArray(dflt)) return false;
  for (const _ in v) return false;
  return true;
}

const collectionsOf = new WeakMap<TableSchema, readonly string[]>();

/** The table's set and map columns, worked out once per schema object (called per written row). */
function collections(table: TableSchema): readonly string[] {
  let cs = collectionsOf.get(table);
  if (cs === undefined) {
    cs = Object.entries(table.columns)
      .filter(([, col]) => kindOf(col) === 'set' || kindOf(col) === 'map')
      .map(([c]) => c);
    collectionsOf.set(table, cs);
  }
  return cs;
}

const none: readonly string[] = [];

/** The row's set/map columns of at least bigFrom elements (none: a shared empty array). */
export function bigColumns(table: TableSchema | undefined, row: Row): readonly string[] {
  if (table === undefined) return none;
  let out: string[] | undefined;
  for (const c of collections(table)) if (isBig(row[c])) (out ??= []).push(c);
  return out ?? none;
}

interface Layout {
  /** Per column: name, its ',"name":' prefix, its OVSDB default. */
  readonly cols: readonly { readonly name: string; readonly prefix: string; readonly dflt: Value }[];
  readonly defaults: { readonly [c: string]: Value };
  readonly newRow: (uuid: string) => { _uuid: string; [c: string]: Value };
}
const layouts = new WeakMap<TableSchema, Layout>();

function layout(table: TableSchema): Layout {
  let l = layouts.get(table);
  if (l === undefined) {
    const defaults: Record<string, Value> = {};
    const cols = Object.entries(table.columns).map(([name, col]) => {
      defaults[name] = defaultValue(col);
      return { name, prefix: `,${JSON.stringify(name)}:`, dflt: defaults[name] as Value };
    });
    layouts.set(table, (l = { cols, defaults, newRow: rowFactory(cols.map((c) => [c.name, c.dflt])) }));
  }
  return l;
}

/**
 * The row's JSON text: its _version and the columns that differ from their default, less
 * its big columns. _uuid is the rows.uuid key and defaults are restored by rowFromData, so
 * neither is written: a Logical_Flow row is a quarter shorter, which 55k-row commits feel
 * both in building the text and in SQLite.
 */
export function rowData(table: TableSchema, row: Row, big: readonly string[]): string {
  let s = `{"_version":${JSON.stringify(row._version ?? row._uuid)}`;
  for (const c of layout(table).cols) {
    const v = row[c.name];
    if (v === undefined || isDefault(v, c.dflt) || (big.length > 0 && big.includes(c.name))) continue;
    s += c.prefix + JSON.stringify(v);
  }
  return s + '}';
}

/**
 * A row as stored (rows.data parsed, big columns put back), fitted to the table in hand:
 * columns it lacks (defaults not written, or new in the schema) take their default,
 * columns the table no longer has are dropped. Files older than this layout wrote every
 * column and _uuid; they read the same.
 */
export function rowFromData(table: TableSchema, uuid: string, data: Record<string, unknown>): Row {
  const l = layout(table);
  const row: Record<string, unknown> = l.newRow(uuid);
  row['_version'] = data['_version'] ?? uuid;
  for (const c of l.cols) if (Object.prototype.hasOwnProperty.call(data, c.name)) row[c.name] = data[c.name];
  return row as Row;
}

export function members(col: ColumnSchema, v: Value): Member[] {
  if (col.value !== undefined) return Object.entries((v ?? {}) as MapValue).map(([k, x]) => ({ k, v: JSON.stringify(x) }));
  return ((v ?? []) as readonly Scalar[]).map((a) => ({ k: JSON.stringify(a), v: null }));
}

/** What to write (put) and remove (del, by k) to turn the stored elements of `old` into `nw`. */
export function memberDelta(col: ColumnSchema, old: Value, nw: Value): { put: Member[]; del: string[] } {
  const put: Member[] = [];
  const del: string[] = [];
  if (col.value !== undefined) {
    const a = (old ?? {}) as MapValue;
    const b = (nw ?? {}) as MapValue;
    for (const [k, x] of Object.entries(b)) if (!Object.prototype.hasOwnProperty.call(a, k) || a[k] !== x) put.push({ k, v: JSON.stringify(x) });
    for (const k of Object.keys(a)) if (!Object.prototype.hasOwnProperty.call(b, k)) del.push(k);
    return { put, del };
  }
  const d = setDiff((old ?? []) as readonly Scalar[], (nw ?? []) as readonly Scalar[]);
  for (const x of d.added) put.push({ k: JSON.stringify(x), v: null });
  for (const x of d.removed) del.push(JSON.stringify(x));
  return { put, del };
}

export function fromMembers(col: ColumnSchema, ms: readonly Member[]): Value {
  if (col.value !== undefined) {
    const key = (k: string): Scalar => (col.key.type === 'integer' || col.key.type === 'real' ? Number(k) : col.key.type === 'boolean' ? k === 'true' : k);
    return canonicalMap(ms.map((m) => [key(m.k), JSON.parse(m.v ?? 'null') as Scalar]));
  }
  return canonicalSet(ms.map((m) => JSON.parse(m.k) as Scalar));
}
