// expr/lexer.ts — turns match and action text into tokens.
//
// Owns: the lexical syntax shared by matches and actions (ovn-sb(5) "Logical_Flow"):
// identifiers with dots (ip4.src, ct.new), integers in decimal/hex/MAC/IPv4/IPv6 form with
// an optional /mask or /prefix written without spaces, JSON strings, $address_set,
// @port_group, operators, and // and /* */ comments.
// Reads: nothing. Called by: parser.ts and actions.ts.
// Never: decide meaning (whether a MAC fits a field is the parser's business).
// Invariants: every token carries its 0-based [pos, end) in the source; the token stream
// always ends with one 'end' token; bad input throws ExprError, nothing else.

import { ExprError, q } from './error.js';

export type IntFormat = 'dec' | 'hex' | 'mac' | 'ipv4' | 'ipv6';

export type Punct =
  | '(' | ')' | '{' | '}' | '[' | ']' | ',' | ';' | ':' | '-' | '--'
  | '=' | '==' | '!=' | '!' | '<' | '<=' | '>' | '>=' | '<->' | '&&' | '||' | '..';

export type Token =
  | { readonly type: 'id'; readonly text: string; readonly pos: number; readonly end: number }
  | { readonly type: 'int'; readonly value: bigint; readonly format: IntFormat; readonly mask?: bigint; readonly prefix?: number; readonly pos: number; readonly end: number }
  | { readonly type: 'string'; readonly value: string; readonly pos: number; readonly end: number }
  | { readonly type: 'addrset' | 'portgroup'; readonly name: string; readonly pos: number; readonly end: number }
  | { readonly type: 'punct'; readonly text: Punct; readonly pos: number; readonly end: number }
  | { readonly type: 'end'; readonly pos: number; readonly end: number };

const PUNCT3: readonly Punct[] = ['<->'];
const PUNCT2: readonly Punct[] = ['==', '!=', '<=', '>=', '&&', '||', '..', '--'];
const PUNCT1: readonly Punct[] = ['(', ')', '{', '}', '[', ']', ',', ';', ':', '-', '=', '!', '<', '>'];

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHex = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
const isIdStart = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdChar = (c: string): boolean => isIdStart(c) || isDigit(c) || c === '.';
const isNameChar = (c: string): boolean => isIdStart(c) || isDigit(c) || c === '.' || c === '-';

/** Tokenizes all of `text`; throws ExprError at the first bad character. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (true) {
    // whitespace and comments
    while (i < n) {
      const c = text[i] ?? '';
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '/' && text[i + 1] === '/') {
        while (i < n && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const close = text.indexOf('*/', i + 2);
        const nl = text.indexOf('\n', i + 2);
        if (close < 0 || (nl >= 0 && nl < close)) {
          throw new ExprError({ text, position: i, syntax: true, detail: 'unterminated comment: "/*" needs "*/" on the same line', expected: ['*/'] });
        }
        i = close + 2;
      } else break;
    }
    if (i >= n) {
      out.push({ type: 'end', pos: n, end: n });
      return out;
    }
    const c = text[i] ?? '';
    const start = i;
    if (c === '"') {
      const [value, end] = lexString(text, i);
      out.push({ type: 'string', value, pos: start, end });
      i = end;
      continue;
    }
    if (c === '$' || c === '@') {
      let j = i + 1;
      while (j < n && isNameChar(text[j] ?? '')) j++;
      if (j === i + 1 || !isIdStart(text[i + 1] ?? '')) {
        throw new ExprError({
          text, position: i, syntax: true,
          detail: c === '$' ? 'expected an address set name after "$"' : 'expected a port group name after "@"',
          expected: ['name'],
        });
      }
      out.push({ type: c === '$' ? 'addrset' : 'portgroup', name: text.slice(i + 1, j), pos: start, end: j });
      i = j;
      continue;
    }
    if (isDigit(c) || (c === ':' && text[i + 1] === ':') || (isHex(c) && looksLikeHexColon(text, i))) {
      const tok = lexNumber(text, i);
      out.push(tok);
      i = tok.end;
      continue;
    }
    if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdChar(text[j] ?? '')) j++;
      // "reg0[0..15]" never reaches here with dots inside; but "a.." must not eat "..".
      while (j > i + 1 && text[j - 1] === '.') j--;
      out.push({ type: 'id', text: text.slice(i, j), pos: start, end: j });
      i = j;
      continue;
    }
    const p = matchPunct(text, i);
    if (p === undefined) {
      throw new ExprError({ text, position: i, syntax: true, detail: `unexpected character ${q(c)}` });
    }
    out.push({ type: 'punct', text: p, pos: start, end: i + p.length });
    i += p.length;
  }
}

function matchPunct(text: string, i: number): Punct | undefined {
  for (const set of [PUNCT3, PUNCT2, PUNCT1]) {
    for (const p of set) if (text.startsWith(p, i)) return p;
  }
  return undefined;
}

/** A token starting with a hex letter is a number only if it is a MAC or IPv6 ("fe80::1", "aa:bb:..."). */
function looksLikeHexColon(text: string, i: number): boolean {
  let j = i;
  while (j < text.length && isHex(text[j] ?? '')) j++;
  return text[j] === ':';
}

function lexString(text: string, i: number): [string, number] {
  let j = i + 1;
  let out = '';
  while (true) {
    const c = text[j];
    if (c === undefined || c === '\n') {
      throw new ExprError({ text, position: i, syntax: true, detail: 'unterminated string', expected: ['"'] });
    }
    if (c === '"') return [out, j + 1];
    if (c === '\\') {
      const e = text[j + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        j += 2;
        continue;
      }
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(j + 2, j + 6))) {
        out += String.fromCharCode(parseInt(text.slice(j + 2, j + 6), 16));
        j += 6;
        continue;
      }
      throw new ExprError({ text, position: j, syntax: true, detail: 'bad escape in string (allowed: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)' });
    }
    if (c < ' ') throw new ExprError({ text, position: j, syntax: true, detail: 'control character in string' });
    out += c;
    j++;
  }
}

interface Num { readonly value: bigint; readonly format: IntFormat; readonly end: number }

const MAC_RE = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}/;
const IPV4_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})/;

/** One constant at `i` (without mask): MAC, IPv6, IPv4, hex or decimal, longest valid form first. */
function lexPlainNumber(text: string, i: number): Num {
  const rest = text.slice(i);
  // The span of characters any numeric form could use; IPv6 takes all of it (use [v6]:port).
  const span = /^[0-9a-fA-FxX.:]*/.exec(rest)?.[0] ?? '';
  const mac = MAC_RE.exec(rest);
  if (mac !== null && !/^[0-9a-fA-F:]/.test(rest.slice(mac[0].length))) {
    return { value: BigInt('0x' + mac[0].split(':').map((b) => b.padStart(2, '0')).join('')), format: 'mac', end: i + mac[0].length };
  }
  if (span.includes(':')) {
    // Strip a trailing "." or ".." (a range) before trying IPv6.
    const v6text = span.replace(/\.+$/, '');
    const v6 = parseIPv6(v6text);
    if (v6 !== null) return { value: v6, format: 'ipv6', end: i + v6text.length };
  }
  const v4 = IPV4_RE.exec(rest);
  if (v4 !== null && !/^[0-9]/.test(rest.slice(v4[0].length))) {
    const parts = v4.slice(1, 5).map(Number);
    if (parts.every((p) => p <= 255)) {
      const value = parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
      return { value, format: 'ipv4', end: i + v4[0].length };
    }
    throw new ExprError({ text, position: i, syntax: true, detail: `invalid IPv4 address ${q(v4[0])}` });
  }
  const hex = /^0[xX]([0-9a-fA-F]+)/.exec(rest);
  if (hex !== null) return { value: BigInt('0x' + (hex[1] ?? '0')), format: 'hex', end: i + hex[0].length };
  if (/^0[xX]/.test(rest)) throw new ExprError({ text, position: i, syntax: true, detail: 'hex constant needs digits after "0x"' });
  const dec = /^\d+/.exec(rest);
  if (dec !== null && dec[0].length > 1 && dec[0].startsWith('0')) {
    throw new ExprError({ text, position: i, syntax: true, detail: `decimal constants must not have leading zeros: ${q(dec[0])}`, hint: 'write 0x... for hexadecimal' });
  }
  if (dec !== null) return { value: BigInt(dec[0]), format: 'dec', end: i + dec[0].length };
  throw new ExprError({ text, position: i, syntax: true, detail: `invalid numeric constant ${q(span || (text[i] ?? ''))}` });
}

function lexNumber(text: string, i: number): Token & { type: 'int' } {
  const v = lexPlainNumber(text, i);
  let end = v.end;
  checkNumberEnd(text, end, i);
  if (text[end] === '/' && text[end + 1] !== '/' && text[end + 1] !== '*') {
    const mstart = end + 1;
    const c = text[mstart] ?? '';
    if (!(isDigit(c) || (c === ':' && text[mstart + 1] === ':') || (isHex(c) && looksLikeHexColon(text, mstart)))) {
      throw new ExprError({ text, position: mstart, syntax: true, detail: 'expected a mask or prefix length after "/"', expected: ['mask'] });
    }
    const m = lexPlainNumber(text, mstart);
    end = m.end;
    checkNumberEnd(text, end, mstart);
    let mask = m.value;
    let prefix: number | undefined;
    if ((v.format === 'ipv4' || v.format === 'ipv6') && m.format === 'dec') {
      const bits = v.format === 'ipv4' ? 32 : 128;
      if (m.value > BigInt(bits)) {
        throw new ExprError({ text, position: mstart, syntax: true, detail: `prefix length ${m.value} is longer than ${bits} bits` });
      }
      prefix = Number(m.value);
      mask = prefixMask(prefix, bits);
    }
    // OVN accepts host bits under a mask (10.0.0.1/24 means 10.0.0.0/24): only masked bits count.
    return { type: 'int', value: v.value & mask, format: v.format, mask, ...(prefix !== undefined ? { prefix } : {}), pos: i, end };
  }
  return { type: 'int', value: v.value, format: v.format, pos: i, end };
}

function checkNumberEnd(text: string, end: number, start: number): void {
  const c = text[end] ?? '';
  if (isIdChar(c) && !(c === '.' && text[end + 1] === '.')) {
    let j = end;
    while (j < text.length && /[0-9a-zA-Z_.:]/.test(text[j] ?? '')) j++;
    throw new ExprError({ text, position: start, syntax: true, detail: `invalid numeric constant ${q(text.slice(start, j))}` });
  }
}

/** The mask with the top `len` of `bits` bits set. */
export function prefixMask(len: number, bits: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return len === 0 ? 0n : (all >> BigInt(bits - len)) << BigInt(bits - len);
}

/** Prefix length of `mask` over `bits`, or undefined if it is not a prefix mask. */
export function maskPrefixLength(mask: bigint, bits: number): number | undefined {
  for (let len = 0; len <= bits; len++) if (prefixMask(len, bits) === mask) return len;
  return undefined;
}

/** RFC 4291 text form (with :: and a trailing dotted quad) to a 128-bit integer, or null. */
export function parseIPv6(s: string): bigint | null {
  if (s.length === 0 || s.length > 45) return null;
  let tail: number[] = [];
  let body = s;
  const v4 = /(?:^|:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (v4 !== null) {
    const parts = (v4[1] ?? '').split('.').map(Number);
    if (!parts.every((p) => p <= 255)) return null;
    tail = [((parts[0] ?? 0) << 8) | (parts[1] ?? 0), ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)];
    body = s.slice(0, s.length - (v4[1] ?? '').length);
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1);
  }
  const parseGroups = (t: string): number[] | null => {
    if (t === '') return [];
    const gs = t.split(':');
    const out: number[] = [];
    for (const g of gs) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  let groups: number[];
  const dbl = body.indexOf('::');
  if (dbl >= 0) {
    if (body.indexOf('::', dbl + 1) >= 0) return null;
    const head = parseGroups(body.slice(0, dbl));
    const rest = parseGroups(body.slice(dbl + 2));
    if (head === null || rest === null) return null;
    const fill = 8 - head.length - rest.length - tail.length;
    if (fill < 1) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  } else {
    const all = parseGroups(body);
    if (all === null) return null;
    groups = [...all, ...tail];
    if (groups.length !== 8) return null;
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** RFC 5952 canonical text of a 128-bit integer. */
export function formatIPv6(v: bigint): string {
  const groups: number[] = [];
  for (let k = 7; k >= 0; k--) groups.push(Number((v >> BigInt(k * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let s = 0; s < 8; ) {
    if (groups[s] !== 0) { s++; continue; }
    let e = s;
    while (e < 8 && groups[e] === 0) e++;
    if (e - s > bestLen && e - s >= 2) { bestStart = s; bestLen = e - s; }
    s = e;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
}

export function formatMac(v: bigint): string {
  const out: string[] = [];
  for (let k = 5; k >= 0; k--) out.push(((v >> BigInt(k * 8)) & 0xffn).toString(16).padStart(2, '0'));
  return out.join(':');
}

/** Text of a token as messages show it ("found ..."). */
export function describeToken(t: Token, text: string): string {
  if (t.type === 'end') return 'end of input';
  // A string token is shown as written: it carries its own quotes.
  if (t.type === 'string') return text.slice(t.pos, t.end);
  return q(text.slice(t.pos, t.end));
}
