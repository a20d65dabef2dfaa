// cli/db-commands.ts — the database commands ovn-nbctl and ovn-sbctl share with ovs-vsctl:
// list, find, get, set, add, remove, clear, create, destroy.
//
// Owns: record identification (UUID, unique UUID prefix, or the table's name column as
// ovn-nbctl/ovn-sbctl accept it), `COL[:KEY]=VALUE` arguments, find's comparison operators
// and --columns/--id/--if-exists/--all handling.
// Reads: the transaction-local view; value syntax from cli/values.ts.
// Called by: cli/nbctl.ts and cli/sbctl.ts (both put these in their command tables).
// Must never: write a column the schema does not have or bypass the view.
// Invariants: rows print in a stable order (name, then uuid) so output is reproducible.

import { LoomError, type ColumnSchema, type DatabaseSchema, type Row, type Scalar, type TableSchema, type Value } from '../store/types.js';
import { fail, type CommandContext, type CommandSpec } from './command.js';
import { defaultColumns, formatRows } from './table-format.js';
import type { TxnView } from './txn-view.js';
import { isTempId } from './txn-view.js';
import {
  asArray,
  asMap,
  columnKind,
  compareAtoms,
  defaultValue,
  formatAtom,
  formatValue,
  isUuid,
  normalizeSet,
  parseAtom,
  parseAtoms,
  parseDatum,
  parseMapPairs,
  setKey,
  valuesEqual,
} from './values.js';

/** How records of a table are named on the command line, besides their UUID. */
export interface RecordNaming {
  readonly column: string;
  /** For a map column (Datapath_Binding external_ids:name). */
  readonly key?: string;
}

export function recordNaming(ts: TableSchema): RecordNaming | undefined {
  if (ts.name === 'Datapath_Binding') return { column: 'external_ids', key: 'name' };
  if (ts.name === 'Port_Binding') return { column: 'logical_port' };
  if (ts.name === 'Chassis_Private') return { column: 'name' };
  const name = ts.columns['name'];
  if (name !== undefined && name.key.type === 'string' && name.value === undefined) return { column: 'name' };
  return undefined;
}

function recordName(ts: TableSchema, r: Row): string | undefined {
  const n = recordNaming(ts);
  if (n === undefined) return undefined;
  const v = r[n.column];
  if (n.key !== undefined) {
    const m = asMap(v);
    return m[n.key] === undefined ? undefined : String(m[n.key]);
  }
  const a = asArray(v);
  return a.length === 0 ? undefined : String(a[0]);
}

/** Stable order for listing: by record name when the table has one, then by uuid. */
export function sortRows(ts: TableSchema, rows: readonly Row[]): Row[] {
  return [...rows].sort((a, b) => {
    const na = recordName(ts, a) ?? '';
    const nb = recordName(ts, b) ?? '';
    return na < nb ? -1 : na > nb ? 1 : a._uuid < b._uuid ? -1 : a._uuid > b._uuid ? 1 : 0;
  });
}

/**
 * The TABLE RECORD a database command names in its first two arguments: undefined when it
 * does not exist and --if-exists was given (the command then does nothing), else an error.
 */
function commandRecord(ctx: CommandContext): { table: string; row: Row } | undefined {
  const table = resolveTable(ctx.view.schema, ctx.args[0] as string);
  const row = findRecord(ctx.view, table, ctx.args[1] as string, !ctx.options.has('if-exists'), ctx.symbols);
  return row === undefined ? undefined : { table, row };
}

/** Finds the record `rec` names in `table`: an @name from --id, UUID, unique UUID prefix, `.` for single-row tables, or its name. */
export function findRecord(view: TxnView, table: string, rec: string, mustExist: boolean, symbols?: ReadonlyMap<string, string>): Row | undefined {
  const ts = view.table(table);
  let row: Row | undefined;
  const sym = rec.startsWith('@') ? symbols?.get(rec) : undefined;
  if (sym !== undefined) rec = sym;
  if (isUuid(rec) || isTempId(rec)) row = view.get(table, rec.toLowerCase());
  if (row === undefined && rec === '.' && ts.maxRows === 1) row = view.rows(table)[0];
  if (row === undefined) {
    const n = recordNaming(ts);
    if (n !== undefined) {
      const hits = view.rows(table).filter((r) => recordName(ts, r) === rec);
      if (hits.length > 1) fail('invalid-value', `multiple rows in ${table} match "${rec}"`, { table, value: rec, hint: 'name the record by its UUID' });
      row = hits[0];
    }
  }
  if (row === undefined && /^[0-9a-f]{4,}$/i.test(rec.replace(/-/g, ''))) {
    const hits = view.rows(table).filter((r) => r._uuid.startsWith(rec.toLowerCase()));
    if (hits.length === 1) row = hits[0];
  }
  if (row === undefined && mustExist) {
    const n = recordNaming(ts);
    fail('not-found', `no row "${rec}" in table ${table}`, {
      table,
      value: rec,
      hint: n === undefined ? `name ${table} records by UUID` : `name ${table} records by UUID or by ${n.key === undefined ? n.column : `${n.column}:${n.key}`}`,
    });
  }
  return row;
}

interface ColumnArg {
  readonly column: string;
  readonly key?: string;
  readonly op?: string;
  readonly value?: string;
}

const OPS = ['{!=}', '{<=}', '{>=}', '{=}', '{<}', '{>}', '!=', '<=', '>=', '=', '<', '>'];

/** Splits `col[:key][OP value]`; `ops` lists the operators allowed (set: only "="). */
function parseColumnArg(text: string, ops: readonly string[]): ColumnArg {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(text);
  if (m === null) fail('bad-request', `"${text}": expected a column name`, { value: text });
  const column = m[1] as string;
  let rest = text.slice(column.length);
  let key: string | undefined;
  if (rest.startsWith(':')) {
    rest = rest.slice(1);
    if (rest.startsWith('"')) {
      let i = 1;
      while (i < rest.length && rest[i] !== '"') i += rest[i] === '\\' ? 2 : 1;
      key = JSON.parse(rest.slice(0, i + 1)) as string;
      rest = rest.slice(i + 1);
    } else {
      let i = 0;
      while (i < rest.length && !OPS.some((o) => rest.startsWith(o, i))) i++;
      key = rest.slice(0, i);
      rest = rest.slice(i);
    }
  }
  if (rest === '') return { column, ...(key !== undefined ? { key } : {}) };
  const op = OPS.find((o) => rest.startsWith(o));
  if (op === undefined || !ops.includes(op)) fail('bad-request', `"${text}": expected ${ops.map((o) => `"${o}"`).join(' or ')} after the column`, { value: text });
  return { column, ...(key !== undefined ? { key } : {}), op, value: rest.slice(op.length) };
}

function columnOf(view: TxnView, table: string, column: string): ColumnSchema {
  if (column === '_uuid' || column === '_version') return { key: { type: 'uuid' }, min: 1, max: 1 };
  return view.column(table, column);
}

function columnsOption(ctx: CommandContext, ts: TableSchema): string[] {
  const opt = ctx.options.get('columns') ?? ctx.global.columns;
  if (opt === undefined || opt === '') return defaultColumns(ts);
  const cols = opt.split(',').map((c) => c.trim()).filter((c) => c !== '');
  for (const c of cols) columnOf(ctx.view, ts.name, c);
  return cols;
}

function printRows(ctx: CommandContext, ts: TableSchema, rows: readonly Row[]): void {
  ctx.out += formatRows(ts, rows, columnsOption(ctx, ts), { format: ctx.global.format, bare: ctx.global.bare, headings: ctx.global.headings });
}

function bindId(ctx: CommandContext, uuid: string): void {
  const id = ctx.options.get('id');
  if (id === undefined) return;
  if (!id.startsWith('@')) fail('bad-request', `--id=${id}: the name must start with @`, { value: id, hint: 'example: --id=@p create Logical_Switch_Port name=p1' });
  if (ctx.symbols.has(id)) fail('bad-request', `${id}: row id declared twice`, { value: id });
  ctx.symbols.set(id, uuid);
}

/** Assigns `value` (text) to COL or COL:KEY of a row-in-progress. */
function assign(view: TxnView, table: string, current: { [c: string]: Value }, ca: ColumnArg, symbols: ReadonlyMap<string, string>): void {
  const col = columnOf(view, table, ca.column);
  if (ca.column.startsWith('_')) fail('constraint-violation', `cannot modify read-only column ${ca.column}`, { table, column: ca.column });
  if (ca.key !== undefined) {
    if (columnKind(col) !== 'map') fail('type-error', `${table} column ${ca.column} is not a map, so "${ca.column}:${ca.key}" has no meaning`, { table, column: ca.column });
    const m = asMap(current[ca.column]);
    setKey(m, String(parseAtom(col.key, ca.key, false, symbols)), parseAtom(col.value as ColumnSchema['key'], unquote(ca.value ?? ''), isQuoted(ca.value ?? ''), symbols));
    current[ca.column] = m;
  } else {
    current[ca.column] = parseDatum(col, ca.value ?? '', symbols);
  }
}

function isQuoted(s: string): boolean {
  return s.trim().startsWith('"');
}
function unquote(s: string): string {
  const t = s.trim();
  if (!t.startsWith('"')) return s;
  try {
    return JSON.parse(t) as string;
  } catch {
    throw new LoomError({ code: 'type-error', message: `bad quoted string ${t}`, value: t });
  }
}

function compare(col: ColumnSchema, have: Value, op: string, want: Value): boolean {
  const kind = columnKind(col);
  if (op.startsWith('{')) {
    const a = new Set(kind === 'map' ? Object.entries(asMap(have)).map(([k, v]) => `${k}=${String(v)}`) : asArray(have).map(String));
    const b = new Set(kind === 'map' ? Object.entries(asMap(want)).map(([k, v]) => `${k}=${String(v)}`) : asArray(want).map(String));
    const sub = [...a].every((x) => b.has(x));
    const sup = [...b].every((x) => a.has(x));
    switch (op) {
      case '{=}':
        return sub && sup;
      case '{!=}':
        return !(sub && sup);
      case '{<}':
        return sub && !sup;
      case '{<=}':
        return sub;
      case '{>}':
        return sup && !sub;
      case '{>=}':
        return sup;
    }
  }
  if (op === '=') return valuesEqual(have, want);
  if (op === '!=') return !valuesEqual(have, want);
  const a = asArray(have)[0];
  const b = asArray(want)[0];
  if (a === undefined || b === undefined) return false;
  const c = compareAtoms(a, b);
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

/** ovs-vsctl accepts table names in any case and as unique prefixes. */
export function resolveTable(schema: DatabaseSchema, text: string): string {
  if (schema.tables[text] !== undefined) return text;
  const lower = text.toLowerCase();
  const names = Object.keys(schema.tables);
  const exact = names.find((n) => n.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const prefixed = names.filter((n) => n.toLowerCase().startsWith(lower));
  return prefixed.length === 1 ? (prefixed[0] as string) : text;
}

const tablesArg0 = (args: readonly string[], _o: ReadonlyMap<string, string>, schema: DatabaseSchema) =>
  args[0] !== undefined ? [resolveTable(schema, args[0])] : [];

export const dbCommands: readonly CommandSpec[] = [
  {
    name: 'list',
    group: 'Database Commands',
    syntax: 'TABLE [RECORD]...',
    min: 1,
    max: Infinity,
    options: ['--if-exists', '--columns=COLUMN[,COLUMN]...'],
    summary: 'list RECORDs (all of them without one) in TABLE',
    example: 'list Logical_Switch_Port p1',
    tables: tablesArg0,
    readOnly: true,
    run(ctx) {
      const table = resolveTable(ctx.view.schema, ctx.args[0] as string);
      const ts = ctx.view.table(table);
      let rows: Row[];
      if (ctx.args.length > 1) {
        rows = [];
        for (const rec of ctx.args.slice(1)) {
          const r = findRecord(ctx.view, table, rec, !ctx.options.has('if-exists'), ctx.symbols);
          if (r !== undefined) rows.push(r);
        }
      } else rows = sortRows(ts, ctx.view.rows(table));
      printRows(ctx, ts, rows);
    },
  },
  {
    name: 'find',
    group: 'Database Commands',
    syntax: 'TABLE [COLUMN[:KEY]{=,!=,<,>,<=,>=,{=},{!=},{<},{>},{<=},{>=}}VALUE]...',
    min: 1,
    max: Infinity,
    options: ['--columns=COLUMN[,COLUMN]...'],
    summary: 'list the records of TABLE matching every condition',
    example: 'find Logical_Switch_Port type=router',
    tables: tablesArg0,
    readOnly: true,
    run(ctx) {
      const table = resolveTable(ctx.view.schema, ctx.args[0] as string);
      const ts = ctx.view.table(table);
      const conds = ctx.args.slice(1).map((a) => {
        const ca = parseColumnArg(a, OPS);
        if (ca.op === undefined) fail('bad-request', `"${a}": expected a condition like column=value`, { value: a });
        const col = columnOf(ctx.view, table, ca.column);
        let want: Value;
        let test: ColumnSchema = col;
        if (ca.key !== undefined) {
          if (columnKind(col) !== 'map') fail('type-error', `${table} column ${ca.column} is not a map`, { table, column: ca.column });
          test = { key: col.value as ColumnSchema['key'], min: 0, max: 1 };
          want = parseAtom(test.key, unquote(ca.value ?? ''), isQuoted(ca.value ?? ''), ctx.symbols);
        } else want = parseDatum(col, ca.value ?? '', ctx.symbols);
        return { ca, col, test, want };
      });
      const rows = sortRows(ts, ctx.view.rows(table)).filter((r) =>
        conds.every(({ ca, test, want }) => {
          let have: Value = r[ca.column] ?? null;
          if (ca.key !== undefined) {
            const m = asMap(have);
            if (!Object.prototype.hasOwnProperty.call(m, ca.key)) return false;
            have = m[ca.key] as Scalar;
          }
          return compare(test, have, ca.op as string, want);
        }),
      );
      printRows(ctx, ts, rows);
    },
  },
  {
    name: 'get',
    group: 'Database Commands',
    syntax: 'TABLE RECORD [COLUMN[:KEY]]...',
    min: 2,
    max: Infinity,
    options: ['--if-exists', '--id=@NAME'],
    summary: 'print the values of COLUMNs (or one KEY of a map column) of RECORD',
    example: 'get Logical_Switch_Port p1 addresses',
    tables: tablesArg0,
    readOnly: true,
    run(ctx) {
      const target = commandRecord(ctx);
      if (target === undefined) return;
      const { table, row } = target;
      bindId(ctx, row._uuid);
      for (const a of ctx.args.slice(2)) {
        const ca = parseColumnArg(a, []);
        const col = columnOf(ctx.view, table, ca.column);
        if (ca.key !== undefined) {
          if (columnKind(col) !== 'map') fail('type-error', `${table} column ${ca.column} is not a map`, { table, column: ca.column });
          const m = asMap(row[ca.column]);
          if (!Object.prototype.hasOwnProperty.call(m, ca.key)) {
            if (ctx.options.has('if-exists')) continue;
            fail('not-found', `no key "${ca.key}" in ${table} record "${ctx.args[1] as string}" column ${ca.column}`, { table, column: ca.column, value: ca.key });
          }
          ctx.out += (ctx.global.bare ? String(m[ca.key]) : formatAtom(m[ca.key] as Scalar)) + '\n';
        } else {
          ctx.out += formatValue(col, row[ca.column]) + '\n';
        }
      }
    },
  },
  {
    name: 'set',
    group: 'Database Commands',
    syntax: 'TABLE RECORD COLUMN[:KEY]=VALUE...',
    min: 3,
    max: Infinity,
    options: ['--if-exists'],
    summary: 'set COLUMNs (or one KEY of a map column) of RECORD',
    example: 'set Logical_Switch_Port p1 options:requested-chassis=hv1 enabled=false',
    tables: tablesArg0,
    run(ctx) {
      const target = commandRecord(ctx);
      if (target === undefined) return;
      const { table, row } = target;
      const next: { [c: string]: Value } = {};
      for (const a of ctx.args.slice(2)) {
        const ca = parseColumnArg(a, ['=']);
        if (ca.op === undefined) fail('bad-request', `"${a}": expected COLUMN=VALUE`, { value: a });
        if (next[ca.column] === undefined) next[ca.column] = row[ca.column] ?? null;
        assign(ctx.view, table, next, ca, ctx.symbols);
      }
      ctx.view.update(table, row._uuid, next);
    },
  },
  {
    name: 'add',
    group: 'Database Commands',
    syntax: 'TABLE RECORD COLUMN [KEY=]VALUE...',
    min: 4,
    max: Infinity,
    options: ['--if-exists'],
    summary: 'add VALUEs to a set column, or KEY=VALUE pairs to a map column (existing keys stay)',
    example: 'add Logical_Switch sw0 ports @p',
    tables: tablesArg0,
    run(ctx) {
      const target = commandRecord(ctx);
      if (target === undefined) return;
      const { table, row } = target;
      const column = ctx.args[2] as string;
      const col = columnOf(ctx.view, table, column);
      const kind = columnKind(col);
      if (kind === 'map') {
        const m = asMap(row[column]);
        for (const a of ctx.args.slice(3)) for (const [k, v] of Object.entries(parseMapPairs(col, a, ctx.symbols))) if (!Object.prototype.hasOwnProperty.call(m, k)) setKey(m, k, v);
        ctx.view.update(table, row._uuid, { [column]: m });
      } else {
        const items = ctx.args.slice(3).flatMap((a) => parseAtoms(col.key, a, ctx.symbols));
        const next = normalizeSet([...asArray(row[column]), ...items]);
        if (kind !== 'set' && next.length > 1) fail('constraint-violation', `"${column}" holds at most one value`, { table, column });
        ctx.view.update(table, row._uuid, { [column]: kind === 'set' ? next : (next[0] ?? null) });
      }
    },
  },
  {
    name: 'remove',
    group: 'Database Commands',
    syntax: 'TABLE RECORD COLUMN VALUE|KEY|KEY=VALUE...',
    min: 4,
    max: Infinity,
    options: ['--if-exists'],
    summary: 'remove VALUEs from a set column, or KEYs / KEY=VALUE pairs from a map column',
    example: 'remove Logical_Switch sw0 other_config mcast_snoop',
    tables: tablesArg0,
    run(ctx) {
      const target = commandRecord(ctx);
      if (target === undefined) return;
      const { table, row } = target;
      const column = ctx.args[2] as string;
      const col = columnOf(ctx.view, table, column);
      const kind = columnKind(col);
      if (kind === 'map') {
        const m = asMap(row[column]);
        for (const a of ctx.args.slice(3)) {
          if (/^("[^"]*"|[^=]*)=/.test(a)) {
            for (const [k, v] of Object.entries(parseMapPairs(col, a, ctx.symbols))) if (m[k] === v) delete m[k];
          } else for (const k of parseAtoms(col.key, a, ctx.symbols)) delete m[String(k)];
        }
        ctx.view.update(table, row._uuid, { [column]: m });
      } else {
        const drop = new Set(ctx.args.slice(3).flatMap((a) => parseAtoms(col.key, a, ctx.symbols)).map(String));
        const next = asArray(row[column]).filter((x) => !drop.has(String(x)));
        if (next.length < col.min) fail('constraint-violation', `"${column}" of ${table} needs at least ${col.min} value(s)`, { table, column });
        ctx.view.update(table, row._uuid, { [column]: kind === 'set' ? next : (next[0] ?? null) });
      }
    },
  },
  {
    name: 'clear',
    group: 'Database Commands',
    syntax: 'TABLE RECORD COLUMN...',
    min: 3,
    max: Infinity,
    options: ['--if-exists'],
    summary: 'make set or map COLUMNs of RECORD empty',
    example: 'clear Logical_Switch_Port p1 port_security',
    tables: tablesArg0,
    run(ctx) {
      const target = commandRecord(ctx);
      if (target === undefined) return;
      const { table, row } = target;
      const next: { [c: string]: Value } = {};
      for (const column of ctx.args.slice(2)) {
        const col = columnOf(ctx.view, table, column);
        if (col.min > 0) fail('constraint-violation', `cannot clear ${table} column ${column}: it needs at least ${col.min} value(s)`, { table, column });
        next[column] = defaultValue(col);
      }
      ctx.view.update(table, row._uuid, next);
    },
  },
  {
    name: 'create',
    group: 'Database Commands',
    syntax: 'TABLE COLUMN[:KEY]=VALUE...',
    min: 1,
    max: Infinity,
    options: ['--id=@NAME'],
    summary: 'create a record in TABLE and print its UUID',
    example: 'create Address_Set name=as1 addresses=\'"10.0.0.1","10.0.0.2"\'',
    tables: tablesArg0,
    run(ctx) {
      const table = resolveTable(ctx.view.schema, ctx.args[0] as string);
      ctx.view.table(table);
      const values: { [c: string]: Value } = {};
      for (const a of ctx.args.slice(1)) {
        const ca = parseColumnArg(a, ['=']);
        if (ca.op === undefined) fail('bad-request', `"${a}": expected COLUMN=VALUE`, { value: a });
        if (ca.key !== undefined && values[ca.column] === undefined) values[ca.column] = {};
        assign(ctx.view, table, values, ca, ctx.symbols);
      }
      const row = ctx.view.insert(table, values);
      bindId(ctx, row._uuid);
      ctx.out += `${row._uuid}\n`;
    },
  },
  {
    name: 'destroy',
    group: 'Database Commands',
    syntax: 'TABLE RECORD...',
    min: 1,
    max: Infinity,
    options: ['--if-exists', '--all'],
    summary: 'delete RECORDs (with --all: every record) of TABLE',
    example: 'destroy Address_Set as1',
    tables: tablesArg0,
    run(ctx) {
      const table = resolveTable(ctx.view.schema, ctx.args[0] as string);
      ctx.view.table(table);
      if (ctx.options.has('all')) {
        if (ctx.args.length > 1) fail('bad-request', '--all and RECORD arguments are mutually exclusive');
        for (const r of ctx.view.rows(table)) ctx.view.delete(table, r._uuid);
        return;
      }
      for (const rec of ctx.args.slice(1)) {
        const r = findRecord(ctx.view, table, rec, !ctx.options.has('if-exists'), ctx.symbols);
        if (r !== undefined) ctx.view.delete(table, r._uuid);
      }
    },
  },
];
