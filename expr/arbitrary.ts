// expr/arbitrary.ts — fast-check generators of match trees over small fields (tests only).
//
// Owns: random MatchExpr trees shaped like the parser's output (so format/parse round trips
// apply) over a caller-chosen handful of narrow fields, and the exhaustive packet domain
// that goes with them. Used by expr's tests and, later, the controller's classifier tests.
// Never: imported by production code (fast-check is a dev dependency); not exported from
// index.ts.

import fc from 'fast-check';
import type { Constant, FieldRef, FieldValues, MatchExpr } from './ast.js';
import type { IntFormat } from './lexer.js';

export interface IntRef {
  readonly ref: FieldRef;
  readonly width: number;
  /** Address sets whose entries fit this ref. */
  readonly sets?: readonly string[];
}

export interface Domain {
  /** Integer refs that comparisons and ranges use. */
  readonly ints: readonly IntRef[];
  /** 1-bit refs and predicates usable alone. */
  readonly bools: readonly FieldRef[];
  /** String field names, their candidate values and usable port groups. */
  readonly strings: readonly { readonly field: string; readonly values: readonly string[]; readonly groups: readonly string[] }[];
  /** Ports for is_chassis_resident(). */
  readonly residents: readonly string[];
}

function intConstant(width: number, masked: boolean): fc.Arbitrary<Constant> {
  const max = (1n << BigInt(width)) - 1n;
  const format = fc.constantFrom<IntFormat>('dec', 'hex');
  if (!masked) return fc.tuple(fc.bigInt({ min: 0n, max }), format).map(([value, f]): Constant => ({ kind: 'int', value, format: f }));
  return fc.tuple(fc.bigInt({ min: 0n, max }), fc.option(fc.bigInt({ min: 0n, max }), { nil: undefined }), format).map(([v, m, f]): Constant =>
    m === undefined ? { kind: 'int', value: v, format: f } : { kind: 'int', value: v & m, format: f, mask: m });
}

function leaf(d: Domain): fc.Arbitrary<MatchExpr> {
  const options: fc.Arbitrary<MatchExpr>[] = [fc.boolean().map((value): MatchExpr => ({ type: 'const', value }))];
  if (d.bools.length > 0) options.push(fc.constantFrom(...d.bools).map((field): MatchExpr => ({ type: 'bool', field })));
  if (d.residents.length > 0) options.push(fc.constantFrom(...d.residents).map((port): MatchExpr => ({ type: 'resident', port })));
  for (const r of d.ints) {
    const eqValue: fc.Arbitrary<Constant> = r.sets !== undefined && r.sets.length > 0
      ? fc.oneof({ weight: 4, arbitrary: intConstant(r.width, true) }, { weight: 1, arbitrary: fc.constantFrom(...r.sets).map((name): Constant => ({ kind: 'addrset', name })) })
      : intConstant(r.width, true);
    options.push(fc.tuple(fc.constantFrom<'==' | '!='>('==', '!='), fc.boolean(), fc.array(eqValue, { minLength: 0, maxLength: 3 }), eqValue)
      .map(([op, set, many, one]): MatchExpr => (set
        ? { type: 'cmp', field: r.ref, op, values: many, set: true }
        : { type: 'cmp', field: r.ref, op, values: [one], set: false })));
    options.push(fc.tuple(fc.constantFrom<'<' | '<=' | '>' | '>='>('<', '<=', '>', '>='), intConstant(r.width, false))
      .map(([op, c]): MatchExpr => ({ type: 'cmp', field: r.ref, op, values: [c], set: false })));
    options.push(fc.tuple(intConstant(r.width, false), fc.constantFrom<'<' | '<='>('<', '<='), intConstant(r.width, false), fc.constantFrom<'<' | '<='>('<', '<='))
      .map(([lo, loOp, hi, hiOp]): MatchExpr => ({ type: 'range', field: r.ref, lo, loOp, hi, hiOp })));
  }
  for (const s of d.strings) {
    const value: fc.Arbitrary<Constant> = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...s.values).map((v): Constant => ({ kind: 'string', value: v })) },
      ...(s.groups.length > 0 ? [{ weight: 1, arbitrary: fc.constantFrom(...s.groups).map((name): Constant => ({ kind: 'portgroup', name })) }] : []),
    );
    options.push(fc.tuple(fc.constantFrom<'==' | '!='>('==', '!='), fc.boolean(), fc.array(value, { minLength: 0, maxLength: 3 }), value)
      .map(([op, set, many, one]): MatchExpr => (set
        ? { type: 'cmp', field: { name: s.field }, op, values: many, set: true }
        : { type: 'cmp', field: { name: s.field }, op, values: [one], set: false })));
  }
  return fc.oneof(...options);
}

/** Random trees over the domain's fields, at most a few levels deep. */
export function matchArbitrary(d: Domain): fc.Arbitrary<MatchExpr> {
  const { expr } = fc.letrec<{ expr: MatchExpr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', maxDepth: 4 },
      leaf(d),
      tie('expr').map((e): MatchExpr => ({ type: 'not', expr: e })),
      fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((terms): MatchExpr => ({ type: 'and', terms })),
      fc.array(tie('expr'), { minLength: 2, maxLength: 3 }).map((terms): MatchExpr => ({ type: 'or', terms })),
    ),
  }));
  return expr;
}

/** Every combination of the given base-field values. */
export function packets(axes: { readonly [field: string]: readonly (bigint | string)[] }): FieldValues[] {
  let out: Record<string, bigint | string>[] = [{}];
  for (const [field, values] of Object.entries(axes)) {
    const next: Record<string, bigint | string>[] = [];
    for (const p of out) for (const v of values) next.push({ ...p, [field]: v });
    out = next;
  }
  return out;
}

/** All values of a base field that vary only the given bits (others 0). */
export function bitValues(bits: readonly number[]): bigint[] {
  const out: bigint[] = [];
  for (let k = 0; k < 1 << bits.length; k++) {
    let v = 0n;
    bits.forEach((b, i) => { if ((k >> i) & 1) v |= 1n << BigInt(b); });
    out.push(v);
  }
  return out;
}
