// store/database.ts — the committed state of one database, in memory: rows per table,
// the reverse reference index, strong reference counts, unique indexes, and equality indexes
// built on demand for unindexed columns of big tables (eqLookup).
//
// Owns: what is committed, as the transaction executor and the watch see it. Reads: the
// DatabaseSchema (precomputed per table: reference columns, indexes, defaults, required
// columns). Called by SqliteStore (load at open, apply after each durable commit) and by
// the executor (read-only). Never decides anything: applying a change set that breaks
// references or indexes is the executor's bug, and checkInvariants() finds it.
// Invariants: strongIn(u) equals the number of strong reference entries pointing at u;
// every index map holds exactly the keys of the current rows (the schema's unique indexes,
// and the equality indexes eqLookup builds on demand).

import { LoomError } from './types.js';
import type { Row, RowChange, TableSchema, DatabaseSchema, Uuid, Value, Scalar } from './types.js';
import { defaultIsInvalid, defaultValue, kindOf, setDiff, valuesEqual } from './value.js';
import { indexFor } from './condition.js';
import type { CompiledWhere } from './condition.js';

export interface RefSpec {
  readonly column: string;
  /** key: the set elements or map keys refer; value: the map values refer. */
  readonly part: 'key' | 'value';
  readonly refTable: string;
  readonly strong: boolean;
}

export interface RefEntry {
  readonly target: Uuid;
  readonly column: string;
  readonly refTable: string;
  readonly strong: boolean;
}

export interface InboundRef {
  readonly table: string;
  readonly column: string;
  readonly strong: boolean;
}

export interface TableInfo {
  readonly schema: TableSchema;
  readonly refs: readonly RefSpec[];
  readonly hasWeak: boolean;
  readonly defaults: { readonly [column: string]: Value };
  /** The columns in schema order (every row of the table has them in this order: one shape). */
  readonly columns: readonly string[];
  /**
   * A new row: _uuid, _version '' and every column at its default, in that order, built by
   * one object literal compiled from the schema: one hidden class per table with every
   * property in the object itself. (Adding 20 columns one by one turns an object into a
   * dictionary: slower to build, to read and to copy, and twice the memory per row.)
   */
  readonly newRow: (uuid: Uuid) => { _uuid: Uuid; [column: string]: Value };
  /** Columns whose OVSDB default breaks their own constraints: insert must name them. */
  readonly required: readonly string[];
  /** A column to name rows by in messages ("name" when the table has one). */
  readonly label?: string;
}

export function tableInfo(schema: TableSchema): TableInfo {
  const refs: RefSpec[] = [];
  const defaults: Record<string, Value> = {};
  const required: string[] = [];
  for (const [c, col] of Object.entries(schema.columns)) {
    defaults[c] = defaultValue(col);
    if (defaultIsInvalid(col)) required.push(c);
    if (col.key.refTable !== undefined) refs.push({ column: c, part: 'key', refTable: col.key.refTable, strong: col.key.refType !== 'weak' });
    if (col.value?.refTable !== undefined) refs.push({ column: c, part: 'value', refTable: col.value.refTable, strong: col.value.refType !== 'weak' });
  }
  const label = 'name' in schema.columns && schema.columns['name']?.key.type === 'string' ? 'name' : undefined;
  const columns = Object.keys(schema.columns);
  return { schema, refs, hasWeak: refs.some((r) => !r.strong), defaults, columns, newRow: rowFactory(columns.map((c) => [c, defaults[c] as Value])), required, ...(label !== undefined ? { label } : {}) };
}

/**
 * `(uuid) => ({ _uuid: uuid, _version: '', c1: d[0], ... })` for the given columns and
 * defaults. Column names enter the source only through JSON.stringify (quoted property
 * names), defaults only as values of the closed-over array: no schema text is run as code.
 */
export function rowFactory(cols: readonly (readonly [string, Value])[]): (uuid: Uuid) => { _uuid: Uuid; [column: string]: Value } {
  // OVSDB column names are identifiers not starting with '_' ("__proto__" in a literal would
  // set the prototype): anything else gets the generic, slower builder
  if (!cols.every(([c]) => /^[A-Za-z][A-Za-z0-9_-]*$/.test(c))) {
    return (u) => {
      const row: { _uuid: Uuid; [column: string]: Value } = { _uuid: u, _version: '' };
      for (const [c, v] of cols) Object.defineProperty(row, c, { value: v, writable: true, enumerable: true, configurable: true });
      return row;
    };
  }
  const props = cols.map(([c], i) => `${JSON.stringify(c)}: d[${i}]`);
  const body = `return (u) => ({ "_uuid": u, "_version": "", ${props.join(', ')} });`;
  return new Function('d', body)(cols.map(([, v]) => v)) as (uuid: Uuid) => { _uuid: Uuid; [column: string]: Value };
}

/** The uuids one reference spec finds in a value. */
export function refTargets(spec: RefSpec, v: Value | undefined): readonly Scalar[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v as readonly Scalar[];
  if (typeof v === 'object') return spec.part === 'key' ? Object.keys(v) : Object.values(v as { readonly [k: string]: Scalar });
  return [v as Scalar];
}

export function refsOf(info: TableInfo, row: Row): RefEntry[] {
  const out: RefEntry[] = [];
  for (const spec of info.refs) {
    for (const t of refTargets(spec, row[spec.column])) out.push({ target: t as Uuid, column: spec.column, refTable: spec.refTable, strong: spec.strong });
  }
  return out;
}

function refEntry(spec: RefSpec, t: Scalar): RefEntry {
  return { target: t as Uuid, column: spec.column, refTable: spec.refTable, strong: spec.strong };
}

/**
 * The references a change removes and adds. Columns whose value did not change are
 * skipped, so adding one port to a switch of 10k ports costs one entry, not 20k.
 */
export function refDelta(info: TableInfo, old: Row | null, nw: Row | null): { removed: RefEntry[]; added: RefEntry[] } {
  const removed: RefEntry[] = [];
  const added: RefEntry[] = [];
  for (const spec of info.refs) {
    const a = old === null ? undefined : old[spec.column];
    const b = nw === null ? undefined : nw[spec.column];
    if (old !== null && nw !== null && valuesEqual(a, b)) continue;
    const ta = refTargets(spec, a);
    const tb = refTargets(spec, b);
    if (ta.length === 0 || tb.length === 0) {
      for (const t of ta) removed.push(refEntry(spec, t));
      for (const t of tb) added.push(refEntry(spec, t));
      continue;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      // Sets are sorted and duplicate-free: one merge pass.
      const d = setDiff(a as readonly Scalar[], b as readonly Scalar[]);
      for (const t of d.removed) removed.push(refEntry(spec, t));
      for (const t of d.added) added.push(refEntry(spec, t));
      continue;
    }
    const counts = new Map<Scalar, number>();
    for (const t of ta) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const t of tb) {
      const n = counts.get(t) ?? 0;
      if (n > 0) counts.set(t, n - 1);
      else added.push(refEntry(spec, t));
    }
    for (const [t, n] of counts) for (let i = 0; i < n; i++) removed.push(refEntry(spec, t));
  }
  return { removed, added };
}

export function indexKey(row: Row, cols: readonly string[]): string {
  if (cols.length === 1) return JSON.stringify(row[cols[0] as string] ?? null);
  // the text of JSON.stringify(cols.map(...)), without the array and closure per row
  let key = '[';
  for (let i = 0; i < cols.length; i++) key += (i > 0 ? ',' : '') + JSON.stringify(row[cols[i] as string] ?? null);
  return `${key}]`;
}

/** How a row is called in messages: Logical_Switch 'ls1' or Logical_Flow 5f0c…. */
export function rowLabel(info: TableInfo | undefined, table: string, row: Row | null | undefined, uuid: Uuid): string {
  const name = info?.label !== undefined && row ? row[info.label] : undefined;
  return typeof name === 'string' && name !== '' ? `${table} '${name}'` : `${table} ${uuid}`;
}

/** Rows a table needs before an equality scan on a column the schema does not index builds an index for it. */
const EQ_INDEX_ROWS = 256;
/** An equality index is kept only when its values are this selective (distinct values × this ≥ rows). */
const EQ_INDEX_SELECTIVITY = 4;

/** An equality index: value → the uuid (most values name one row) or uuids of the rows holding it. */
type EqIndex = Map<Scalar, Uuid | Set<Uuid>>;

function eqAdd(m: EqIndex, v: Scalar, u: Uuid): void {
  const h = m.get(v);
  if (h === undefined) m.set(v, u);
  else if (typeof h !== 'string') h.add(u);
  else if (h !== u) m.set(v, new Set([h, u]));
}

function eqDel(m: EqIndex, v: Scalar, u: Uuid): void {
  const h = m.get(v);
  if (h === undefined) return;
  if (typeof h === 'string') {
    if (h === u) m.delete(v);
    return;
  }
  h.delete(u);
  if (h.size === 1) m.set(v, h.values().next().value as Uuid);
  else if (h.size === 0) m.delete(v);
}

export class Database {
  readonly schema: DatabaseSchema;
  readonly info: ReadonlyMap<string, TableInfo>;
  private readonly rows = new Map<string, Map<Uuid, Row>>();
  private readonly inbound = new Map<Uuid, Map<Uuid, InboundRef[]>>();
  private readonly strong = new Map<Uuid, number>();
  private readonly idx = new Map<string, Map<string, Uuid>[]>();
  private readonly inboundRefs = new Map<string, Map<string, InboundRef>>();
  private readonly specRefsOf = new Map<string, readonly InboundRef[]>();
  /**
   * Equality indexes on scalar columns the schema does not index, built by eqLookup the
   * first time a big table is scanned on one and kept by apply from then on (null: built
   * once and found not selective enough to keep): table → column → index.
   */
  private readonly eqIdx = new Map<string, Map<string, EqIndex | null>>();

  constructor(schema: DatabaseSchema) {
    this.schema = schema;
    const info = new Map<string, TableInfo>();
    for (const t of Object.values(schema.tables)) {
      info.set(t.name, tableInfo(t));
      this.rows.set(t.name, new Map());
      this.idx.set(t.name, t.indexes.map(() => new Map()));
    }
    this.info = info;
  }

  tableInfo(table: string): TableInfo {
    const i = this.info.get(table);
    if (i === undefined) throw new LoomError({ code: 'internal', message: `no table ${table}` });
    return i;
  }

  rowsOf(table: string): ReadonlyMap<Uuid, Row> {
    return this.rows.get(table) ?? new Map();
  }

  get(table: string, uuid: Uuid): Row | undefined {
    return this.rows.get(table)?.get(uuid);
  }

  /** Rows referring to `target`, with the columns they refer from. */
  referrers(target: Uuid): ReadonlyMap<Uuid, readonly InboundRef[]> | undefined {
    return this.inbound.get(target);
  }

  strongIn(target: Uuid): number {
    return this.strong.get(target) ?? 0;
  }

  indexLookup(table: string, i: number, key: string): Uuid | undefined {
    return this.idx.get(table)?.[i]?.get(key);
  }

  /**
   * The committed rows that can match `where` (the caller tests it on each, and adds what a
   * running transaction wrote): the one a unique index pins, else those an equality index
   * gives (eqLookup); undefined when only a scan finds them. `_uuid ==` is the caller's.
   */
  candidates(table: string, where: CompiledWhere): Iterable<Uuid> | undefined {
    const t = this.schema.tables[table];
    const idx = t === undefined ? undefined : indexFor(t, where);
    if (idx === undefined) return this.eqLookup(table, where.eq);
    const u = this.indexLookup(table, idx.index, idx.key);
    return u === undefined ? [] : [u];
  }

  /**
   * The committed rows that can match `eq` (a CompiledWhere's equalities on scalar columns;
   * the caller tests the whole condition on them), from the index of one of its columns,
   * built the first time a table of EQ_INDEX_ROWS rows or more is asked (a CMS naming a switch by name, a column
   * OVN's schema leaves unindexed, scanned 500 rows per operation at 50k ports); undefined
   * when the caller should scan instead: the table is small, or the column's values repeat
   * too much for an index to pay (what its first build found, for good).
   */
  eqLookup(table: string, eq: ReadonlyMap<string, Value> | undefined): Iterable<Uuid> | undefined {
    if (eq === undefined) return undefined;
    const rows = this.rows.get(table);
    if (rows === undefined || rows.size < EQ_INDEX_ROWS) return undefined;
    let cols = this.eqIdx.get(table);
    if (cols === undefined) this.eqIdx.set(table, (cols = new Map()));
    // the first equality whose column is worth an index: the others are tested on its candidates
    for (const [column, value] of eq) {
      let m = cols.get(column);
      if (m === undefined) {
        const built: EqIndex = new Map();
        for (const [u, r] of rows) eqAdd(built, r[column] as Scalar, u);
        m = built.size * EQ_INDEX_SELECTIVITY >= rows.size ? built : null;
        cols.set(column, m);
      }
      if (m === null) continue;
      const hit = m.get(value as Scalar);
      return hit === undefined ? [] : typeof hit === 'string' ? [hit] : hit;
    }
    return undefined;
  }

  /**
   * The one InboundRef object per (table, column, strength): entries are immutable and
   * there is one per reference held, so sharing them keeps 50k-row commits from
   * allocating (and the collector from copying) an object per reference.
   */
  private inboundRef(table: string, column: string, strong: boolean): InboundRef {
    let m = this.inboundRefs.get(table);
    if (m === undefined) this.inboundRefs.set(table, (m = new Map()));
    const k = strong ? column : `~${column}`;
    let r = m.get(k);
    if (r === undefined) m.set(k, (r = Object.freeze({ table, column, strong })));
    return r;
  }

  private addInbound(table: string, src: Uuid, target: Uuid, column: string, strong: boolean): void {
    this.addRef(src, target, this.inboundRef(table, column, strong));
  }

  /** `fresh`: src has no entry under target yet (an inserted row's first reference to it). */
  private addRef(src: Uuid, target: Uuid, ref: InboundRef, fresh = false): void {
    let m = this.inbound.get(target);
    if (m === undefined) this.inbound.set(target, (m = new Map()));
    const list = fresh ? undefined : m.get(src);
    // most rows refer to a target once: a one-element array, not push's 16-slot growth
    if (list === undefined) m.set(src, [ref]);
    else list.push(ref);
    if (ref.strong) this.strong.set(target, (this.strong.get(target) ?? 0) + 1);
  }

  /** The InboundRef of each of the table's reference specs (TableInfo.refs), in that order. */
  private specRefs(table: string, info: TableInfo): readonly InboundRef[] {
    let r = this.specRefsOf.get(table);
    if (r === undefined) this.specRefsOf.set(table, (r = info.refs.map((spec) => this.inboundRef(table, spec.column, spec.strong))));
    return r;
  }

  /** Applies a committed change set (already checked by the executor). */
  apply(changes: readonly RowChange[]): void {
    // a bulk is mostly runs of one table: its info looked up once per run
    let table = '';
    let info: TableInfo | undefined;
    let specRefs: readonly InboundRef[] = [];
    // (indexed loops: apply runs once per commit, interpreted, where iterators allocate per step)
    for (let n = 0; n < changes.length; n++) {
      const c = changes[n] as RowChange;
      if (c.table !== table || info === undefined) {
        table = c.table;
        info = this.tableInfo(table);
        specRefs = this.specRefs(table, info);
      }
      if (c.old === null && c.new !== null) {
        // an inserted row only adds references: walk them in place (no delta to build). A
        // new row is in no inbound map yet: if it names one target only (a flow its
        // datapath), the row needs no lookup there.
        const refs = info.refs;
        let single = -1;
        for (let i = 0; i < refs.length && single !== -2; i++) {
          const v = c.new[(refs[i] as RefSpec).column];
          if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) continue;
          single = single === -1 && (typeof v === 'string' || (Array.isArray(v) && v.length === 1)) ? i : -2;
        }
        for (let i = 0; i < refs.length; i++) {
          const spec = refs[i] as RefSpec;
          const ref = specRefs[i] as InboundRef;
          const v = c.new[spec.column];
          if (typeof v === 'string') this.addRef(c.uuid, v, ref, single === i);
          else if (v !== null && v !== undefined) {
            const ts = refTargets(spec, v);
            for (let j = 0; j < ts.length; j++) this.addRef(c.uuid, ts[j] as Uuid, ref, single === i);
          }
        }
        continue;
      }
      const { removed, added } = refDelta(info, c.old, c.new);
      for (const r of removed) {
        const m = this.inbound.get(r.target);
        const list = m?.get(c.uuid);
        if (m !== undefined && list !== undefined) {
          const i = list.findIndex((x) => x.column === r.column && x.strong === r.strong);
          if (i >= 0) list.splice(i, 1);
          if (list.length === 0) m.delete(c.uuid);
          if (m.size === 0) this.inbound.delete(r.target);
        }
        if (r.strong) {
          const n = (this.strong.get(r.target) ?? 0) - 1;
          if (n > 0) this.strong.set(r.target, n);
          else this.strong.delete(r.target);
        }
      }
      for (const r of added) this.addInbound(c.table, c.uuid, r.target, r.column, r.strong);
    }
    // Index keys: all removals before all additions, so rows may swap keys in one commit.
    for (let n = 0; n < changes.length; n++) {
      const c = changes[n] as RowChange;
      if (c.old === null) continue;
      const maps = this.idx.get(c.table) ?? [];
      this.tableInfo(c.table).schema.indexes.forEach((cols, i) => {
        const key = indexKey(c.old as Row, cols);
        const m = maps[i];
        if (m !== undefined && m.get(key) === c.uuid) m.delete(key);
      });
      if (c.new === null) this.rows.get(c.table)?.delete(c.uuid);
    }
    table = '';
    let rows: Map<Uuid, Row> | undefined;
    let maps: Map<string, Uuid>[] = [];
    let indexes: readonly (readonly string[])[] = [];
    for (let n = 0; n < changes.length; n++) {
      const c = changes[n] as RowChange;
      if (c.new === null) continue;
      if (c.table !== table) {
        table = c.table;
        rows = this.rows.get(table);
        maps = this.idx.get(table) ?? [];
        indexes = this.tableInfo(table).schema.indexes;
      }
      rows?.set(c.uuid, c.new);
      for (let i = 0; i < indexes.length; i++) maps[i]?.set(indexKey(c.new, indexes[i] as readonly string[]), c.uuid);
    }
    if (this.eqIdx.size > 0) {
      for (let n = 0; n < changes.length; n++) {
        const c = changes[n] as RowChange;
        const cols = this.eqIdx.get(c.table);
        if (cols === undefined) continue;
        for (const [col, m] of cols) {
          if (m === null) continue;
          if (c.old !== null) eqDel(m, c.old[col] as Scalar, c.uuid);
          if (c.new !== null) eqAdd(m, c.new[col] as Scalar, c.uuid);
        }
      }
    }
  }

  /** The equality indexes eqLookup built, as `table.column`, and whether each was kept (tests, stats). */
  eqIndexes(): { readonly on: string; readonly kept: boolean }[] {
    const out: { on: string; kept: boolean }[] = [];
    for (const [table, cols] of this.eqIdx) for (const [col, m] of cols) out.push({ on: `${table}.${col}`, kept: m !== null });
    return out;
  }

  /** Recomputes references and indexes from the rows and compares (tests, debugging). Returns problems found. */
  checkInvariants(): string[] {
    const problems: string[] = [];
    const strong = new Map<Uuid, number>();
    for (const [table, rows] of this.rows) {
      const info = this.tableInfo(table);
      const maps = this.idx.get(table) ?? [];
      info.schema.indexes.forEach((cols, i) => {
        const m = maps[i] ?? new Map<string, Uuid>();
        if (m.size !== rows.size) problems.push(`${table} index ${cols.join(',')} has ${m.size} keys for ${rows.size} rows`);
        for (const [u, row] of rows) if (m.get(indexKey(row, cols)) !== u) problems.push(`${table} index ${cols.join(',')} misses ${u}`);
      });
      for (const [col, m] of this.eqIdx.get(table) ?? []) {
        if (m === null) continue;
        let held = 0;
        for (const h of m.values()) held += typeof h === 'string' ? 1 : h.size;
        if (held !== rows.size) problems.push(`${table} equality index on ${col} holds ${held} rows of ${rows.size}`);
        for (const [u, row] of rows) {
          const h = m.get(row[col] as Scalar);
          if (h !== u && !(typeof h === 'object' && h.has(u))) problems.push(`${table} equality index on ${col} misses ${u}`);
        }
      }
      for (const [u, row] of rows) {
        for (const r of refsOf(info, row)) {
          if (r.strong) {
            strong.set(r.target, (strong.get(r.target) ?? 0) + 1);
            if (this.get(r.refTable, r.target) === undefined) problems.push(`${table} ${u}.${r.column} has a dangling strong reference to ${r.target}`);
          } else if (this.get(r.refTable, r.target) === undefined) {
            problems.push(`${table} ${u}.${r.column} has a dangling weak reference to ${r.target}`);
          }
        }
        if (!info.schema.isRoot && this.strongIn(u) === 0) problems.push(`non-root ${table} ${u} is unreferenced`);
        for (const [c, col] of Object.entries(info.schema.columns)) {
          const v = row[c];
          const k = kindOf(col);
          if (v === undefined) problems.push(`${table} ${u} lacks ${c}`);
          else if (k === 'set' && !Array.isArray(v)) problems.push(`${table} ${u}.${c} is not an array`);
        }
      }
    }
    let entries = 0;
    for (const [target, m] of this.inbound) {
      for (const [src, list] of m) {
        entries += list.length;
        const table = list[0]?.table;
        const row = table === undefined ? undefined : this.get(table, src);
        if (row === undefined) problems.push(`inbound index of ${target} names missing row ${src}`);
      }
    }
    let rowsEntries = 0;
    for (const [table, rows] of this.rows) for (const row of rows.values()) rowsEntries += refsOf(this.tableInfo(table), row).length;
    if (entries !== rowsEntries) problems.push(`inbound index holds ${entries} entries, rows hold ${rowsEntries} references`);
    for (const [u, n] of strong) if (this.strongIn(u) !== n) problems.push(`strongIn(${u}) is ${this.strongIn(u)}, rows say ${n}`);
    for (const [u, n] of this.strong) if ((strong.get(u) ?? 0) !== n) problems.push(`strongIn(${u}) is ${n}, rows say ${strong.get(u) ?? 0}`);
    return problems;
  }
}
