// store/row-check.ts — the last check of every row a transaction writes: each column's
// value against its ColumnSchema, as closures built once per table.
//
// Owns: the shape rules of a committed value in plain form (store/types.ts): the atom's
// JSON type, enum, integer range, string length (in code points), uuid syntax; null or
// one atom for an optional; an array of distinct atoms within min..max for a set; an
// object with valid keys and values within min..max for a map; _uuid and _version are
// uuids; a full row has every column and nothing else. The same rules as the row JSON
// Schemas of schemas/json-schema.ts (ajv), which the REST layer and tests keep using;
// here they cost no code generation (ajv took 10-70 ms per table at its first write,
// ~1 s for all tables) and a few closure calls per column.
// Reads: the TableSchema. Called by store/transaction.ts (finish) for every inserted row
// and the changed columns of every updated one. Never parses, coerces or fills in: it
// says which column is wrong and why, or nothing.
// Invariants: a value parseValue produced for a column always passes that column's
// check (tested); checks are pure and built at most once per TableSchema object.

import type { BaseType, ColumnSchema, Row, TableSchema } from './types.js';

/** What is wrong with a value ('' when nothing). */
type Check = (v: unknown) => string;

export interface RowProblem {
  readonly column: string | undefined;
  readonly message: string;
}

/** 1 for the code units of hex digits (0-9 a-f A-F) */
const hexDigit = new Uint8Array(128);
for (const c of '0123456789abcdefABCDEF') hexDigit[c.charCodeAt(0)] = 1;

/**
 * 8-4-4-4-12 hex digits. A loop over the code units, not a regular expression: every
 * row written has two or more uuids (_uuid, _version, references), 165k per 10k-port
 * compile, and the regex took a third longer.
 */
function isUuidText(v: unknown): boolean {
  if (typeof v !== 'string' || v.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = v.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (c > 127 || hexDigit[c] !== 1) return false;
  }
  return true;
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function atomCheck(base: BaseType): Check {
  const allowed = base.enum === undefined ? undefined : new Set<unknown>(base.enum);
  const en = allowed === undefined ? '' : `must be one of ${JSON.stringify(base.enum)}`;
  const typed: Check = (() => {
    switch (base.type) {
      case 'string': {
        const { minLength: lo, maxLength: hi } = base;
        if (lo === undefined && hi === undefined) return (v) => (typeof v === 'string' ? '' : 'must be a string');
        return (v) => {
          if (typeof v !== 'string') return 'must be a string';
          const n = lo === undefined && hi !== undefined && v.length <= hi ? 0 : codePoints(v);
          if (lo !== undefined && n < lo) return `must be at least ${lo} characters`;
          if (hi !== undefined && n > hi) return `must be at most ${hi} characters`;
          return '';
        };
      }
      case 'integer': {
        const { minInteger: lo, maxInteger: hi } = base;
        return (v) => {
          if (typeof v !== 'number' || !Number.isInteger(v)) return 'must be an integer';
          if (lo !== undefined && v < lo) return `must be >= ${lo}`;
          if (hi !== undefined && v > hi) return `must be <= ${hi}`;
          return '';
        };
      }
      case 'real':
        return (v) => (typeof v === 'number' && Number.isFinite(v) ? '' : 'must be a number');
      case 'boolean':
        return (v) => (typeof v === 'boolean' ? '' : 'must be a boolean');
      case 'uuid':
        return (v) => (isUuidText(v) ? '' : 'must be a uuid');
    }
  })();
  if (allowed === undefined) return typed;
  return (v) => typed(v) || (allowed.has(v) ? '' : en);
}

/** Map keys travel as object keys (strings): integer keys are their decimal text, and so on. */
function mapKeyCheck(base: BaseType): Check {
  switch (base.type) {
    case 'integer':
      return (k) => (/^-?[0-9]+$/.test(k as string) ? '' : 'keys must be integers');
    case 'real':
      return (k) => (/^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(k as string) ? '' : 'keys must be numbers');
    case 'boolean':
      return (k) => (k === 'true' || k === 'false' ? '' : 'keys must be true or false');
    case 'uuid':
      return (k) => (isUuidText(k) ? '' : 'keys must be uuids');
    case 'string': {
      const c = atomCheck(base);
      return (k) => {
        const m = c(k);
        return m === '' ? '' : `keys ${m}`;
      };
    }
  }
}

function sizeProblem(n: number, col: ColumnSchema, what: string): string {
  if (n < col.min) return `must have at least ${col.min} ${what}`;
  if (col.max !== 'unlimited' && n > col.max) return `must have at most ${col.max} ${what}`;
  return '';
}

export function columnCheck(col: ColumnSchema): Check {
  const atom = atomCheck(col.key);
  if (col.value !== undefined) {
    const key = mapKeyCheck(col.key);
    const value = atomCheck(col.value);
    return (v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object (a map)';
      let n = 0;
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        n++;
        const m = key(k) || value((v as Record<string, unknown>)[k]);
        if (m !== '') return `${JSON.stringify(k)}: ${m}`;
      }
      return sizeProblem(n, col, 'entries');
    };
  }
  if (col.min === 1 && col.max === 1) return atom;
  if (col.min === 0 && col.max === 1) return (v) => (v === null ? '' : atom(v));
  return (v) => {
    if (!Array.isArray(v)) return 'must be an array (a set)';
    for (const a of v) {
      const m = atom(a);
      if (m !== '') return m;
    }
    if (v.length > 1) {
      const seen = new Set<unknown>(v);
      if (seen.size !== v.length) return 'must not hold an element twice';
    }
    return sizeProblem(v.length, col, 'elements');
  };
}

export interface RowChecks {
  /** Every column present and valid, _uuid and _version uuids, no other member. */
  full(row: Row): RowProblem | null;
  /** The members present (a subset of the columns, _uuid / _version optional). */
  partial(row: Row): RowProblem | null;
  /**
   * full() but _version not looked at: a row inserted by one part of a transaction in
   * parts, checked as that part runs, before the commit gives it its _version.
   */
  unversioned(row: Row): RowProblem | null;
}

const cache = new WeakMap<TableSchema, RowChecks>();

export function rowChecks(table: TableSchema): RowChecks {
  let rc = cache.get(table);
  if (rc !== undefined) return rc;
  const checks = new Map<string, Check>();
  const idCheck: Check = (v) => (isUuidText(v) ? '' : 'must be a uuid');
  checks.set('_uuid', idCheck);
  checks.set('_version', idCheck);
  for (const [c, col] of Object.entries(table.columns)) checks.set(c, columnCheck(col));
  const ordered = [...checks];
  const partial = (row: Row): RowProblem | null => {
    for (const k in row) {
      const check = checks.get(k);
      if (check === undefined) return { column: undefined, message: `has no column ${JSON.stringify(k)}` };
      const m = check(row[k]);
      if (m !== '') return { column: k, message: m };
    }
    return null;
  };
  // The whole-row check as straight-line code, one named property read per column (a
  // loop over the names made every read a generic keyed lookup: 4x slower). Names enter
  // the source only through JSON.stringify; the checks are the closed-over array.
  const compile = (withVersion: boolean): ((row: Row) => number) => {
    const src = ordered
      .map(([k], i) => (k === '_version' && !withVersion ? '' : `  if (${k === '_version' ? `r[${JSON.stringify(k)}] !== undefined && ` : ''}c[${i}](r[${JSON.stringify(k)}]) !== '') return ${i};`))
      .join('\n');
    return new Function('c', `return (r) => {\n${src}\n  return -1;\n};`)(ordered.map(([, c]) => c)) as (row: Row) => number;
  };
  const firstBad = compile(true);
  const firstBadColumn = compile(false);
  const count = ordered.length;
  const whole = (row: Row, i: number, skipVersion: boolean): RowProblem | null => {
    if (i >= 0) {
      const [k, check] = ordered[i] as [string, Check];
      const v = row[k];
      return { column: k, message: v === undefined ? 'is missing' : check(v) };
    }
    // nothing but the columns and _uuid (every one of them is there), _version or not
    const n = Object.keys(row).length - (Object.hasOwn(row, '_version') ? 1 : 0);
    if (n === count - 1) return null;
    for (const k in row) if (!checks.has(k)) return { column: undefined, message: `has no column ${JSON.stringify(k)}` };
    return skipVersion ? null : partial(row);
  };
  rc = {
    full: (row) => whole(row, firstBad(row), false),
    partial,
    unversioned: (row) => whole(row, firstBadColumn(row), true),
  };
  cache.set(table, rc);
  return rc;
}
