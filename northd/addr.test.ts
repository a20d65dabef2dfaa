// addr.ts: parseIpv4's loop accepts exactly what /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
// with octets ≤ 255 accepts, with the same value; lspAddresses parses a list once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lspAddresses, parseIpv4, parseLspAddress } from './addr.js';

function reference(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return null;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return null;
    v = v * 256 + o;
  }
  return v;
}

test('parseIpv4 agrees with the regexp on near-addresses', () => {
  const piece = fc.constantFrom('0', '1', '25', '255', '256', '999', '0001', '10', '.', '..', 'a', ' ', '/24', '٣', '');
  fc.assert(fc.property(fc.array(piece, { maxLength: 9 }), (xs) => {
    const s = xs.join('');
    assert.equal(parseIpv4(s), reference(s), JSON.stringify(s));
  }), { numRuns: 20000 });
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 4, maxLength: 4 }), (o) => {
    const s = o.join('.');
    assert.equal(parseIpv4(s), reference(s), s);
  }));
  assert.equal(parseIpv4('10.0.0.1'), 0x0a000001);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
});

test('lspAddresses: one parse per list, entry by entry as parseLspAddress', () => {
  const list = ['0a:00:00:00:00:01 10.0.0.1 fe80::1', 'unknown', 'router', '0A:00:00:00:00:02 10.0.0.2/24'];
  const once = lspAddresses(list);
  assert.deepEqual(once, list.map(parseLspAddress));
  assert.equal(lspAddresses(list), once);
  assert.equal(once[0]?.ipv4[0], '10.0.0.1');
  assert.equal(once[3]?.mac, '0a:00:00:00:00:02');
});
