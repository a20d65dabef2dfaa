// expr/parser.ts — parses and type-checks match expressions.
//
// Owns: the match grammar of ovn-sb(5) "Logical_Flow match" (precedence, the two places
// where OVN demands parentheses, constant-first comparisons, ranges, sets) and the type
// rules: fields against constant forms and widths, ordering operators only on ordinal
// (non-string, non-nominal) fields as in OVN, string fields only with == / != and strings
// or port groups.
// Reads: FIELDS; SymbolContext (only to refuse unknown $address_set / @port_group names).
// Called by: index.ts (parseMatch/checkMatch), actions.ts (field refs and constants),
// normalize.ts and evaluate.ts (prerequisite and predicate texts).
// Never: expand sets, predicates or prerequisites (normalize.ts does), or accept input it
// cannot give back through formatMatch.
// Invariants: throws only ExprError; positions point at the offending token.

import type { Constant, FieldRef, MatchExpr, OrderOp, RelOp, SymbolContext } from './ast.js';
import { ExprError, oneOf, q } from './error.js';
import { lookupField, similarFields, type FieldDef, type FieldKind } from './fields.js';
import { describeToken, tokenize, type Punct, type Token } from './lexer.js';

const REL_OPS: readonly string[] = ['==', '!=', '<', '<=', '>', '>='];
const REL_EXPECTED = '"==", "!=" or a relational operator';

/** A cursor over tokens with error helpers; actions.ts reuses it. */
export class TokenStream {
  readonly text: string;
  private readonly tokens: Token[];
  private i = 0;
  constructor(text: string) {
    this.text = text;
    this.tokens = tokenize(text);
  }
  peek(k = 0): Token {
    const t = this.tokens[Math.max(0, Math.min(this.i + k, this.tokens.length - 1))];
    if (t === undefined) throw new Error('token stream has no end token');
    return t;
  }
  next(): Token {
    const t = this.peek();
    if (t.type !== 'end') this.i++;
    return t;
  }
  isPunct(p: Punct, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'punct' && t.text === p;
  }
  isId(name?: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'id' && (name === undefined || t.text === name);
  }
  matchPunct(p: Punct): boolean {
    if (!this.isPunct(p)) return false;
    this.i++;
    return true;
  }
  expectPunct(p: Punct, context?: string): Token {
    if (!this.isPunct(p)) this.fail([q(p)], context);
    return this.next();
  }
  /** Throws "syntax error at column N: expected A or B, found X". */
  fail(expected: readonly string[], hint?: string, at: Token = this.peek()): never {
    throw new ExprError({
      text: this.text, position: at.pos, syntax: true,
      detail: `expected ${oneOf(expected)}, found ${describeToken(at, this.text)}`,
      expected, ...(hint !== undefined ? { hint } : {}),
    });
  }
  /** Throws a meaning error ("error at column N: ...") at a token. */
  error(at: Token | number, detail: string, hint?: string): never {
    throw new ExprError({ text: this.text, position: typeof at === 'number' ? at : at.pos, detail, ...(hint !== undefined ? { hint } : {}) });
  }
}

/** What a field reference means once its subfield range is applied. */
export interface RefInfo {
  readonly def: FieldDef;
  /** Kind of the referenced bits: a strict subrange of a typed field is plain 'int'. */
  readonly kind: FieldKind;
  readonly width: number;
  readonly predicate: boolean;
}

export function refInfo(ref: FieldRef): RefInfo {
  const def = lookupField(ref.name);
  if (def === undefined) throw new Error(`unknown field ${ref.name} in a checked tree`);
  if (ref.lo === undefined) return { def, kind: def.kind, width: def.width, predicate: def.symbol === 'predicate' };
  const width = (ref.hi ?? ref.lo) - ref.lo + 1;
  return { def, kind: width === def.width ? def.kind : 'int', width, predicate: false };
}

/** Parses `name` or `name[lo]` or `name[lo..hi]` and checks it exists and the range fits. */
export function parseFieldRef(ts: TokenStream): { ref: FieldRef; info: RefInfo; tok: Token } {
  const tok = ts.next();
  if (tok.type !== 'id') ts.fail(['a field name'], undefined, tok);
  const def = lookupField(tok.text);
  if (def === undefined) {
    const like = similarFields(tok.text);
    ts.error(tok, `unknown field ${q(tok.text)}`, like.length > 0 ? `did you mean ${oneOf(like)}?` : 'see ovn-sb(5) "Symbols" for the field names');
  }
  if (!ts.isPunct('[')) return { ref: { name: tok.text }, info: refInfo({ name: tok.text }), tok };
  const open = ts.next();
  if (def.kind === 'string') ts.error(open, `${def.name} is a string field and has no bits to select`);
  if (def.nominal === true) ts.error(open, `${def.name} is a nominal field (its values are identifiers): bits cannot be selected`, `compare the whole field, e.g. ${def.name} == ...`);
  const loTok = ts.next();
  if (loTok.type !== 'int' || loTok.format !== 'dec' || loTok.mask !== undefined) ts.fail(['a bit number'], undefined, loTok);
  let hiTok: Token = loTok;
  if (ts.matchPunct('..')) {
    hiTok = ts.next();
    if (hiTok.type !== 'int' || hiTok.format !== 'dec' || hiTok.mask !== undefined) ts.fail(['a bit number'], undefined, hiTok);
  }
  ts.expectPunct(']');
  const lo = Number(loTok.value);
  const hi = hiTok.type === 'int' ? Number(hiTok.value) : lo;
  if (hi < lo) ts.error(loTok, `bit range ${lo}..${hi} of ${def.name} is backwards`, `write ${def.name}[${hi}..${lo}]`);
  if (hi >= def.width) ts.error(hiTok, `bit ${hi} is outside ${def.name}, a ${def.width}-bit field (bits 0..${def.width - 1})`);
  // A predicate is used like a 1-bit field, so OVN accepts its only bit: ip4[0] is ip4.
  if (def.symbol === 'predicate') return { ref: { name: def.name }, info: refInfo({ name: def.name }), tok };
  const ref: FieldRef = { name: def.name, lo, hi };
  return { ref, info: refInfo(ref), tok };
}

/** A constant token (int with optional mask, string, $set, @group) → Constant. */
export function parseConstant(ts: TokenStream): { c: Constant; tok: Token } {
  const tok = ts.next();
  switch (tok.type) {
    case 'int':
      return { c: { kind: 'int', value: tok.value, format: tok.format, ...(tok.mask !== undefined ? { mask: tok.mask } : {}) }, tok };
    case 'string':
      return { c: { kind: 'string', value: tok.value }, tok };
    case 'addrset':
      return { c: { kind: 'addrset', name: tok.name }, tok };
    case 'portgroup':
      return { c: { kind: 'portgroup', name: tok.name }, tok };
    default:
      return ts.fail(['a constant'], undefined, tok);
  }
}

const KIND_NAME: Record<FieldKind, string> = { int: 'integer', mac: 'Ethernet address', ipv4: 'IPv4', ipv6: 'IPv6', string: 'string' };
const FORMAT_KIND: Record<string, FieldKind> = { mac: 'mac', ipv4: 'ipv4', ipv6: 'ipv6' };

/** Checks one constant against the referenced bits; `what` names the field in messages. */
export function checkConstant(ts: TokenStream, info: RefInfo, what: string, c: Constant, tok: Token, ctx: SymbolContext | undefined): void {
  if (info.kind === 'string') {
    if (c.kind === 'string') return;
    if (c.kind === 'portgroup') {
      if (ctx !== undefined && ctx.portGroups(c.name) === undefined) ts.error(tok, `unknown port group @${c.name}`);
      return;
    }
    ts.error(tok, `${what} is a string field: compare it with a quoted port name or a @port_group, not ${describeToken(tok, ts.text)}`);
  }
  if (c.kind === 'string' || c.kind === 'portgroup') {
    ts.error(tok, `${what} is ${article(KIND_NAME[info.kind])} field: ${describeToken(tok, ts.text)} is not ${article(KIND_NAME[info.kind])} constant`);
  }
  if (c.kind === 'addrset') {
    if (ctx !== undefined && ctx.addressSets(c.name) === undefined) ts.error(tok, `unknown address set $${c.name}`);
    return;
  }
  const ck = FORMAT_KIND[c.format];
  if (ck !== undefined && info.kind !== 'int' && ck !== info.kind) {
    ts.error(tok, `cannot compare ${what}, ${article(KIND_NAME[info.kind])} field, with the ${ck === 'mac' ? 'Ethernet' : KIND_NAME[ck]} address ${describeToken(tok, ts.text)}`);
  }
  const limit = 1n << BigInt(info.width);
  if (c.value >= limit || (c.mask !== undefined && c.mask >= limit)) {
    ts.error(tok, `${describeToken(tok, ts.text)} does not fit in ${what}, a ${info.width}-bit field`);
  }
}

function article(s: string): string {
  return /^[aeiouAEIOU]/.test(s) || s.startsWith('IP') ? `an ${s}` : `a ${s}`;
}

export function refText(ref: FieldRef): string {
  if (ref.lo === undefined) return ref.name;
  return ref.hi === undefined || ref.hi === ref.lo ? `${ref.name}[${ref.lo}]` : `${ref.name}[${ref.lo}..${ref.hi}]`;
}

/** Parser for one match text. */
class MatchParser {
  constructor(private readonly ts: TokenStream, private readonly ctx: SymbolContext | undefined) {}

  parse(): MatchExpr {
    const e = this.orAnd();
    const t = this.ts.peek();
    if (t.type !== 'end') this.ts.fail(['"&&"', '"||"', 'end of input']);
    return e;
  }

  /** a && b && ... or a || b || ...; mixing the two needs parentheses (as in OVN). */
  private orAnd(): MatchExpr {
    const first = this.unary();
    const t = this.ts.peek();
    if (!(t.type === 'punct' && (t.text === '&&' || t.text === '||'))) return first.e;
    const op = t.text;
    const terms: MatchExpr[] = [first.e];
    while (this.ts.isPunct(op)) {
      this.ts.next();
      terms.push(this.unary().e);
      const u = this.ts.peek();
      if (u.type === 'punct' && (u.text === '&&' || u.text === '||') && u.text !== op) {
        this.ts.error(u, `${q('&&')} and ${q('||')} need parentheses when used together`, 'write (a && b) || c or a && (b || c)');
      }
    }
    return { type: op === '&&' ? 'and' : 'or', terms };
  }

  /** Returns whether the result is a bare comparison, for the "!" rule. */
  private unary(): { e: MatchExpr; relational: boolean } {
    if (this.ts.isPunct('!')) {
      const bang = this.ts.next();
      // OVN's grammar has no "!!": a second negation needs parentheses.
      if (this.ts.isPunct('!')) this.ts.fail(['a field', 'a constant', '"("'], 'write !(!x) to negate a negation');
      const inner = this.unary();
      if (inner.relational) {
        this.ts.error(bang, 'put parentheses around a negated comparison', 'write !(a == b), or use != instead');
      }
      return { e: { type: 'not', expr: inner.e }, relational: false };
    }
    return this.primary();
  }

  private primary(): { e: MatchExpr; relational: boolean } {
    const ts: TokenStream = this.ts;
    const t = ts.peek();
    if (t.type === 'punct' && t.text === '(') {
      ts.next();
      const e = this.orAnd();
      ts.expectPunct(')');
      return { e, relational: false };
    }
    if (t.type === 'id' && t.text === 'is_chassis_resident' && ts.isPunct('(', 1)) {
      ts.next();
      ts.next();
      const s = ts.next();
      if (s.type !== 'string') return ts.fail(['a quoted port name'], undefined, s);
      ts.expectPunct(')');
      return { e: { type: 'resident', port: s.value }, relational: false };
    }
    if (t.type === 'id') return this.fieldFirst();
    if (t.type === 'int' || t.type === 'string' || t.type === 'addrset' || t.type === 'portgroup') return this.constantFirst();
    return ts.fail(['a field', 'a constant', '"!"', '"("']);
  }

  private relOp(): RelOp | undefined {
    const t = this.ts.peek();
    if (t.type === 'punct' && REL_OPS.includes(t.text)) {
      this.ts.next();
      return t.text as RelOp;
    }
    return undefined;
  }

  private fieldFirst(): { e: MatchExpr; relational: boolean } {
    const ts: TokenStream = this.ts;
    const { ref, info, tok } = parseFieldRef(ts);
    const opTok = ts.peek();
    const op = this.relOp();
    if (op === undefined) {
      if (info.predicate || (info.width === 1 && info.kind !== 'string')) {
        if (ts.isPunct('=')) ts.fail([REL_EXPECTED]);
        return { e: { type: 'bool', field: ref }, relational: false };
      }
      const name = refText(ref);
      return ts.fail([REL_EXPECTED], info.kind === 'string'
        ? `${name} is a string field: compare it, e.g. ${name} == "port1"`
        : `only 1-bit fields and predicates may stand alone; ${name} is ${info.width}-bit (e.g. ${name} != 0)`);
    }
    if (info.predicate) return this.predicateCmp(ref, op, opTok, parseConstant(ts));
    const { values, set } = this.constSet();
    this.checkCmp(ref, info, op, opTok, values);
    return { e: { type: 'cmp', field: ref, op, values: values.map((v) => v.c), set }, relational: true };
  }

  /** `ip4 == 1`, `tcp != 0` (OVN lets a predicate be compared like a 1-bit field): a bool or its negation. */
  private predicateCmp(ref: FieldRef, op: RelOp, opTok: Token, c: { c: Constant; tok: Token }): { e: MatchExpr; relational: boolean } {
    const k = c.c;
    if ((op !== '==' && op !== '!=') || k.kind !== 'int' || k.mask !== undefined || k.value > 1n) {
      this.ts.error(k.kind === 'int' && (op === '==' || op === '!=') ? c.tok : opTok, `${ref.name} is a predicate: compare it only with == or != and 0 or 1 (or write ${ref.name} or !${ref.name})`);
    }
    const positive = (op === '==') === (k.value === 1n);
    const bool: MatchExpr = { type: 'bool', field: { name: ref.name } };
    return { e: positive ? bool : { type: 'not', expr: bool }, relational: true };
  }

  /** `80 == tcp.dst`, or a range `1 <= tcp.dst <= 1024`. */
  private constantFirst(): { e: MatchExpr; relational: boolean } {
    const ts: TokenStream = this.ts;
    const start = ts.peek();
    if (start.type === 'int' && start.mask === undefined && (start.value === 0n || start.value === 1n) && start.format === 'dec') {
      const after = ts.peek(1);
      if (!(after.type === 'punct' && REL_OPS.includes(after.text))) {
        ts.next();
        return { e: { type: 'const', value: start.value === 1n }, relational: false };
      }
    }
    const first = parseConstant(ts);
    const op1Tok = ts.peek();
    const op1 = this.relOp();
    if (op1 === undefined) return ts.fail([REL_EXPECTED]);
    const { ref, info, tok } = parseFieldRef(ts);
    if (info.predicate) {
      if (ts.peek().type === 'punct' && REL_OPS.includes((ts.peek() as { text: string }).text)) ts.error(tok, `${ref.name} is a predicate: it has no range`);
      return this.predicateCmp(ref, op1, op1Tok, first);
    }
    const op2Tok = ts.peek();
    const op2 = this.relOp();
    if (op2 === undefined) {
      // c op f  ==  f op' c
      const flipped: RelOp = op1 === '<' ? '>' : op1 === '<=' ? '>=' : op1 === '>' ? '<' : op1 === '>=' ? '<=' : op1;
      this.checkCmp(ref, info, flipped, op1Tok, [first]);
      return { e: { type: 'cmp', field: ref, op: flipped, values: [first.c], set: false }, relational: true };
    }
    const second = parseConstant(ts);
    const up = (o: RelOp): boolean => o === '<' || o === '<=';
    const down = (o: RelOp): boolean => o === '>' || o === '>=';
    if (!((up(op1) && up(op2)) || (down(op1) && down(op2)))) {
      ts.error(op2Tok, `a range needs two operators pointing the same way, e.g. 1 <= ${refText(ref)} <= 1024`);
    }
    this.checkCmp(ref, info, op1 as OrderOp, op1Tok, [first]);
    this.checkCmp(ref, info, op2 as OrderOp, op2Tok, [second]);
    const ordered = up(op1)
      ? { lo: first.c, loOp: op1 as '<' | '<=', hi: second.c, hiOp: op2 as '<' | '<=' }
      : { lo: second.c, loOp: (op2 === '>' ? '<' : '<=') as '<' | '<=', hi: first.c, hiOp: (op1 === '>' ? '<' : '<=') as '<' | '<=' };
    return { e: { type: 'range', field: ref, ...ordered }, relational: true };
  }

  /** A constant, or { c1, c2, ... } (commas optional, trailing comma allowed). */
  private constSet(): { values: { c: Constant; tok: Token }[]; set: boolean } {
    const ts: TokenStream = this.ts;
    if (!ts.isPunct('{')) {
      const t = ts.peek();
      if (!(t.type === 'int' || t.type === 'string' || t.type === 'addrset' || t.type === 'portgroup')) ts.fail(['a constant', '"{"']);
      return { values: [parseConstant(ts)], set: false };
    }
    ts.next();
    const values: { c: Constant; tok: Token }[] = [];
    while (!ts.isPunct('}')) {
      const t = ts.peek();
      if (!(t.type === 'int' || t.type === 'string' || t.type === 'addrset' || t.type === 'portgroup')) ts.fail(['a constant', '"}"']);
      values.push(parseConstant(ts));
      ts.matchPunct(',');
    }
    ts.next();
    return { values, set: true };
  }

  private checkCmp(ref: FieldRef, info: RefInfo, op: RelOp, opTok: Token, values: readonly { c: Constant; tok: Token }[]): void {
    const ts: TokenStream = this.ts;
    const name = refText(ref);
    const ordering = op !== '==' && op !== '!=';
    if (ordering) {
      if (info.def.nominal === true) {
        ts.error(opTok, `${q(op)} cannot be used with ${name}, a nominal field (its values are identifiers)`, 'use == or != (with a set for several values)');
      }
      if (info.kind === 'string') {
        ts.error(opTok, `${q(op)} needs an integer field; ${name} is a string field`, 'compare port names with == or !=');
      }
      if (values.length !== 1) ts.error(opTok, `${q(op)} compares with one constant, not a set`);
    }
    for (const { c, tok } of values) {
      checkConstant(ts, info, name, c, tok, this.ctx);
      if (ordering && c.kind === 'int' && c.mask !== undefined) ts.error(tok, `${q(op)} cannot use a masked constant; only == and != can`);
      if (ordering && c.kind === 'addrset') ts.error(tok, `${q(op)} cannot use an address set; only == and != can`);
    }
  }
}

/** Parses and type-checks a match; `ctx`, when given, must know every $set and @group named. */
export function parseMatchText(text: string, ctx?: SymbolContext): MatchExpr {
  return new MatchParser(new TokenStream(text), ctx).parse();
}
