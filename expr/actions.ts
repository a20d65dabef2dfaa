// expr/actions.ts — parses, checks and prints logical-flow actions.
//
// Owns: the action grammar of ovn-sb(5) "Logical_Flow actions": next, output and the other
// keywords, assignments (field = constant, field = field, field <-> field, ip.ttl--), nested
// blocks (arp { ... }; ct_commit { ... }; clone { ... }; ...), ct_lb / ct_lb_mark with their
// backends, functions with field arguments (put_arp, get_nd, lookup_arp, ...), and any
// other `[R =] name(args)` kept generically as argument text so northd's output always parses.
// Reads: FIELDS, the lexer and the match parser's field/constant helpers.
// Called by: index.ts (parseActions/formatActions); northd and the controller through it.
// Never: execute actions or decide their datapath meaning (the controller does).
// Invariants: throws only ExprError; parseActions(formatActions(a)) deep-equals a.

import type { Action, Backend, CallArg, Constant, FieldRef, SymbolContext } from './ast.js';
import { ExprError, q } from './error.js';
import { formatConstant } from './format.js';
import { formatIPv4, formatIPv6, type Token } from './lexer.js';
import { lookupField } from './fields.js';
import { checkConstant, parseConstant, parseFieldRef, refText, TokenStream, type RefInfo } from './parser.js';

/** Actions written as a bare word. */
export const KEYWORD_ACTIONS: readonly string[] = [
  'output', 'drop', 'ct_next', 'ct_clear', 'ct_commit', 'ct_commit_nat', 'ct_dnat', 'ct_snat', 'ct_dnat_in_czone',
  'ct_snat_in_czone', 'ct_lb', 'ct_lb_mark', 'tcp_reset', 'sctp_abort', 'igmp', 'trigger_event', 'handle_dhcpv6_reply',
  'flood_remote', 'ct_snat_to_vip',
];

/** Actions written as `name { actions };`. */
export const BLOCK_ACTIONS: readonly string[] = [
  'arp', 'nd_na', 'nd_na_router', 'nd_ns', 'icmp4', 'icmp4_error', 'icmp6', 'icmp6_error', 'tcp_reset', 'sctp_abort',
  'reject', 'clone', 'ct_commit', 'igmp',
];

type ArgSpec = { readonly fields: number; readonly result?: 'bit' | 'outport' | 'int' | 'none' };
/** Functions whose arguments are all fields, and what their result must be. */
const FIELD_FUNCTIONS: Readonly<Record<string, ArgSpec>> = {
  put_arp: { fields: 3, result: 'none' },
  get_arp: { fields: 2, result: 'none' },
  lookup_arp: { fields: 3, result: 'bit' },
  lookup_arp_ip: { fields: 2, result: 'bit' },
  put_nd: { fields: 3, result: 'none' },
  get_nd: { fields: 2, result: 'none' },
  lookup_nd: { fields: 3, result: 'bit' },
  lookup_nd_ip: { fields: 2, result: 'bit' },
  put_fdb: { fields: 2, result: 'none' },
  lookup_fdb: { fields: 2, result: 'bit' },
  get_fdb: { fields: 1, result: 'outport' },
  handle_svc_check: { fields: 1, result: 'none' },
};
/** Other functions whose result must be a 1-bit destination (ovn-sb(5) "R = ..."). */
const BIT_RESULT_FUNCTIONS: readonly string[] = [
  'put_dhcp_opts', 'put_dhcpv6_opts', 'put_nd_ra_opts', 'dns_lookup', 'check_pkt_larger', 'chk_lb_hairpin',
  'chk_lb_hairpin_reply', 'check_in_port_sec', 'check_out_port_sec', 'check_ecmp_nh_mac', 'check_ecmp_nh', 'chk_lb_aff',
];
/** Result functions written without parentheses. */
const BARE_RESULT_FUNCTIONS: readonly string[] = ['ct_snat_to_vip'];
/** Functions kept generically (arguments as text): the ones above plus whatever northd emits. */
export const GENERIC_FUNCTIONS_NOTE =
  'put_dhcp_opts, put_dhcpv6_opts, put_nd_ra_opts, dns_lookup, check_pkt_larger, log, trigger_event, ct_commit(...), ' +
  'set_queue, set_meter, fwd_group, select, bind_vport, commit_ecmp_nh, commit_lb_aff, chk_lb_aff, sample and any unknown name';

class ActionParser {
  constructor(private readonly ts: TokenStream, private readonly ctx: SymbolContext | undefined) {}

  parseAll(): Action[] {
    const out = this.list(false);
    return out;
  }

  /** Actions up to end of input (top) or "}" (inside a block). Each ends in ";" (optional before the end). */
  private list(inBlock: boolean, blockName?: string): Action[] {
    const ts = this.ts;
    const out: Action[] = [];
    while (true) {
      const t = ts.peek();
      if (t.type === 'end') {
        if (inBlock) ts.fail(['"}"']);
        return out;
      }
      if (inBlock && t.type === 'punct' && t.text === '}') return out;
      const a = this.action(blockName);
      // OVN terminates every action, nested blocks included, with ";".
      if (!ts.matchPunct(';')) ts.fail(['";"']);
      // "drop;" is not an action but a whole (empty) list, top level or nested, as in OVN.
      const listEnds = inBlock ? ts.isPunct('}') : ts.peek().type === 'end';
      if (a.type === 'keyword' && a.name === 'drop' && (out.length > 0 || !listEnds)) {
        ts.error(t, '"drop;" must be the only action', 'leave it out: a flow that does not output a packet drops it');
      }
      out.push(a);
    }
  }

  private action(blockName: string | undefined): Action {
    const ts = this.ts;
    const t = ts.peek();
    if (t.type !== 'id') return ts.fail(['an action']);
    const name = t.text;
    const isField = ts.isPunct('[', 1) || ts.isPunct('=', 1) || ts.isPunct('<->', 1) || ts.isPunct('--', 1);
    if (isField) return this.assignment(blockName);
    if (ts.isPunct('{', 1)) {
      ts.next();
      ts.next();
      const actions = this.list(true, name);
      ts.expectPunct('}');
      return { type: 'block', name, actions };
    }
    if (ts.isPunct('(', 1)) {
      if (name === 'next') return this.next();
      if (name === 'ct_lb' || name === 'ct_lb_mark') return this.ctLb(name);
      if (name === 'ct_dnat' || name === 'ct_snat' || name === 'ct_dnat_in_czone' || name === 'ct_snat_in_czone') return this.ctNat(name);
      return this.call(undefined);
    }
    ts.next();
    if (name === 'next') return { type: 'next' };
    if (KEYWORD_ACTIONS.includes(name)) return { type: 'keyword', name };
    if (BLOCK_ACTIONS.includes(name)) ts.fail(['"{"'], `${name} takes a block: ${name} { ...; };`);
    return ts.error(t, `unknown action ${q(name)}`, `actions are ${KEYWORD_ACTIONS.slice(0, 6).join(', ')}, ..., field = value, name(args) or name { ... }`);
  }

  private next(): Action {
    const ts = this.ts;
    ts.next();
    ts.expectPunct('(');
    const first = ts.peek();
    if (first.type === 'int') {
      const table = this.tableNumber();
      ts.expectPunct(')');
      return { type: 'next', table };
    }
    let pipeline: 'ingress' | 'egress' | undefined;
    let table: number | undefined;
    while (!ts.isPunct(')')) {
      const key = ts.next();
      if (key.type !== 'id' || (key.text !== 'pipeline' && key.text !== 'table')) return ts.fail(['a table number', '"pipeline="', '"table="'], undefined, key);
      ts.expectPunct('=');
      if (key.text === 'pipeline') {
        const v = ts.next();
        if (v.type !== 'id' || (v.text !== 'ingress' && v.text !== 'egress')) return ts.fail(['"ingress"', '"egress"'], undefined, v);
        pipeline = v.text;
      } else {
        table = this.tableNumber();
      }
      if (!ts.matchPunct(',')) break;
    }
    ts.expectPunct(')');
    return { type: 'next', ...(pipeline !== undefined ? { pipeline } : {}), ...(table !== undefined ? { table } : {}) };
  }

  private tableNumber(): number {
    const t = this.ts.next();
    if (t.type !== 'int' || t.format !== 'dec' || t.mask !== undefined || t.value > 255n) {
      return this.ts.fail(['a table number (0..255)'], undefined, t);
    }
    return Number(t.value);
  }

  private ctLb(name: 'ct_lb' | 'ct_lb_mark'): Action {
    const ts = this.ts;
    ts.next();
    ts.expectPunct('(');
    const backends: Backend[] = [];
    let hashFields: string | undefined;
    const flags: string[] = [];
    if (ts.isId('backends') && ts.isPunct('=', 1)) {
      ts.next();
      ts.next();
    }
    if (!ts.isPunct(')') && !ts.isPunct(';')) {
      do backends.push(this.backend());
      while (ts.matchPunct(','));
    }
    while (ts.matchPunct(';')) {
      const k = ts.next();
      if (k.type !== 'id') return ts.fail(['"hash_fields="', 'a flag such as skip_snat'], undefined, k);
      if (k.text === 'hash_fields' && ts.matchPunct('=')) {
        const s = ts.next();
        if (s.type !== 'string') return ts.fail(['a quoted list of fields'], undefined, s);
        hashFields = s.value;
      } else {
        flags.push(k.text);
      }
    }
    ts.expectPunct(')');
    return { type: 'ct_lb', name, backends, ...(hashFields !== undefined ? { hashFields } : {}), flags };
  }

  /** ct_dnat(IP), ct_snat(IP,LO-HI), ... as in OVN, plus trailing flag words (random, hash, persistent). */
  private ctNat(name: 'ct_dnat' | 'ct_snat' | 'ct_dnat_in_czone' | 'ct_snat_in_czone'): Action {
    const ts = this.ts;
    ts.next();
    ts.expectPunct('(');
    const ip = ts.next();
    if (ip.type !== 'int' || ip.mask !== undefined || (ip.format !== 'ipv4' && ip.format !== 'ipv6')) {
      return ts.fail(['an IPv4 or IPv6 address'], undefined, ip);
    }
    const base = { type: 'ct_nat' as const, name, ip: ip.format === 'ipv4' ? formatIPv4(ip.value) : formatIPv6(ip.value), family: ip.format };
    let portLo: number | undefined;
    let portHi: number | undefined;
    if (ts.matchPunct(',')) {
      portLo = this.port();
      if (portLo === 0) ts.error(ts.peek(-1), 'a port range cannot start at 0');
      if (ts.matchPunct('-')) {
        portHi = this.port();
        if (portHi <= portLo) ts.error(ts.peek(-1), 'the high end of a port range must be above the low end');
      }
    }
    const flags: string[] = [];
    while (ts.isId()) {
      const f = ts.next();
      if (f.type === 'id') flags.push(f.text);
    }
    ts.expectPunct(')');
    return { ...base, ...(portLo !== undefined ? { portLo } : {}), ...(portHi !== undefined ? { portHi } : {}), flags };
  }

  private port(): number {
    const p = this.ts.next();
    if (p.type !== 'int' || p.format !== 'dec' || p.mask !== undefined || p.value > 65535n) return this.ts.fail(['a port number'], undefined, p);
    return Number(p.value);
  }

  private backend(): Backend {
    const ts = this.ts;
    const bracket = ts.matchPunct('[');
    const ip = ts.next();
    if (ip.type !== 'int' || ip.mask !== undefined || (ip.format !== 'ipv4' && ip.format !== 'ipv6')) {
      return ts.fail(['an IPv4 address', '"[" IPv6 "]"'], undefined, ip);
    }
    if (bracket) ts.expectPunct(']');
    else if (ip.format === 'ipv6' && ts.isPunct(':')) ts.fail(['","', '";"', '")"'], 'write an IPv6 backend with a port as [addr]:port');
    const b = { ip: ip.format === 'ipv4' ? formatIPv4(ip.value) : formatIPv6(ip.value), family: ip.format } as const;
    if (!ts.matchPunct(':')) return b;
    return { ...b, port: this.port() };
  }

  /** [result =] name(args) or result = name. */
  private call(result: { ref: FieldRef; info: RefInfo; tok: Token } | undefined): Action {
    const ts = this.ts;
    const nameTok = ts.next();
    if (nameTok.type !== 'id') return ts.fail(['a function name'], undefined, nameTok);
    const name = nameTok.text;
    if (!ts.isPunct('(')) {
      if (result === undefined || !BARE_RESULT_FUNCTIONS.includes(name)) return ts.fail(['"("']);
      return { type: 'call', name, args: [], result: result.ref, parens: false };
    }
    const spec = FIELD_FUNCTIONS[name];
    if (spec !== undefined) return this.fieldCall(name, spec, result);
    if (result !== undefined && BIT_RESULT_FUNCTIONS.includes(name)) this.checkBitResult(name, result);
    ts.expectPunct('(');
    const args = this.rawArgs();
    return { type: 'call', name, args, ...(result !== undefined ? { result: result.ref } : {}), parens: true };
  }

  private checkBitResult(name: string, result: { ref: FieldRef; info: RefInfo; tok: Token }): void {
    if (result.info.width !== 1 || result.info.kind === 'string') {
      this.ts.error(result.tok, `${name} stores a 1-bit result; ${refText(result.ref)} is ${result.info.kind === 'string' ? 'a string field' : `${result.info.width}-bit`}`, `e.g. reg9[2] = ${name}(...)`);
    }
  }

  private fieldCall(name: string, spec: ArgSpec, result: { ref: FieldRef; info: RefInfo; tok: Token } | undefined): Action {
    const ts = this.ts;
    if (result === undefined && spec.result !== 'none') ts.error(ts.peek(-1), `${name} returns a value: write R = ${name}(...)`);
    if (result !== undefined) {
      if (spec.result === 'none') ts.error(result.tok, `${name} returns nothing; write it alone: ${name}(...)`);
      if (spec.result === 'bit') this.checkBitResult(name, result);
      if (spec.result === 'outport' && result.info.kind !== 'string') ts.error(result.tok, `${name} stores a port name; write outport = ${name}(...)`);
    }
    const open = ts.expectPunct('(');
    const args: CallArg[] = [];
    while (!ts.isPunct(')')) {
      const { ref } = parseFieldRef(ts);
      args.push({ sep: args.length === 0 ? '' : ',', text: refText(ref) });
      if (!ts.matchPunct(',')) break;
    }
    ts.expectPunct(')');
    if (args.length !== spec.fields) ts.error(open, `${name} takes ${spec.fields} field argument${spec.fields === 1 ? '' : 's'}, not ${args.length}`);
    return { type: 'call', name, args, ...(result !== undefined ? { result: result.ref } : {}), parens: true };
  }

  /** Arguments up to the matching ")", split at top-level "," and ";", each kept as canonical token text. */
  private rawArgs(): CallArg[] {
    const ts = this.ts;
    const args: CallArg[] = [];
    let cur: Token[] = [];
    let sep: CallArg['sep'] = '';
    const stack: string[] = [];
    while (true) {
      const t = ts.peek();
      if (t.type === 'end') return ts.fail([q(stack[stack.length - 1] ?? ')')]);
      if (t.type === 'punct' && stack.length === 0 && (t.text === ')' || t.text === ',' || t.text === ';')) {
        if (cur.length === 0 && (t.text !== ')' || args.length > 0)) ts.fail(['an argument']);
        ts.next();
        if (cur.length > 0) args.push({ sep, text: joinTokens(cur, ts.text) });
        if (t.text === ')') return args;
        sep = t.text;
        cur = [];
        continue;
      }
      if (t.type === 'punct') {
        if (t.text === '(' || t.text === '{' || t.text === '[') stack.push(t.text === '(' ? ')' : t.text === '{' ? '}' : ']');
        else if (t.text === ')' || t.text === '}' || t.text === ']') {
          if (stack[stack.length - 1] !== t.text) ts.fail([q(stack[stack.length - 1] ?? ')')]);
          stack.pop();
        }
      }
      cur.push(ts.next());
    }
  }

  private assignment(blockName: string | undefined): Action {
    const ts = this.ts;
    const dst = parseFieldRef(ts);
    const name = refText(dst.ref);
    if (dst.info.predicate) ts.error(dst.tok, `${dst.ref.name} is a predicate and cannot be assigned`);
    const opTok = ts.next();
    if (opTok.type !== 'punct' || (opTok.text !== '=' && opTok.text !== '<->' && opTok.text !== '--')) {
      return ts.fail(['"="', '"<->"', '"--"'], undefined, opTok);
    }
    if (opTok.text === '--') {
      if (dst.ref.name !== 'ip.ttl' || dst.ref.lo !== undefined) ts.error(dst.tok, `only ip.ttl can be decremented, not ${name}`);
      return { type: 'dec', field: dst.ref };
    }
    if (opTok.text === '<->') {
      this.checkWritable(dst, blockName);
      const src = parseFieldRef(ts);
      this.checkWritable(src, blockName);
      this.checkSameShape(dst, src);
      return { type: 'exchange', a: dst.ref, b: src.ref };
    }
    // "=": a field (move), a function (result), or a constant.
    const v = ts.peek();
    if (v.type === 'id') {
      const isFunction = ts.isPunct('(', 1) || BARE_RESULT_FUNCTIONS.includes(v.text);
      if (isFunction) {
        this.checkWritable(dst, blockName);
        return this.call(dst);
      }
      this.checkWritable(dst, blockName);
      const src = parseFieldRef(ts);
      if (src.info.predicate) ts.error(src.tok, `${src.ref.name} is a predicate, not a field to copy`);
      this.checkSameShape(dst, src);
      return { type: 'move', dst: dst.ref, src: src.ref };
    }
    this.checkWritable(dst, blockName);
    const { c, tok } = parseConstant(ts);
    if (c.kind === 'addrset' || c.kind === 'portgroup') ts.error(tok, `cannot assign a set to ${name}`);
    checkConstant(ts, dst.info, name, c, tok, this.ctx);
    return { type: 'set', dst: dst.ref, value: c };
  }

  private checkWritable(f: { ref: FieldRef; info: RefInfo; tok: Token }, blockName: string | undefined): void {
    const def = f.info.def;
    if (!def.writable) this.ts.error(f.tok, `${def.name} is read-only`, 'see ovn-sb(5): fields such as eth.type, ip.proto and ct_state cannot be set');
    const base = def.pieces[0]?.base;
    if ((base === 'ct_mark' || base === 'ct_label') && blockName !== 'ct_commit') {
      this.ts.error(f.tok, `${def.name} can only be set inside ct_commit { ... }`);
    }
  }

  private checkSameShape(a: { ref: FieldRef; info: RefInfo; tok: Token }, b: { ref: FieldRef; info: RefInfo; tok: Token }): void {
    const sa = a.info.kind === 'string';
    const sb = b.info.kind === 'string';
    if (sa !== sb) this.ts.error(b.tok, `cannot copy between ${refText(a.ref)} and ${refText(b.ref)}: only one is a string field`);
    if (!sa && a.info.width !== b.info.width) {
      this.ts.error(b.tok, `${refText(a.ref)} is ${a.info.width}-bit but ${refText(b.ref)} is ${b.info.width}-bit; widths must match`);
    }
  }
}

const WORDY = new Set(['id', 'int', 'string', 'addrset', 'portgroup']);
const ALL_PUNCT = ['<->', '==', '!=', '<=', '>=', '&&', '||', '..', '--'];

/** Would `a` written right before `b` lex as a longer operator? */
function punctMerges(a: string, b: string): boolean {
  return ALL_PUNCT.some((p) => p.length > a.length && p.startsWith(a) && (a + b).startsWith(p));
}

/** Canonical text of an argument's tokens: words separated by a space, ", " and "; " in nested lists, no other spaces. */
function joinTokens(tokens: readonly Token[], text: string): string {
  let out = '';
  let prev: Token | undefined;
  for (const t of tokens) {
    const raw = text.slice(t.pos, t.end);
    if (prev !== undefined) {
      const prevPunct = prev.type === 'punct' ? prev.text : '';
      const wordPair = WORDY.has(prev.type) && WORDY.has(t.type);
      const wouldMerge = (prev.type === 'punct' && t.type === 'punct' && punctMerges(prevPunct, raw))
        || ((prev.type === 'addrset' || prev.type === 'portgroup' || prev.type === 'id') && t.type === 'punct' && (t.text === '-' || t.text === '--' || t.text === '..'))
        || (prev.type === 'int' && t.type === 'punct' && t.text === '..');
      if (wordPair || wouldMerge || prevPunct === ',' || prevPunct === ';') out += ' ';
    }
    out += raw;
    prev = t;
  }
  return out;
}

/**
 * What the actions add to their flow's match (ovn-sb(5): "assigning to a field with
 * prerequisites implicitly adds those prerequisites to match"): prerequisites of every
 * field read or written at the top level, and "ip" for conntrack NAT and load balancing.
 * Nested blocks (arp { ... }, icmp4 { ... }) act on a new packet, so they add nothing.
 * Returns the texts, deduplicated, in first-use order; AND them with the match.
 */
export function actionPrerequisites(actions: readonly Action[]): string[] {
  const out: string[] = [];
  const add = (text: string | undefined): void => {
    if (text !== undefined && !out.includes(text)) out.push(text);
  };
  const field = (ref: FieldRef): void => add(lookupField(ref.name)?.prerequisite);
  for (const a of actions) {
    switch (a.type) {
      case 'set': field(a.dst); break;
      case 'move': field(a.dst); field(a.src); break;
      case 'exchange': field(a.a); field(a.b); break;
      case 'dec': field(a.field); break;
      case 'ct_nat': case 'ct_lb': add('ip'); break;
      case 'keyword':
        if (['ct_dnat', 'ct_snat', 'ct_dnat_in_czone', 'ct_snat_in_czone', 'ct_lb', 'ct_lb_mark'].includes(a.name)) add('ip');
        break;
      default: break;
    }
  }
  return out;
}

export function parseActionsText(text: string, ctx?: SymbolContext): Action[] {
  return new ActionParser(new TokenStream(text), ctx).parseAll();
}

function formatArgs(args: readonly CallArg[]): string {
  return args.map((a) => (a.sep === '' ? a.text : `${a.sep} ${a.text}`)).join('');
}

function formatBackend(b: Backend): string {
  if (b.port === undefined) return b.ip;
  return b.family === 'ipv6' ? `[${b.ip}]:${b.port}` : `${b.ip}:${b.port}`;
}

function formatAction(a: Action): string {
  switch (a.type) {
    case 'next':
      if (a.pipeline === undefined && a.table === undefined) return 'next;';
      if (a.pipeline === undefined) return `next(${a.table});`;
      return a.table === undefined ? `next(pipeline=${a.pipeline});` : `next(pipeline=${a.pipeline}, table=${a.table});`;
    case 'keyword': return `${a.name};`;
    case 'set': return `${refText(a.dst)} = ${formatConstant(a.value as Constant)};`;
    case 'move': return `${refText(a.dst)} = ${refText(a.src)};`;
    case 'exchange': return `${refText(a.a)} <-> ${refText(a.b)};`;
    case 'dec': return `${refText(a.field)}--;`;
    case 'block': return a.actions.length === 0 ? `${a.name} { };` : `${a.name} { ${formatActions(a.actions)} };`;
    case 'ct_lb': {
      const parts = [`backends=${a.backends.map(formatBackend).join(',')}`];
      if (a.hashFields !== undefined) parts.push(`hash_fields=${JSON.stringify(a.hashFields)}`);
      parts.push(...a.flags);
      return `${a.name}(${parts.join('; ')});`;
    }
    case 'ct_nat': {
      const ports = a.portLo === undefined ? '' : a.portHi === undefined ? `,${a.portLo}` : `,${a.portLo}-${a.portHi}`;
      const flags = a.flags.map((f) => ` ${f}`).join('');
      return `${a.name}(${a.ip}${ports}${flags});`;
    }
    case 'call': {
      const lhs = a.result !== undefined ? `${refText(a.result)} = ` : '';
      return a.parens ? `${lhs}${a.name}(${formatArgs(a.args)});` : `${lhs}${a.name};`;
    }
  }
}

/** Canonical text: each action followed by ";", separated by one space. */
export function formatActions(actions: readonly Action[]): string {
  return actions.map(formatAction).join(' ');
}

export { ExprError };
