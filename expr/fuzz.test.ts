// libFuzzer-style fuzzing of the parsers with fast-check: random text and random token soup
// never make parseMatch / parseActions / normalize throw anything but ExprError, errors point
// inside the text, and whatever parses prints back to the same tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matchArbitrary, type Domain } from './arbitrary.js';
import { ExprError, formatActions, formatMatch, normalize, parseActions, parseMatch, type SymbolContext } from './index.js';

const ctx: SymbolContext = {
  addressSets: (n) => ({ as: ['10.0.0.1', '10.0.0.0/24', 'fe80::1'], as4: ['10.0.0.2'], none: [] } as Record<string, string[]>)[n],
  portGroups: (n) => ({ pg: ['p1', 'p2'] } as Record<string, string[]>)[n],
};

const MATCH_FRAGMENTS = [
  'ip4', 'ip6', 'ip', 'tcp', 'udp', 'tcp.dst', 'tcp.src', 'ip4.src', 'ip6.dst', 'eth.src', 'inport', 'outport', 'ct.new', 'ct.est',
  'reg0', 'reg0[0..3]', 'reg9[2]', 'xxreg0', 'vlan.vid', 'icmp4.type', 'nd', 'arp.op', 'eth.bcast', 'ip.ttl',
  '==', '!=', '<', '<=', '>', '>=', '&&', '||', '!', '(', ')', '{', '}', ',', '=', '[', ']', '..',
  '0', '1', '80', '65535', '65536', '0x10/0xf0', '10.0.0.1', '10.0.0.0/24', '10.0.0.1/24', 'fe80::1', 'fe80::/64', '::', '00:11:22:33:44:55',
  '"p1"', '"p2"', '"', '$as', '$as4', '$none', '$missing', '@pg', '@nope', 'is_chassis_resident', '/*', '*/', '//', '-', '--', '#',
];
const ACTION_FRAGMENTS = [
  'next', 'output', 'drop', 'ct_next', 'ct_commit', 'ct_lb', 'ct_lb_mark', 'arp', 'clone', 'log', 'put_arp', 'lookup_arp', 'get_arp',
  'ct_snat_to_vip', 'backends', 'pipeline', 'table', 'egress', 'hash_fields', 'skip_snat',
  'outport', 'inport', 'eth.dst', 'eth.src', 'reg0', 'reg9[2]', 'ip.ttl', 'arp.spa', 'arp.sha', 'ct_mark.blocked', 'flags.loopback', 'eth.type',
  ';', '=', '<->', '--', '(', ')', '{', '}', '[', ']', ',', ':', '"p1"', '1', '0x1/0x1', '10.0.0.1', '80', 'fe80::1', '00:00:00:00:00:01', '$as',
];

function soup(fragments: readonly string[]): fc.Arbitrary<string> {
  return fc.array(fc.tuple(fc.constantFrom(...fragments), fc.constantFrom(' ', '', '  ', '\n')), { maxLength: 14 })
    .map((parts) => parts.map(([f, s]) => f + s).join(''));
}

function onlyExprErrors(text: string, run: () => void): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    assert.equal(e.code, 'invalid-match');
    assert.ok(e.position >= 0 && e.position <= text.length, `position ${e.position} outside ${JSON.stringify(text)}`);
  }
}

function matchProperty(text: string): void {
  onlyExprErrors(text, () => {
    const e = parseMatch(text, ctx);
    const canonical = formatMatch(e);
    assert.deepEqual(parseMatch(canonical, ctx), e, `${text} -> ${canonical}`);
    normalize(e, ctx, { maxConjunctions: 2000 });
  });
}

function actionProperty(text: string): void {
  onlyExprErrors(text, () => {
    const a = parseActions(text, ctx);
    const canonical = formatActions(a);
    assert.deepEqual(parseActions(canonical, ctx), a, `${text} -> ${canonical}`);
  });
}

test('parseMatch on random text throws only ExprError', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 60 }), matchProperty), { numRuns: 3000, seed: 11 });
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), matchProperty), { numRuns: 1000, seed: 12 });
});

test('parseMatch on token soup: only ExprError, and what parses round-trips and normalizes', () => {
  fc.assert(fc.property(soup(MATCH_FRAGMENTS), matchProperty), { numRuns: 5000, seed: 13 });
});

test('parseActions on random text and token soup throws only ExprError and round-trips', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 60 }), actionProperty), { numRuns: 3000, seed: 14 });
  fc.assert(fc.property(soup(ACTION_FRAGMENTS), actionProperty), { numRuns: 5000, seed: 15 });
});

const DOMAIN: Domain = {
  ints: [{ ref: { name: 'tcp.dst' }, width: 16 }, { ref: { name: 'reg0', lo: 0, hi: 7 }, width: 8 }, { ref: { name: 'ip4.src' }, width: 32, sets: ['as4', 'none'] }],
  bools: [{ name: 'ct.new' }, { name: 'ip4' }, { name: 'tcp' }, { name: 'reg9', lo: 2, hi: 2 }],
  strings: [{ field: 'inport', values: ['p1', 'p\\"x'], groups: ['pg'] }],
  residents: ['cr-p1'],
};

test('mutated valid matches (insert a fragment, delete a span) throw only ExprError', () => {
  const mutated = fc.tuple(matchArbitrary(DOMAIN), fc.nat(), fc.nat({ max: 6 }), fc.constantFrom(...MATCH_FRAGMENTS, ''))
    .map(([e, at, del, ins]) => {
      const t = formatMatch(e);
      const i = at % (t.length + 1);
      return t.slice(0, i) + ins + t.slice(i + del);
    });
  fc.assert(fc.property(mutated, matchProperty), { numRuns: 4000, seed: 16 });
});
