// expr/ast.ts — the syntax tree of matches and actions, and the resolver context.
//
// Owns: the data types parse/format/normalize/evaluate share. Pure types, no code.
// Called by: every file of expr/, and by users of the public surface (northd, nbdb, the
// controller).
// Invariants: the tree records meaning, not layout — parentheses, whitespace, comments,
// constant-first comparisons ("80 == tcp.dst") and how a mask was written are not kept, so
// formatMatch(parseMatch(t)) is canonical and parseMatch(formatMatch(e)) deep-equals e.

import type { IntFormat } from './lexer.js';

/** A symbol, optionally narrowed to bits lo..hi ("reg0[0..15]", "reg9[2]": lo = hi = 2). */
export interface FieldRef {
  readonly name: string;
  readonly lo?: number;
  readonly hi?: number;
}

export type Constant =
  /** An integer; `format` is how it prints (dec, hex, mac, ipv4, ipv6). `mask` only where written. */
  | { readonly kind: 'int'; readonly value: bigint; readonly format: IntFormat; readonly mask?: bigint }
  | { readonly kind: 'string'; readonly value: string }
  /** `$name`: an Address_Set (or a Port_Group's derived $pg_ip4 / $pg_ip6). */
  | { readonly kind: 'addrset'; readonly name: string }
  /** `@name`: a Port_Group, i.e. a set of port names. */
  | { readonly kind: 'portgroup'; readonly name: string };

export type EqOp = '==' | '!=';
export type OrderOp = '<' | '<=' | '>' | '>=';
export type RelOp = EqOp | OrderOp;

export type MatchExpr =
  /** `1` or `0`. */
  | { readonly type: 'const'; readonly value: boolean }
  /** field op constant, or field op {set}; `set` says braces were written (always true for >1 value). */
  | { readonly type: 'cmp'; readonly field: FieldRef; readonly op: RelOp; readonly values: readonly Constant[]; readonly set: boolean }
  /** lo <(=) field <(=) hi. */
  | { readonly type: 'range'; readonly field: FieldRef; readonly lo: Constant; readonly loOp: '<' | '<='; readonly hi: Constant; readonly hiOp: '<' | '<=' }
  /** A 1-bit field or subfield, or a predicate, named alone. */
  | { readonly type: 'bool'; readonly field: FieldRef }
  /** is_chassis_resident("port"). */
  | { readonly type: 'resident'; readonly port: string }
  | { readonly type: 'not'; readonly expr: MatchExpr }
  | { readonly type: 'and'; readonly terms: readonly MatchExpr[] }
  | { readonly type: 'or'; readonly terms: readonly MatchExpr[] };

/** Resolves the names a match may refer to that live in the database, not in the text. */
export interface SymbolContext {
  /** Address_Set contents (and Port_Group-derived `pg_ip4` / `pg_ip6`), or undefined if unknown. */
  readonly addressSets: (name: string) => readonly string[] | undefined;
  /** Port_Group member port names, or undefined if unknown. */
  readonly portGroups: (name: string) => readonly string[] | undefined;
  /** Where is_chassis_resident() is evaluated (the controller's view); false when absent. */
  readonly isChassisResident?: (port: string) => boolean;
}

/** A packet (and its metadata) by base field name; absent integer fields read as 0, strings as "". */
export type FieldValues = { readonly [baseField: string]: bigint | string | undefined };

// ---------------------------------------------------------------- normalized form

/** (packet.field & mask) == value, over a base field. */
export interface Term {
  readonly field: string;
  readonly value: bigint;
  readonly mask: bigint;
}

/** A string test: inport/outport equal (or, negated, not equal) to a name; or is_chassis_resident. */
export interface StringTerm {
  readonly field: string;
  readonly value: string;
  readonly negated: boolean;
}

/** All terms hold. An empty conjunction matches every packet. */
export interface Conjunction {
  /** At most one per base field, sorted by field name. */
  readonly terms: readonly Term[];
  /** Sorted by field, then value. */
  readonly strings: readonly StringTerm[];
}

// ---------------------------------------------------------------- actions

export interface CallArg {
  /** Separator written before this argument (',' or ';'); '' for the first. */
  readonly sep: '' | ',' | ';';
  /** Canonical text of the argument's tokens ("backends=10.0.0.2:80", "name=\"acl1\""). */
  readonly text: string;
}

export interface Backend {
  readonly ip: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly port?: number;
}

export type Action =
  /** next; next(N); next(pipeline=P, table=N). */
  | { readonly type: 'next'; readonly pipeline?: 'ingress' | 'egress'; readonly table?: number }
  /** A bare keyword: output, drop, ct_next, ct_clear, ct_dnat, ct_snat, ct_lb, tcp_reset, ... */
  | { readonly type: 'keyword'; readonly name: string }
  /** field = constant (a masked constant sets only the mask's bits). */
  | { readonly type: 'set'; readonly dst: FieldRef; readonly value: Constant }
  /** field1 = field2. */
  | { readonly type: 'move'; readonly dst: FieldRef; readonly src: FieldRef }
  /** field1 <-> field2. */
  | { readonly type: 'exchange'; readonly a: FieldRef; readonly b: FieldRef }
  /** ip.ttl--. */
  | { readonly type: 'dec'; readonly field: FieldRef }
  /** name { actions }; — arp, nd_na, icmp4, clone, ct_commit, ... */
  | { readonly type: 'block'; readonly name: string; readonly actions: readonly Action[] }
  /** ct_lb(backends=...; hash_fields="..."; flag) and ct_lb_mark(...). */
  | { readonly type: 'ct_lb'; readonly name: 'ct_lb' | 'ct_lb_mark'; readonly backends: readonly Backend[]; readonly hashFields?: string; readonly flags: readonly string[] }
  /** ct_dnat(IP[,PORT[-PORT]] [flags]), ct_snat(...), and their _in_czone forms (bare forms are keywords). */
  | { readonly type: 'ct_nat'; readonly name: 'ct_dnat' | 'ct_snat' | 'ct_dnat_in_czone' | 'ct_snat_in_czone'; readonly ip: string; readonly family: 'ipv4' | 'ipv6'; readonly portLo?: number; readonly portHi?: number; readonly flags: readonly string[] }
  /** Any other function-style action, arguments kept as text: [result =] name(args). */
  | { readonly type: 'call'; readonly name: string; readonly args: readonly CallArg[]; readonly result?: FieldRef; readonly parens: boolean };
