// store/watch-filter.ts — what one watcher sees of a commit: its tables, the rows that
// match its conditions, the columns it asked for.
//
// Owns: the translation of committed RowChanges through a WatchRequest — a row that
// starts matching is an insert (old null), one that stops matching a delete (new null),
// an update that changes none of the watched columns is not seen at all. Reads: the
// schema. Called by SqliteStore.watch for replayed and live commits and for snapshots.
// Never buffers or orders events (the store does); never throws after compile().
// Invariants: the same filter applied to a snapshot at revision r and then to every
// commit after r yields exactly the filtered state at any later revision.

import { LoomError } from './types.js';
import type { DatabaseSchema, Row, RowChange, Uuid, Value, WatchRequest } from './types.js';
import { columnOf, compileWhere, unknownColumn } from './condition.js';
import type { Predicate } from './condition.js';
import { valuesEqual } from './value.js';

interface TableFilter {
  readonly test: Predicate;
  readonly columns: readonly string[] | undefined;
}

export class WatchFilter {
  private readonly tables: ReadonlyMap<string, TableFilter>;

  private constructor(tables: ReadonlyMap<string, TableFilter>) {
    this.tables = tables;
  }

  /** Checks the request against the schema; throws LoomError on unknown tables/columns or bad conditions. */
  static compile(schema: DatabaseSchema, request: WatchRequest = {}): WatchFilter {
    const out = new Map<string, TableFilter>();
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      throw new LoomError({ code: 'bad-request', message: 'a watch request is an object { fromRevision?, tables? }', value: request, path: '' });
    }
    if (request.fromRevision !== undefined && (!Number.isSafeInteger(request.fromRevision) || request.fromRevision < 0)) {
      throw new LoomError({ code: 'bad-request', message: `fromRevision must be an integer >= 0, got ${JSON.stringify(request.fromRevision)}`, value: request.fromRevision, path: '/fromRevision' });
    }
    if (request.tables === undefined) {
      for (const t of Object.keys(schema.tables)) out.set(t, { test: () => true, columns: undefined });
      return new WatchFilter(out);
    }
    // Requests come off the network: check every shape before trusting it.
    const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    if (!isObject(request.tables)) {
      throw new LoomError({ code: 'bad-request', message: 'tables must be an object of table name to { where?, columns? }', value: request.tables, path: '/tables' });
    }
    for (const [name, spec] of Object.entries(request.tables as Record<string, unknown>)) {
      if (!isObject(spec)) throw new LoomError({ code: 'bad-request', message: `tables.${name} must be an object { where?, columns? }`, value: spec, path: `/tables/${name}` });
      if (spec['columns'] !== undefined && (!Array.isArray(spec['columns']) || !spec['columns'].every((c) => typeof c === 'string'))) {
        throw new LoomError({ code: 'bad-request', message: `tables.${name}.columns must be an array of column names`, value: spec['columns'], path: `/tables/${name}/columns` });
      }
      const t = schema.tables[name];
      if (t === undefined || !Object.prototype.hasOwnProperty.call(schema.tables, name)) {
        throw new LoomError({ code: 'unknown-table', message: `database ${schema.name} has no table ${JSON.stringify(name)}`, value: name, path: `/tables/${name}`, hint: `tables: ${Object.keys(schema.tables).join(', ')}` });
      }
      const where = compileWhere(t, spec['where'] ?? [], { path: `/tables/${name}/where` });
      const columns = spec['columns'] as string[] | undefined;
      if (columns !== undefined) {
        for (const [i, c] of columns.entries()) if (columnOf(t, c) === undefined) throw unknownColumn(t, c, `/tables/${name}/columns/${i}`);
      }
      out.set(name, { test: where.test, columns });
    }
    return new WatchFilter(out);
  }

  watches(table: string): boolean {
    return this.tables.has(table);
  }

  watchedTables(): string[] {
    return [...this.tables.keys()];
  }

  private project(f: TableFilter, r: Row): Row {
    if (f.columns === undefined) return r;
    const o: { _uuid: Uuid; [c: string]: Value } = { _uuid: r._uuid };
    for (const c of f.columns) o[c] = r[c] as Value;
    return o;
  }

  /** The rows of a table (in their committed state) this watcher sees. */
  rows(table: string, rows: Iterable<Row>): Row[] {
    const f = this.tables.get(table);
    if (f === undefined) return [];
    const out: Row[] = [];
    for (const r of rows) if (f.test(r)) out.push(this.project(f, r));
    return out;
  }

  /** One commit's changes as this watcher sees them. */
  changes(changes: readonly RowChange[]): RowChange[] {
    const out: RowChange[] = [];
    for (const c of changes) {
      const f = this.tables.get(c.table);
      if (f === undefined) continue;
      const was = c.old !== null && f.test(c.old);
      const is = c.new !== null && f.test(c.new);
      if (!was && !is) continue;
      const old = was ? this.project(f, c.old as Row) : null;
      const nw = is ? this.project(f, c.new as Row) : null;
      if (old !== null && nw !== null && f.columns !== undefined && f.columns.every((k) => valuesEqual(old[k], nw[k]))) continue;
      out.push({ table: c.table, uuid: c.uuid, old, new: nw });
    }
    return out;
  }
}
