// store/transaction.ts — executes one RFC 7047 transaction against a committed Database,
// producing the change set to commit (or a LoomError and no change at all).
//
// Owns: the semantics of the §5.2 operations (insert, select, update, mutate, delete,
// wait, comment, assert, commit, abort), uuid-names, and the commit-time rules: strong
// references must resolve, deleted rows must be unreferenced, non-root rows nobody
// references are garbage-collected, dangling weak references are removed, maxRows and
// unique indexes hold, every written row passes its table's column checks
// (store/row-check.ts), and the database-specific validate hook agrees. Reads: the
// Database (never writes it; SqliteStore applies the result after persisting it). Called
// by SqliteStore.transact (and any other backend keeping a Database in memory).
// Never: mutates a committed Row object, persists, or emits watch events.
// Invariants: the outcome is a function of (committed state, ops); changes contain no
// no-op rows; every new/updated row gets a fresh _version; on any error the Database
// is exactly as before (it was never touched).

import { LoomError } from './types.js';
import type { Operation, OperationResult, Row, RowChange, Scalar, TableSchema, TxnValidator, TxnView, Uuid, Value } from './types.js';
import { Database, indexKey, refDelta, refTargets, refsOf, rowLabel } from './database.js';
import type { RefSpec, TableInfo } from './database.js';
import { columnOf, compileWhere, unknownColumn } from './condition.js';
import type { CompiledWhere } from './condition.js';
import { isMutator, mutateValue } from './mutation.js';
import { rowChecks } from './row-check.js';
import { newUuid } from './uuid.js';
import { freezeRow, isUuid, kindOf, parseValue, rowsEqual, checkSize, setDiff } from './value.js';
import type { ValueContext } from './value.js';

export interface ExecuteOptions {
  readonly validate?: TxnValidator;
  readonly maxOps?: number;
  /** A last check of every written row against its table's column schemas (store/row-check.ts). */
  readonly checkRows?: boolean;
  /** Locks the calling session holds (TransactOptions.locks). */
  readonly locks?: ReadonlySet<string>;
}

export interface TxnOutcome {
  readonly results: OperationResult[];
  /** Empty for a read-only transaction. */
  readonly changes: RowChange[];
  /** A commit op asked for durable: true (survive a power cut, not only a process kill). */
  readonly durable: boolean;
}

/** A wait op whose condition does not hold yet; the caller may retry after the next commit. */
export class WaitUnmet extends LoomError {
  readonly timeout: number | undefined;
  constructor(op: number, table: string, timeout: number | undefined) {
    super({ code: 'timed-out', message: `wait on ${table} did not hold${timeout !== undefined ? ` within ${timeout} ms` : ''}`, table, op, path: `/ops/${op}` });
    this.timeout = timeout;
  }
}

type MutableRow = { _uuid: Uuid; [c: string]: Value };

interface Change {
  readonly table: string;
  readonly uuid: Uuid;
  readonly old: Row | null;
  new: MutableRow | Row | null;
  /** new is a private copy this transaction may write. */
  owned: boolean;
  /** Last op that wrote it, for error messages. */
  op: number;
  /**
   * An inserted row that passed its columns' check (rowChecks.unversioned) when its part
   * ran, and was not written since: finish() does not check it again.
   */
  checked: boolean;
  /**
   * An inserted row whose part has ended and that was not written since: what the caller
   * made of it then (SqliteStore: its pending text) still holds.
   */
  sealed: boolean;
}

/** A row one part of a transaction in parts inserted, as the transaction holds it (PartialExecution.add). */
export interface InsertedRow extends RowChange {
  readonly table: string;
  readonly uuid: Uuid;
  /** null while sealed (an insert). */
  readonly old: Row | null;
  /** The row now: null once deleted or collected. */
  readonly new: Row | null;
  /** Not written since its part ended (nor deleted): the row is as it was then. */
  readonly sealed: boolean;
}

/** The row changes again: what was checked or made of it when its part ended no longer holds. */
function touch(c: Change): void {
  c.checked = false;
  c.sealed = false;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function badRequest(message: string, op: number | undefined, path: string, value?: unknown, hint?: string): LoomError {
  return new LoomError({ code: 'bad-request', message, path, ...(op !== undefined ? { op } : {}), ...(value !== undefined ? { value } : {}), ...(hint !== undefined ? { hint } : {}) });
}

function withOp(e: unknown, op: number): unknown {
  if (e instanceof LoomError && e.op === undefined) return new LoomError({ ...e.toJSON(), op });
  return e;
}

/** A ValueContext for the columns of one op's row; `column` moves along, `path` follows it. */
class RowContext implements ValueContext {
  column = '';
  constructor(
    readonly table: string,
    readonly op: number,
    readonly resolve: (name: string) => Uuid | undefined,
  ) {}
  get path(): string {
    return `/ops/${this.op}/row/${this.column}`;
  }
}

class Txn {
  readonly changes = new Map<Uuid, Change>();
  /**
   * The same changes in the same order, as an array: finish() walks it by index. It runs
   * once per commit, mostly interpreted, where each step of a Map (or array) iterator
   * allocates: ≈40 MB of garbage for a 55k-row commit's six walks. A change deleted from
   * the map (inserted, then deleted) stays here with new = null, where every walk skips it.
   */
  readonly order: Change[] = [];
  readonly byTable = new Map<string, Change[]>();
  readonly names = new Map<string, Uuid>();
  durable = false;
  /** Set by PartialExecution: assert ops are checked at finish, against the locks held then. */
  deferredAsserts: { lock: string; op: number }[] | undefined;
  /** Set by PartialExecution: the rows inserted by the part running now, checked when it ends. */
  inserted: Change[] | undefined;
  private readonly resolve = (n: string): Uuid | undefined => this.names.get(n);
  /** _version texts: an inserted row gets its own when inserted, an updated one at finish. */
  private readonly version = versions();

  constructor(readonly db: Database, readonly opts: ExecuteOptions) {}

  private table(name: unknown, op: number): TableSchema {
    if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(this.db.schema.tables, name)) {
      throw new LoomError({
        code: 'unknown-table',
        message: `database ${this.db.schema.name} has no table ${JSON.stringify(name)}`,
        value: name,
        op,
        path: `/ops/${op}/table`,
        hint: `tables: ${Object.keys(this.db.schema.tables).join(', ')}`,
      });
    }
    return this.db.schema.tables[name] as TableSchema;
  }

  private change(table: string, uuid: Uuid, old: Row | null, op: number): Change {
    const c: Change = { table, uuid, old, new: old, owned: false, op, checked: false, sealed: false };
    this.changes.set(uuid, c);
    this.order.push(c);
    let list = this.byTable.get(table);
    if (list === undefined) this.byTable.set(table, (list = []));
    list.push(c);
    return c;
  }

  /** A writable copy of the row, recorded as changed. */
  private writable(table: string, row: Row, op: number): MutableRow {
    let c = this.changes.get(row._uuid);
    if (c === undefined) c = this.change(table, row._uuid, row, op);
    c.op = op;
    touch(c);
    if (!c.owned) {
      c.new = { ...(c.new as Row) };
      c.owned = true;
    }
    return c.new as MutableRow;
  }

  current(table: string, uuid: Uuid): Row | null {
    const c = this.changes.get(uuid);
    if (c !== undefined) return c.table === table ? c.new : null;
    return this.db.get(table, uuid) ?? null;
  }

  scan(table: string, where: CompiledWhere): Row[] {
    if (where.uuidEq !== undefined) {
      const r = this.current(table, where.uuidEq);
      return r !== null && where.test(r) ? [r] : [];
    }
    const out: Row[] = [];
    // an index pins the committed candidates (Database.candidates); rows this transaction
    // wrote may match too, whatever they were
    const cands = this.db.candidates(table, where);
    if (cands !== undefined) {
      for (const u of cands) {
        if (this.changes.has(u)) continue;
        const r = this.db.get(table, u);
        if (r !== undefined && where.test(r)) out.push(r);
      }
      for (const c of this.byTable.get(table) ?? []) if (c.new !== null && where.test(c.new)) out.push(c.new);
      return out;
    }
    for (const [u, r] of this.db.rowsOf(table)) {
      const c = this.changes.get(u);
      const row = c === undefined ? r : c.new;
      if (row !== null && where.test(row)) out.push(row);
    }
    for (const c of this.byTable.get(table) ?? []) if (c.old === null && c.new !== null && where.test(c.new)) out.push(c.new);
    return out;
  }

  private where(t: TableSchema, x: unknown, op: number): CompiledWhere {
    if (x === undefined) throw badRequest(`${t.name}: "where" is required`, op, `/ops/${op}/where`, undefined, 'use [] to match every row');
    return compileWhere(t, x, { path: `/ops/${op}/where`, op, resolve: this.resolve });
  }

  /** Parses the columns of an update row. */
  private columns(t: TableSchema, row: unknown, op: number, forUpdate: boolean): Map<string, Value> {
    const out = new Map<string, Value>();
    this.parseColumns(t, row, op, forUpdate, (c, v) => out.set(c, v));
    return out;
  }

  /** Parses the columns of an insert row into the new row. */
  private columnsInto(t: TableSchema, row: unknown, op: number, into: MutableRow): void {
    this.parseColumns(t, row, op, false, (c, v) => {
      into[c] = v;
    });
  }

  private parseColumns(t: TableSchema, row: unknown, op: number, forUpdate: boolean, put: (c: string, v: Value) => void): void {
    if (!isObject(row)) throw badRequest(`${t.name}: "row" must be an object of column values`, op, `/ops/${op}/row`, row);
    // One context per row, its path built only if an error needs it: a 55k-row insert
    // would otherwise build half a million path strings nobody reads.
    const ctx = new RowContext(t.name, op, this.resolve);
    for (const c in row) {
      if (!Object.prototype.hasOwnProperty.call(row, c)) continue;
      const x = row[c];
      if (c === '_uuid' || c === '_version') {
        const path = `/ops/${op}/row/${c}`;
        throw new LoomError({ code: 'constraint-violation', message: `${t.name}.${c} is set by the database`, table: t.name, column: c, value: x, op, path, hint: forUpdate ? 'select the row with ["_uuid", "==", uuid] in where' : 'give "uuid" beside "row" to choose the uuid' });
      }
      const col = t.columns[c];
      if (col === undefined || !Object.prototype.hasOwnProperty.call(t.columns, c)) throw unknownColumn(t, c, `/ops/${op}/row/${c}`, op);
      if (forUpdate && col.mutable === false) {
        throw new LoomError({ code: 'constraint-violation', message: `${t.name}.${c} cannot be changed after insert`, table: t.name, column: c, value: x, op, path: `/ops/${op}/row/${c}` });
      }
      ctx.column = c;
      put(c, parseValue(col, x, ctx));
    }
  }

  run(ops: unknown, offset = 0): OperationResult[] {
    if (!Array.isArray(ops)) throw badRequest('a transaction is an array of operations', undefined, '/ops', ops);
    const max = this.opts.maxOps;
    if (max !== undefined && offset + ops.length > max) {
      throw new LoomError({ code: 'too-large', message: `a transaction may hold at most ${max} operations, this one has ${offset + ops.length}`, value: offset + ops.length, path: '/ops', hint: 'split it into several transactions' });
    }
    // uuid-names are known before the first op runs, so any op may refer to any insert (of
    // this call: a PartialExecution's part sees the names of earlier parts, not later ones).
    ops.forEach((o: unknown, j) => {
      const i = offset + j;
      if (isObject(o) && o['op'] === 'insert' && o['uuid-name'] !== undefined) {
        const name = o['uuid-name'];
        if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          throw badRequest(`uuid-name must be an identifier ([A-Za-z_][A-Za-z0-9_]*), got ${JSON.stringify(name)}`, i, `/ops/${i}/uuid-name`, name);
        }
        if (this.names.has(name)) throw badRequest(`uuid-name ${JSON.stringify(name)} is used by two inserts`, i, `/ops/${i}/uuid-name`, name);
        const given = o['uuid'];
        this.names.set(name, isUuid(given) ? given.toLowerCase() : newUuid());
      }
    });
    return ops.map((o: unknown, j) => {
      const i = offset + j;
      try {
        return this.op(o, i);
      } catch (e) {
        throw withOp(e, i);
      }
    });
  }

  private op(o: unknown, i: number): OperationResult {
    if (!isObject(o) || typeof o['op'] !== 'string') throw badRequest('an operation is an object with an "op" member', i, `/ops/${i}`, o);
    const op = o as unknown as Operation;
    switch (op.op) {
      case 'insert': {
        const t = this.table(op.table, i);
        const info = this.db.tableInfo(t.name);
        let uuid: Uuid;
        if (op.uuid !== undefined) {
          if (!isUuid(op.uuid)) throw badRequest(`"uuid" must be a uuid, got ${JSON.stringify(op.uuid)}`, i, `/ops/${i}/uuid`, op.uuid);
          uuid = op.uuid.toLowerCase();
        } else if (op['uuid-name'] !== undefined) {
          uuid = this.names.get(op['uuid-name']) as Uuid;
        } else {
          uuid = newUuid();
        }
        // A uuid we generated (newUuid, also behind a uuid-name without "uuid") is new; one
        // the client chose may collide with any table's row or another insert of this
        // transaction. (Not looking a generated one up: 55k lookups in a 55k-entry map were
        // ≈8% of a full compile's execution.)
        const chosen = op.uuid !== undefined;
        if (chosen && (this.changes.has(uuid) || [...this.db.info.keys()].some((n) => this.db.get(n, uuid) !== undefined))) {
          throw new LoomError({ code: 'duplicate', message: `a row with uuid ${uuid} already exists`, table: t.name, value: uuid, op: i, path: `/ops/${i}/uuid` });
        }
        // Defaults first, in schema order (every row of a table gets one shape), then the
        // given columns parsed straight into it.
        const row = info.newRow(uuid) as MutableRow;
        row['_version'] = this.version();
        this.columnsInto(t, op.row, i, row);
        for (const c of info.required) {
          if (!Object.prototype.hasOwnProperty.call(op.row, c)) {
            const col = t.columns[c];
            const what = col?.key.enum !== undefined ? `one of ${col.key.enum.map((v) => JSON.stringify(v)).join(', ')}` : col?.key.refTable !== undefined ? `the uuid of a ${col.key.refTable} row` : `a ${col?.key.type ?? 'value'}`;
            throw new LoomError({ code: 'type-error', message: `${t.name}.${c} is required (${what})`, table: t.name, column: c, op: i, path: `/ops/${i}/row/${c}` });
          }
        }
        const c = this.change(t.name, uuid, null, i);
        c.new = row;
        c.owned = true;
        this.inserted?.push(c);
        return { uuid };
      }
      case 'select': {
        const t = this.table(op.table, i);
        const w = this.where(t, op.where, i);
        const cols = this.projection(t, op.columns, i);
        const rows = this.scan(t.name, w);
        return { rows: cols === undefined ? rows : rows.map((r) => project(r, cols)) };
      }
      case 'update': {
        const t = this.table(op.table, i);
        const w = this.where(t, op.where, i);
        const vals = this.columns(t, op.row, i, true);
        const rows = this.scan(t.name, w);
        for (const r of rows) {
          const m = this.writable(t.name, r, i);
          for (const [c, v] of vals) m[c] = v;
        }
        return { count: rows.length };
      }
      case 'mutate': {
        const t = this.table(op.table, i);
        const w = this.where(t, op.where, i);
        if (!Array.isArray(op.mutations)) throw badRequest(`${t.name}: "mutations" must be an array`, i, `/ops/${i}/mutations`, op.mutations);
        const muts = op.mutations.map((m: unknown, j) => {
          const path = `/ops/${i}/mutations/${j}`;
          if (!Array.isArray(m) || m.length !== 3 || typeof m[0] !== 'string') throw badRequest(`a mutation is [column, mutator, value], got ${JSON.stringify(m)}`, i, path, m);
          const [c, mut, arg] = m as [string, unknown, unknown];
          if (c === '_uuid' || c === '_version') throw new LoomError({ code: 'constraint-violation', message: `${t.name}.${c} is set by the database`, table: t.name, column: c, op: i, path });
          const col = columnOf(t, c);
          if (col === undefined) throw unknownColumn(t, c, `${path}/0`, i);
          if (col.mutable === false) throw new LoomError({ code: 'constraint-violation', message: `${t.name}.${c} cannot be changed after insert`, table: t.name, column: c, op: i, path });
          if (!isMutator(mut)) throw badRequest(`unknown mutator ${JSON.stringify(mut)}`, i, `${path}/1`, mut, 'use one of += -= *= /= %= insert delete');
          const ctx: ValueContext = { table: t.name, column: c, path: `${path}/2`, op: i, resolve: this.resolve };
          return { c, col, mut, arg, ctx };
        });
        const rows = this.scan(t.name, w);
        for (const r of rows) {
          const m = this.writable(t.name, r, i);
          for (const { c, col, mut, arg, ctx } of muts) m[c] = mutateValue(col, m[c] as Value, mut, arg, ctx);
        }
        return { count: rows.length };
      }
      case 'delete': {
        const t = this.table(op.table, i);
        const w = this.where(t, op.where, i);
        const rows = this.scan(t.name, w);
        for (const r of rows) {
          let c = this.changes.get(r._uuid);
          if (c === undefined) c = this.change(t.name, r._uuid, r, i);
          touch(c);
          c.new = null;
          c.op = i;
        }
        return { count: rows.length };
      }
      case 'wait': {
        const t = this.table(op.table, i);
        const w = this.where(t, op.where, i);
        const cols = this.projection(t, op.columns, i) ?? Object.keys(t.columns);
        if (op.until !== '==' && op.until !== '!=') throw badRequest('"until" must be "==" or "!="', i, `/ops/${i}/until`, op.until);
        if (!Array.isArray(op.rows)) throw badRequest('"rows" must be an array of rows', i, `/ops/${i}/rows`, op.rows);
        if (op.timeout !== undefined && (typeof op.timeout !== 'number' || op.timeout < 0)) throw badRequest('"timeout" must be a number of milliseconds >= 0', i, `/ops/${i}/timeout`, op.timeout);
        const want = op.rows.map((r: unknown, j) => {
          if (!isObject(r)) throw badRequest('each of "rows" is an object', i, `/ops/${i}/rows/${j}`, r);
          const vals = new Map<string, Value>();
          for (const c of cols) {
            const col = columnOf(t, c);
            if (col === undefined) throw unknownColumn(t, c, `/ops/${i}/columns`, i);
            if (!(c in r)) throw badRequest(`each of "rows" gives every column in "columns"; ${c} is missing`, i, `/ops/${i}/rows/${j}`, r);
            vals.set(c, parseValue(col, r[c], { table: t.name, column: c, path: `/ops/${i}/rows/${j}/${c}`, op: i, resolve: this.resolve }));
          }
          return JSON.stringify(cols.map((c) => vals.get(c)));
        });
        const have = this.scan(t.name, w).map((r) => JSON.stringify(cols.map((c) => r[c]))).sort();
        want.sort();
        const equal = have.length === want.length && have.every((h, k) => h === want[k]);
        if (equal !== (op.until === '==')) throw new WaitUnmet(i, t.name, op.timeout);
        return {};
      }
      case 'comment':
        if (typeof op.comment !== 'string') throw badRequest('"comment" must be a string', i, `/ops/${i}/comment`, op.comment);
        return {};
      case 'assert':
        // Locks belong to client sessions (the service layer), which pass the ones they hold.
        if (typeof op.lock !== 'string') throw badRequest('"lock" must be a string', i, `/ops/${i}/lock`, op.lock);
        if (this.deferredAsserts !== undefined) {
          this.deferredAsserts.push({ lock: op.lock, op: i });
          return {};
        }
        if (this.opts.locks?.has(op.lock) === true) return {};
        throw new LoomError({ code: 'not-owner', message: `this session does not own lock ${JSON.stringify(op.lock)}`, value: op.lock, op: i, path: `/ops/${i}/lock`, hint: 'acquire the lock first (lock or steal on the session) and assert it in the same session' });
      case 'commit':
        if (typeof op.durable !== 'boolean') throw badRequest('"durable" must be true or false', i, `/ops/${i}/durable`, op.durable);
        if (op.durable) this.durable = true;
        return {};
      case 'abort':
        throw new LoomError({ code: 'aborted', message: 'the transaction was aborted by its abort operation', op: i, path: `/ops/${i}` });
      default:
        throw badRequest(`unknown operation ${JSON.stringify((op as { op: unknown }).op)}`, i, `/ops/${i}/op`, (op as { op: unknown }).op, 'use insert, select, update, mutate, delete, wait, comment, assert, commit or abort');
    }
  }

  private projection(t: TableSchema, cols: unknown, op: number): string[] | undefined {
    if (cols === undefined) return undefined;
    if (!Array.isArray(cols)) throw badRequest('"columns" must be an array of column names', op, `/ops/${op}/columns`, cols);
    for (const [j, c] of cols.entries()) if (typeof c !== 'string' || columnOf(t, c) === undefined) throw unknownColumn(t, c, `/ops/${op}/columns/${j}`, op);
    return cols as string[];
  }

  // ------------------------------------------------------------ commit-time rules

  private existsAfter(table: string, uuid: Uuid): boolean {
    const c = this.changes.get(uuid);
    if (c !== undefined) return c.table === table && c.new !== null;
    return this.db.get(table, uuid) !== undefined;
  }

  private info(table: string): TableInfo {
    return this.db.tableInfo(table);
  }

  /**
   * Ends a part: the rows it inserted are sealed (see Change.sealed) and checked now, as
   * finish() would: a transaction in parts gets this work done while its next part is on
   * its way, not in its commit. A row that fails stays unchecked, and finish() reports it
   * exactly as for a whole run; a row written again later is checked again there.
   */
  endPart(): readonly InsertedRow[] {
    const list = this.inserted;
    if (list === undefined || list.length === 0) return [];
    this.inserted = [];
    const check = this.opts.checkRows === true;
    const out: Change[] = [];
    for (const c of list) {
      if (c.new === null || c.old !== null) continue;
      c.sealed = true;
      out.push(c);
      if (check && rowChecks(this.info(c.table).schema).unversioned(c.new) === null) c.checked = true;
    }
    return out;
  }

  finish(): RowChange[] {
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const c = order[i] as Change;
      if (c.old === null && c.new === null) this.changes.delete(c.uuid);
    }

    // Strong reference counts after the transaction: committed - lost + gained, where a
    // change contributes only the references it removes (lost) and adds (gained).
    const lost = new Map<Uuid, number>();
    const gained = new Map<Uuid, number>();
    const bump = (m: Map<Uuid, number>, u: Uuid, d: number): void => {
      m.set(u, (m.get(u) ?? 0) + d);
    };
    const strongAfter = (u: Uuid): number => this.db.strongIn(u) - (lost.get(u) ?? 0) + (gained.get(u) ?? 0);
    const candidates: [string, Uuid][] = [];
    const contribute = (c: Change, sign: 1 | -1): void => {
      const info = this.info(c.table);
      if (c.old === null) {
        // An inserted row only adds references: count them in place (no delta to build).
        if (c.new === null) return;
        const refs = info.refs;
        for (let k = 0; k < refs.length; k++) {
          const spec = refs[k] as RefSpec;
          if (!spec.strong) continue;
          const v = c.new[spec.column];
          if (typeof v === 'string') bump(gained, v, sign);
          else if (v !== null && v !== undefined) {
            const ts = refTargets(spec, v);
            for (let j = 0; j < ts.length; j++) bump(gained, ts[j] as Uuid, sign);
          }
        }
        return;
      }
      const d = refDelta(info, c.old, c.new);
      for (const r of d.removed) {
        if (!r.strong) continue;
        bump(lost, r.target, sign);
        if (sign > 0) candidates.push([r.refTable, r.target]);
      }
      for (const r of d.added) if (r.strong) bump(gained, r.target, sign);
    };
    for (let i = 0; i < order.length; i++) {
      const c = order[i] as Change;
      contribute(c, 1);
      if (c.old === null && c.new !== null && !this.info(c.table).schema.isRoot) candidates.push([c.table, c.uuid]);
    }

    // Garbage collection of unreferenced non-root rows, to a fixed point.
    while (candidates.length > 0) {
      const [table, u] = candidates.pop() as [string, Uuid];
      const info = this.db.info.get(table);
      if (info === undefined || info.schema.isRoot || !this.existsAfter(table, u) || strongAfter(u) > 0) continue;
      const c = this.changes.get(u) ?? this.change(table, u, this.db.get(table, u) as Row, -1);
      contribute(c, -1);
      touch(c);
      c.new = null;
      contribute(c, 1);
    }

    // Strong references this transaction adds must resolve; deleted rows must be unreferenced.
    // (A reference it keeps points at a row that existed; if that row is deleted now, the
    // second check catches it.) Inserted rows mostly point at a few targets (44k flows at
    // 100 datapaths): a target found once is not looked up again in the big change map.
    const found = new Map<Uuid, string>();
    const exists = (table: string, u: Uuid): boolean => {
      if (found.get(u) === table) return true;
      if (!this.existsAfter(table, u)) return false;
      found.set(u, table);
      return true;
    };
    for (let i = 0; i < order.length; i++) {
      const c = order[i] as Change;
      const info = this.info(c.table);
      if (c.new !== null) {
        if (c.old === null) {
          // An inserted row: walk its reference columns in place (no delta to build).
          const refs = info.refs;
          for (let k = 0; k < refs.length; k++) {
            const spec = refs[k] as RefSpec;
            if (!spec.strong) continue;
            const v = c.new[spec.column];
            if (typeof v === 'string') {
              if (!exists(spec.refTable, v)) throw this.dangling(c, info, spec.column, spec.refTable, v);
            } else if (v !== null && v !== undefined) {
              const ts = refTargets(spec, v);
              for (let j = 0; j < ts.length; j++) if (!exists(spec.refTable, ts[j] as Uuid)) throw this.dangling(c, info, spec.column, spec.refTable, ts[j] as Uuid);
            }
          }
        } else {
          for (const r of refDelta(info, c.old, c.new).added) if (r.strong && !this.existsAfter(r.refTable, r.target)) throw this.dangling(c, info, r.column, r.refTable, r.target);
        }
      } else if (c.old !== null && strongAfter(c.uuid) > 0) {
        const by = this.referrer(c.uuid);
        const me = rowLabel(this.info(c.table), c.table, c.old, c.uuid);
        throw new LoomError({
          code: 'referential-integrity',
          message: `cannot delete ${me}: it is still referenced${by !== undefined ? ` by ${by.label}.${by.column}` : ''}`,
          table: c.table,
          row: c.uuid,
          value: c.uuid,
          ...(by !== undefined ? { column: by.column } : {}),
          ...(c.op >= 0 ? { op: c.op, path: `/ops/${c.op}` } : {}),
          hint: by !== undefined ? `${me} is still referenced by ${by.label}.${by.column}; delete it from there first` : 'remove the references to it first',
        });
      }
    }

    // Weak references to rows that do not exist after the transaction are removed.
    const recheck = new Set<Change>();
    for (let i = 0; i < order.length; i++) {
      const c = order[i] as Change;
      if (c.new !== null && this.info(c.table).hasWeak) recheck.add(c);
      if (c.old !== null && c.new === null) {
        for (const [src, refs] of this.db.referrers(c.uuid) ?? []) {
          if (!refs.some((r) => !r.strong)) continue;
          const sc = this.changes.get(src);
          if (sc !== undefined) {
            if (sc.new !== null) recheck.add(sc);
          } else {
            const table = (refs[0] as { table: string }).table;
            recheck.add(this.change(table, src, this.db.get(table, src) as Row, -1));
          }
        }
      }
    }
    recheck.forEach((c) => this.dropDanglingWeak(c));

    // maxRows and unique indexes, only for tables this transaction touched.
    for (const [table, list] of this.byTable) {
      const t = this.info(table).schema;
      if (t.maxRows !== undefined) {
        let n = this.db.rowsOf(table).size;
        for (let j = 0; j < list.length; j++) n += ((list[j] as Change).new !== null ? 1 : 0) - ((list[j] as Change).old !== null ? 1 : 0);
        if (n > t.maxRows) {
          throw new LoomError({ code: 'constraint-violation', message: `table ${table} holds at most ${t.maxRows} row${t.maxRows === 1 ? '' : 's'}; this transaction would leave ${n}`, table, value: n, hint: t.maxRows === 1 ? `update the existing ${table} row instead of inserting another` : undefined });
        }
      }
      t.indexes.forEach((cols, i) => {
        const seen = new Map<string, Change>();
        for (let j = 0; j < list.length; j++) {
          const c = list[j] as Change;
          if (c.new === null) continue;
          const key = indexKey(c.new, cols);
          const other = seen.get(key);
          if (other !== undefined) throw this.duplicate(table, cols, c, other.uuid, key);
          seen.set(key, c);
          const u = this.db.indexLookup(table, i, key);
          if (u !== undefined && u !== c.uuid) {
            const oc = this.changes.get(u);
            if (oc === undefined || (oc.new !== null && indexKey(oc.new, cols) === key)) throw this.duplicate(table, cols, c, u, key);
          }
        }
      });
    }

    // Drop rows that ended where they started; version the others; last shape check.
    const out: RowChange[] = [];
    for (let i = 0; i < order.length; i++) {
      const c = order[i] as Change;
      if (c.old === null && c.new === null) continue; // inserted, then deleted or collected
      if (c.old !== null && c.new !== null && rowsEqual(c.old, c.new)) continue;
      if (c.new !== null) {
        const row = c.owned ? (c.new as MutableRow) : { ...(c.new as Row) };
        if (c.old !== null) row['_version'] = this.version();
        c.new = row;
        // The last word on the shape (store/row-check.ts): the whole row when inserted, the
        // changed columns otherwise.
        // (a row checked when its part ran has all but _version checked, and its _version
        // is this transaction's own)
        if (this.opts.checkRows === true && !(c.old === null && c.checked)) {
          const checks = rowChecks(this.info(c.table).schema);
          let problem;
          if (c.old === null) problem = checks.full(row);
          else {
            const changed: MutableRow = { _uuid: row._uuid };
            const cols = this.info(c.table).schema.columns;
            for (const k of Object.keys(row)) {
              if (k === '_version' || row[k] === c.old[k]) continue;
              // Of a set or map that may be empty, only what was added needs a look: a 10k-port
              // switch gaining one port checks one uuid, not 10k.
              changed[k] = cols[k]?.min === 0 ? addedPart(c.old[k] as Value, row[k] as Value) : (row[k] as Value);
            }
            problem = checks.partial(changed);
          }
          if (problem !== null) {
            const column = problem.column;
            throw new LoomError({ code: 'type-error', message: `${c.table}${column !== undefined ? `.${column}` : ''}: ${problem.message}`, table: c.table, row: c.uuid, ...(column !== undefined ? { column, value: row[column] } : {}), path: column !== undefined ? `/${column}` : '' });
          }
        }
      }
      out.push({ table: c.table, uuid: c.uuid, old: c.old, new: c.new === null ? null : freezeRow(c.new) });
    }
    if (this.opts.validate !== undefined && out.length > 0) {
      try {
        this.opts.validate(this.view(out));
      } catch (e) {
        if (e instanceof LoomError) throw e;
        throw new LoomError({ code: 'internal', message: `validate hook failed: ${e instanceof Error ? e.message : String(e)}` });
      }
    }
    return out;
  }

  private dropDanglingWeak(c: Change): void {
    if (c.new === null) return;
    const info = this.info(c.table);
    const refs = info.refs;
    for (let k = 0; k < refs.length; k++) {
      const spec = refs[k] as RefSpec;
      if (spec.strong) continue;
      const v = c.new[spec.column] as Value;
      const targets = refTargets(spec, v);
      let all = true;
      for (let j = 0; j < targets.length && all; j++) all = this.existsAfter(spec.refTable, targets[j] as Uuid);
      if (all) continue;
      const col = info.schema.columns[spec.column];
      if (col === undefined) continue;
      let nv: Value;
      let n: number;
      const kind = kindOf(col);
      if (kind === 'map') {
        const m: Record<string, string | number | boolean> = {};
        for (const [k, x] of Object.entries(v as Record<string, string | number | boolean>)) {
          const t = spec.part === 'key' ? k : x;
          if (this.existsAfter(spec.refTable, t as Uuid)) m[k] = x;
        }
        nv = m;
        n = Object.keys(m).length;
      } else {
        const kept = targets.filter((t) => this.existsAfter(spec.refTable, t as Uuid));
        nv = kind === 'set' ? kept : (kept[0] ?? null);
        n = kept.length;
      }
      if (!c.owned) {
        c.new = { ...c.new };
        c.owned = true;
      }
      touch(c);
      (c.new as MutableRow)[spec.column] = nv;
      checkSize(col, n, { table: c.table, column: spec.column, path: c.op >= 0 ? `/ops/${c.op}` : '' }, v);
    }
  }

  /** A strong reference the transaction adds points at no row (or one it deletes). */
  private dangling(c: Change, info: TableInfo, column: string, refTable: string, target: Uuid): LoomError {
    const gone = this.db.get(refTable, target) !== undefined;
    return new LoomError({
      code: 'referential-integrity',
      message: `${rowLabel(info, c.table, c.new, c.uuid)}.${column} refers to ${refTable} ${target}, which ${gone ? 'this transaction deletes' : 'does not exist'}`,
      table: c.table,
      column,
      row: c.uuid,
      value: target,
      ...(c.op >= 0 ? { op: c.op, path: `/ops/${c.op}` } : {}),
      hint: gone ? `remove it from ${c.table}.${column} in the same transaction` : `insert the ${refTable} row first, or refer to it by uuid-name in the same transaction`,
    });
  }

  private referrer(target: Uuid): { label: string; column: string } | undefined {
    for (const c of this.changes.values()) {
      if (c.new === null) continue;
      const info = this.info(c.table);
      const r = refsOf(info, c.new).find((x) => x.strong && x.target === target);
      if (r !== undefined) return { label: rowLabel(info, c.table, c.new, c.uuid), column: r.column };
    }
    for (const [src, refs] of this.db.referrers(target) ?? []) {
      if (this.changes.has(src)) continue;
      const r = refs.find((x) => x.strong);
      if (r !== undefined) return { label: rowLabel(this.info(r.table), r.table, this.db.get(r.table, src), src), column: r.column };
    }
    return undefined;
  }

  private duplicate(table: string, cols: readonly string[], c: Change, other: Uuid, key: string): LoomError {
    const info = this.info(table);
    return new LoomError({
      code: 'duplicate',
      message: `${table} already has a row with ${cols.join(', ')} = ${key} (${rowLabel(info, table, this.current(table, other), other)}); ${cols.join(', ')} must be unique`,
      table,
      column: cols.join(','),
      row: c.uuid,
      value: cols.length === 1 ? c.new?.[cols[0] as string] : cols.map((k) => c.new?.[k]),
      ...(c.op >= 0 ? { op: c.op, path: `/ops/${c.op}/row/${cols[0] ?? ''}` } : {}),
      hint: `choose another ${cols.join('/')} or update the existing row ${other}`,
    });
  }

  private view(changes: readonly RowChange[]): TxnView {
    return {
      schema: this.db.schema,
      changes,
      select: (table, where) => {
        const t = this.db.schema.tables[table];
        if (t === undefined) throw new LoomError({ code: 'unknown-table', message: `no table ${table}`, value: table });
        return this.scan(table, compileWhere(t, where ?? [], { path: '' }));
      },
      get: (table, uuid) => this.current(table, uuid),
      committed: (table, uuid) => this.db.get(table, uuid) ?? null,
    };
  }
}

/**
 * The _version texts of one commit: a random uuid's first 24 characters (its 4-bit version
 * and variant included) and a 12-hex-digit count. Distinct within the commit, and from any
 * other commit's but for a chance of about 2^-74 a pair of commits; a valid uuid text. One crypto.randomUUID per
 * row was ≈5% of a 55k-row commit.
 */
function versions(): () => Uuid {
  const prefix = newUuid().slice(0, 24);
  let n = 0;
  return () => prefix + (n++).toString(16).padStart(12, '0');
}

/** The elements (set) or entries (map) of `nw` not in `old`; scalars as they are. */
function addedPart(old: Value, nw: Value): Value {
  if (Array.isArray(nw)) return setDiff(Array.isArray(old) ? (old as readonly Scalar[]) : [], nw as readonly Scalar[]).added;
  if (nw !== null && typeof nw === 'object') {
    const o = old !== null && typeof old === 'object' && !Array.isArray(old) ? (old as { readonly [k: string]: Scalar }) : {};
    const out: Record<string, Scalar> = {};
    for (const [k, v] of Object.entries(nw as { readonly [k: string]: Scalar })) if (o[k] !== v) out[k] = v;
    return out;
  }
  return nw;
}

export function project(r: Row, cols: readonly string[]): Row {
  const o: { _uuid: Uuid; [c: string]: Value } = { _uuid: r._uuid };
  for (const c of cols) o[c] = r[c] as Value;
  return o;
}

function notOwner(lock: string, i: number): LoomError {
  return new LoomError({ code: 'not-owner', message: `this session does not own lock ${JSON.stringify(lock)}`, value: lock, op: i, path: `/ops/${i}/lock`, hint: 'acquire the lock first (lock or steal on the session) and assert it in the same session' });
}

/**
 * One transaction run a part at a time, as the parts come (Store.transactParts): each
 * add() executes its operations against the committed Database and what the earlier parts
 * did; finish() applies the commit-time rules to all of it. Valid only while the Database
 * is unchanged since the first add() (the caller checks its revision and otherwise runs
 * the whole transaction afresh), and only for parts that name uuid-names of earlier parts:
 * an add() that throws leaves this object unusable (the caller runs everything at commit,
 * where any operation may refer to any insert, and reports what that run says).
 * `assert` operations are checked at finish(), against the locks held then.
 */
export class PartialExecution {
  private readonly txn: Txn;
  private readonly results: OperationResult[] = [];
  private broken = false;

  constructor(db: Database, opts: ExecuteOptions) {
    this.txn = new Txn(db, opts);
    this.txn.deferredAsserts = [];
    this.txn.inserted = [];
  }

  /** Operations run so far. */
  get size(): number {
    return this.results.length;
  }

  /** Runs a part; returns the rows it inserted (sealed: see InsertedRow). */
  add(ops: readonly unknown[]): readonly InsertedRow[] {
    if (this.broken) throw new LoomError({ code: 'internal', message: 'a failed partial execution cannot go on' });
    try {
      for (const r of this.txn.run(ops, this.results.length)) this.results.push(r);
      return this.txn.endPart();
    } catch (e) {
      this.broken = true;
      throw e;
    }
  }

  finish(locks: ReadonlySet<string> | undefined): TxnOutcome {
    if (this.broken) throw new LoomError({ code: 'internal', message: 'a failed partial execution cannot finish' });
    this.broken = true;
    // an assert fails before any commit-time rule, as in a whole run (operations first)
    for (const a of this.txn.deferredAsserts ?? []) if (locks?.has(a.lock) !== true) throw notOwner(a.lock, a.op);
    const changes = this.txn.finish();
    return { results: this.results, changes, durable: this.txn.durable };
  }
}

/** Runs the operations; throws LoomError (the Database untouched) or returns what to commit. */
export function executeTransaction(db: Database, ops: unknown, opts: ExecuteOptions = {}): TxnOutcome {
  const txn = new Txn(db, opts);
  const results = txn.run(ops);
  const changes = txn.finish();
  return { results, changes, durable: txn.durable };
}
