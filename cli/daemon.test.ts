// cli/daemon.test.ts — the resident client's socket protocol with a stand-in runner: argv
// arrives word for word, answers carry status and stream, requests run one at a time in
// arrival order, a request without its NUL terminator is refused, the socket is private.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRequest, encodeRequest, sendToDaemon, startCtlDaemon } from './daemon.js';

test('request encoding round-trips any words, including empty ones and newlines', () => {
  const argv = ['ls-add', '', 'a b', 'x\ny', 'ünï'];
  assert.deepEqual(decodeRequest(encodeRequest(argv)), argv);
  assert.equal(decodeRequest(Buffer.from('no-terminator')), undefined);
  assert.equal(decodeRequest(Buffer.alloc(0)), undefined);
});

test('answers come back with their status and stream; requests run one at a time, in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-ctl-daemon-'));
  const socket = join(dir, 'd.ctl');
  let running = 0;
  let most = 0;
  const order: string[] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const d = await startCtlDaemon(socket, async (argv, io) => {
    running++;
    most = Math.max(most, running);
    order.push(argv[0] ?? '');
    if (argv[0] === 'slow') await gate;
    running--;
    if (argv[0] === 'fail') {
      io.err('loom: no such thing\n');
      return 1;
    }
    io.out(`did ${JSON.stringify(argv)}\n`);
    return 0;
  });
  t.after(async () => {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(statSync(socket).mode & 0o077, 0, 'only its owner can open the socket');

  const slow = sendToDaemon(socket, ['slow']);
  const fast = sendToDaemon(socket, ['fast', 'x y']);
  const fail = sendToDaemon(socket, ['fail']);
  // Give the later requests time to arrive while the first one is held.
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(order, ['slow']);
  release();
  assert.deepEqual(await slow, { status: 0, stream: 1, text: 'did ["slow"]\n' });
  assert.deepEqual(await fast, { status: 0, stream: 1, text: 'did ["fast","x y"]\n' });
  assert.deepEqual(await fail, { status: 1, stream: 2, text: 'loom: no such thing\n' });
  assert.deepEqual(order, ['slow', 'fast', 'fail']);
  assert.equal(most, 1);

  // Half a request (no NUL at the end) is refused, not run.
  const raw = createConnection(socket);
  const chunks: Buffer[] = [];
  raw.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((r) => raw.on('end', () => r()));
  raw.end('ls-add');
  await ended;
  assert.match(Buffer.concat(chunks).toString(), /^1 2\nloom: malformed request/);
  assert.deepEqual(order, ['slow', 'fast', 'fail']);
});

test('a missing daemon is reported as unavailable with a hint', async () => {
  await assert.rejects(sendToDaemon(join(tmpdir(), 'loom-no-such-daemon.ctl'), ['show']), (e: unknown) => e instanceof Error && /cannot reach the loom daemon/.test(e.message));
});
