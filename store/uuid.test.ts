// Fresh uuids: v4 text, distinct across pool refills, random in every hex position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newUuid } from './uuid.js';

test('newUuid: v4 uuid text (version 4, variant 10), none repeated over several pools', () => {
  const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const u = newUuid();
    assert.match(u, v4);
    seen.add(u);
  }
  assert.equal(seen.size, 5000);
});

test('newUuid: every random hex position takes many values (the bytes are not reused or fixed)', () => {
  const values: Set<string>[] = Array.from({ length: 36 }, () => new Set());
  for (let i = 0; i < 2000; i++) {
    const u = newUuid();
    for (let k = 0; k < 36; k++) (values[k] as Set<string>).add(u[k] as string);
  }
  for (let k = 0; k < 36; k++) {
    const n = (values[k] as Set<string>).size;
    if (k === 8 || k === 13 || k === 18 || k === 23) assert.equal(n, 1, `position ${k} is a hyphen`);
    else if (k === 14) assert.equal(n, 1, 'the version digit is 4');
    else if (k === 19) assert.equal(n, 4, 'the variant digit is one of 8 9 a b');
    else assert.equal(n, 16, `position ${k} takes every hex digit over 2000 uuids`);
  }
});
