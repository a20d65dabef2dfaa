// Golden tests of the match parser: accepted texts with their canonical form and tree, and
// refused texts with their exact message, column and hint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMatch, ExprError, formatMatch, parseMatch, type SymbolContext } from './index.js';

const ctx: SymbolContext = {
  addressSets: (n) => ({ as1: ['10.0.0.1', '10.0.0.0/24'], pg1_ip4: ['10.0.0.5'], pg1_ip6: ['fe80::5'] } as Record<string, string[]>)[n],
  portGroups: (n) => ({ pg1: ['p1', 'p2'] } as Record<string, string[]>)[n],
};

test('accepted matches print canonically', () => {
  const cases: [string, string][] = [
    ['ip4.src == 10.0.0.0/24 && tcp.dst == 80', 'ip4.src == 10.0.0.0/24 && tcp.dst == 80'],
    ['inport=="p1"&&ip4', 'inport == "p1" && ip4'],
    ['1 <= tcp.dst <= 1024', '1 <= tcp.dst <= 1024'],
    ['1024 >= tcp.dst > 1', '1 < tcp.dst <= 1024'],
    ['reg0[0..15] == 0x10/0xf0', 'reg0[0..15] == 0x10/0xf0'],
    ['reg9[2]', 'reg9[2]'],
    ['reg9[2..2] == 1', 'reg9[2] == 1'],
    ['ip6.dst == fe80::/64', 'ip6.dst == fe80::/64'],
    ['ip6.dst == FE80:0:0::1', 'ip6.dst == fe80::1'],
    ['ip4.dst == 10.0.0.0/255.255.255.0', 'ip4.dst == 10.0.0.0/24'],
    ['ip4.dst == 10.0.0.0/255.0.255.0', 'ip4.dst == 10.0.0.0/255.0.255.0'],
    ['eth.dst == FF:ff:ff:ff:ff:ff', 'eth.dst == ff:ff:ff:ff:ff:ff'],
    ['outport == @pg1 && ip4.src == $pg1_ip4', 'outport == @pg1 && ip4.src == $pg1_ip4'],
    ['!(tcp.src == 80)', '!(tcp.src == 80)'],
    ['ct.new && !ct.est', 'ct.new && !ct.est'],
    ['(eth.type == 0x800 || eth.type == 0x86dd) && ip.proto == 6', '(eth.type == 0x800 || eth.type == 0x86dd) && ip.proto == 6'],
    ['80 == tcp.src', 'tcp.src == 80'],
    ['1024 > tcp.src', 'tcp.src < 1024'],
    ['tcp.dst == {80, 443 8080,}', 'tcp.dst == {80, 443, 8080}'],
    ['tcp.dst == {}', 'tcp.dst == {}'],
    ['ip4.src == {$as1, 10.1.0.0/16}', 'ip4.src == {$as1, 10.1.0.0/16}'],
    ['is_chassis_resident("cr-lrp")', 'is_chassis_resident("cr-lrp")'],
    ['!is_chassis_resident("cr-lrp")', '!is_chassis_resident("cr-lrp")'],
    ['1', '1'],
    ['!0', '!0'],
    ['ip4.dst == 10.0.0.1 // comment', 'ip4.dst == 10.0.0.1'],
    ['ip4 /* inline */ && udp', 'ip4 && udp'],
    ['xxreg0 == 1', 'xxreg0 == 1'],
    ['xreg1[0..7] == 3', 'xreg1[0..7] == 3'],
    ['reg0 == 10.0.0.1', 'reg0 == 10.0.0.1'],
    ['((ip4))', 'ip4'],
    ['!(!ip4)', '!(!ip4)'],
    // OVN: a predicate compares like a 1-bit field, and ip4[0] is its only bit.
    ['ip4 == 1', 'ip4'],
    ['tcp != 1', '!tcp'],
    ['0 == udp', '!udp'],
    ['ip4[0] && tcp', 'ip4 && tcp'],
    ['ip4 && (udp || tcp) && !(ip.ttl <= 1)', 'ip4 && (udp || tcp) && !(ip.ttl <= 1)'],
    ['outport == "p\\"q"', 'outport == "p\\"q"'],
    ['ct_label.blocked == 0 && ct_mark.natted', 'ct_label.blocked == 0 && ct_mark.natted'],
    // As in OVN: host bits under a mask do not count, and IP fields are ordinal.
    ['ip4.src == 10.0.0.1/24', 'ip4.src == 10.0.0.0/24'],
    ['reg0 == 0x11/0xf0', 'reg0 == 0x10/0xf0'],
    ['ip4.dst < 10.0.0.1', 'ip4.dst < 10.0.0.1'],
    ['10.0.0.1 <= ip4.src <= 10.0.0.9', '10.0.0.1 <= ip4.src <= 10.0.0.9'],
  ];
  for (const [text, canonical] of cases) {
    const e = parseMatch(text, ctx);
    assert.equal(formatMatch(e), canonical, text);
    assert.deepEqual(parseMatch(canonical, ctx), e, text);
  }
});

test('trees record meaning, not spelling', () => {
  assert.deepEqual(parseMatch('80 == tcp.dst'), parseMatch('tcp.dst == 80'));
  assert.deepEqual(parseMatch('10.0.0.0/255.255.255.0 == ip4.src'), parseMatch('ip4.src == 10.0.0.0/24'));
  assert.deepEqual(parseMatch('reg0[3..5] == 2'), { type: 'cmp', field: { name: 'reg0', lo: 3, hi: 5 }, op: '==', values: [{ kind: 'int', value: 2n, format: 'dec' }], set: false });
  assert.deepEqual(parseMatch('1 < tcp.dst < 9'), {
    type: 'range', field: { name: 'tcp.dst' }, lo: { kind: 'int', value: 1n, format: 'dec' }, loOp: '<', hi: { kind: 'int', value: 9n, format: 'dec' }, hiOp: '<',
  });
  assert.deepEqual(parseMatch('ip4.src == 10.0.0.0/8'), {
    type: 'cmp', field: { name: 'ip4.src' }, op: '==', values: [{ kind: 'int', value: 0x0a000000n, format: 'ipv4', mask: 0xff000000n }], set: false,
  });
});

/** [text, message (all lines), hint or undefined]. */
const BAD: [string, string, string | undefined][] = [
  ['tcp.dst = 80',
    'syntax error at column 9: expected "==", "!=" or a relational operator, found "="\n  tcp.dst = 80\n          ^',
    'only 1-bit fields and predicates may stand alone; tcp.dst is 16-bit (e.g. tcp.dst != 0)'],
  ['ip4.src == 10.0.0.1 && tcp.dst = 80',
    'syntax error at column 32: expected "==", "!=" or a relational operator, found "="\n  ip4.src == 10.0.0.1 && tcp.dst = 80\n                                 ^',
    'only 1-bit fields and predicates may stand alone; tcp.dst is 16-bit (e.g. tcp.dst != 0)'],
  ['ct.new = 1',
    'syntax error at column 8: expected "==", "!=" or a relational operator, found "="\n  ct.new = 1\n         ^', undefined],
  ['ip4.src == 00:11:22:33:44:55',
    'error at column 12: cannot compare ip4.src, an IPv4 field, with the Ethernet address "00:11:22:33:44:55"\n  ip4.src == 00:11:22:33:44:55\n             ^', undefined],
  ['eth.src == 10.0.0.1',
    'error at column 12: cannot compare eth.src, an Ethernet address field, with the IPv4 address "10.0.0.1"\n  eth.src == 10.0.0.1\n             ^', undefined],
  ['ip4 && udp || tcp',
    'error at column 12: "&&" and "||" need parentheses when used together\n  ip4 && udp || tcp\n             ^', 'write (a && b) || c or a && (b || c)'],
  ['inport < "a"',
    'error at column 8: "<" needs an integer field; inport is a string field\n  inport < "a"\n         ^', 'compare port names with == or !='],
  ['inport == 1',
    'error at column 11: inport is a string field: compare it with a quoted port name or a @port_group, not "1"\n  inport == 1\n            ^', undefined],
  ['tcp.dst == "x"',
    'error at column 12: tcp.dst is an integer field: "x" is not an integer constant\n  tcp.dst == "x"\n             ^', undefined],
  ['!tcp.src == 80',
    'error at column 1: put parentheses around a negated comparison\n  !tcp.src == 80\n  ^', 'write !(a == b), or use != instead'],
  ['ip5.src == 1',
    'error at column 1: unknown field "ip5.src"\n  ip5.src == 1\n  ^', 'did you mean ip4.src or ip6.src?'],
  ['tcp.dst',
    'syntax error at column 8: expected "==", "!=" or a relational operator, found end of input\n  tcp.dst\n         ^',
    'only 1-bit fields and predicates may stand alone; tcp.dst is 16-bit (e.g. tcp.dst != 0)'],
  ['inport',
    'syntax error at column 7: expected "==", "!=" or a relational operator, found end of input\n  inport\n        ^',
    'inport is a string field: compare it, e.g. inport == "port1"'],
  ['reg0[40]', 'error at column 6: bit 40 is outside reg0, a 32-bit field (bits 0..31)\n  reg0[40]\n       ^', undefined],
  ['reg0[5..2] == 1', 'error at column 6: bit range 5..2 of reg0 is backwards\n  reg0[5..2] == 1\n       ^', 'write reg0[2..5]'],
  ['ip4[1]', 'error at column 5: bit 1 is outside ip4, a 1-bit field (bits 0..0)\n  ip4[1]\n      ^', undefined],
  ['ip4 == 2', 'error at column 8: ip4 is a predicate: compare it only with == or != and 0 or 1 (or write ip4 or !ip4)\n  ip4 == 2\n         ^', undefined],
  ['ip4 < 1', 'error at column 5: ip4 is a predicate: compare it only with == or != and 0 or 1 (or write ip4 or !ip4)\n  ip4 < 1\n      ^', undefined],
  ['!!ip4', 'syntax error at column 2: expected a field, a constant or "(", found "!"\n  !!ip4\n   ^', 'write !(!x) to negate a negation'],
  ['tcp.dst == 080', 'syntax error at column 12: decimal constants must not have leading zeros: "080"\n  tcp.dst == 080\n             ^', 'write 0x... for hexadecimal'],
  ['eth.src == 0:1:2:3:4:5', 'syntax error at column 13: expected "&&", "||" or end of input, found ":"\n  eth.src == 0:1:2:3:4:5\n              ^', undefined],
  ['ip4.src == 10.0.0.0/33', 'syntax error at column 21: prefix length 33 is longer than 32 bits\n  ip4.src == 10.0.0.0/33\n                      ^', undefined],
  ['ip4.src == 300.0.0.1', 'syntax error at column 12: invalid IPv4 address "300.0.0.1"\n  ip4.src == 300.0.0.1\n             ^', undefined],
  ['ip4.src == $foo', 'error at column 12: unknown address set $foo\n  ip4.src == $foo\n             ^', undefined],
  ['outport == @nope', 'error at column 12: unknown port group @nope\n  outport == @nope\n             ^', undefined],
  ['tcp.dst == 70000', 'error at column 12: "70000" does not fit in tcp.dst, a 16-bit field\n  tcp.dst == 70000\n             ^', undefined],
  ['reg0[0..3] == 16', 'error at column 15: "16" does not fit in reg0[0..3], a 4-bit field\n  reg0[0..3] == 16\n                ^', undefined],
  ['tcp.dst < {1, 2}', 'error at column 9: "<" compares with one constant, not a set\n  tcp.dst < {1, 2}\n          ^', undefined],
  ['tcp.dst < 0x10/0xf0', 'error at column 11: "<" cannot use a masked constant; only == and != can\n  tcp.dst < 0x10/0xf0\n            ^', undefined],
  ['1 <= tcp.dst >= 3', 'error at column 14: a range needs two operators pointing the same way, e.g. 1 <= tcp.dst <= 1024\n  1 <= tcp.dst >= 3\n               ^', undefined],
  ['(ip4', 'syntax error at column 5: expected ")", found end of input\n  (ip4\n      ^', undefined],
  ['ip4 &&', 'syntax error at column 7: expected a field, a constant, "!" or "(", found end of input\n  ip4 &&\n        ^', undefined],
  ['ip4 udp', 'syntax error at column 5: expected "&&", "||" or end of input, found "udp"\n  ip4 udp\n      ^', undefined],
  ['2', 'syntax error at column 2: expected "==", "!=" or a relational operator, found end of input\n  2\n   ^', undefined],
  ['', 'syntax error at column 1: expected a field, a constant, "!" or "(", found end of input\n  \n  ^', undefined],
  ['ip4 && "x', 'syntax error at column 8: unterminated string\n  ip4 && "x\n         ^', undefined],
  ['ip4 # x', 'syntax error at column 5: unexpected character "#"\n  ip4 # x\n      ^', undefined],
  ['tcp.dst == 12ab', 'syntax error at column 12: invalid numeric constant "12ab"\n  tcp.dst == 12ab\n             ^', undefined],
  ['ip4 /* open', 'syntax error at column 5: unterminated comment: "/*" needs "*/" on the same line\n  ip4 /* open\n      ^', undefined],
  ['ip.proto < 17', 'error at column 10: "<" cannot be used with ip.proto, a nominal field (its values are identifiers)\n  ip.proto < 17\n           ^', 'use == or != (with a set for several values)'],
  ['eth.type[0..7] == 0', 'error at column 9: eth.type is a nominal field (its values are identifiers): bits cannot be selected\n  eth.type[0..7] == 0\n          ^', 'compare the whole field, e.g. eth.type == ...'],
  ['is_chassis_resident(p1)', 'syntax error at column 21: expected a quoted port name, found "p1"\n  is_chassis_resident(p1)\n                      ^', undefined],
];

test('refused matches: exact message, column and hint', () => {
  for (const [text, message, hint] of BAD) {
    const err = checkMatch(text, ctx);
    assert.ok(err !== null, `accepted: ${text}`);
    assert.equal(err.code, 'invalid-match');
    assert.equal(err.message, message, text);
    assert.equal(err.hint, hint, text);
    assert.equal(err.value, text);
    const m = /column (\d+)/.exec(err.message);
    assert.equal((err as unknown as { position: number }).position, Number(m?.[1]) - 1, text);
  }
});

test('parseMatch throws ExprError carrying position and expected', () => {
  assert.throws(() => parseMatch('tcp.dst = 80'), (e: unknown) => {
    assert.ok(e instanceof ExprError);
    assert.equal(e.position, 8);
    assert.deepEqual(e.expected, ['"==", "!=" or a relational operator']);
    assert.equal(e.summary, 'syntax error at column 9: expected "==", "!=" or a relational operator, found "="');
    return true;
  });
});

test('names of sets and groups are checked only when a context is given', () => {
  assert.equal(checkMatch('ip4.src == $unknown'), null);
  assert.equal(checkMatch('ip4.src == $as1', ctx), null);
  assert.match(checkMatch('ip4.src == {10.0.0.1, $nope}', ctx)?.message ?? '', /unknown address set \$nope/);
  assert.equal(checkMatch('inport == @pg1', ctx), null);
  assert.match(checkMatch('ip4.src == @pg1', ctx)?.message ?? '', /ip4.src is an IPv4 field: "@pg1" is not an IPv4 constant/);
});
