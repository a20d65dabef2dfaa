// store/types.ts — the contract of loom's transactional table store.
//
// Owns: the types every database user shares — schema description, values, rows, the
// OVSDB operation set (RFC 7047 §5.2), results, errors, and the watch stream. The
// SQLite engine (store/sqlite), the HTTP/WS client (store/client) and any future
// distributed backend (etcd) implement `Store`; nbdb, sbdb, northd, the controller and
// the CLI depend only on this file, never on a backend.
//
// Values. Rows are handed out in plain JSON ("plain form"):
//   - a column with min=1,max=1 holds a scalar (string | number | boolean; uuid as string)
//   - a column with min=0,max=1 holds a scalar or null
//   - a set column (max>1 or "unlimited") holds an array, sorted, no duplicates
//   - a map column holds an object { key: value } (keys are strings on the wire;
//     integer keys are their decimal text)
// Operations accept the plain form and also RFC 7047 wire notation (["set",[...]],
// ["map",[[k,v],...]], ["uuid","..."], ["named-uuid","..."]); the schema says which
// reading applies. In a uuid-typed column a plain string that equals a uuid-name of an
// earlier insert in the same transaction means that row (as ["named-uuid", name] does).
//
// Invariants: a transaction is all or nothing; every commit gets revision = previous + 1;
// the watch delivers every committed change after the requested revision exactly once, in
// revision order, or a snapshot when the change log no longer reaches back that far.

import type { Observable } from 'rxjs';

export type Uuid = string;
export type Scalar = string | number | boolean;
export type Value = Scalar | null | readonly Scalar[] | { readonly [key: string]: Scalar };

/** A row in plain form. `_uuid` is always present; `_version` changes on every update. */
export interface Row {
  readonly _uuid: Uuid;
  readonly [column: string]: Value;
}

// ---------------------------------------------------------------- schema description

export type AtomicType = 'string' | 'integer' | 'real' | 'boolean' | 'uuid';

export interface BaseType {
  readonly type: AtomicType;
  readonly enum?: readonly Scalar[];
  readonly minInteger?: number;
  readonly maxInteger?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** For uuid: the table referred to. */
  readonly refTable?: string;
  /** strong (default): the referred row must exist and is kept alive; weak: dangling refs are removed. */
  readonly refType?: 'strong' | 'weak';
}

export interface ColumnSchema {
  readonly key: BaseType;
  /** Present for map columns. */
  readonly value?: BaseType;
  readonly min: number;
  readonly max: number | 'unlimited';
  /** Set by the system, refused in insert/update from clients (e.g. Port_Binding.chassis is not this). */
  readonly ephemeral?: boolean;
  readonly mutable?: boolean;
}

export interface TableSchema {
  readonly name: string;
  readonly columns: { readonly [column: string]: ColumnSchema };
  /** Non-root rows are deleted once no strong reference points at them (RFC 7047 isRoot). */
  readonly isRoot: boolean;
  /** Each entry is a set of columns whose combined value is unique in the table. */
  readonly indexes: readonly (readonly string[])[];
  /** At most this many rows (NB_Global, SB_Global: 1). */
  readonly maxRows?: number;
}

export interface DatabaseSchema {
  readonly name: 'OVN_Northbound' | 'OVN_Southbound' | string;
  readonly version: string;
  readonly tables: { readonly [table: string]: TableSchema };
}

// ---------------------------------------------------------------- operations (RFC 7047 §5.2)

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type Condition = readonly [column: string, fn: ConditionFunction, value: unknown];
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = readonly [column: string, mutator: Mutator, value: unknown];

export type Operation =
  | { readonly op: 'insert'; readonly table: string; readonly row: { readonly [c: string]: unknown }; readonly 'uuid-name'?: string; readonly uuid?: Uuid }
  | { readonly op: 'select'; readonly table: string; readonly where: readonly Condition[]; readonly columns?: readonly string[] }
  | { readonly op: 'update'; readonly table: string; readonly where: readonly Condition[]; readonly row: { readonly [c: string]: unknown } }
  | { readonly op: 'mutate'; readonly table: string; readonly where: readonly Condition[]; readonly mutations: readonly Mutation[] }
  | { readonly op: 'delete'; readonly table: string; readonly where: readonly Condition[] }
  | { readonly op: 'wait'; readonly table: string; readonly where: readonly Condition[]; readonly columns: readonly string[]; readonly until: '==' | '!='; readonly rows: readonly { readonly [c: string]: unknown }[]; readonly timeout?: number }
  | { readonly op: 'comment'; readonly comment: string }
  | { readonly op: 'assert'; readonly lock: string }
  | { readonly op: 'commit'; readonly durable: boolean }
  | { readonly op: 'abort' };

export type OperationResult =
  | { readonly uuid: Uuid } // insert
  | { readonly rows: readonly Row[] } // select
  | { readonly count: number } // update, mutate, delete
  | Record<string, never>; // wait, comment, assert, commit

export interface TransactResult {
  /** The revision this transaction committed as; unchanged (the current one) for a read-only transaction. */
  readonly revision: number;
  readonly results: readonly OperationResult[];
}

// ---------------------------------------------------------------- errors

export type ErrorCode =
  | 'bad-request' // malformed JSON or operation shape
  | 'too-large' // request over the size limit
  | 'unknown-table'
  | 'unknown-column'
  | 'type-error' // value of the wrong type, enum, range or length
  | 'constraint-violation' // set size, maxRows, ephemeral/immutable column
  | 'referential-integrity' // strong reference to a missing row, or delete of a referenced row
  | 'duplicate' // index (unique columns) violated
  | 'not-found' // a row named by a command does not exist
  | 'invalid-match' // expression language refused a match/action string
  | 'invalid-value' // a value the database-specific rules refuse (bad CIDR, bad MAC, ...)
  | 'timed-out' // a wait operation did not hold in time
  | 'aborted' // the transaction contained abort
  | 'not-owner' // an assert named a lock the session does not hold
  | 'unavailable' // backend cannot serve (closed, not leader, ...)
  | 'internal';

/** Errors are data: API, CLI, logs and --json all render this one object. */
export interface LoomErrorData {
  readonly code: ErrorCode;
  readonly message: string;
  readonly table?: string;
  readonly column?: string;
  readonly row?: Uuid;
  readonly value?: unknown;
  readonly hint?: string;
  /** JSON-pointer-like path into the request, ajv's instancePath style: /ops/3/row/addresses */
  readonly path?: string;
  /** Index of the failing operation in a transaction. */
  readonly op?: number;
}

export class LoomError extends Error implements LoomErrorData {
  readonly code: ErrorCode;
  readonly table?: string;
  readonly column?: string;
  readonly row?: Uuid;
  readonly value?: unknown;
  readonly hint?: string;
  readonly path?: string;
  readonly op?: number;
  constructor(data: LoomErrorData) {
    super(data.message);
    this.name = 'LoomError';
    this.code = data.code;
    if (data.table !== undefined) this.table = data.table;
    if (data.column !== undefined) this.column = data.column;
    if (data.row !== undefined) this.row = data.row;
    if (data.value !== undefined) this.value = data.value;
    if (data.hint !== undefined) this.hint = data.hint;
    if (data.path !== undefined) this.path = data.path;
    if (data.op !== undefined) this.op = data.op;
  }
  toJSON(): LoomErrorData {
    const { code, message, table, column, row, value, hint, path, op } = this;
    return { code, message, table, column, row, value, hint, path, op };
  }
}

// ---------------------------------------------------------------- watch

/** What a watcher wants: per table, optional row conditions (all must hold) and columns. */
export interface WatchRequest {
  /** Deliver changes committed after this revision. Omitted: start with a snapshot. */
  readonly fromRevision?: number;
  /** Omitted: every table, every row. */
  readonly tables?: { readonly [table: string]: { readonly where?: readonly Condition[]; readonly columns?: readonly string[] } };
}

/**
 * One row's change in one commit, as the watcher sees it through its filter: a row that
 * starts to match is an insert (old null), one that stops matching is a delete (new null).
 */
export interface RowChange {
  readonly table: string;
  readonly uuid: Uuid;
  readonly old: Row | null;
  readonly new: Row | null;
}

export type WatchEvent =
  /** Full current content (filtered) at `revision`; replaces whatever the watcher held. */
  | { readonly type: 'snapshot'; readonly revision: number; readonly tables: { readonly [table: string]: readonly Row[] } }
  /** One commit's changes that pass the filter (commits that touch nothing watched may be skipped). */
  | { readonly type: 'change'; readonly revision: number; readonly changes: readonly RowChange[] }
  /** Nothing watched changed up to `revision`: lets a watcher move its cursor. */
  | { readonly type: 'progress'; readonly revision: number };

// ---------------------------------------------------------------- the store

/** Per-call context of a transaction that is not an operation. */
export interface TransactOptions {
  /**
   * The locks (RFC 7047 §4.1.8) the calling session holds: an `assert` operation succeeds
   * only for one of these. Sessions and their locks belong to the service layer; an
   * embedded caller that holds no session passes none, and every assert fails 'not-owner'.
   */
  readonly locks?: ReadonlySet<string>;
}

/** One transaction handed over in parts (a batch too big to build or send at once):
 *  operations of a later part may name uuid-names of earlier parts; nothing commits
 *  before commit(); the result covers every operation of every part, in order. */
export interface TxnParts {
  add(ops: readonly Operation[]): Promise<void>; // the store may check/hold them now
  commit(ops?: readonly Operation[]): Promise<TransactResult>; // rejects as transact(); nothing written
  abort(): Promise<void>; // frees what was held, at once
}

export interface Store {
  readonly schema: DatabaseSchema;
  /** Runs the operations as one atomic transaction. Rejects with LoomError and changes nothing on failure. */
  transact(ops: readonly Operation[], options?: TransactOptions): Promise<TransactResult>;
  /**
   * One transaction in parts (TxnParts). The operations run, against the state committed
   * by then, when commit() is called; a part refused by add() fails the whole transaction
   * (commit() rejects with the same error). `options` is read at commit().
   */
  transactParts(options?: TransactOptions): TxnParts;
  /** Rows of one table matching all conditions (plain form). */
  select(table: string, where?: readonly Condition[]): Promise<readonly Row[]>;
  /** The latest committed revision. */
  revision(): Promise<number>;
  /** A hot stream of committed changes per the request; completes when the store closes. */
  watch(request?: WatchRequest): Observable<WatchEvent>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- database-specific rules

/**
 * What a backend's `validate` hook sees of a transaction after its operations (and the
 * garbage collection and weak-reference clean-up they cause) ran, before it commits.
 * The hook throws LoomError (e.g. 'invalid-match', 'invalid-value', 'duplicate') to refuse
 * the whole transaction; it must not have side effects.
 */
export interface TxnView {
  readonly schema: DatabaseSchema;
  /** Every row this transaction inserts (old null), updates, or deletes (new null). */
  readonly changes: readonly RowChange[];
  /** Rows of a table as they will be once committed, matching all conditions. */
  select(table: string, where?: readonly Condition[]): readonly Row[];
  /** One row as it will be once committed; null when absent or deleted. */
  get(table: string, uuid: Uuid): Row | null;
  /** One row as it was before this transaction; null when absent. */
  committed(table: string, uuid: Uuid): Row | null;
}

export type TxnValidator = (txn: TxnView) => void;
