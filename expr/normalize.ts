// expr/normalize.ts — compiles a match into a disjunction of conjunctions of masked terms.
//
// Owns: the meaning-preserving rewrite a classifier needs: predicates expanded, address
// sets and port groups resolved (through SymbolContext), negation pushed to the leaves (De
// Morgan; a negated set of prefixes becomes the disjoint prefixes of its complement, a
// negated arbitrary mask one single-bit mismatch per mask bit), sets of prefixes merged into
// a minimal disjoint cover, ranges and ordering operators split into prefix-masked terms,
// aliases and register concatenations mapped onto base fields, prerequisites ANDed onto
// every comparison that uses a field (after negation, as OVN does: "tcp.dst != 80" still
// means "TCP and ..."), contradictions dropped, duplicates removed, and conjunctions covered
// by another removed (pairwise, so only up to SUBSUME_LIMIT of them at a time).
// Reads: FIELDS, the parser (for predicate/prerequisite texts and address-set entries).
// Called by: index.ts (normalize); the controller compiles its output into classifier
// entries; evaluate.ts only shares expandConstants.
// Never: return more than the limit (default 10,000) conjunctions — it throws ExprError
// instead; never consult packets.
// Invariants (normalize.test.ts checks exhaustively over small domains): for every packet p,
// evaluate(e, p) === evaluateConjunctions(normalize(e), p); each conjunction has at most
// one term per base field, with value & ~mask == 0, and no contradictory string terms.

import type { Conjunction, Constant, FieldRef, MatchExpr, StringTerm, SymbolContext, Term } from './ast.js';
import { ExprError } from './error.js';
import { lookupField } from './fields.js';
import { maskPrefixLength, prefixMask } from './lexer.js';
import { checkConstant, parseConstant, parseMatchText, refInfo, refText, TokenStream, type RefInfo } from './parser.js';

export const DEFAULT_MAX_CONJUNCTIONS = 10_000;
const SUBSUME_LIMIT = 400;

export interface NormalizeOptions {
  /** Throw ExprError when the result (or an intermediate step) would exceed this many conjunctions. */
  readonly maxConjunctions?: number;
}

/** String fields whose value is a single name (two different == names contradict). */
const EXCLUSIVE_STRING_FIELDS = new Set(['inport', 'outport']);
export const RESIDENT_FIELD = 'is_chassis_resident';

// ---------------------------------------------------------------- constants

export type IntValue = { readonly value: bigint; readonly mask: bigint };

/** The integers (value, mask over the ref's width) or names a constant list stands for. */
export function expandConstants(values: readonly Constant[], info: RefInfo, ctx: SymbolContext | undefined, fieldName: string): { ints: IntValue[]; strings: string[] } {
  const full = (1n << BigInt(info.width)) - 1n;
  const ints: IntValue[] = [];
  const strings: string[] = [];
  for (const c of values) {
    switch (c.kind) {
      case 'int':
        ints.push({ value: c.value, mask: c.mask ?? full });
        break;
      case 'string':
        strings.push(c.value);
        break;
      case 'portgroup': {
        const members = ctx?.portGroups(c.name);
        if (members === undefined) throw new ExprError({ text: undefined, position: 0, detail: `unknown port group @${c.name}` });
        strings.push(...members);
        break;
      }
      case 'addrset': {
        const entries = ctx?.addressSets(c.name);
        if (entries === undefined) throw new ExprError({ text: undefined, position: 0, detail: `unknown address set $${c.name}` });
        for (const entry of entries) {
          const v = parseEntry(entry, info, c.name, fieldName);
          if (v !== null) ints.push({ value: v.value, mask: v.mask ?? full });
        }
        break;
      }
    }
  }
  return { ints, strings };
}

/**
 * One Address_Set entry ("10.0.0.0/24", "fe80::1", a MAC) checked against the field it is
 * used with. An address of another kind than a typed field (an IPv6 entry compared with
 * ip4.src) is skipped (null): no packet's field can hold it, so == and != keep their meaning,
 * and a mixed set (as a CMS may keep) stays usable with both families.
 */
function parseEntry(entry: string, info: RefInfo, set: string, fieldName: string): { value: bigint; mask?: bigint } | null {
  try {
    const ts: TokenStream = new TokenStream(entry);
    const { c, tok } = parseConstant(ts);
    if (ts.peek().type !== 'end') ts.fail(['end of the entry']);
    if (c.kind !== 'int') ts.error(tok, 'an address set entry must be an address or number');
    const addressKind = c.format === 'ipv4' || c.format === 'ipv6' || c.format === 'mac' ? c.format : undefined;
    if (addressKind !== undefined && info.kind !== 'int' && info.kind !== addressKind) return null;
    checkConstant(ts, info, fieldName, c, tok, undefined);
    return c.mask !== undefined ? { value: c.value, mask: c.mask } : { value: c.value };
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    throw new ExprError({ text: undefined, position: 0, detail: `address set $${set} entry ${JSON.stringify(entry)}: ${e.summary}` });
  }
}

// ---------------------------------------------------------------- bit layout

interface Span { readonly base: string; readonly baseLo: number; readonly width: number; readonly refLo: number }

/** Where the bits of a reference live in base fields. */
export function refSpans(ref: FieldRef): Span[] {
  const def = lookupField(ref.name);
  if (def === undefined) throw new Error(`unknown field ${ref.name}`);
  const lo = ref.lo ?? 0;
  const hi = ref.hi ?? (ref.lo !== undefined ? ref.lo : def.width - 1);
  const out: Span[] = [];
  let symLo = 0;
  for (const p of def.pieces) {
    const a = Math.max(symLo, lo);
    const b = Math.min(symLo + p.width - 1, hi);
    if (a <= b) out.push({ base: p.base, baseLo: p.lo + (a - symLo), width: b - a + 1, refLo: a - lo });
    symLo += p.width;
  }
  return out;
}

// ---------------------------------------------------------------- conjunctions under construction

interface Conj {
  readonly terms: Map<string, { value: bigint; mask: bigint }>;
  readonly strings: StringTerm[];
}

const TRUE_CONJ = (): Conj => ({ terms: new Map(), strings: [] });

function addTerm(c: Conj, field: string, value: bigint, mask: bigint): boolean {
  const old = c.terms.get(field);
  if (old === undefined) {
    c.terms.set(field, { value, mask });
    return true;
  }
  if (((old.value ^ value) & old.mask & mask) !== 0n) return false;
  c.terms.set(field, { value: old.value | value, mask: old.mask | mask });
  return true;
}

function addString(c: Conj, s: StringTerm): boolean {
  const same = c.strings.filter((x) => x.field === s.field);
  if (same.some((x) => x.value === s.value && x.negated === s.negated)) return true;
  if (same.some((x) => x.value === s.value && x.negated !== s.negated)) return false;
  if (EXCLUSIVE_STRING_FIELDS.has(s.field)) {
    const eq = same.find((x) => !x.negated);
    if (!s.negated) {
      if (eq !== undefined) return false; // a different name
      // x != other is implied by x == s.value
      for (let i = c.strings.length - 1; i >= 0; i--) {
        const x = c.strings[i];
        if (x !== undefined && x.field === s.field && x.negated) c.strings.splice(i, 1);
      }
    } else if (eq !== undefined) {
      return true; // implied
    }
  }
  c.strings.push(s);
  return true;
}

function andConj(a: Conj, b: Conj): Conj | null {
  const c: Conj = { terms: new Map(a.terms), strings: [...a.strings] };
  for (const [f, t] of b.terms) if (!addTerm(c, f, t.value, t.mask)) return null;
  for (const s of b.strings) if (!addString(c, s)) return null;
  return c;
}

// Keys are asked for repeatedly while simplifying; a conjunction never changes once built.
const keyCache = new WeakMap<Conj, string>();
function conjKey(c: Conj): string {
  const cached = keyCache.get(c);
  if (cached !== undefined) return cached;
  const key = computeKey(c);
  keyCache.set(c, key);
  return key;
}

function computeKey(c: Conj): string {
  const t = [...c.terms.entries()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map(([f, v]) => `${f}=${v.value.toString(16)}/${v.mask.toString(16)}`);
  const s = c.strings.map((x) => `${x.field}${x.negated ? '!=' : '=='}${JSON.stringify(x.value)}`).sort();
  return `${t.join('&')}|${s.join('&')}`;
}

/** Every packet matching `b` matches `a` (a is no stricter than b). */
function subsumes(a: Conj, b: Conj): boolean {
  if (a.terms.size > b.terms.size) return false;
  for (const [f, t] of a.terms) {
    const u = b.terms.get(f);
    if (u === undefined || (u.mask & t.mask) !== t.mask || (u.value & t.mask) !== t.value) return false;
  }
  for (const s of a.strings) {
    if (b.strings.some((x) => x.field === s.field && x.value === s.value && x.negated === s.negated)) continue;
    if (s.negated && EXCLUSIVE_STRING_FIELDS.has(s.field) && b.strings.some((x) => x.field === s.field && !x.negated && x.value !== s.value)) continue;
    return false;
  }
  return true;
}

function popcount(x: bigint): number {
  let n = 0;
  for (let v = x; v !== 0n; v &= v - 1n) n++;
  return n;
}

const weightCache = new WeakMap<Conj, number>();
function constrainedBits(c: Conj): number {
  const cached = weightCache.get(c);
  if (cached !== undefined) return cached;
  let n = c.strings.length;
  for (const t of c.terms.values()) n += popcount(t.mask);
  weightCache.set(c, n);
  return n;
}

const stringKey = (x: StringTerm): string => `${x.field}${x.negated ? '!=' : '=='}${JSON.stringify(x.value)}`;

/**
 * Keeps the conjunctions no other one covers (equal ones count as covering each other).
 * A coverer's string terms are a subset of the covered one's, so conjunctions are grouped by
 * their string terms and each is compared only with the groups whose strings are a subset
 * of its own (found by enumerating subsets when there are few). This misses only the rare
 * cover of `inport == "a"` by `inport != "b"`, which costs compactness, not meaning.
 */
function dropSubsumed(d: Dnf): Dnf {
  // Fewer constrained bits first: a conjunction can only be covered by one constraining
  // no more bits than it does, so one pass against the kept ones suffices.
  const sorted = [...d].sort((a, b) => constrainedBits(a) - constrainedBits(b));
  const kept = new Map<string, Conj[]>();
  const groupKey = (keys: readonly string[]): string => keys.join('\u0000');
  const out: Conj[] = [];
  for (const c of sorted) {
    const keys = c.strings.map(stringKey).sort();
    let candidates: Conj[][] = [];
    if (keys.length <= 6) {
      for (let m = 0; m < 1 << keys.length; m++) {
        const g = kept.get(groupKey(keys.filter((_, i) => ((m >> i) & 1) === 1)));
        if (g !== undefined) candidates.push(g);
      }
    } else {
      const own = new Set(keys);
      candidates = [...kept.entries()].filter(([k]) => k === '' || k.split('\u0000').every((x) => own.has(x))).map(([, g]) => g);
    }
    if (candidates.some((g) => g.some((k) => subsumes(k, c)))) continue;
    const gk = groupKey(keys);
    const g = kept.get(gk);
    if (g === undefined) kept.set(gk, [c]);
    else g.push(c);
    out.push(c);
  }
  return out;
}

// ---------------------------------------------------------------- the normalizer

type Dnf = Conj[];

// Prerequisites and predicate expansions depend only on FIELDS (their texts name no sets),
// so they are computed once per process. Cached conjunctions are never mutated.
const prereqCache = new Map<string, Dnf>();
const predicateCache = new Map<string, MatchExpr>();
const predicateDnfCache = new Map<string, Dnf>();

class Normalizer {
  constructor(private readonly ctx: SymbolContext, private readonly limit: number) {}

  private tooBig(n: number): never {
    throw new ExprError({
      text: undefined, position: 0,
      detail: `match expands to more than ${this.limit} conjunctions (reached ${n})`,
      hint: 'split it into several flows, prefer == with sets over != with sets, or use narrower ranges',
    });
  }

  /** Drops duplicates and, when affordable, conjunctions another one already covers. */
  simplify(d: Dnf): Dnf {
    if (d.length <= 1) return d;
    if (d.some((c) => c.terms.size === 0 && c.strings.length === 0)) return [TRUE_CONJ()];
    let out: Dnf;
    if (d.length <= 64) {
      out = dropSubsumed(d);
    } else {
      const seen = new Map<string, Conj>();
      for (const c of d) {
        const k = conjKey(c);
        if (!seen.has(k)) seen.set(k, c);
      }
      out = [...seen.values()];
      // Pairwise covering is quadratic: past a few hundred, keep the (correct) duplicates-free
      // list as is. Large sets of prefixes are merged before they get here (unionPrefixes).
      if (out.length <= SUBSUME_LIMIT) out = dropSubsumed(out);
    }
    if (out.length > this.limit) this.tooBig(out.length);
    return out;
  }

  private or(parts: Dnf[]): Dnf {
    const out: Dnf = [];
    for (const p of parts) {
      out.push(...p);
      if (out.length > this.limit * 4) this.tooBig(out.length);
    }
    return this.simplify(out);
  }

  private and(parts: Dnf[]): Dnf {
    let acc: Dnf = [TRUE_CONJ()];
    // Smallest first keeps the intermediate products small.
    for (const p of [...parts].sort((a, b) => a.length - b.length)) {
      if (p.length === 1 && acc.length === 1) {
        const c = andConj(acc[0] as Conj, p[0] as Conj);
        if (c === null) return [];
        acc = [c];
        continue;
      }
      const next: Dnf = [];
      for (const a of acc) {
        for (const b of p) {
          const c = andConj(a, b);
          if (c !== null) {
            next.push(c);
            if (next.length > this.limit * 4) this.tooBig(next.length);
          }
        }
      }
      acc = this.simplify(next);
      if (acc.length === 0) return acc;
    }
    return acc;
  }

  prerequisites(name: string): Dnf {
    const cached = prereqCache.get(name);
    if (cached !== undefined) return cached;
    const def = lookupField(name);
    const text = def?.prerequisite;
    const d = text === undefined ? [TRUE_CONJ()] : this.convert(parseMatchText(text), false);
    prereqCache.set(name, d);
    return d;
  }

  private predicate(name: string): MatchExpr {
    let e = predicateCache.get(name);
    if (e === undefined) {
      e = parseMatchText(lookupField(name)?.definition ?? '0');
      predicateCache.set(name, e);
    }
    return e;
  }

  /** `expr` (negated when `neg`) as a DNF. */
  convert(expr: MatchExpr, neg: boolean): Dnf {
    switch (expr.type) {
      case 'const':
        return expr.value !== neg ? [TRUE_CONJ()] : [];
      case 'not':
        return this.convert(expr.expr, !neg);
      case 'and':
      case 'or': {
        const parts = expr.terms.map((t) => this.convert(t, neg));
        return (expr.type === 'and') !== neg ? this.and(parts) : this.or(parts);
      }
      case 'resident': {
        const c = TRUE_CONJ();
        c.strings.push({ field: RESIDENT_FIELD, value: expr.port, negated: neg });
        return [c];
      }
      case 'bool': {
        const info = refInfo(expr.field);
        const pre = this.prerequisites(expr.field.name);
        if (info.predicate) {
          const key = `${neg ? '!' : ''}${expr.field.name}`;
          let body = predicateDnfCache.get(key);
          if (body === undefined) {
            body = this.convert(this.predicate(expr.field.name), neg);
            predicateDnfCache.set(key, body);
          }
          return this.and([pre, body]);
        }
        return this.and([pre, this.maskedEq(expr.field, 1n, 1n, neg)]);
      }
      case 'cmp':
        return this.and([this.prerequisites(expr.field.name), this.cmp(expr.field, expr.op, expr.values, neg)]);
      case 'range': {
        const info = refInfo(expr.field);
        const lo = this.scalar(expr.lo, info, expr.field) + (expr.loOp === '<' ? 1n : 0n);
        const hi = this.scalar(expr.hi, info, expr.field) - (expr.hiOp === '<' ? 1n : 0n);
        return this.and([this.prerequisites(expr.field.name), this.range(expr.field, info.width, lo, hi, neg)]);
      }
    }
  }

  private scalar(c: Constant, info: RefInfo, ref: FieldRef): bigint {
    const { ints } = expandConstants([c], info, this.ctx, refText(ref));
    return ints[0]?.value ?? 0n;
  }

  private cmp(ref: FieldRef, op: string, values: readonly Constant[], neg: boolean): Dnf {
    const info = refInfo(ref);
    if (op === '!=') return this.cmp(ref, '==', values, !neg);
    if (op === '==') {
      const { ints, strings } = expandConstants(values, info, this.ctx, refText(ref));
      if (info.kind === 'string') {
        if (!neg) {
          return this.simplify(strings.map((s) => {
            const c = TRUE_CONJ();
            c.strings.push({ field: ref.name, value: s, negated: false });
            return c;
          }));
        }
        const c = TRUE_CONJ();
        for (const s of strings) if (!addString(c, { field: ref.name, value: s, negated: true })) return [];
        return [c];
      }
      if (neg) {
        // Prefixes (exact values, CIDRs) complement into disjoint prefixes directly; only
        // arbitrary masks need the product of per-value single-bit mismatches.
        const rest = complementPrefixes(ints, info.width);
        if (rest !== null) return this.or(rest.map((v) => this.maskedEq(ref, v.value, v.mask, false)));
        return this.and(ints.map((v) => this.maskedEq(ref, v.value, v.mask, true)));
      }
      // A set of prefixes becomes its smallest disjoint prefix cover (duplicates, nested
      // CIDRs and sibling halves merged) without pairwise comparison.
      const cover = unionPrefixes(ints, info.width);
      if (cover !== null) {
        if (cover.length > this.limit) this.tooBig(cover.length);
        return cover.map((v) => (this.maskedEq(ref, v.value, v.mask, false)[0] as Conj));
      }
      return this.or(ints.map((v) => this.maskedEq(ref, v.value, v.mask, false)));
    }
    const info2 = info;
    const c = this.scalar(values[0] as Constant, info2, ref);
    const max = (1n << BigInt(info.width)) - 1n;
    switch (op) {
      case '<': return this.range(ref, info.width, 0n, c - 1n, neg);
      case '<=': return this.range(ref, info.width, 0n, c, neg);
      case '>': return this.range(ref, info.width, c + 1n, max, neg);
      default: return this.range(ref, info.width, c, max, neg);
    }
  }

  /** (ref & mask) == value, or (negated) its complement: one single-bit mismatch per mask bit. */
  private maskedEq(ref: FieldRef, value: bigint, mask: bigint, neg: boolean): Dnf {
    const spans = refSpans(ref);
    if (!neg) {
      const c = TRUE_CONJ();
      for (const s of spans) {
        const ones = (1n << BigInt(s.width)) - 1n;
        const m = (mask >> BigInt(s.refLo)) & ones;
        if (m === 0n) continue;
        const v = (value >> BigInt(s.refLo)) & ones;
        addTerm(c, s.base, v << BigInt(s.baseLo), m << BigInt(s.baseLo));
      }
      return [c];
    }
    const out: Dnf = [];
    for (const s of spans) {
      for (let b = 0; b < s.width; b++) {
        const bit = BigInt(s.refLo + b);
        if (((mask >> bit) & 1n) === 0n) continue;
        const want = ((value >> bit) & 1n) ^ 1n;
        const c = TRUE_CONJ();
        addTerm(c, s.base, want << BigInt(s.baseLo + b), 1n << BigInt(s.baseLo + b));
        out.push(c);
      }
    }
    if (out.length > this.limit) this.tooBig(out.length);
    return out;
  }

  /** lo <= ref <= hi (or, negated, outside it) as prefix-masked terms. */
  private range(ref: FieldRef, width: number, lo: bigint, hi: bigint, neg: boolean): Dnf {
    const max = (1n << BigInt(width)) - 1n;
    const intervals: [bigint, bigint][] = [];
    if (!neg) {
      if (lo <= hi && lo <= max && hi >= 0n) intervals.push([lo < 0n ? 0n : lo, hi > max ? max : hi]);
    } else if (lo > hi || lo > max || hi < 0n) {
      intervals.push([0n, max]);
    } else {
      if (lo > 0n) intervals.push([0n, lo - 1n]);
      if (hi < max) intervals.push([hi + 1n, max]);
    }
    const out: Dnf = [];
    for (const [a, b] of intervals) {
      for (const p of prefixes(a, b, width)) {
        out.push(...this.maskedEq(ref, p.value, p.mask, false));
        if (out.length > this.limit) this.tooBig(out.length);
      }
    }
    return out;
  }
}

/**
 * Disjoint prefixes covering every `width`-bit value that none of `values` matches, or null
 * when some mask is not a prefix (then the caller falls back to bitwise negation).
 */
export function complementPrefixes(values: readonly IntValue[], width: number): IntValue[] | null {
  const ps: { value: bigint; len: number }[] = [];
  for (const v of values) {
    const len = maskPrefixLength(v.mask, width);
    if (len === undefined) return null;
    ps.push({ value: v.value, len });
  }
  const out: IntValue[] = [];
  // Walk the binary trie of the prefixes: a node no prefix reaches is part of the complement.
  const walk = (value: bigint, len: number, here: { value: bigint; len: number }[]): void => {
    if (here.some((p) => p.len <= len)) return;
    if (here.length === 0) {
      out.push({ value, mask: prefixMask(len, width) });
      return;
    }
    const bit = 1n << BigInt(width - len - 1);
    walk(value, len + 1, here.filter((p) => (p.value & bit) === 0n));
    walk(value | bit, len + 1, here.filter((p) => (p.value & bit) !== 0n));
  };
  walk(0n, 0, ps);
  return out;
}

/**
 * The fewest disjoint prefixes covering exactly the union of `values`, or null when some
 * mask is not a prefix.
 */
export function unionPrefixes(values: readonly IntValue[], width: number): IntValue[] | null {
  const ps: { value: bigint; len: number }[] = [];
  for (const v of values) {
    const len = maskPrefixLength(v.mask, width);
    if (len === undefined) return null;
    ps.push({ value: v.value, len });
  }
  // Returns the cover of this trie node; `full` when the node itself is covered.
  const walk = (value: bigint, len: number, here: { value: bigint; len: number }[]): { full: boolean; out: IntValue[] } => {
    if (here.length === 0) return { full: false, out: [] };
    const node = { value, mask: prefixMask(len, width) };
    if (here.some((p) => p.len <= len)) return { full: true, out: [node] };
    const bit = 1n << BigInt(width - len - 1);
    const a = walk(value, len + 1, here.filter((p) => (p.value & bit) === 0n));
    const b = walk(value | bit, len + 1, here.filter((p) => (p.value & bit) !== 0n));
    if (a.full && b.full) return { full: true, out: [node] };
    return { full: false, out: [...a.out, ...b.out] };
  };
  return walk(0n, 0, ps).out;
}

/** The fewest value/mask prefixes covering exactly [lo, hi] within `width` bits. */
export function prefixes(lo: bigint, hi: bigint, width: number): IntValue[] {
  const full = (1n << BigInt(width)) - 1n;
  const out: IntValue[] = [];
  let cur = lo;
  while (cur <= hi) {
    // Largest aligned block starting at cur that stays within hi.
    let size = 1n;
    while (size <= full && (cur & (size * 2n - 1n)) === 0n && cur + size * 2n - 1n <= hi) size *= 2n;
    out.push({ value: cur, mask: full & ~(size - 1n) });
    cur += size;
  }
  return out;
}

function finish(c: Conj): Conjunction {
  const terms: Term[] = [...c.terms.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([field, t]) => ({ field, value: t.value, mask: t.mask }));
  const strings = [...c.strings].sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : a.value < b.value ? -1 : a.value > b.value ? 1 : Number(a.negated) - Number(b.negated)));
  return { terms, strings };
}

/**
 * The match as a disjunction of conjunctions over base fields ([] = matches nothing,
 * [{terms: [], strings: []}] = matches everything). Throws ExprError past the limit or when
 * an address set / port group is unknown or holds an entry that does not fit its field.
 */
export function normalizeMatch(expr: MatchExpr, ctx: SymbolContext, options?: NormalizeOptions): Conjunction[] {
  const n = new Normalizer(ctx, options?.maxConjunctions ?? DEFAULT_MAX_CONJUNCTIONS);
  const d = n.simplify(n.convert(expr, false));
  // A stable order (by canonical key, computed once) so equal matches give equal output.
  const keyed = d.map((c) => ({ key: conjKey(c), c }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((k) => finish(k.c));
}
