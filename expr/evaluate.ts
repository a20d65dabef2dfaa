// expr/evaluate.ts — the reference meaning of matches, straight from the tree.
//
// Owns: evaluate(expr, packet, ctx) — what a match means for one packet, computed directly
// (ordering by comparison, sets by membership, predicates by expansion, prerequisites by
// evaluation) with none of normalize's rewriting; and evaluateConjunctions, the meaning of
// normalize's output. The two are independent so tests can hold one against the other.
// Reads: FIELDS, the parser (predicate and prerequisite texts), expandConstants.
// Called by: tests, `loom trace` style tooling, and the controller's table interpreter.
// Never: be used on the fast path (it re-reads the symbol table per call).
// Invariants: the prerequisite rule matches OVN — a comparison, negated or not, is false for
// a packet that fails its field's prerequisites ("tcp.dst != 80" is false for UDP).

import type { Conjunction, FieldRef, FieldValues, MatchExpr, SymbolContext } from './ast.js';
import { lookupField } from './fields.js';
import { expandConstants, refSpans, RESIDENT_FIELD } from './normalize.js';
import { parseMatchText, refInfo, refText } from './parser.js';

const parsed = new Map<string, MatchExpr>();
function parseCached(text: string): MatchExpr {
  let e = parsed.get(text);
  if (e === undefined) {
    e = parseMatchText(text);
    parsed.set(text, e);
  }
  return e;
}

function baseValue(packet: FieldValues, base: string): bigint {
  const v = packet[base];
  return typeof v === 'bigint' ? v : 0n;
}

/** The integer the reference reads from the packet. */
export function readRef(packet: FieldValues, ref: FieldRef): bigint {
  let out = 0n;
  for (const s of refSpans(ref)) {
    const ones = (1n << BigInt(s.width)) - 1n;
    out |= ((baseValue(packet, s.base) >> BigInt(s.baseLo)) & ones) << BigInt(s.refLo);
  }
  return out;
}

function readString(packet: FieldValues, name: string): string {
  const v = packet[name];
  return typeof v === 'string' ? v : '';
}

class Evaluator {
  constructor(private readonly packet: FieldValues, private readonly ctx: SymbolContext) {}

  private prereqOk(name: string): boolean {
    const text = lookupField(name)?.prerequisite;
    return text === undefined || this.ev(parseCached(text), false);
  }

  ev(e: MatchExpr, neg: boolean): boolean {
    switch (e.type) {
      case 'const': return e.value !== neg;
      case 'not': return this.ev(e.expr, !neg);
      case 'and': return neg ? e.terms.some((t) => this.ev(t, true)) : e.terms.every((t) => this.ev(t, false));
      case 'or': return neg ? e.terms.every((t) => this.ev(t, true)) : e.terms.some((t) => this.ev(t, false));
      case 'resident': return (this.ctx.isChassisResident?.(e.port) ?? false) !== neg;
      case 'bool': {
        if (!this.prereqOk(e.field.name)) return false;
        const info = refInfo(e.field);
        if (info.predicate) return this.ev(parseCached(info.def.definition ?? '0'), neg);
        return (readRef(this.packet, e.field) === 1n) !== neg;
      }
      case 'cmp': {
        if (!this.prereqOk(e.field.name)) return false;
        const info = refInfo(e.field);
        let holds: boolean;
        if (info.kind === 'string') {
          const { strings } = expandConstants(e.values, info, this.ctx, refText(e.field));
          const any = strings.includes(readString(this.packet, e.field.name));
          holds = e.op === '==' ? any : !any;
        } else {
          const x = readRef(this.packet, e.field);
          const { ints } = expandConstants(e.values, info, this.ctx, refText(e.field));
          const any = ints.some((v) => (x & v.mask) === v.value);
          const c = ints[0]?.value ?? 0n;
          switch (e.op) {
            case '==': holds = any; break;
            case '!=': holds = !any; break;
            case '<': holds = x < c; break;
            case '<=': holds = x <= c; break;
            case '>': holds = x > c; break;
            case '>=': holds = x >= c; break;
          }
        }
        return holds !== neg;
      }
      case 'range': {
        if (!this.prereqOk(e.field.name)) return false;
        const info = refInfo(e.field);
        const x = readRef(this.packet, e.field);
        const lo = expandConstants([e.lo], info, this.ctx, refText(e.field)).ints[0]?.value ?? 0n;
        const hi = expandConstants([e.hi], info, this.ctx, refText(e.field)).ints[0]?.value ?? 0n;
        const holds = (e.loOp === '<' ? lo < x : lo <= x) && (e.hiOp === '<' ? x < hi : x <= hi);
        return holds !== neg;
      }
    }
  }
}

/** Does `packet` match `expr`? `packet` holds base fields (see BASE_FIELDS); absent ones read 0 / "". */
export function evaluateMatch(expr: MatchExpr, packet: FieldValues, ctx: SymbolContext): boolean {
  return new Evaluator(packet, ctx).ev(expr, false);
}

/** Does `packet` match any of the conjunctions (normalize's output)? */
export function evaluateConjunctions(conjunctions: readonly Conjunction[], packet: FieldValues, ctx?: SymbolContext): boolean {
  return conjunctions.some((c) =>
    c.terms.every((t) => (baseValue(packet, t.field) & t.mask) === t.value) &&
    c.strings.every((s) => {
      const actual = s.field === RESIDENT_FIELD ? (ctx?.isChassisResident?.(s.value) ?? false) : readString(packet, s.field) === s.value;
      return actual !== s.negated;
    }));
}
