// expr/arbitrary.ts — fast-check generators of match trees over small fields (tests only).
//
// Owns: random MatchExpr trees shaped like the parser's output (so format/parse round trips
// apply) over a caller-chosen handful of narrow fields, the exhaustive packet domain that
// goes with them, and random action lists in canonical form. Used by expr's tests and, later, the controller's classifier tests.
// Never: imported by production code (fast-check is a dev dependency); not exported from
// index.ts.

import fc from 'fast-check';
import type { Action, Backend, Constant, FieldRef, FieldValues, MatchExpr } from './ast.js';
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

// ---------------------------------------------------------------- actions

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const ipv6 = fc.constantFrom('fd00::1', 'fe80::a:b', '2001:db8::8:800:200c:417a', '::1');
const mac = fc.constantFrom('00:00:00:00:00:01', '0a:58:0a:f4:00:01', 'ff:ff:ff:ff:ff:ff');
const ARG_TEXTS = ['name="acl1"', 'severity=info', 'verdict=drop', '100', 'event="empty_lb_backends"', 'dns_server={8.8.8.8, 7.7.7.7}', 'meter=""', 'x=[1, 2]'];

/** A parsed-and-printed constant for a typed destination. */
function setAction(): fc.Arbitrary<Action> {
  const c = (value: bigint, format: IntFormat, mask?: bigint): Constant => ({ kind: 'int', value, format, ...(mask !== undefined ? { mask } : {}) });
  return fc.oneof(
    fc.tuple(fc.bigInt({ min: 0n, max: 255n }), fc.constantFrom<IntFormat>('dec', 'hex')).map(([v, f]): Action => ({ type: 'set', dst: { name: 'reg0', lo: 0, hi: 7 }, value: c(v, f) })),
    fc.tuple(fc.bigInt({ min: 0n, max: 7n }), fc.bigInt({ min: 1n, max: 7n })).map(([v, m]): Action => ({ type: 'set', dst: { name: 'vlan.pcp' }, value: c(v & m, 'dec', m) })),
    fc.constantFrom('p1', 'lsp-2', '').map((v): Action => ({ type: 'set', dst: { name: 'outport' }, value: { kind: 'string', value: v } })),
    fc.boolean().map((b): Action => ({ type: 'set', dst: { name: 'flags.loopback' }, value: c(b ? 1n : 0n, 'dec') })),
    mac.map((m): Action => ({ type: 'set', dst: { name: 'eth.dst' }, value: c(BigInt('0x' + m.replaceAll(':', '')), 'mac') })),
    ipv4.map((ip): Action => ({ type: 'set', dst: { name: 'ip4.dst' }, value: c(ip.split('.').reduce((a, o) => (a << 8n) | BigInt(o), 0n), 'ipv4') })),
  );
}

export function actionArbitrary(): fc.Arbitrary<Action[]> {
  const simple: fc.Arbitrary<Action> = fc.oneof(
    fc.constant<Action>({ type: 'next' }),
    fc.nat(255).map((table): Action => ({ type: 'next', table })),
    fc.tuple(fc.constantFrom<'ingress' | 'egress'>('ingress', 'egress'), fc.option(fc.nat(255), { nil: undefined }))
      .map(([pipeline, table]): Action => ({ type: 'next', pipeline, ...(table !== undefined ? { table } : {}) })),
    fc.constantFrom('output', 'ct_next', 'ct_clear', 'ct_dnat', 'ct_snat', 'ct_lb_mark', 'ct_commit_nat', 'igmp').map((name): Action => ({ type: 'keyword', name })),
    setAction(),
    fc.constantFrom<[FieldRef, FieldRef]>([{ name: 'eth.src' }, { name: 'eth.dst' }], [{ name: 'outport' }, { name: 'inport' }], [{ name: 'reg2' }, { name: 'ip4.src' }], [{ name: 'xxreg1' }, { name: 'ip6.dst' }])
      .chain(([a, b]) => fc.constantFrom<Action>({ type: 'move', dst: a, src: b }, { type: 'exchange', a, b })),
    fc.constant<Action>({ type: 'dec', field: { name: 'ip.ttl' } }),
    fc.tuple(fc.array(fc.oneof(
      ipv4.map((ip): Backend => ({ ip, family: 'ipv4' })),
      fc.tuple(ipv4, fc.nat(65535)).map(([ip, port]): Backend => ({ ip, family: 'ipv4', port })),
      fc.tuple(ipv6, fc.option(fc.nat(65535), { nil: undefined })).map(([ip, port]): Backend => ({ ip, family: 'ipv6', ...(port !== undefined ? { port } : {}) })),
    ), { maxLength: 3 }), fc.constantFrom<'ct_lb' | 'ct_lb_mark'>('ct_lb', 'ct_lb_mark'), fc.option(fc.constantFrom('ip_src,ip_dst', 'eth_src'), { nil: undefined }), fc.subarray(['skip_snat', 'force_snat']))
      .map(([backends, name, hashFields, flags]): Action => ({ type: 'ct_lb', name, backends, ...(hashFields !== undefined ? { hashFields } : {}), flags })),
    fc.tuple(fc.constantFrom<'ct_dnat' | 'ct_snat' | 'ct_dnat_in_czone' | 'ct_snat_in_czone'>('ct_dnat', 'ct_snat', 'ct_dnat_in_czone', 'ct_snat_in_czone'),
      fc.oneof(ipv4.map((ip) => ({ ip, family: 'ipv4' as const })), ipv6.map((ip) => ({ ip, family: 'ipv6' as const }))),
      fc.option(fc.tuple(fc.integer({ min: 1, max: 60000 }), fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined })), { nil: undefined }),
      fc.subarray(['random', 'persistent']))
      .map(([name, ip, ports, flags]): Action => ({
        type: 'ct_nat', name, ...ip,
        ...(ports !== undefined ? { portLo: ports[0], ...(ports[1] !== undefined ? { portHi: ports[0] + ports[1] } : {}) } : {}), flags,
      })),
    fc.tuple(fc.constantFrom('log', 'set_meter', 'trigger_event', 'loom_custom'), fc.array(fc.tuple(fc.constantFrom<',' | ';'>(',', ';'), fc.constantFrom(...ARG_TEXTS)), { maxLength: 3 }),
      fc.option(fc.constant<FieldRef>({ name: 'reg0' }), { nil: undefined }))
      .map(([name, args, result]): Action => ({
        type: 'call', name, parens: true, args: args.map(([sep, text], i) => ({ sep: i === 0 ? '' : sep, text })), ...(result !== undefined ? { result } : {}),
      })),
    fc.constant<Action>({ type: 'call', name: 'put_arp', parens: true, args: [{ sep: '', text: 'inport' }, { sep: ',', text: 'arp.spa' }, { sep: ',', text: 'arp.sha' }] }),
    fc.constant<Action>({ type: 'call', name: 'lookup_nd', parens: true, result: { name: 'reg9', lo: 2, hi: 2 }, args: [{ sep: '', text: 'inport' }, { sep: ',', text: 'ip6.src' }, { sep: ',', text: 'nd.sll' }] }),
  );
  const { list } = fc.letrec<{ list: Action[]; action: Action }>((tie) => ({
    action: fc.oneof({ depthSize: 'small', maxDepth: 3 }, simple,
      fc.tuple(fc.constantFrom('arp', 'nd_na', 'icmp4', 'icmp6_error', 'clone', 'tcp_reset', 'reject'), tie('list'))
        .map(([name, actions]): Action => ({ type: 'block', name, actions }))),
    list: fc.array(tie('action'), { maxLength: 4 }),
  }));
  return list;
}
