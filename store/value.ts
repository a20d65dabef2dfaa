// store/value.ts — OVSDB values in loom's plain form: parsing, defaults, ordering,
// equality and reference extraction.
//
// Owns: the one reading of a column value, given its ColumnSchema. Input may be plain form
// or RFC 7047 wire notation (["set",..], ["map",..], ["uuid",..], ["named-uuid",..]); output
// is always canonical plain form (store/types.ts): scalar, null for an empty optional,
// sorted duplicate-free array for a set, key-sorted object for a map. Reads: schemas only.
// Called by the transaction executor, conditions, mutations and the watch filter. Never
// touches storage and never resolves references beyond uuid-names (existence is the
// transaction's business).
// Invariants: parse(x) is canonical, so two equal values are equal by valuesEqual and by
// JSON text; every error is a LoomError naming table, column, value and path.

import { LoomError } from './types.js';
import type { BaseType, ColumnSchema, ErrorCode, Row, Scalar, Uuid, Value } from './types.js';

export const zeroUuid = '00000000-0000-0000-0000-000000000000';
const uuidRe = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export function isUuid(x: unknown): x is Uuid {
  return typeof x === 'string' && x.length === 36 && uuidRe.test(x);
}

/** The schema of the implicit columns every row has. */
export const uuidColumn: ColumnSchema = { key: { type: 'uuid' }, min: 1, max: 1, mutable: false };

/** Where a value came from, for error messages; resolve maps uuid-names of this transaction. */
export interface ValueContext {
  readonly table: string;
  readonly column: string;
  readonly path: string;
  readonly op?: number;
  readonly resolve?: (name: string) => Uuid | undefined;
}

export function valueError(code: ErrorCode, ctx: ValueContext, message: string, value: unknown, hint?: string): LoomError {
  return new LoomError({
    code,
    message: `${ctx.table}.${ctx.column}: ${message}`,
    table: ctx.table,
    column: ctx.column,
    value,
    path: ctx.path,
    ...(ctx.op !== undefined ? { op: ctx.op } : {}),
    ...(hint !== undefined ? { hint } : {}),
  });
}

export type ColumnKind = 'scalar' | 'optional' | 'set' | 'map';
export function kindOf(col: ColumnSchema): ColumnKind {
  if (col.value !== undefined) return 'map';
  if (col.min === 1 && col.max === 1) return 'scalar';
  if (col.max === 1) return 'optional';
  return 'set';
}

export function compareAtoms(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function describe(base: BaseType): string {
  if (base.enum !== undefined) return `one of ${base.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (base.type) {
    case 'uuid':
      return base.refTable !== undefined ? `a uuid of a ${base.refTable} row` : 'a uuid';
    case 'integer':
      return 'an integer';
    case 'real':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
  }
}

/** Checks enum, range and length; strict=false (conditions) checks the JSON type only. */
export function checkAtom(base: BaseType, v: Scalar, ctx: ValueContext): void {
  if (base.enum !== undefined && !base.enum.includes(v)) {
    throw valueError('type-error', ctx, `${JSON.stringify(v)} is not ${describe(base)}`, v);
  }
  if (typeof v === 'number') {
    if (base.minInteger !== undefined && v < base.minInteger) {
      throw valueError('type-error', ctx, `${v} is below the minimum ${base.minInteger}`, v, `use an integer in ${base.minInteger}..${base.maxInteger ?? '∞'}`);
    }
    if (base.maxInteger !== undefined && v > base.maxInteger) {
      throw valueError('type-error', ctx, `${v} is above the maximum ${base.maxInteger}`, v, `use an integer in ${base.minInteger ?? '-∞'}..${base.maxInteger}`);
    }
  } else if (typeof v === 'string' && (base.minLength !== undefined || base.maxLength !== undefined)) {
    const n = [...v].length;
    if (base.minLength !== undefined && n < base.minLength) throw valueError('type-error', ctx, `${JSON.stringify(v)} is shorter than ${base.minLength} characters`, v);
    if (base.maxLength !== undefined && n > base.maxLength) throw valueError('type-error', ctx, `${JSON.stringify(v)} is longer than ${base.maxLength} characters`, v);
  }
}

export function parseAtom(base: BaseType, x: unknown, ctx: ValueContext, strict = true): Scalar {
  let v: Scalar | undefined;
  switch (base.type) {
    case 'string':
      if (typeof x === 'string') v = x;
      break;
    case 'integer':
      if (typeof x === 'number' && Number.isSafeInteger(x)) v = x;
      break;
    case 'real':
      if (typeof x === 'number' && Number.isFinite(x)) v = x;
      break;
    case 'boolean':
      if (typeof x === 'boolean') v = x;
      break;
    case 'uuid':
      if (Array.isArray(x) && x.length === 2 && typeof x[1] === 'string') {
        if (x[0] === 'uuid' && isUuid(x[1])) v = x[1].toLowerCase();
        else if (x[0] === 'named-uuid') {
          v = ctx.resolve?.(x[1]);
          if (v === undefined) throw valueError('bad-request', ctx, `no insert in this transaction has uuid-name ${JSON.stringify(x[1])}`, x);
        }
      } else if (typeof x === 'string') {
        if (isUuid(x)) v = x.toLowerCase();
        else v = ctx.resolve?.(x);
      }
      break;
  }
  if (v === undefined) throw valueError('type-error', ctx, `${JSON.stringify(x) ?? String(x)} is not ${describe(base)}`, x);
  if (strict) checkAtom(base, v, ctx);
  return v;
}

/** Map keys travel as object keys (strings); this reads one back into its atom type. */
function parseMapKey(base: BaseType, k: string, ctx: ValueContext, strict: boolean): Scalar {
  switch (base.type) {
    case 'integer':
    case 'real': {
      const n = k.trim() === '' ? NaN : Number(k);
      return parseAtom(base, Number.isNaN(n) ? k : n, ctx, strict);
    }
    case 'boolean':
      return parseAtom(base, k === 'true' ? true : k === 'false' ? false : k, ctx, strict);
    default:
      return parseAtom(base, k, ctx, strict);
  }
}

function isWire(x: unknown, tag: string): x is [string, unknown] {
  return Array.isArray(x) && x.length === 2 && x[0] === tag;
}

/** Sorted, duplicate-free. */
export function canonicalSet(atoms: Scalar[]): Scalar[] {
  atoms.sort(compareAtoms);
  let w = 0;
  for (let r = 0; r < atoms.length; r++) {
    const a = atoms[r] as Scalar;
    if (w === 0 || compareAtoms(atoms[w - 1] as Scalar, a) !== 0) atoms[w++] = a;
  }
  atoms.length = w;
  return atoms;
}

export function canonicalMap(pairs: [Scalar, Scalar][]): { [k: string]: Scalar } {
  pairs.sort((a, b) => compareAtoms(a[0], b[0]));
  const out: { [k: string]: Scalar } = {};
  for (const [k, v] of pairs) out[String(k)] = v;
  return out;
}

/** Reads the atoms of a set-shaped input: ["set",[..]], a plain array, null, or one atom. */
export function parseAtoms(base: BaseType, x: unknown, ctx: ValueContext, strict = true): Scalar[] {
  if (x === null || x === undefined) return [];
  if (isWire(x, 'set') && Array.isArray(x[1])) return (x[1] as unknown[]).map((a) => parseAtom(base, a, ctx, strict));
  if (Array.isArray(x) && !(base.type === 'uuid' && (isWire(x, 'uuid') || isWire(x, 'named-uuid')))) {
    return x.map((a) => parseAtom(base, a, ctx, strict));
  }
  return [parseAtom(base, x, ctx, strict)];
}

/** Reads the pairs of a map-shaped input: ["map",[[k,v],..]], a plain object, or null. */
export function parsePairs(col: ColumnSchema, x: unknown, ctx: ValueContext, strict = true): [Scalar, Scalar][] {
  const vt = col.value as BaseType;
  if (x === null || x === undefined) return [];
  if (isWire(x, 'map') && Array.isArray(x[1])) {
    return (x[1] as unknown[]).map((p) => {
      if (!Array.isArray(p) || p.length !== 2) throw valueError('type-error', ctx, `map entry ${JSON.stringify(p)} is not a [key, value] pair`, p);
      return [parseAtom(col.key, p[0], ctx, strict), parseAtom(vt, p[1], ctx, strict)];
    });
  }
  if (typeof x === 'object' && !Array.isArray(x)) {
    return Object.entries(x as Record<string, unknown>).map(([k, v]) => [parseMapKey(col.key, k, ctx, strict), parseAtom(vt, v, ctx, strict)]);
  }
  throw valueError('type-error', ctx, `${JSON.stringify(x)} is not a map (an object, or ["map", [[key, value], ...]])`, x);
}

export function checkSize(col: ColumnSchema, n: number, ctx: ValueContext, value: unknown): void {
  if (n < col.min) {
    throw valueError('constraint-violation', ctx, `needs at least ${col.min} value${col.min === 1 ? '' : 's'}, got ${n}`, value);
  }
  if (col.max !== 'unlimited' && n > col.max) {
    throw valueError('constraint-violation', ctx, `takes at most ${col.max} value${col.max === 1 ? '' : 's'}, got ${n}`, value);
  }
}

/**
 * A string-keyed map given as a plain object (OVN's external_ids, options, ...) whose keys
 * are already in order, as callers that build canonical rows give them: read straight into
 * the result. Same result and same refusals, in the same order, as parsePairs +
 * canonicalMap (checked against them in value.test.ts); keys out of order take that path.
 */
function parseStringMap(col: ColumnSchema, x: Record<string, unknown>, ctx: ValueContext, strict: boolean): { [k: string]: Scalar } {
  const vt = col.value as BaseType;
  const keys = Object.keys(x);
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) >= (keys[i] as string)) return canonicalMap(parsePairs(col, x, ctx, strict));
  // A frozen map is the caller's promise it will not change: once checked it is taken as
  // it is (northd hands 44k frozen external_ids in one commit), not copied.
  const frozen = Object.isFrozen(x) && Object.getPrototypeOf(x) === Object.prototype;
  const out: { [k: string]: Scalar } = frozen ? (x as { [k: string]: Scalar }) : {};
  for (const k of keys) {
    if (strict) checkAtom(col.key, k, ctx);
    const v = parseAtom(vt, x[k], ctx, strict);
    if (!frozen) out[k] = v;
    else if (v !== x[k]) return parseStringMap(col, { ...x }, ctx, strict);
  }
  if (strict) checkSize(col, keys.length, ctx, x);
  return out;
}

/** Parses a full column value (insert, update). strict=false: type only, any size (conditions). */
export function parseValue(col: ColumnSchema, x: unknown, ctx: ValueContext, strict = true): Value {
  const kind = kindOf(col);
  if (kind === 'map') {
    if (col.key.type === 'string' && typeof x === 'object' && x !== null && !Array.isArray(x)) return parseStringMap(col, x as Record<string, unknown>, ctx, strict);
    const pairs = parsePairs(col, x, ctx, strict);
    const m = canonicalMap(pairs);
    const n = Object.keys(m).length;
    if (n !== pairs.length) throw valueError('type-error', ctx, 'map has a duplicate key', x);
    if (strict) checkSize(col, n, ctx, x);
    return m;
  }
  if (kind === 'scalar' && strict) {
    if (isWire(x, 'set') && Array.isArray(x[1]) && x[1].length === 1) return parseAtom(col.key, x[1][0], ctx);
    if (Array.isArray(x) && x.length === 1 && !isWire(x, 'uuid')) return parseAtom(col.key, x[0], ctx);
    return parseAtom(col.key, x, ctx);
  }
  const atoms = canonicalSet(parseAtoms(col.key, x, ctx, strict));
  if (!strict) return atoms;
  checkSize(col, atoms.length, ctx, x);
  return kind === 'optional' ? (atoms[0] ?? null) : atoms;
}

export function defaultAtom(base: BaseType): Scalar {
  switch (base.type) {
    case 'string':
      return '';
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'uuid':
      return zeroUuid;
  }
}

export function defaultValue(col: ColumnSchema): Value {
  switch (kindOf(col)) {
    case 'map':
      return {};
    case 'set':
      return [];
    case 'optional':
      return null;
    case 'scalar':
      return defaultAtom(col.key);
  }
}

/** True when OVSDB's default atom would break the column's own constraints (so insert must give it). */
export function defaultIsInvalid(col: ColumnSchema): boolean {
  if (col.min === 0) return false;
  if (kindOf(col) === 'set' || kindOf(col) === 'map') return true;
  const d = defaultAtom(col.key);
  if (col.key.type === 'uuid' && col.key.refTable !== undefined) return true;
  try {
    checkAtom(col.key, d, { table: '', column: '', path: '' });
    return false;
  } catch {
    return true;
  }
}

/** The atoms of a value, whatever its kind (map: keys). */
export function atomsOfValue(v: Value): readonly Scalar[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v as readonly Scalar[];
  if (typeof v === 'object') return Object.keys(v);
  return [v as Scalar];
}

export function valuesEqual(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (typeof a === 'object' && typeof b === 'object' && !Array.isArray(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    const bo = b as { readonly [k: string]: Scalar };
    for (const k of ka) if (!(k in bo) || bo[k] !== (a as { readonly [k: string]: Scalar })[k]) return false;
    return true;
  }
  return false;
}

/** Equal in every column but _version. */
export function rowsEqual(a: Row, b: Row): boolean {
  for (const k of Object.keys(a)) if (k !== '_version' && !valuesEqual(a[k], b[k])) return false;
  for (const k of Object.keys(b)) if (!(k in a)) return false;
  return true;
}

/** Committed rows are shared by the engine, select results and every watcher: freeze them. */
export function freezeRow<R extends Row>(row: R): R {
  for (const k in row) {
    const v = row[k];
    if (typeof v === 'object' && v !== null) Object.freeze(v);
  }
  return Object.freeze(row);
}

/** What sorted set `b` adds to and removes from sorted set `a`, in one merge pass. */
export function setDiff(a: readonly Scalar[], b: readonly Scalar[]): { added: Scalar[]; removed: Scalar[] } {
  const added: Scalar[] = [];
  const removed: Scalar[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i >= a.length ? 1 : j >= b.length ? -1 : compareAtoms(a[i] as Scalar, b[j] as Scalar);
    if (c === 0) {
      i++;
      j++;
    } else if (c < 0) removed.push(a[i++] as Scalar);
    else added.push(b[j++] as Scalar);
  }
  return { added, removed };
}
