// The symbol table's invariants: layouts cover exactly their widths over real base fields,
// every prerequisite and predicate text parses and refers only to known symbols without
// cycles, and the symbols ovn-sb(5) lists are all there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_FIELDS, FIELDS, normalize, parseMatch, type MatchExpr, type SymbolContext } from './index.js';

const none: SymbolContext = { addressSets: () => undefined, portGroups: () => undefined };

function names(e: MatchExpr, out: Set<string>): Set<string> {
  switch (e.type) {
    case 'cmp': case 'range': case 'bool': out.add(e.field.name); break;
    case 'not': names(e.expr, out); break;
    case 'and': case 'or': for (const t of e.terms) names(t, out); break;
    default: break;
  }
  return out;
}

test('pieces cover each symbol exactly, over base fields', () => {
  for (const def of FIELDS.values()) {
    if (def.symbol === 'predicate') {
      assert.equal(def.pieces.length, 0, def.name);
      continue;
    }
    if (def.kind === 'string') continue;
    assert.equal(def.pieces.reduce((n, p) => n + p.width, 0), def.width, def.name);
    for (const p of def.pieces) {
      const base = FIELDS.get(p.base);
      assert.ok(base !== undefined && base.symbol === 'field', `${def.name}: base ${p.base}`);
      assert.ok(p.lo >= 0 && p.lo + p.width <= base.width, `${def.name}: ${p.base}[${p.lo}..${p.lo + p.width - 1}]`);
    }
  }
  assert.deepEqual(BASE_FIELDS, [...FIELDS.values()].filter((f) => f.symbol === 'field').map((f) => f.name));
});

test('prerequisites and predicate expansions parse and form no cycles', () => {
  const deps = new Map<string, Set<string>>();
  for (const def of FIELDS.values()) {
    const d = new Set<string>();
    for (const text of [def.prerequisite, def.symbol === 'predicate' ? def.definition : undefined]) {
      if (text !== undefined) names(parseMatch(text), d);
    }
    for (const p of def.pieces) if (p.base !== def.name) d.add(p.base);
    deps.set(def.name, d);
  }
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string, path: string[]): void => {
    if (state.get(n) === 'done') return;
    assert.notEqual(state.get(n), 'open', `cycle: ${[...path, n].join(' -> ')}`);
    state.set(n, 'open');
    for (const m of deps.get(n) ?? []) {
      assert.ok(FIELDS.has(m), `${n} refers to unknown ${m}`);
      visit(m, [...path, n]);
    }
    state.set(n, 'done');
  };
  for (const n of FIELDS.keys()) visit(n, []);
});

test('every symbol normalizes when used', () => {
  for (const def of FIELDS.values()) {
    const text = def.kind === 'string' ? `${def.name} == "p"` : def.width === 1 ? def.name : `${def.name} == 0`;
    const conj = normalize(parseMatch(text), none);
    assert.ok(conj.length >= 1, text);
  }
});

test('the symbols of ovn-sb(5) and the issue are present', () => {
  const want = `inport outport eth.src eth.dst eth.type eth.bcast eth.mcast vlan.tci vlan.vid vlan.pcp vlan.present
    ip4 ip6 ip ip4.src ip4.dst ip6.src ip6.dst ip6.label ip.proto ip.ttl ip.dscp ip.ecn ip.frag ip.is_frag ip.later_frag ip.first_frag
    tcp tcp.src tcp.dst tcp.flags udp udp.src udp.dst sctp sctp.src sctp.dst icmp icmp4 icmp4.type icmp4.code icmp6 icmp6.type
    icmp6.code arp arp.op arp.spa arp.tpa arp.sha arp.tha rarp rarp.op rarp.spa rarp.tpa rarp.sha rarp.tha nd nd.target nd.sll nd.tll
    nd_ns nd_na nd_rs nd_ra ct.new ct.est ct.rel ct.rpl ct.inv ct.trk ct.snat ct.dnat ct_state ct_mark ct_label ct_label.blocked
    ct_mark.blocked flags.loopback flags.force_snat_for_lb pkt.mark reg0 reg15 xreg0 xreg7 xxreg0 xxreg3 igmp mldv1 mldv2`.split(/\s+/);
  for (const n of want) assert.ok(FIELDS.has(n), n);
  // xxreg0 overlays reg0..reg3 with reg0 most significant (ovn-sb(5)).
  assert.deepEqual(FIELDS.get('xxreg0')?.pieces.map((p) => p.base), ['reg3', 'reg2', 'reg1', 'reg0']);
  assert.deepEqual(FIELDS.get('xreg1')?.pieces.map((p) => p.base), ['reg3', 'reg2']);
});
