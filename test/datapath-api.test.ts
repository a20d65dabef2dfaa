// test/datapath-api.test.ts — the Datapath API against the real addon in a child process:
// tap ports appear and disappear as kernel interfaces, batches are all or nothing with
// errors that name the op, packet-out reaches a port (the kernel counts it) and goes
// through the tables to a packet-in event with the same bytes.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { test } from 'node:test';
import { LoomError } from '../store/types.js';
import type { PacketIn } from '../datapath/js/datapath.js';
import { DatapathProcess } from '../datapath/js/process.js';
import { canRunDpdk, waitFor } from './datapath-peers.js';

const skip = canRunDpdk();

function frame(): Buffer {
  const f = Buffer.alloc(64);
  Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5]).copy(f); // local experimental ethertype
  for (let i = 14; i < 64; i++) f[i] = i;
  return f;
}

test('datapath API: tap ports, atomic batches with named errors, packet-out and packet-in', { skip, timeout: 60000 }, async (t) => {
  const tap = `lmtap${process.pid % 100000}`;
  let dp: DatapathProcess | undefined;
  t.after(async () => {
    await dp?.stop();
    if (existsSync(`/sys/class/net/${tap}`)) execFileSync('ip', ['link', 'del', tap]);
  });
  dp = await DatapathProcess.spawn({ memoryMb: 128, packetInQueue: 16 });

  const p = await dp.addPort({ name: 'host0', type: 'tap', iface: tap });
  assert.equal(p.type, 'tap');
  assert.ok(existsSync(`/sys/class/net/${tap}`), 'the tap interface exists in the kernel');
  await assert.rejects(dp.addPort({ name: 'host0', type: 'tap', iface: `${tap}x` }), (e: unknown) => e instanceof LoomError && e.code === 'duplicate');
  await assert.rejects(dp.addPort({ name: 'bad', type: 'vhost-user' }), (e: unknown) => e instanceof LoomError && e.code === 'invalid-value' && e.column === 'path');

  // All or nothing: op 1 overlaps op 0 at the same priority, so neither is installed.
  const n0 = (await dp.stats()).entries.length;
  await assert.rejects(dp.applyBatch([
    { op: 'add', entry: { table: 0, priority: 5, match: { in_port: p.id }, actions: [{ type: 'drop' }] } },
    { op: 'add', entry: { table: 0, priority: 5, match: { 'eth.type': 0x88b5 }, actions: [{ type: 'drop' }] } },
  ]), (e: unknown) => e instanceof LoomError && e.code === 'constraint-violation' && e.op !== undefined && e.hint === 'datapath: overlap');
  assert.equal((await dp.stats()).entries.length, n0, 'a rejected batch installs nothing');
  await assert.rejects(dp.applyBatch([{ op: 'delete', entry: { table: 0, priority: 9, match: { in_port: 3 } } }]), (e: unknown) => e instanceof LoomError && e.code === 'not-found' && e.op === 0);

  // packet-out to a port: the kernel's tap interface receives it.
  execFileSync('ip', ['link', 'set', tap, 'up']);
  const rx = (): number => Number(readFileSync(`/sys/class/net/${tap}/statistics/rx_packets`, 'utf8'));
  const rx0 = rx();
  for (let i = 0; i < 5; i++) assert.equal(await dp.packetOut({ port: p.id }, frame()), true);
  await waitFor('the tap interface to count 5 packets', () => (rx() - rx0 >= 5 ? true : undefined), 5000, 50);

  // packet-out through the tables: an entry sends it to JS.
  await dp.applyBatch([{ op: 'add', entry: { table: 0, priority: 10, cookie: 77, match: { in_port: p.id, 'eth.type': 0x88b5 }, actions: [{ type: 'packet_in', reason: 7 }] } }]);
  const got = once(dp, 'packet_in') as Promise<[PacketIn]>;
  assert.equal(await dp.packetOut({ table: 0, inPort: p.id }, frame()), true);
  const [pin] = await Promise.race([got, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no packet-in within 5 s')), 5000))]);
  assert.equal(pin.reason, 7);
  assert.equal(pin.inPort, p.id);
  assert.equal(pin.origLen, 64);
  assert.ok(Buffer.from(pin.data).equals(frame()), 'packet-in carries the bytes');
  const st = await dp.stats();
  assert.equal(st.entries.find((e) => e.cookie === 77)?.packets, 1);
  assert.equal(st.packetInDropped, 0);
  assert.ok(st.workers[0]!.sleeps > 0, 'an idle worker sleeps');

  // A burst of packet-ins larger than the queue (16): the excess is dropped and counted,
  // nothing blocks, and every packet is accounted for.
  const pins: PacketIn[] = [];
  dp.on('packet_in', (x) => pins.push(x));
  const N = 600;
  // Sent without awaiting each: the host handles them back to back, faster than its JS
  // thread gets to drain packet-ins.
  const queued = (await Promise.all(Array.from({ length: N }, () => dp!.packetOut({ table: 0, inPort: p.id }, frame())))).filter((x) => x).length;
  const fin = await waitFor('every packet-in delivered or counted as dropped', async () => {
    const s2 = await dp!.stats();
    return s2.entries.find((e) => e.cookie === 77)!.packets === 1 + queued && pins.length + s2.packetInDropped === queued ? s2 : undefined;
  }, 10000, 100);
  assert.ok(pins.length >= 16, `JS received packet-ins (${pins.length})`);
  assert.ok(fin.packetInDropped > 0, 'the bounded queue overflowed and counted it');
  assert.equal(fin.drops.packet_in_full, fin.packetInDropped);
  t.diagnostic(`packet-in burst: ${queued} queued, ${pins.length} delivered, ${fin.packetInDropped} dropped (queue 16)`);

  await dp.removePort('host0');
  assert.equal(existsSync(`/sys/class/net/${tap}`), false, 'removing the port removes the interface');
  assert.deepEqual(await dp.ports(), []);
});
