// store/mutation.ts — RFC 7047 §5.1 mutators applied to one column value.
//
// Owns: += -= *= /= %= on integer/real scalars and (element-wise) on sets of them,
// insert/delete on sets and maps. Reads: the column schema. Called by the transaction
// executor's mutate op. Never mutates its input: it returns a new canonical value.
// Invariants: the result satisfies the column's constraints (range, enum, set/map size)
// or a LoomError says which and why.

import { LoomError } from './types.js';
import type { ColumnSchema, Mutator, Scalar, Value } from './types.js';
import { canonicalMap, canonicalSet, checkAtom, checkSize, kindOf, parseAtom, parseAtoms, parsePairs, valueError } from './value.js';
import type { ValueContext } from './value.js';

const mutators: readonly Mutator[] = ['+=', '-=', '*=', '/=', '%=', 'insert', 'delete'];

export function isMutator(x: unknown): x is Mutator {
  return typeof x === 'string' && (mutators as readonly string[]).includes(x);
}

function arith(m: Mutator, a: number, b: number, integer: boolean, ctx: ValueContext, arg: unknown): number {
  if ((m === '/=' || m === '%=') && b === 0) throw valueError('constraint-violation', ctx, `${m} by zero`, arg);
  let r: number;
  switch (m) {
    case '+=':
      r = a + b;
      break;
    case '-=':
      r = a - b;
      break;
    case '*=':
      r = a * b;
      break;
    case '/=':
      r = integer ? Math.trunc(a / b) : a / b;
      break;
    case '%=':
      r = a % b;
      break;
    default:
      throw new LoomError({ code: 'internal', message: `not an arithmetic mutator: ${m}` });
  }
  if (integer ? !Number.isSafeInteger(r) : !Number.isFinite(r)) throw valueError('constraint-violation', ctx, `${a} ${m} ${b} overflows`, arg);
  return r;
}

/** Applies one mutation to a column's current value. */
export function mutateValue(col: ColumnSchema, current: Value, m: Mutator, arg: unknown, ctx: ValueContext): Value {
  const kind = kindOf(col);
  const numeric = col.key.type === 'integer' || col.key.type === 'real';
  const integer = col.key.type === 'integer';
  if (m !== 'insert' && m !== 'delete') {
    if (kind === 'map' || !numeric) {
      throw valueError('type-error', ctx, `${m} applies to integer and real columns (or sets of them); this one is a ${kind} of ${col.key.type}`, arg, kind === 'set' || kind === 'map' ? 'use insert or delete' : undefined);
    }
    if (m === '%=' && !integer) throw valueError('type-error', ctx, '%= applies to integer columns only', arg);
    const b = parseAtom(col.key, arg, ctx, false) as number;
    const apply = (a: number): number => {
      const r = arith(m, a, b, integer, ctx, arg);
      try {
        checkAtom(col.key, r, ctx);
      } catch (e) {
        if (e instanceof LoomError) throw new LoomError({ ...e.toJSON(), code: 'constraint-violation', message: `${e.message} (after ${a} ${m} ${b})` });
        throw e;
      }
      return r;
    };
    if (kind === 'scalar') return apply(current as number);
    const atoms = (kind === 'optional' ? (current === null ? [] : [current as number]) : (current as readonly number[])).map(apply);
    const out = canonicalSet(atoms);
    if (out.length !== atoms.length) throw valueError('constraint-violation', ctx, `${m} ${b} made two elements of the set equal`, arg);
    return kind === 'optional' ? (out[0] ?? null) : out;
  }
  if (kind === 'scalar') {
    throw valueError('type-error', ctx, `${m} applies to set and map columns; this one holds exactly one ${col.key.type}`, arg, 'use update to replace the value');
  }
  if (kind === 'map') {
    const have = { ...(current as { readonly [k: string]: Scalar }) };
    const isMapArg = (Array.isArray(arg) && arg[0] === 'map') || (typeof arg === 'object' && arg !== null && !Array.isArray(arg));
    if (m === 'insert') {
      // RFC 7047: insert leaves an existing key's value alone.
      for (const [k, v] of parsePairs(col, arg, ctx)) if (!Object.prototype.hasOwnProperty.call(have, String(k))) have[String(k)] = v;
    } else if (isMapArg) {
      for (const [k, v] of parsePairs(col, arg, ctx, false)) if (have[String(k)] === v) delete have[String(k)];
    } else {
      for (const k of parseAtoms(col.key, arg, ctx, false)) delete have[String(k)];
    }
    const pairs: [Scalar, Scalar][] = Object.entries(have).map(([k, v]) => [col.key.type === 'integer' || col.key.type === 'real' ? Number(k) : col.key.type === 'boolean' ? k === 'true' : k, v]);
    checkSize(col, pairs.length, ctx, arg);
    return canonicalMap(pairs);
  }
  const cur = current === null ? [] : Array.isArray(current) ? (current as readonly Scalar[]) : [current as Scalar];
  let out: Scalar[];
  if (m === 'insert') {
    out = canonicalSet([...cur, ...parseAtoms(col.key, arg, ctx)]);
  } else {
    const del = new Set(parseAtoms(col.key, arg, ctx, false));
    out = cur.filter((a) => !del.has(a));
  }
  checkSize(col, out.length, ctx, arg);
  return kind === 'optional' ? (out[0] ?? null) : out;
}
