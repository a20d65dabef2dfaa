// test/datapath-afpacket.test.ts — the datapath between two network namespaces with real
// kernel stacks: veth pairs whose host ends are loom af_packet ports. ping, nc and a short
// iperf3 go through an L2 table; then a drop rule stops ping while ARP still passes; and
// two datapaths whose af_packet fanout groups collide (the second says why).
// Every namespace, veth and process is removed in t.after, even on failure.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DatapathProcess } from '../datapath/js/process.js';
import { LoomError } from '../store/types.js';
import { canRunDpdk, Netns, spawnWithAfPacket, waitFor } from './datapath-peers.js';

const skip = canRunDpdk();
const tag = `${process.pid % 100000}`;
const MAC_A = '02:00:00:00:0a:01';
const MAC_B = '02:00:00:00:0b:01';

test('af_packet over veth: ping, nc and iperf3 between namespaces through an L2 table; a drop rule', { skip, timeout: 120000 }, async (t) => {
  const net = new Netns();
  let dp: DatapathProcess | undefined;
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await dp?.stop();
    net.cleanup();
  });
  const nsA = `loomA${tag}`;
  const nsB = `loomB${tag}`;
  net.addHost(nsA, `lva${tag}`, 'eth0', '192.168.77.1/24', MAC_A);
  net.addHost(nsB, `lvb${tag}`, 'eth0', '192.168.77.2/24', MAC_B);

  const made = await spawnWithAfPacket({ memoryMb: 256 }, [{ name: 'vmA', iface: `lva${tag}` }, { name: 'vmB', iface: `lvb${tag}` }]);
  dp = made.dp;
  const a = { id: made.ids[0]! };
  const b = { id: made.ids[1]! };
  // A learning-free L2 table: unicast by destination MAC, broadcast (ARP) to the other side.
  await dp.applyBatch([
    { op: 'add', entry: { table: 0, priority: 200, cookie: 11, match: { 'eth.dst': MAC_B }, actions: [{ type: 'output', port: b.id }] } },
    { op: 'add', entry: { table: 0, priority: 200, cookie: 12, match: { 'eth.dst': MAC_A }, actions: [{ type: 'output', port: a.id }] } },
    { op: 'add', entry: { table: 0, priority: 100, cookie: 13, match: { in_port: a.id, 'eth.dst': '01:00:00:00:00:00/01:00:00:00:00:00' }, actions: [{ type: 'output', port: b.id }] } },
    { op: 'add', entry: { table: 0, priority: 100, cookie: 14, match: { in_port: b.id, 'eth.dst': '01:00:00:00:00:00/01:00:00:00:00:00' }, actions: [{ type: 'output', port: a.id }] } },
  ]);

  // ping: 5 echo requests, each must be answered.
  const ping = net.exec(nsA, 'ping', ['-c', '5', '-i', '0.2', '-W', '2', '192.168.77.2']);
  assert.match(ping, /5 packets transmitted, 5 received/);

  // nc: a TCP stream of 200 KB from A to B arrives intact.
  const payload = Buffer.alloc(200_000, 0);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
  const server = spawn('ip', ['netns', 'exec', nsB, 'timeout', '20', 'nc', '-l', '-N', '192.168.77.2', '5001'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(server);
  const got: Buffer[] = [];
  server.stdout.on('data', (d: Buffer) => got.push(d));
  const serverDone = new Promise<number | null>((r) => server.once('exit', (c) => r(c)));
  await waitFor('nc to listen in B', () => (net.exec(nsB, 'ss', ['-ltn']).includes(':5001') ? true : undefined), 5000, 50);
  const client = spawn('ip', ['netns', 'exec', nsA, 'timeout', '20', 'nc', '-N', '192.168.77.2', '5001'], { stdio: ['pipe', 'ignore', 'pipe'] });
  children.push(client);
  client.stdin.end(payload);
  assert.equal(await serverDone, 0);
  assert.ok(Buffer.concat(got).equals(payload), `nc payload intact (${Buffer.concat(got).length} bytes)`);

  // iperf3: 2 s of TCP, bounded; it must move data and say so in its JSON.
  const srv = spawn('ip', ['netns', 'exec', nsB, 'timeout', '15', 'iperf3', '-s', '-1', '-B', '192.168.77.2', '-p', '5201'], { stdio: 'ignore' });
  children.push(srv);
  await waitFor('iperf3 to listen', () => (net.exec(nsB, 'ss', ['-ltn']).includes(':5201') ? true : undefined), 5000, 50);
  const ip = JSON.parse(net.exec(nsA, 'iperf3', ['-c', '192.168.77.2', '-p', '5201', '-t', '2', '-J'], 20000)) as { end: { sum_received: { bytes: number; bits_per_second: number } } };
  assert.ok(ip.end.sum_received.bytes > 1_000_000, `iperf3 moved ${ip.end.sum_received.bytes} bytes`);
  t.diagnostic(`iperf3 through loom af_packet: ${(ip.end.sum_received.bits_per_second / 1e6).toFixed(0)} Mbit/s`);

  const s1 = await dp.stats();
  const e11 = s1.entries.find((e) => e.cookie === 11)!;
  const e12 = s1.entries.find((e) => e.cookie === 12)!;
  assert.ok(e11.packets > 100 && e12.packets > 100, 'unicast entries counted both ways');
  assert.ok(s1.entries.find((e) => e.cookie === 13)!.packets >= 1, 'ARP request flooded from A');

  // Drop rule: IPv4 from A dies in loom (higher priority than the MAC entries); ARP still passes.
  await dp.applyBatch([{ op: 'add', entry: { table: 0, priority: 300, cookie: 99, match: { in_port: a.id, 'eth.type': 0x0800 }, actions: [{ type: 'drop' }] } }]);
  const before = (await dp.stats()).entries.find((e) => e.cookie === 99)!.packets;
  const lost = (() => {
    try {
      return net.exec(nsA, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', '192.168.77.2']);
    } catch (e) {
      return String((e as { stdout?: unknown }).stdout ?? e);
    }
  })();
  assert.match(lost, /3 packets transmitted, 0 received/);
  const after = await dp.stats();
  // At least the 3 echo requests (late TCP segments of the iperf3/nc sessions may add some).
  assert.ok(after.entries.find((e) => e.cookie === 99)!.packets - before >= 3, 'the drop entry counted the echo requests');
  assert.ok(after.drops.explicit_drop! >= 3);
});

test('two forwarding workers: each polls one port, both transmit on their own queue', { skip, timeout: 60000 }, async (t) => {
  const net = new Netns();
  let dp: DatapathProcess | undefined;
  t.after(async () => {
    await dp?.stop();
    net.cleanup();
  });
  const nsA = `loomC${tag}`;
  const nsB = `loomD${tag}`;
  net.addHost(nsA, `lvc${tag}`, 'eth0', '192.168.79.1/24', MAC_A);
  net.addHost(nsB, `lvd${tag}`, 'eth0', '192.168.79.2/24', MAC_B);
  const made = await spawnWithAfPacket({ memoryMb: 256, workers: 2 }, [{ name: 'vmA', iface: `lvc${tag}` }, { name: 'vmB', iface: `lvd${tag}` }]);
  dp = made.dp;
  const a = { id: made.ids[0]! };
  const b = { id: made.ids[1]! };
  await dp.applyBatch([
    { op: 'add', entry: { table: 0, priority: 100, match: { in_port: a.id }, actions: [{ type: 'output', port: b.id }] } },
    { op: 'add', entry: { table: 0, priority: 100, match: { in_port: b.id }, actions: [{ type: 'output', port: a.id }] } },
  ]);
  assert.match(net.exec(nsA, 'ping', ['-c', '4', '-i', '0.2', '-W', '2', '192.168.79.2']), /4 packets transmitted, 4 received/);
  const s = await dp.stats();
  assert.equal(s.workers.length, 2);
  assert.ok(s.workers.every((w) => w.bursts > 0), `both workers forwarded: ${JSON.stringify(s.workers)}`);
  assert.ok(s.ports.every((p) => p.rx >= 4 && p.tx >= 4));
});

test('two datapaths whose af_packet fanout groups collide: the second is told why and changes nothing', { skip, timeout: 60000 }, async (t) => {
  const net = new Netns();
  const dps: DatapathProcess[] = [];
  t.after(async () => {
    for (const d of dps) await d.stop();
    net.cleanup();
  });
  const ifindex = (dev: string): number => Number(readFileSync(`/sys/class/net/${dev}/ifindex`, 'utf8'));
  net.addWire(`lfx${tag}`, `lfy${tag}`);
  const first = await DatapathProcess.spawn({ memoryMb: 64 });
  dps.push(first);
  await first.addPort({ name: 'x', type: 'af_packet', iface: `lfx${tag}` });
  // DPDK's af_packet driver takes fanout group (pid ^ ifindex) & 0xffff: give the second
  // datapath an interface whose index lands its group on the first one's.
  const group = (first.pid! ^ ifindex(`lfx${tag}`)) & 0xffff;
  const second = await DatapathProcess.spawn({ memoryMb: 64 });
  dps.push(second);
  net.addWire(`lfz${tag}`, `lfw${tag}`, 0x10000 | ((second.pid! ^ group) & 0xffff));
  await assert.rejects(second.addPort({ name: 'z', type: 'af_packet', iface: `lfz${tag}` }), (e: unknown) => {
    assert.ok(e instanceof LoomError && e.hint === 'datapath: fanout_conflict', String(e));
    assert.match(e.message, new RegExp(`fanout group ${group} `));
    assert.match(e.message, /one datapath per network namespace/);
    return true;
  });
  assert.deepEqual((await second.stats()).ports, [], 'the refused port left nothing behind');
  // Once the first datapath lets go of the group, the same interface attaches.
  await first.stop();
  const z = await second.addPort({ name: 'z', type: 'af_packet', iface: `lfz${tag}` });
  assert.equal(z.name, 'z');
});
