// normalize keeps meaning: for random matches over narrow fields, the reference evaluator
// and the normalized conjunctions agree on every packet of the (exhaustive) small domain.
// Plus golden expansions: prerequisites, sets, address sets, port groups, ranges, limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { bitValues, matchArbitrary, packets, type Domain } from './arbitrary.js';
import {
  complementPrefixes, unionPrefixes, evaluate, evaluateConjunctions, ExprError, formatConjunction, formatMatch, normalize, parseMatch, prefixes,
  type Conjunction, type FieldValues, type MatchExpr, type SymbolContext,
} from './index.js';

const ctx: SymbolContext = {
  addressSets: (n) => ({ s: ['1', '6', '0x4/0x6'], e: [], web: ['10.0.0.1', '10.0.1.0/24'], v6: ['fe80::1'], mixed: ['10.0.0.9', 'fe80::1'], bad: ['10.0.0.300'] } as Record<string, string[]>)[n],
  portGroups: (n) => ({ pg: ['a', 'b'], none: [] } as Record<string, string[]>)[n],
  isChassisResident: (p) => p === 'a',
};

/** reg0 bits, inport, logical flags and is_chassis_resident. */
const DOMAIN_A: Domain = {
  ints: [
    { ref: { name: 'reg0', lo: 0, hi: 2 }, width: 3, sets: ['s', 'e'] },
    { ref: { name: 'reg0', lo: 3, hi: 4 }, width: 2 },
    { ref: { name: 'reg0', lo: 2, hi: 3 }, width: 2 },
    // Spans two registers: xreg0 = reg0 (high) : reg1 (low), so bits 30..33 are reg1[30..31], reg0[0..1].
    { ref: { name: 'xreg0', lo: 30, hi: 33 }, width: 4 },
  ],
  bools: [{ name: 'flags.loopback' }, { name: 'reg0', lo: 4, hi: 4 }, { name: 'xxreg0', lo: 63, hi: 63 }],
  strings: [{ field: 'inport', values: ['a', 'b', 'c'], groups: ['pg', 'none'] }],
  residents: ['a', 'b'],
};
const PACKETS_A = packets({ reg0: bitValues([0, 1, 2, 3, 4]), reg1: bitValues([30, 31]), inport: ['a', 'b', 'c', ''], flags: bitValues([0]), reg2: bitValues([31]) });

/** Fields with prerequisites and predicates: ct.* (ct.trk), vlan.pcp (vlan.present). */
const DOMAIN_B: Domain = {
  ints: [
    { ref: { name: 'vlan.pcp' }, width: 3 },
    { ref: { name: 'reg0', lo: 0, hi: 1 }, width: 2 },
    { ref: { name: 'ct_state', lo: 0, hi: 1 }, width: 2 },
  ],
  bools: [{ name: 'ct.new' }, { name: 'ct.est' }, { name: 'ct.trk' }, { name: 'vlan.present' }],
  strings: [],
  residents: [],
};
const PACKETS_B = packets({ ct_state: bitValues([0, 1, 5]), 'vlan.tci': bitValues([12, 13, 14, 15]), reg0: bitValues([0, 1]) });

/** L3/L4 predicates and their chained prerequisites (tcp.dst needs tcp needs ip needs ip4 || ip6). */
const DOMAIN_C: Domain = {
  ints: [{ ref: { name: 'tcp.dst', lo: 0, hi: 1 }, width: 2 }, { ref: { name: 'udp.src', lo: 0, hi: 1 }, width: 2 }],
  bools: ['tcp', 'udp', 'ip4', 'ip6', 'ip', 'icmp4', 'icmp', 'arp', 'sctp'].map((name) => ({ name })),
  strings: [],
  residents: [],
};
const PACKETS_C = packets({ 'eth.type': [0x800n, 0x86ddn, 0x806n, 0n], 'ip.proto': [6n, 17n, 1n, 58n], 'tcp.dst': [0n, 1n, 2n, 3n], 'udp.src': [0n, 3n] });

function agreeEverywhere(e: MatchExpr, pkts: readonly FieldValues[]): void {
  const conj = normalize(e, ctx);
  for (const p of pkts) {
    const want = evaluate(e, p, ctx);
    const got = evaluateConjunctions(conj, p, ctx);
    if (want !== got) assert.fail(`${formatMatch(e)}: evaluate=${want} normalized=${got} for ${JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v))}`);
  }
  checkShape(conj);
}

function checkShape(conj: readonly Conjunction[]): void {
  for (const c of conj) {
    const fields = c.terms.map((t) => t.field);
    assert.deepEqual(fields, [...new Set(fields)].sort(), 'one sorted term per base field');
    for (const t of c.terms) assert.equal(t.value & ~t.mask, 0n, `value inside mask for ${t.field}`);
  }
}

test('normalize agrees with evaluate on every packet (reg0 bits, inport, sets, groups, residency)', () => {
  fc.assert(fc.property(matchArbitrary(DOMAIN_A), (e) => agreeEverywhere(e, PACKETS_A)), { numRuns: 300, seed: 4242 });
});

test('normalize agrees with evaluate on every packet (prerequisites and predicates)', () => {
  fc.assert(fc.property(matchArbitrary(DOMAIN_B), (e) => agreeEverywhere(e, PACKETS_B)), { numRuns: 300, seed: 777 });
});

test('normalize agrees with evaluate on every packet (L3/L4 predicates and prerequisite chains)', () => {
  fc.assert(fc.property(matchArbitrary(DOMAIN_C), (e) => agreeEverywhere(e, PACKETS_C)), { numRuns: 300, seed: 99 });
});

test('format/parse round trip over generated trees', () => {
  for (const [d, seed] of [[DOMAIN_A, 1], [DOMAIN_B, 2], [DOMAIN_C, 3]] as const) {
    fc.assert(fc.property(matchArbitrary(d), (e) => {
      assert.deepEqual(parseMatch(formatMatch(e), ctx), e);
    }), { numRuns: 400, seed });
  }
});

const hex = (c: readonly Conjunction[]): string[] =>
  c.map((x) => [...x.terms.map((t) => `${t.field}=0x${t.value.toString(16)}/0x${t.mask.toString(16)}`), ...x.strings.map((s) => `${s.field}${s.negated ? '!=' : '=='}${s.value}`)].join(' '));
const norm = (text: string): string[] => hex(normalize(parseMatch(text, ctx), ctx));

test('prerequisites are implied, also under negation', () => {
  assert.deepEqual(norm('tcp.dst == 80'), [
    'eth.type=0x800/0xffff ip.proto=0x6/0xff tcp.dst=0x50/0xffff',
    'eth.type=0x86dd/0xffff ip.proto=0x6/0xff tcp.dst=0x50/0xffff',
  ]);
  // "tcp.dst != 80" still requires TCP: every conjunction carries the prerequisite.
  const ne = normalize(parseMatch('tcp.dst != 80'), ctx);
  assert.equal(ne.length, 32);
  for (const c of ne) assert.ok(c.terms.some((t) => t.field === 'ip.proto' && t.value === 6n));
  assert.deepEqual(norm('ct.new'), ['ct_state=0x21/0x21']);
  assert.deepEqual(norm('!ct.new'), ['ct_state=0x20/0x21']);
  assert.deepEqual(norm('icmp4.type == 8'), ['eth.type=0x800/0xffff icmp4.type=0x8/0xff ip.proto=0x1/0xff']);
  assert.deepEqual(norm('vlan.vid == 5'), ['vlan.tci=0x1005/0x1fff']);
  assert.deepEqual(norm('nd.sll == 00:00:00:00:00:01'), ['eth.type=0x86dd/0xffff icmp6.code=0x0/0xff icmp6.type=0x87/0xff ip.proto=0x3a/0xff ip.ttl=0xff/0xff nd.sll=0x1/0xffffffffffff']);
});

test('sets, CIDRs, ranges and contradictions', () => {
  assert.deepEqual(norm('ip4.dst == {10.0.0.0/8, 10.1.0.0/16}'), ['eth.type=0x800/0xffff ip4.dst=0xa000000/0xff000000']);
  assert.deepEqual(norm('1 <= tcp.src <= 6 && tcp'), [
    'eth.type=0x800/0xffff ip.proto=0x6/0xff tcp.src=0x1/0xffff',
    'eth.type=0x800/0xffff ip.proto=0x6/0xff tcp.src=0x2/0xfffe',
    'eth.type=0x800/0xffff ip.proto=0x6/0xff tcp.src=0x4/0xfffe',
    'eth.type=0x800/0xffff ip.proto=0x6/0xff tcp.src=0x6/0xffff',
    'eth.type=0x86dd/0xffff ip.proto=0x6/0xff tcp.src=0x1/0xffff',
    'eth.type=0x86dd/0xffff ip.proto=0x6/0xff tcp.src=0x2/0xfffe',
    'eth.type=0x86dd/0xffff ip.proto=0x6/0xff tcp.src=0x4/0xfffe',
    'eth.type=0x86dd/0xffff ip.proto=0x6/0xff tcp.src=0x6/0xffff',
  ]);
  assert.deepEqual(norm('ip4 && ip6'), []);
  assert.deepEqual(norm('inport == "a" && inport == "b"'), []);
  assert.deepEqual(norm('inport == "a" && inport != "b"'), ['inport==a']);
  assert.deepEqual(norm('1'), ['']);
  assert.deepEqual(norm('0'), []);
  assert.deepEqual(norm('tcp.dst == {}'), []);
  assert.deepEqual(norm('reg0 == 1 || reg0[0] == 1'), ['reg0=0x1/0x1']);
  assert.deepEqual(norm('xxreg0 == ::1:2'), ['reg0=0x0/0xffffffff reg1=0x0/0xffffffff reg2=0x0/0xffffffff reg3=0x10002/0xffffffff']);
  assert.deepEqual(norm('xreg0[16..47] == 0xaabbccdd'), ['reg0=0xaabb/0xffff reg1=0xccdd0000/0xffff0000']);
});

test('address sets and port groups expand through the context', () => {
  assert.deepEqual(norm('ip4.src == $web'), ['eth.type=0x800/0xffff ip4.src=0xa000001/0xffffffff', 'eth.type=0x800/0xffff ip4.src=0xa000100/0xffffff00']);
  assert.deepEqual(norm('inport == @pg'), ['inport==a', 'inport==b']);
  assert.deepEqual(norm('inport != @pg'), ['inport!=a inport!=b']);
  assert.deepEqual(norm('outport == @none'), []);
  assert.deepEqual(norm('ip4.src == $e'), []);
  assert.deepEqual(norm('is_chassis_resident("x") && !is_chassis_resident("y")'), ['is_chassis_resident==x is_chassis_resident!=y']);
  // An entry of the other family can never equal the field: skipped, which keeps == and != exact.
  assert.deepEqual(norm('ip4.src == $mixed'), ['eth.type=0x800/0xffff ip4.src=0xa000009/0xffffffff']);
  assert.deepEqual(norm('ip6.src == $mixed'), ['eth.type=0x86dd/0xffff ip6.src=0xfe800000000000000000000000000001/0xffffffffffffffffffffffffffffffff']);
  assert.deepEqual(norm('ip4.src == $v6'), []);
  assert.equal(normalize(parseMatch('ip4.src != $v6'), ctx).length, 1);
  assert.throws(() => normalize(parseMatch('ip4.src == $bad'), ctx), (e: unknown) => {
    assert.ok(e instanceof ExprError);
    assert.equal(e.message, 'error: address set $bad entry "10.0.0.300": syntax error at column 1: invalid IPv4 address "10.0.0.300"');
    return true;
  });
  assert.throws(() => normalize(parseMatch('reg0[0..3] == $web'), ctx), /address set \$web entry "10.0.0.1": error at column 1: "10.0.0.1" does not fit in reg0\[0..3\], a 4-bit field/);
  assert.throws(() => normalize(parseMatch('ip4.src == $missing'), ctx), /unknown address set \$missing/);
  assert.throws(() => normalize(parseMatch('inport == @missing'), ctx), /unknown port group @missing/);
});

test('blow-up is bounded with a clear error', () => {
  const many = (n: number): string => `{${Array.from({ length: n }, (_, i) => 2 * i + 1).join(', ')}}`; // odd numbers: no two merge
  const text = `tcp.src == ${many(120)} && tcp.dst == ${many(100)}`;
  assert.throws(() => normalize(parseMatch(text), ctx), (e: unknown) => {
    assert.ok(e instanceof ExprError);
    assert.match(e.message, /^error: match expands to more than 10000 conjunctions \(reached \d+\)$/);
    assert.equal(e.hint, 'split it into several flows, prefer == with sets over != with sets, or use narrower ranges');
    return true;
  });
  assert.throws(() => normalize(parseMatch('tcp.dst != 80'), ctx, { maxConjunctions: 10 }), /more than 10 conjunctions/);
});

test('complementPrefixes covers exactly what no value matches (random sets over 6 bits)', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 6 })), { maxLength: 6 }), (raw) => {
    const values = raw.map(([v, len]) => {
      const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(6 - len);
      return { value: BigInt(v) & mask, mask };
    });
    const rest = complementPrefixes(values, 6);
    assert.ok(rest !== null);
    for (let x = 0n; x < 64n; x++) {
      const inValues = values.some((p) => (x & p.mask) === p.value);
      const hits: number = rest.filter((p) => (x & p.mask) === p.value).length;
      assert.equal(hits, inValues ? 0 : 1, `x=${x}`);
    }
  }), { numRuns: 500, seed: 9 });
  assert.equal(complementPrefixes([{ value: 0x10n, mask: 0xf0n }, { value: 1n, mask: 0x0fn }], 8), null);
});

test('unionPrefixes: disjoint, minimal where siblings merge, exactly the union (random sets over 6 bits)', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 6 })), { maxLength: 8 }), (raw) => {
    const values = raw.map(([v, len]) => {
      const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(6 - len);
      return { value: BigInt(v) & mask, mask };
    });
    const cover = unionPrefixes(values, 6);
    assert.ok(cover !== null);
    for (let x = 0n; x < 64n; x++) {
      const inValues = values.some((p) => (x & p.mask) === p.value);
      const hits: number = cover.filter((p) => (x & p.mask) === p.value).length;
      assert.equal(hits, inValues ? 1 : 0, `x=${x}`);
    }
  }), { numRuns: 500, seed: 10 });
  assert.deepEqual(unionPrefixes([{ value: 4n, mask: 0xffn }, { value: 5n, mask: 0xffn }, { value: 6n, mask: 0xfen }], 8), [{ value: 4n, mask: 0xfcn }]);
  assert.equal(unionPrefixes([{ value: 1n, mask: 0x0fn }], 8), null);
});

test('prefixes cover exactly the range (exhaustive over 5 bits)', () => {
  for (let lo = 0n; lo < 32n; lo++) {
    for (let hi = lo; hi < 32n; hi++) {
      const ps = prefixes(lo, hi, 5);
      for (let x = 0n; x < 32n; x++) {
        const hits = ps.filter((p) => (x & p.mask) === p.value).length;
        assert.equal(hits, x >= lo && x <= hi ? 1 : 0, `[${lo},${hi}] x=${x}`);
      }
    }
  }
});

test('formatConjunction prints a match over base fields with the same meaning', () => {
  fc.assert(fc.property(matchArbitrary(DOMAIN_A), (e) => {
    for (const c of normalize(e, ctx)) {
      const back = parseMatch(formatConjunction(c), ctx);
      for (const p of PACKETS_A) assert.equal(evaluate(back, p, ctx), evaluateConjunctions([c], p, ctx), formatConjunction(c));
    }
  }), { numRuns: 100, seed: 31 });
  assert.equal(formatConjunction({ terms: [{ field: 'eth.type', value: 0x800n, mask: 0xffffn }, { field: 'reg0', value: 4n, mask: 6n }], strings: [{ field: 'inport', value: 'p1', negated: true }] }),
    'eth.type == 0x800 && reg0 == 0x4/0x6 && !(inport == "p1")');
});
