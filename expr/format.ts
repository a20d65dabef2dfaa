// expr/format.ts — canonical text of matches and constants.
//
// Owns: how a MatchExpr prints: field first, single spaces around operators, sets as
// "{a, b}", masks as CIDR prefixes where they are prefixes of an IP, parentheses exactly
// where the grammar needs them (nested &&/||, negated comparisons).
// Reads: ast types. Called by: index.ts, actions.ts, northd (via formatMatch) and tests.
// Never: change meaning; parseMatch(formatMatch(e)) deep-equals e for every tree the parser
// can produce (format.test.ts checks this over generated trees).

import type { Conjunction, Constant, MatchExpr } from './ast.js';
import { formatIPv4, formatIPv6, formatMac, maskPrefixLength, type IntFormat } from './lexer.js';
import { lookupField } from './fields.js';
import { refText } from './parser.js';

export function formatInt(value: bigint, format: IntFormat): string {
  switch (format) {
    case 'dec': return value.toString(10);
    case 'hex': return '0x' + value.toString(16);
    case 'mac': return formatMac(value);
    case 'ipv4': return formatIPv4(value);
    case 'ipv6': return formatIPv6(value);
  }
}

export function formatConstant(c: Constant): string {
  switch (c.kind) {
    case 'int': {
      const v = formatInt(c.value, c.format);
      if (c.mask === undefined) return v;
      if (c.format === 'ipv4' || c.format === 'ipv6') {
        const len = maskPrefixLength(c.mask, c.format === 'ipv4' ? 32 : 128);
        if (len !== undefined) return `${v}/${len}`;
      }
      // A decimal mask of an IP would read as a prefix length, so such masks print in the IP's form.
      return `${v}/${formatInt(c.mask, c.format)}`;
    }
    case 'string': return JSON.stringify(c.value);
    case 'addrset': return `$${c.name}`;
    case 'portgroup': return `@${c.name}`;
  }
}

export function formatMatch(e: MatchExpr): string {
  switch (e.type) {
    case 'const': return e.value ? '1' : '0';
    case 'bool': return refText(e.field);
    case 'resident': return `is_chassis_resident(${JSON.stringify(e.port)})`;
    case 'cmp': {
      const rhs = e.set || e.values.length !== 1 ? `{${e.values.map(formatConstant).join(', ')}}` : formatConstant(e.values[0] as Constant);
      return `${refText(e.field)} ${e.op} ${rhs}`;
    }
    case 'range':
      return `${formatConstant(e.lo)} ${e.loOp} ${refText(e.field)} ${e.hiOp} ${formatConstant(e.hi)}`;
    case 'not': {
      const inner = e.expr;
      const s = formatMatch(inner);
      return inner.type === 'cmp' || inner.type === 'range' || inner.type === 'and' || inner.type === 'or' || inner.type === 'not' ? `!(${s})` : `!${s}`;
    }
    case 'and':
    case 'or': {
      if (e.terms.length === 0) return e.type === 'and' ? '1' : '0';
      if (e.terms.length === 1) return formatMatch(e.terms[0] as MatchExpr);
      const op = e.type === 'and' ? ' && ' : ' || ';
      return e.terms.map((t) => (t.type === 'and' || t.type === 'or' ? `(${formatMatch(t)})` : formatMatch(t))).join(op);
    }
  }
}

/**
 * One normalized conjunction as a match over base fields, e.g.
 * `eth.type == 0x800 && reg0 == 0x4/0x6 && inport == "p1"`; a full mask prints without it.
 * The text parses back (as a match over base fields) to the same packets; "1" if empty.
 */
export function formatConjunction(c: Conjunction): string {
  const parts: string[] = [];
  for (const t of c.terms) {
    const def = lookupField(t.field);
    const full = def !== undefined && t.mask === (1n << BigInt(def.width)) - 1n;
    parts.push(`${t.field} == 0x${t.value.toString(16)}${full ? '' : `/0x${t.mask.toString(16)}`}`);
  }
  for (const s of c.strings) {
    const call = s.field === 'is_chassis_resident';
    const text = call ? `is_chassis_resident(${JSON.stringify(s.value)})` : `${s.field} == ${JSON.stringify(s.value)}`;
    parts.push(s.negated ? `!${call ? text : `(${text})`}` : text);
  }
  return parts.length === 0 ? '1' : parts.join(' && ');
}
