import { test } from 'node:test';
import assert from 'node:assert/strict';
import { owe, setCollectorForTest, whileBusy } from './idle-gc.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('idle collection: once past the debt and idle, not while busy, not for small debts', async (t) => {
  let runs = 0;
  setCollectorForTest(() => runs++);
  t.after(() => setCollectorForTest((globalThis as { gc?: () => void }).gc));
  // small requests alone never collect
  for (let i = 0; i < 50; i++) owe(10);
  await sleep(80);
  assert.equal(runs, 0);
  // a bulk: collected once, after the process stays idle
  owe(20000);
  assert.equal(runs, 0, 'not inside the request that owed it');
  await sleep(80);
  assert.equal(runs, 1);
  await sleep(80);
  assert.equal(runs, 1, 'the debt was paid');
  // a steady stream of small requests after a bulk puts it off until they pause
  owe(20000);
  for (let i = 0; i < 8; i++) {
    await sleep(10);
    owe(1);
  }
  assert.equal(runs, 1, 'put off while requests keep coming');
  await sleep(80);
  assert.equal(runs, 2);
  // a busy party (northd compiling) puts it off until it is done
  let working = true;
  const done = whileBusy(() => working);
  owe(20000);
  await sleep(100);
  assert.equal(runs, 2, 'not while busy');
  working = false;
  await sleep(80);
  assert.equal(runs, 3);
  done();
});
