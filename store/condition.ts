// store/condition.ts — RFC 7047 §5.1 conditions compiled into row predicates.
//
// Owns: the meaning of < <= == != >= > includes excludes on scalar, optional, set and
// map columns (and on _uuid/_version). Reads: the table schema. Called by the
// transaction executor (select/update/mutate/delete/wait), the watch filter and
// Store.select. Never reads rows other than the one it is given.
// Invariants: a condition is parsed once (types checked, uuid-names resolved), then
// evaluated many times without allocation; `uuidEq` exposes `_uuid == x` so callers
// can look a row up instead of scanning.

import { LoomError } from './types.js';
import type { ColumnSchema, ConditionFunction, Row, Scalar, TableSchema, Uuid, Value } from './types.js';
import { compareAtoms, kindOf, parseAtom, parseAtoms, parsePairs, uuidColumn, valueError, valuesEqual, canonicalMap, canonicalSet } from './value.js';
import type { ValueContext } from './value.js';

export type Predicate = (row: Row) => boolean;

export interface CompiledWhere {
  readonly test: Predicate;
  /** Set when one condition is `_uuid == x`: only that row can match. */
  readonly uuidEq?: Uuid;
  /** column == value conditions on scalar columns, for unique-index lookups. */
  readonly eq?: ReadonlyMap<string, Value>;
}

const fns: readonly ConditionFunction[] = ['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes'];

export function columnOf(table: TableSchema, column: string): ColumnSchema | undefined {
  if (column === '_uuid' || column === '_version') return uuidColumn;
  return Object.prototype.hasOwnProperty.call(table.columns, column) ? table.columns[column] : undefined;
}

export function unknownColumn(table: TableSchema, column: unknown, path: string, op?: number): LoomError {
  return new LoomError({
    code: 'unknown-column',
    message: `table ${table.name} has no column ${JSON.stringify(column)}`,
    table: table.name,
    value: column,
    path,
    hint: `columns of ${table.name}: ${Object.keys(table.columns).join(', ')}`,
    ...(op !== undefined ? { op } : {}),
  });
}

function setIncludes(have: readonly Scalar[], want: readonly Scalar[]): boolean {
  // Both sorted: one merge pass.
  let i = 0;
  for (const w of want) {
    while (i < have.length && compareAtoms(have[i] as Scalar, w) < 0) i++;
    if (i >= have.length || have[i] !== w) return false;
  }
  return true;
}

function setDisjoint(have: readonly Scalar[], want: readonly Scalar[]): boolean {
  const s = new Set(have);
  for (const w of want) if (s.has(w)) return false;
  return true;
}

function asSet(v: Value | undefined): readonly Scalar[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? (v as readonly Scalar[]) : [v as Scalar];
}

type MapValue = { readonly [k: string]: Scalar };
function asMap(v: Value | undefined): MapValue {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as MapValue) : {};
}

export function compileCondition(table: TableSchema, cond: unknown, ctxBase: { path: string; op?: number; resolve?: (n: string) => Uuid | undefined }): { test: Predicate; uuidEq?: Uuid; eq?: [string, Value] } {
  const { path } = ctxBase;
  if (!Array.isArray(cond) || cond.length !== 3 || typeof cond[0] !== 'string' || typeof cond[1] !== 'string') {
    throw new LoomError({ code: 'bad-request', message: `a condition is [column, function, value], got ${JSON.stringify(cond)}`, table: table.name, value: cond, path, ...(ctxBase.op !== undefined ? { op: ctxBase.op } : {}) });
  }
  const [column, fnIn, arg] = cond as [string, string, unknown];
  const col = columnOf(table, column);
  if (col === undefined) throw unknownColumn(table, column, `${path}/0`, ctxBase.op);
  if (!(fns as readonly string[]).includes(fnIn)) {
    throw new LoomError({ code: 'bad-request', message: `unknown condition function ${JSON.stringify(fnIn)}`, table: table.name, column, value: fnIn, path: `${path}/1`, hint: `use one of ${fns.join(' ')}`, ...(ctxBase.op !== undefined ? { op: ctxBase.op } : {}) });
  }
  const fn = fnIn as ConditionFunction;
  const ctx: ValueContext = { table: table.name, column, path: `${path}/2`, ...(ctxBase.op !== undefined ? { op: ctxBase.op } : {}), ...(ctxBase.resolve !== undefined ? { resolve: ctxBase.resolve } : {}) };
  const kind = kindOf(col);

  if (kind === 'scalar') {
    const a = parseAtom(col.key, Array.isArray(arg) && arg.length === 2 && arg[0] === 'set' && Array.isArray(arg[1]) && arg[1].length === 1 ? arg[1][0] : arg, ctx, false);
    switch (fn) {
      case '==':
      case 'includes':
        return column === '_uuid' && typeof a === 'string' ? { test: (r) => r[column] === a, uuidEq: a } : { test: (r) => r[column] === a, eq: [column, a] };
      case '!=':
      case 'excludes':
        return { test: (r) => r[column] !== a };
      default: {
        if (col.key.type !== 'integer' && col.key.type !== 'real') {
          throw valueError('type-error', ctx, `${fn} applies to integer and real columns only; this one is ${col.key.type}`, arg, 'use == or !=');
        }
        const n = a as number;
        switch (fn) {
          case '<':
            return { test: (r) => (r[column] as number) < n };
          case '<=':
            return { test: (r) => (r[column] as number) <= n };
          case '>':
            return { test: (r) => (r[column] as number) > n };
          case '>=':
            return { test: (r) => (r[column] as number) >= n };
        }
      }
    }
  }
  if (fn !== '==' && fn !== '!=' && fn !== 'includes' && fn !== 'excludes') {
    throw valueError('type-error', ctx, `${fn} applies to integer and real scalar columns only; this one is a ${kind}`, arg, 'use ==, !=, includes or excludes');
  }
  if (kind === 'map') {
    const want = canonicalMap(parsePairs(col, arg, ctx, false));
    const entries = Object.entries(want);
    switch (fn) {
      case '==':
        return { test: (r) => valuesEqual(asMap(r[column]), want) };
      case '!=':
        return { test: (r) => !valuesEqual(asMap(r[column]), want) };
      case 'includes':
        return { test: (r) => { const m = asMap(r[column]); return entries.every(([k, v]) => Object.prototype.hasOwnProperty.call(m, k) && m[k] === v); } };
      case 'excludes':
        return { test: (r) => { const m = asMap(r[column]); return entries.every(([k, v]) => !(Object.prototype.hasOwnProperty.call(m, k) && m[k] === v)); } };
    }
  }
  const want = canonicalSet(parseAtoms(col.key, arg, ctx, false));
  switch (fn) {
    case '==':
      return { test: (r) => valuesEqual(asSet(r[column]), want) };
    case '!=':
      return { test: (r) => !valuesEqual(asSet(r[column]), want) };
    case 'includes':
      return { test: (r) => setIncludes(asSet(r[column]), want) };
    case 'excludes':
      return { test: (r) => setDisjoint(asSet(r[column]), want) };
  }
}

/** All conditions must hold; an empty list matches every row. */
export function compileWhere(table: TableSchema, where: unknown, ctx: { path: string; op?: number; resolve?: (n: string) => Uuid | undefined }): CompiledWhere {
  if (where === undefined) return { test: () => true };
  if (!Array.isArray(where)) {
    throw new LoomError({ code: 'bad-request', message: 'where must be an array of conditions', table: table.name, value: where, path: ctx.path, ...(ctx.op !== undefined ? { op: ctx.op } : {}) });
  }
  const compiled = where.map((c, i) => compileCondition(table, c, { ...ctx, path: `${ctx.path}/${i}` }));
  const uuidEq = compiled.find((c) => c.uuidEq !== undefined)?.uuidEq;
  const eqList = compiled.flatMap((c) => (c.eq !== undefined ? [c.eq] : []));
  const tests = compiled.map((c) => c.test);
  let test: Predicate;
  if (tests.length === 0) test = () => true;
  else if (tests.length === 1) test = tests[0] as Predicate;
  else test = (r) => tests.every((t) => t(r));
  return { test, ...(uuidEq !== undefined ? { uuidEq } : {}), ...(eqList.length > 0 ? { eq: new Map(eqList) } : {}) };
}

/** The index (number and key) of `table` that a where's == conditions pin down completely, if any. */
export function indexFor(table: TableSchema, where: CompiledWhere): { index: number; key: string } | undefined {
  const eq = where.eq;
  if (eq === undefined) return undefined;
  for (const [i, cols] of table.indexes.entries()) {
    if (cols.length > 0 && cols.every((c) => eq.has(c))) {
      const key = cols.length === 1 ? JSON.stringify(eq.get(cols[0] as string)) : JSON.stringify(cols.map((c) => eq.get(c)));
      return { index: i, key };
    }
  }
  return undefined;
}
