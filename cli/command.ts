// cli/command.ts — what a CLI command is, and what it gets to work with.
//
// Owns: the CommandSpec shape (syntax, arity, options, the tables it reads, help text,
// example) and the CommandContext a command runs against (the transaction-local view,
// its arguments and options, @name symbols, the output it prints); helpers every command
// set uses (errors in ovn-nbctl's wording, record lookup by name or UUID).
// Reads: cli/txn-view.ts.
// Called by: cli/nbctl.ts, cli/sbctl.ts, cli/db-commands.ts (define commands), cli/run.ts
// (runs them).
// Must never: do I/O. Commands are synchronous functions of the view: every read they need
// was fetched before the chain started, so a chain of 300 commands is one round trip.
// Invariants: a command either finishes or throws LoomError having changed the view in a
// way the caller discards (the whole invocation is then abandoned: nothing is sent).

import { LoomError, type DatabaseSchema, type ErrorCode, type Row } from '../store/types.js';
import type { OutputFormat } from './table-format.js';
import { isUuid } from './values.js';
import { isTempId, type TxnView } from './txn-view.js';

export interface GlobalOptions {
  readonly db?: string;
  readonly format: OutputFormat;
  readonly bare: boolean;
  readonly headings: boolean;
  readonly json: boolean;
  /** --wait=sb|hv */
  readonly wait?: 'sb' | 'hv' | 'none';
  /** Seconds; 0 = no limit. */
  readonly timeout: number;
  /** --columns given before a command (ovs-vsctl also accepts `--columns name`). */
  readonly columns?: string;
}

export interface CommandContext {
  readonly view: TxnView;
  readonly args: readonly string[];
  /** Per-command options, without the leading dashes: `may-exist` → '', `type` → 'port-group'. */
  readonly options: ReadonlyMap<string, string>;
  readonly global: GlobalOptions;
  /** `@name` → row uuid (temporary id until commit), shared by the whole chain. */
  readonly symbols: Map<string, string>;
  /** What the command prints; temporary ids in it are replaced by real uuids after commit. */
  out: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly group: string;
  /** Arguments after the command name, in man-page notation. */
  readonly syntax: string;
  readonly min: number;
  readonly max: number;
  /** Options it accepts, as `--name` or `--name=VALUE`. */
  readonly options: readonly string[];
  readonly summary: string;
  readonly example: string;
  /** Tables the command reads; fetched once for the whole chain. */
  tables(args: readonly string[], options: ReadonlyMap<string, string>, schema: DatabaseSchema): readonly string[];
  /**
   * Tables the command touches ONLY by looking rows up by name or UUID, with those names:
   * such a table (when no other command of the chain needs it whole) is fetched as just
   * these rows, so a chain's cost does not grow with the database (10k ports).
   */
  keys?(args: readonly string[], options: ReadonlyMap<string, string>): { readonly [table: string]: readonly string[] };
  /** True when it never writes (so a chain of them skips the write transaction). */
  readonly readOnly?: boolean;
  run(ctx: CommandContext): void;
}

export function fail(code: ErrorCode, message: string, extra: { hint?: string; table?: string; column?: string; value?: unknown } = {}): never {
  throw new LoomError({ code, message, ...extra });
}

export function has(ctx: CommandContext, option: string): boolean {
  return ctx.options.has(option);
}

export function arg(ctx: CommandContext, i: number): string {
  return ctx.args[i] as string;
}

/** `name` → the single row with that name, or undefined; several with that name is an error. */
export function byName(view: TxnView, table: string, column: string, name: string, what: string): Row | undefined {
  const rows = view.find(table, column, name);
  if (rows.length > 1) fail('invalid-value', `Multiple ${what}s named '${name}'.  Use a UUID.`, { table, value: name });
  return rows[0];
}

/** ovn-nbctl's *_by_name_or_uuid: a UUID (or temporary id) first, then the name column. */
export function lookup(view: TxnView, table: string, id: string, what: string, mustExist: true, nameColumn?: string): Row;
export function lookup(view: TxnView, table: string, id: string, what: string, mustExist: boolean, nameColumn?: string): Row | undefined;
export function lookup(view: TxnView, table: string, id: string, what: string, mustExist: boolean, nameColumn = 'name'): Row | undefined {
  let row: Row | undefined;
  if (isUuid(id) || isTempId(id)) row = view.get(table, id.toLowerCase());
  if (row === undefined && nameColumn !== '') row = byName(view, table, nameColumn, id, what);
  if (row === undefined && mustExist) {
    fail('not-found', `${id}: ${what} ${isUuid(id) ? 'UUID' : 'name'} not found`, { table, value: id });
  }
  return row;
}

export function str(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}
