// cli/txn-view.ts — the transaction-local view one CLI invocation works on.
//
// Owns: a copy of the tables a command chain reads (fetched once), the chain's edits to
// it (insert, update, delete), and turning those edits into ONE list of store operations.
// Later commands in a chain see earlier ones' effects because they all read this view.
// Reads: rows handed in by cli/run.ts (one select per table, in one transaction).
// Called by: cli/nbctl.ts, cli/sbctl.ts, cli/db-commands.ts (through CommandContext).
// Must never: talk to a store, or emit an operation for a row it did not change.
// Invariants: new rows carry a temporary id that is also their uuid-name; every value in a
// uuid column that holds such an id is emitted as ["named-uuid", id]; inserts are ordered
// so a referenced row is inserted before its referrer; set columns of existing rows are
// changed by `mutate` (insert/delete of elements) so concurrent CLIs adding ports to one
// switch do not overwrite each other; other columns by `update` of just what changed.

import { LoomError, type ColumnSchema, type DatabaseSchema, type Operation, type Row, type Scalar, type TableSchema, type Value } from '../store/types.js';
import { asArray, atomFromKey, columnKind, defaultValue, normalizeSet, valuesEqual } from './values.js';

type MutableRow = { _uuid: string; [column: string]: Value };

const TEMP_PREFIX = 'loomrow';

export function isTempId(id: string): boolean {
  return id.startsWith(TEMP_PREFIX);
}

export class TxnView {
  private readonly base = new Map<string, Map<string, Row>>();
  private readonly cur = new Map<string, Map<string, MutableRow>>();
  private readonly inserted = new Map<string, Set<string>>();
  private readonly deleted = new Map<string, Set<string>>();
  private readonly indexes = new Map<string, Map<string, string[]>>();
  /** Tables fetched as just the rows some names/uuids select (see CommandSpec.keys). */
  private readonly partial = new Set<string>();
  private nextTemp = 1;
  /** Per table: its columns with their kind, computed once (commands insert hundreds of rows). */
  private readonly colMeta = new Map<string, readonly ColumnMeta[]>();

  constructor(readonly schema: DatabaseSchema) {}

  private columnsOf(table: string): readonly ColumnMeta[] {
    let m = this.colMeta.get(table);
    if (m === undefined) {
      m = Object.entries(this.table(table).columns).map(([name, col]) => ({ name, col, kind: columnKind(col) }));
      this.colMeta.set(table, m);
    }
    return m;
  }

  /** Hands the view a table's committed rows (once per table, before any command runs). */
  load(table: string, rows: readonly Row[]): void {
    this.table(table);
    const b = new Map<string, Row>();
    const c = new Map<string, MutableRow>();
    for (const r of rows) {
      b.set(r._uuid, r);
      c.set(r._uuid, { ...r } as MutableRow);
    }
    this.base.set(table, b);
    this.cur.set(table, c);
    this.dropIndexes(table);
  }

  /** Like load(), for a table of which only the rows the chain names were fetched. */
  loadPartial(table: string, rows: readonly Row[]): void {
    this.load(table, rows);
    this.partial.add(table);
  }

  isLoaded(table: string): boolean {
    return this.cur.has(table);
  }

  table(name: string): TableSchema {
    const t = this.schema.tables[name];
    if (t === undefined) {
      throw new LoomError({ code: 'unknown-table', message: `unknown table "${name}"`, table: name, hint: `tables: ${Object.keys(this.schema.tables).join(', ')}` });
    }
    return t;
  }

  column(table: string, column: string): ColumnSchema {
    const c = this.table(table).columns[column];
    if (c === undefined) {
      throw new LoomError({
        code: 'unknown-column',
        message: `${table} does not contain a column whose name matches "${column}"`,
        table,
        column,
        hint: `columns: ${Object.keys(this.table(table).columns).join(', ')}`,
      });
    }
    return c;
  }

  private rowsOf(table: string): Map<string, MutableRow> {
    const m = this.cur.get(table);
    if (m === undefined) throw new LoomError({ code: 'internal', message: `table ${table} was read without being fetched first`, table });
    return m;
  }

  rows(table: string): Row[] {
    if (this.partial.has(table)) throw new LoomError({ code: 'internal', message: `table ${table} was fetched by name only, but a command lists all its rows`, table, hint: 'the command must not declare keys() for this table' });
    return [...this.rowsOf(table).values()];
  }

  get(table: string, uuid: string): Row | undefined {
    return this.rowsOf(table).get(uuid);
  }

  /** Rows whose `column` (a scalar) equals `value`; kept as an index across edits. */
  find(table: string, column: string, value: Scalar): Row[] {
    const key = `${table}\u0000${column}`;
    let idx = this.indexes.get(key);
    if (idx === undefined) {
      idx = new Map();
      for (const r of this.rowsOf(table).values()) addToIndex(idx, r[column], r._uuid);
      this.indexes.set(key, idx);
    }
    const ids = idx.get(String(value)) ?? [];
    const out: Row[] = [];
    for (const id of ids) {
      const r = this.get(table, id);
      if (r !== undefined && valuesEqual(r[column], value)) out.push(r);
    }
    return out;
  }

  private dropIndexes(table: string): void {
    for (const k of [...this.indexes.keys()]) if (k.startsWith(`${table}\u0000`)) this.indexes.delete(k);
  }

  /** Inserts a row (defaults for columns not given) and returns it; its _uuid is a temporary id. */
  insert(table: string, values: { readonly [c: string]: Value }): Row {
    const cols = this.columnsOf(table);
    const id = `${TEMP_PREFIX}${this.nextTemp++}`;
    const row: MutableRow = { _uuid: id };
    for (const c of cols) row[c.name] = c.kind === 'scalar' ? defaultValue(c.col) : c.kind === 'optional' ? null : c.kind === 'set' ? [] : {};
    for (const name of Object.keys(values)) {
      row[name] = normalizeValue(this.column(table, name), values[name] as Value);
    }
    this.rowsOf(table).set(id, row);
    setOf(this.inserted, table).add(id);
    if (this.indexes.size > 0) {
      const prefix = `${table}\u0000`;
      for (const [k, idx] of this.indexes) if (k.startsWith(prefix)) addToIndex(idx, row[k.slice(prefix.length)], id);
    }
    return row;
  }

  /** Sets columns of an existing (or newly inserted) row. */
  update(table: string, uuid: string, values: { readonly [c: string]: Value }): Row {
    const rows = this.rowsOf(table);
    const old = rows.get(uuid);
    if (old === undefined) throw new LoomError({ code: 'not-found', message: `no row ${uuid} in ${table}`, table, row: uuid });
    const row: MutableRow = { ...old };
    for (const [name, v] of Object.entries(values)) {
      const col = this.column(table, name);
      row[name] = normalizeValue(col, v);
      const idx = this.indexes.get(`${table}\u0000${name}`);
      if (idx !== undefined) addToIndex(idx, row[name], uuid);
    }
    rows.set(uuid, row);
    return row;
  }

  /** Adds elements to a set column (no re-sort: sets are compared and printed order-free). */
  addToSet(table: string, uuid: string, column: string, items: readonly Scalar[]): Row {
    const rows = this.rowsOf(table);
    const cur = rows.get(uuid);
    if (cur === undefined) throw new LoomError({ code: 'not-found', message: `no row ${uuid} in ${table}`, table, row: uuid });
    const have = asArray(cur[column]);
    const seen = new Set(have.map(String));
    const next = [...have];
    for (const x of items) {
      if (!seen.has(String(x))) {
        seen.add(String(x));
        next.push(x);
      }
    }
    const row: MutableRow = { ...cur, [column]: next };
    this.column(table, column);
    rows.set(uuid, row);
    return row;
  }

  /** Removes elements from a set column. */
  removeFromSet(table: string, uuid: string, column: string, items: readonly Scalar[]): Row {
    const cur = this.get(table, uuid);
    if (cur === undefined) throw new LoomError({ code: 'not-found', message: `no row ${uuid} in ${table}`, table, row: uuid });
    const drop = new Set(items.map(String));
    return this.update(table, uuid, { [column]: asArray(cur[column]).filter((x) => !drop.has(String(x))) });
  }

  /**
   * Deletes a row. References to it from loaded tables are removed (the store does the
   * same for weak references; strong ones must go anyway for the delete to be valid), and
   * rows of non-root tables that only it referred to go with it (the store's garbage
   * collection, mirrored so later commands in the chain see it).
   */
  delete(table: string, uuid: string): void {
    const rows = this.rowsOf(table);
    const row = rows.get(uuid);
    if (row === undefined) return;
    rows.delete(uuid);
    const ins = this.inserted.get(table);
    if (ins?.has(uuid)) ins.delete(uuid);
    else setOf(this.deleted, table).add(uuid);
    // Drop references to the row from every loaded table.
    for (const [tname, trows] of this.cur) {
      const ts = this.table(tname);
      for (const [cname, col] of Object.entries(ts.columns)) {
        const refs = col.key.refTable === table || col.value?.refTable === table;
        if (!refs) continue;
        for (const r of trows.values()) {
          const v = r[cname];
          const kind = columnKind(col);
          if (kind === 'map') {
            const m = { ...(v as Record<string, Scalar>) };
            let changed = false;
            for (const [k, x] of Object.entries(m)) {
              if (k === uuid || x === uuid) {
                delete m[k];
                changed = true;
              }
            }
            if (changed) this.update(tname, r._uuid, { [cname]: m });
          } else if (asArray(v).some((x) => x === uuid)) {
            if (kind === 'set') this.removeFromSet(tname, r._uuid, cname, [uuid]);
            else if (kind === 'optional') this.update(tname, r._uuid, { [cname]: null });
          }
        }
      }
    }
    // Cascade to non-root children this row held strongly, when nothing else holds them.
    const ts = this.table(table);
    for (const [cname, col] of Object.entries(ts.columns)) {
      const child = col.key.refTable;
      if (child === undefined || col.key.refType === 'weak') continue;
      const cts = this.schema.tables[child];
      if (cts === undefined || cts.isRoot || !this.cur.has(child)) continue;
      for (const id of asArray(row[cname])) {
        if (!this.isReferenced(child, String(id))) this.delete(child, String(id));
      }
    }
  }

  private isReferenced(table: string, uuid: string): boolean {
    for (const [tname, trows] of this.cur) {
      const ts = this.table(tname);
      for (const [cname, col] of Object.entries(ts.columns)) {
        if (col.key.refTable !== table || col.key.refType === 'weak') continue;
        for (const r of trows.values()) if (asArray(r[cname]).some((x) => x === uuid)) return true;
      }
    }
    return false;
  }

  /** Tables ordered so that a referenced table comes before the tables that refer to it. */
  private insertOrder(): string[] {
    const order: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (t: string): void => {
      if (state.get(t) !== undefined) return;
      state.set(t, 'visiting');
      const ts = this.schema.tables[t];
      if (ts !== undefined) {
        for (const col of Object.values(ts.columns)) {
          for (const ref of [col.key.refTable, col.value?.refTable]) if (ref !== undefined && ref !== t) visit(ref);
        }
      }
      state.set(t, 'done');
      order.push(t);
    };
    for (const t of Object.keys(this.schema.tables).sort()) visit(t);
    return order;
  }

  /** True when the chain changed nothing. */
  isClean(): boolean {
    return this.operations().length === 0;
  }

  /** The chain's edits as store operations, in an order the store accepts. */
  operations(): Operation[] {
    const ops: Operation[] = [];
    const order = this.insertOrder();
    for (const table of order) {
      const ids = this.inserted.get(table);
      if (ids === undefined || ids.size === 0) continue;
      const cols = this.columnsOf(table);
      const rows = this.rowsOf(table);
      for (const id of ids) {
        const row = rows.get(id) as MutableRow;
        const out: Record<string, unknown> = {};
        for (const { name, col, kind } of cols) {
          const v = row[name];
          // Empty sets/maps are the store's defaults; scalars always travel (a default
          // the store might fill differently, e.g. an enum's first value, must not).
          if (v === undefined || (kind !== 'scalar' && isEmptyDefault(kind, v))) continue;
          out[name] = toOpValue(col, v);
        }
        ops.push({ op: 'insert', table, row: out, 'uuid-name': id });
      }
    }
    for (const table of order) {
      const base = this.base.get(table);
      const cur = this.cur.get(table);
      if (base === undefined || cur === undefined) continue;
      const cols = this.columnsOf(table);
      for (const [uuid, old] of base) {
        const now = cur.get(uuid);
        if (now === undefined) continue;
        const update: Record<string, unknown> = {};
        const mutations: [string, 'insert' | 'delete', unknown][] = [];
        for (const { name, col, kind } of cols) {
          if (valuesEqual(old[name], now[name])) continue;
          if (kind === 'set') {
            const before = new Set(asArray(old[name]).map(String));
            const after = new Set(asArray(now[name]).map(String));
            const added = asArray(now[name]).filter((x) => !before.has(String(x)));
            const removed = asArray(old[name]).filter((x) => !after.has(String(x)));
            if (removed.length > 0) mutations.push([name, 'delete', toOpValue(col, removed)]);
            if (added.length > 0) mutations.push([name, 'insert', toOpValue(col, added)]);
          } else {
            update[name] = toOpValue(col, now[name] as Value);
          }
        }
        const where = [['_uuid', '==', ['uuid', uuid]] as const];
        if (Object.keys(update).length > 0) ops.push({ op: 'update', table, where, row: update });
        if (mutations.length > 0) ops.push({ op: 'mutate', table, where, mutations });
      }
    }
    for (const table of [...order].reverse()) {
      const ids = this.deleted.get(table);
      if (ids === undefined) continue;
      for (const uuid of ids) ops.push({ op: 'delete', table, where: [['_uuid', '==', ['uuid', uuid]]] });
    }
    return ops;
  }
}

interface ColumnMeta {
  readonly name: string;
  readonly col: ColumnSchema;
  readonly kind: ReturnType<typeof columnKind>;
}

/** valuesEqual(v, defaultValue(col)) for a non-scalar column, without building the default. */
function isEmptyDefault(kind: ColumnMeta['kind'], v: Value): boolean {
  if (kind === 'optional') return v === null;
  if (kind === 'set') return Array.isArray(v) && v.length === 0;
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

function setOf(m: Map<string, Set<string>>, k: string): Set<string> {
  let s = m.get(k);
  if (s === undefined) {
    s = new Set();
    m.set(k, s);
  }
  return s;
}

function addToIndex(idx: Map<string, string[]>, v: Value | undefined, uuid: string): void {
  if (v === null || v === undefined || typeof v === 'object') return;
  const k = String(v);
  const list = idx.get(k);
  if (list === undefined) idx.set(k, [uuid]);
  else if (!list.includes(uuid)) list.push(uuid);
}

function normalizeValue(col: ColumnSchema, v: Value): Value {
  const kind = columnKind(col);
  if (kind === 'set') return normalizeSet(asArray(v));
  if (kind === 'optional') return Array.isArray(v) ? ((v[0] as Scalar | undefined) ?? null) : v;
  return v;
}

/** A plain value in the wire notation an operation takes, with temporary ids as named-uuids. */
function toOpValue(col: ColumnSchema, v: Value | readonly Scalar[]): unknown {
  const atom = (t: ColumnSchema['key'], a: Scalar): unknown => {
    if (t.type !== 'uuid') return a;
    return isTempId(String(a)) ? ['named-uuid', a] : ['uuid', a];
  };
  const kind = columnKind(col);
  if (kind === 'map') {
    const m = v as Record<string, Scalar>;
    return ['map', Object.keys(m).map((k) => [atom(col.key, atomFromKey(col.key, k)), atom(col.value as ColumnSchema['key'], m[k] as Scalar)])];
  }
  if (kind === 'set' || Array.isArray(v)) return ['set', asArray(v as Value).map((a) => atom(col.key, a))];
  if (v === null) return ['set', []];
  return atom(col.key, v as Scalar);
}
