// The shape hash that lets LflowBuilder look a flow's source line up without a stack
// capture: it must blank exactly what SHAPE_RE blanks (equal shape text ⇒ equal hash, and
// on these inputs unequal text ⇒ unequal hash), including the regexp's lookbehind and
// backtracking corners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LflowBuilder, Site, checkSources, shapeHash, shapeOf } from './lflow.js';

// the characters SHAPE_RE's classes turn on, plus a few outside all of them
const piece = fc.constantFrom('0', '1', '9', 'a', 'f', 'g', 'x', 'A', 'F', ':', '.', '/', '[', ']', '_', '"', ' ', '=', '&', 'é', '10.0.0.1', 'reg0[7]', 'fe80::1', '"lsp1"', 'ip4');
const text = fc.array(piece, { maxLength: 14 }).map((xs) => xs.join(''));

test('shapeHash: equal shapes hash alike, different shapes differ', () => {
  fc.assert(fc.property(text, text, text, text, fc.constantFrom(0, 50, 100), (m1, a1, m2, a2, prio) => {
    const same = shapeOf('ls_in_l2_lkup', prio, m1, a1) === shapeOf('ls_in_l2_lkup', prio, m2, a2);
    assert.equal(shapeHash('ls_in_l2_lkup', prio, m1, a1) === shapeHash('ls_in_l2_lkup', prio, m2, a2), same, `${m1} | ${a1} vs ${m2} | ${a2}`);
  }), { numRuns: 20000 });
});

test('shapeHash: a blanked text hashes as the text (the hash walks what the regexp leaves)', () => {
  fc.assert(fc.property(text, text, (m, a) => {
    const blank = (s: string): string => shapeOf('', 0, s, '').split('|')[2] ?? '';
    assert.equal(shapeHash('lr_in_arp_resolve', 100, m, a), shapeHash('lr_in_arp_resolve', 100, blank(m), blank(a)));
  }), { numRuns: 5000 });
});

test('shapeHash: stage and priority are part of the shape', () => {
  const m = 'outport == "p1" && reg0 == 10.0.0.1';
  const a = 'eth.dst = 0a:00:00:00:00:01; next;';
  assert.equal(shapeHash('lr_in_arp_resolve', 100, m, a), shapeHash('lr_in_arp_resolve', 100, 'outport == "p2" && reg0 == 10.0.0.2', 'eth.dst = 0a:00:00:00:00:02; next;'));
  assert.notEqual(shapeHash('lr_in_arp_resolve', 100, m, a), shapeHash('lr_in_arp_resolve', 90, m, a));
  assert.notEqual(shapeHash('lr_in_arp_resolve', 100, m, a), shapeHash('ls_in_arp_rsp', 100, m, a));
  // the boundary between match and actions counts
  assert.notEqual(shapeHash('ls_in_arp_rsp', 100, 'ab', 'c'), shapeHash('ls_in_arp_rsp', 100, 'a', 'bc'));
});

test('Site: a call site token records its own line; strict mode fails a token used at two sites', (t) => {
  checkSources(true);
  t.after(() => checkSources(false));
  const at = new Site();
  const b = new LflowBuilder();
  const addOne = (n: number): void => b.add('dp1', 'ls_in_l2_lkup', 50, `eth.dst == 0a:00:00:00:00:0${n}`, 'next;', undefined, at);
  addOne(1);
  addOne(2);
  assert.equal(b.flows.length, 2);
  assert.match(b.flows[0]?.flow.source ?? '', /^lflow\.test\.ts:\d+$/);
  assert.equal(b.flows[1]?.flow.source, b.flows[0]?.flow.source);
  assert.throws(() => b.add('dp1', 'ls_in_l2_lkup', 50, 'eth.dst == 0a:00:00:00:00:03', 'next;', undefined, at), /one Site used at/);
});
