// cli/warm-up.test.ts — every warm-up chain runs to the end against the stand-in store (a
// chain that failed early would leave the functions after the failure out of the code cache).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nbSchema } from '../schemas/index.js';
import { WARM_UP_CHAINS, warmUp } from './warm-up.js';

test('the warm-up runs every chain through', async () => {
  assert.ok(WARM_UP_CHAINS >= 5);
  assert.equal(await warmUp(nbSchema), WARM_UP_CHAINS);
});
