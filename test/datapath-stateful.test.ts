// test/datapath-stateful.test.ts — the core pipeline on real kernels (namespaces over veth,
// loom af_packet ports): conntrack allow-related, DNAT and SNAT, and VXLAN against the
// Linux kernel's own vxlan device, checked on the wire with tshark's vxlan decoder.
// Skipped unless the addon runs the core pipeline. Everything created is removed in t.after.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { LoomError } from '../store/types.js';
import { DatapathProcess } from '../datapath/js/process.js';
import { canRunDpdk, Netns, spawnWithAfPacket, waitFor } from './datapath-peers.js';

const MAC_A = '02:00:00:00:0a:01';
const MAC_B = '02:00:00:00:0b:01';
const MAC_LOOM = '02:00:00:00:0f:01';
const IP_A = '192.168.78.1';
const IP_B = '192.168.78.2';
// ct_state bits (OVS): new 0x01, est 0x02, rel 0x04, rpl 0x08, inv 0x10, trk 0x20.
const NEW = { value: 0x21, mask: 0x37 };
const EST = { value: 0x22, mask: 0x37 };

let skip = canRunDpdk();
if (!skip) {
  // Decided at load: the tests above need the core pipeline in the addon.
  const probe = await DatapathProcess.spawn({ memoryMb: 64 }).catch(() => undefined);
  if (!probe) skip = 'datapath did not start';
  else {
    const p = (await probe.stats()).pipeline;
    await probe.stop();
    if (p !== 'core') skip = 'the addon runs the shell L2 table (datapath/core not built in)';
  }
}
let tagN = 0;

interface Rig { net: Netns; dp: DatapathProcess; a: number; b: number; up: number; nsA: string; nsB: string; tag: string; kids: ChildProcess[] }

// `uplink` makes a host (another namespace) and returns the interface for an 'uplink' port.
async function rig(t: TestContext, withB = true, uplink?: (net: Netns, tag: string) => string): Promise<Rig> {
  const tag = `${process.pid % 10000}${tagN++}`;
  const net = new Netns();
  const kids: ChildProcess[] = [];
  const r: Partial<Rig> = { net, kids, tag };
  t.after(async () => {
    for (const c of kids) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await r.dp?.stop();
    net.cleanup();
  });
  const nsA = `lsA${tag}`;
  const nsB = `lsB${tag}`;
  net.addHost(nsA, `lsa${tag}`, 'eth0', `${IP_A}/24`, MAC_A);
  if (withB) net.addHost(nsB, `lsb${tag}`, 'eth0', `${IP_B}/24`, MAC_B);
  const ports = [{ name: 'A', iface: `lsa${tag}` }];
  if (withB) ports.push({ name: 'B', iface: `lsb${tag}` });
  if (uplink) ports.push({ name: 'uplink', iface: uplink(net, tag) });
  const { dp, ids } = await spawnWithAfPacket({ memoryMb: 128 }, ports);
  r.dp = dp;
  const st = await dp.stats();
  if (st.pipeline !== 'core') throw new Error('needs the core pipeline');
  const id = (name: string): number => ids[ports.findIndex((p) => p.name === name)] ?? -1;
  return { net, dp, a: id('A'), b: id('B'), up: id('uplink'), nsA, nsB, tag, kids };
}

// L2 between A and B by destination MAC plus broadcast both ways (ARP), in `table`.
function l2(table: number, a: number, b: number, prio = 100): unknown[] {
  return [
    { op: 'add', entry: { table, priority: prio, match: { eth_dst: MAC_B }, actions: [{ type: 'output', port: b }] } },
    { op: 'add', entry: { table, priority: prio, match: { eth_dst: MAC_A }, actions: [{ type: 'output', port: a }] } },
    { op: 'add', entry: { table, priority: prio, match: { in_port: a, eth_dst: '01:00:00:00:00:00/01:00:00:00:00:00' }, actions: [{ type: 'output', port: b }] } },
    { op: 'add', entry: { table, priority: prio, match: { in_port: b, eth_dst: '01:00:00:00:00:00/01:00:00:00:00:00' }, actions: [{ type: 'output', port: a }] } },
  ];
}

function tryExec(r: Rig, ns: string, cmd: string, args: string[], timeoutMs = 15000): { ok: boolean; out: string } {
  try {
    return { ok: true, out: r.net.exec(ns, cmd, args, timeoutMs) };
  } catch (e) {
    const x = e as { stdout?: unknown; stderr?: unknown };
    return { ok: false, out: `${String(x.stdout ?? '')}${String(x.stderr ?? '')}` };
  }
}

/** nc server in `srvNs` on ip:port; client in `cliNs` sends `bytes` to dst:dport. Resolves to what arrived and the server's -v line. */
async function ncTransfer(r: Rig, srvNs: string, ip: string, port: number, cliNs: string, dst: string, dport: number, bytes: Buffer, srvTimeoutS = 15): Promise<{ got: Buffer; log: string }> {
  const srv = spawn('ip', ['netns', 'exec', srvNs, 'timeout', String(srvTimeoutS), 'nc', '-v', '-n', '-l', '-N', ip, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  r.kids.push(srv);
  const chunks: Buffer[] = [];
  let log = '';
  srv.stdout.on('data', (d: Buffer) => chunks.push(d));
  srv.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
  const done = new Promise<void>((res) => srv.once('exit', () => res()));
  await waitFor('nc to listen', () => (r.net.exec(srvNs, 'ss', ['-ltn']).includes(`:${port}`) ? true : undefined), 5000, 50);
  const cli = spawn('ip', ['netns', 'exec', cliNs, 'timeout', '10', 'nc', '-N', '-w', '3', dst, String(dport)], { stdio: ['pipe', 'ignore', 'pipe'] });
  r.kids.push(cli);
  cli.stdin.on('error', () => undefined);
  cli.stdin.end(bytes);
  await done;
  return { got: Buffer.concat(chunks), log };
}

const payload = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + 5) & 0xff;
  return b;
};

test('conntrack allow-related: A may open connections to B, B may only reply', { skip, timeout: 90000 }, async (t) => {
  const r = await rig(t);
  await r.dp.applyBatch([
    { op: 'add', entry: { table: 0, priority: 300, match: { eth_type: 0x0800 }, actions: [{ type: 'ct', zone: 1, table: 1 }] } },
    ...l2(0, r.a, r.b),
    { op: 'add', entry: { table: 1, priority: 200, cookie: 1, match: { in_port: r.a, ct_state: NEW }, actions: [{ type: 'ct', zone: 1, commit: true }, { type: 'output', port: r.b }] } },
    { op: 'add', entry: { table: 1, priority: 200, cookie: 2, match: { in_port: r.b, ct_state: NEW }, actions: [{ type: 'drop' }] } },
    { op: 'add', entry: { table: 1, priority: 200, cookie: 3, match: { in_port: r.a, ct_state: EST }, actions: [{ type: 'output', port: r.b }] } },
    { op: 'add', entry: { table: 1, priority: 200, cookie: 4, match: { in_port: r.b, ct_state: EST }, actions: [{ type: 'output', port: r.a }] } },
  ]);
  assert.match(tryExec(r, r.nsA, 'ping', ['-c', '3', '-i', '0.2', '-W', '2', IP_B]).out, /3 packets transmitted, 3 received/);
  const unsolicited = tryExec(r, r.nsB, 'ping', ['-c', '3', '-i', '0.2', '-W', '1', IP_A]);
  assert.match(unsolicited.out, /3 packets transmitted, 0 received/);
  const data = payload(50_000);
  const ok = await ncTransfer(r, r.nsB, IP_B, 7001, r.nsA, IP_B, 7001, data);
  assert.ok(ok.got.equals(data), `A -> B TCP delivered ${ok.got.length} bytes`);
  const refused = await ncTransfer(r, r.nsA, IP_A, 7002, r.nsB, IP_A, 7002, data, 5);
  assert.equal(refused.got.length, 0, 'B -> A TCP never gets through');
  const s = await r.dp.stats();
  const c = (k: number): number => s.entries.find((e) => e.cookie === k)?.packets ?? 0;
  assert.ok(c(1) >= 2, `new from A committed: the first echo request and the SYN (${c(1)})`);
  assert.ok(c(2) >= 4, `unsolicited new from B dropped: 3 echo requests and at least one SYN (${c(2)})`);
  assert.ok(c(4) >= 3, `replies from B allowed as established (${c(4)})`);
});

test('DNAT and SNAT through conntrack', { skip, timeout: 90000 }, async (t) => {
  const r = await rig(t);
  const VIP = '192.168.78.100';
  const SNAT_IP = '192.168.78.200';
  // A reaches the VIP at B's MAC; B answers the SNAT address at A's MAC (no ARP for them).
  r.net.exec(r.nsA, 'ip', ['neigh', 'add', VIP, 'lladdr', MAC_B, 'dev', 'eth0']);
  r.net.exec(r.nsB, 'ip', ['neigh', 'add', SNAT_IP, 'lladdr', MAC_A, 'dev', 'eth0']);
  await r.dp.applyBatch([
    // DNAT: VIP:80 -> B:8080 (zone 2). SNAT: A -> B:9090 leaves as SNAT_IP (zone 3).
    { op: 'add', entry: { table: 0, priority: 300, cookie: 21, match: { in_port: r.a, eth_type: 0x0800, ip_proto: 6, ip4_dst: VIP, l4_dst: 80 }, actions: [{ type: 'ct', zone: 2, commit: true, nat: { kind: 'dst', addrMin: IP_B, portMin: 8080, portMax: 8080 }, table: 1 }] } },
    { op: 'add', entry: { table: 0, priority: 300, cookie: 22, match: { in_port: r.a, eth_type: 0x0800, ip_proto: 6, ip4_dst: IP_B, l4_dst: 9090 }, actions: [{ type: 'ct', zone: 3, commit: true, nat: { kind: 'src', addrMin: SNAT_IP }, table: 1 }] } },
    // From B: un-NAT in both zones (established connections get their NAT back).
    { op: 'add', entry: { table: 0, priority: 300, cookie: 23, match: { in_port: r.b, eth_type: 0x0800, ip_proto: 6, l4_src: 8080 }, actions: [{ type: 'ct', zone: 2, table: 1 }] } },
    { op: 'add', entry: { table: 0, priority: 300, cookie: 24, match: { in_port: r.b, eth_type: 0x0800, ip_proto: 6, l4_src: 9090 }, actions: [{ type: 'ct', zone: 3, table: 1 }] } },
    ...l2(0, r.a, r.b),
    ...l2(1, r.a, r.b),
  ]);
  const data = payload(30_000);
  const dn = await ncTransfer(r, r.nsB, IP_B, 8080, r.nsA, VIP, 80, data);
  assert.ok(dn.got.equals(data), `DNAT: A -> ${VIP}:80 arrived at B:8080 (${dn.got.length} bytes)`);
  assert.match(dn.log, new RegExp(`Connection received on ${IP_A.replace(/\./g, '\\.')} `), 'DNAT keeps the source');
  const sn = await ncTransfer(r, r.nsB, IP_B, 9090, r.nsA, IP_B, 9090, data);
  assert.ok(sn.got.equals(data), `SNAT: A -> B:9090 delivered (${sn.got.length} bytes)`);
  assert.match(sn.log, new RegExp(`Connection received on ${SNAT_IP.replace(/\./g, '\\.')} `), `B sees the SNAT address: ${sn.log}`);
});

test('VXLAN: loom encapsulates toward the Linux vxlan device and decapsulates its replies (tshark on the wire)', { skip, timeout: 90000 }, async (t) => {
  // nsC plays a remote hypervisor: uplink 172.31.0.2, kernel vxlan0 (VNI 4242) holding B's address.
  const r = await rig(t, false, (net, tag) => {
    net.addHost(`lsC${tag}`, `lsu${tag}`, 'up0', '172.31.0.2/24', '02:00:00:00:0c:01');
    return `lsu${tag}`;
  });
  const nsC = `lsC${r.tag}`;
  r.net.exec(nsC, 'ip', ['neigh', 'add', '172.31.0.1', 'lladdr', MAC_LOOM, 'dev', 'up0']);
  r.net.exec(nsC, 'ip', ['link', 'add', 'vxlan0', 'type', 'vxlan', 'id', '4242', 'local', '172.31.0.2', 'remote', '172.31.0.1', 'dstport', '4789', 'dev', 'up0']);
  r.net.exec(nsC, 'ip', ['link', 'set', 'vxlan0', 'address', MAC_B]);
  r.net.exec(nsC, 'ip', ['addr', 'add', `${IP_B}/24`, 'dev', 'vxlan0']);
  r.net.exec(nsC, 'ip', ['link', 'set', 'vxlan0', 'up']);
  const up = r.up;
  await r.dp.applyBatch([
    { op: 'add', entry: { table: 0, priority: 100, cookie: 31, match: { in_port: r.a }, actions: [{ type: 'encap', kind: 'vxlan', vni: 4242, ethSrc: MAC_LOOM, ethDst: '02:00:00:00:0c:01', ipSrc: '172.31.0.1', ipDst: '172.31.0.2' }, { type: 'output', port: up }] } },
    { op: 'add', entry: { table: 0, priority: 100, cookie: 32, match: { in_port: up, eth_type: 0x0800, ip_proto: 17, l4_dst: 4789 }, actions: [{ type: 'decap' }, { type: 'goto_table', table: 1 }] } },
    { op: 'add', entry: { table: 1, priority: 100, cookie: 33, match: { tun_id: 4242 }, actions: [{ type: 'output', port: r.a }] } },
  ]);
  // tshark on C's uplink decodes both directions; start it and wait until it captures.
  const ts = spawn('ip', ['netns', 'exec', nsC, 'timeout', '25', 'tshark', '-l', '-n', '-i', 'up0', '-f', 'udp port 4789', '-c', '6', '-T', 'fields', '-E', 'separator=,', '-E', 'aggregator=/', '-e', 'ip.src', '-e', 'vxlan.vni', '-e', 'icmp.type'], { stdio: ['ignore', 'pipe', 'pipe'] });
  r.kids.push(ts);
  let tsOut = '';
  let tsErr = '';
  ts.stdout.setEncoding('utf8').on('data', (s: string) => (tsOut += s));
  ts.stderr.setEncoding('utf8').on('data', (s: string) => (tsErr += s));
  const tsDone = new Promise<void>((res) => ts.once('exit', () => res()));
  await waitFor('tshark to capture', () => (/Capturing on/.test(tsErr) ? true : undefined), 15000, 100);
  const ping = tryExec(r, r.nsA, 'ping', ['-c', '3', '-i', '0.3', '-W', '2', IP_B]);
  assert.match(ping.out, /3 packets transmitted, 3 received/, ping.out);
  await tsDone;
  const rows = tsOut.trim().split('\n').map((l) => l.split(','));
  // icmp.type has the outer (none) and inner values; tshark prints the inner one.
  const fromLoom = rows.filter((x) => x[0]?.startsWith('172.31.0.1') && x[1] === '4242' && x[2] === '8');
  const fromKernel = rows.filter((x) => x[0]?.startsWith('172.31.0.2') && x[1] === '4242' && x[2] === '0');
  assert.ok(fromLoom.length >= 2, `loom's VXLAN echo requests on the wire: ${tsOut}`);
  assert.ok(fromKernel.length >= 2, `kernel's VXLAN echo replies on the wire: ${tsOut}`);
  const s = await r.dp.stats();
  assert.ok((s.entries.find((e) => e.cookie === 33)?.packets ?? 0) >= 3, 'decapsulated replies matched tun_id 4242');
});

test('packet-out carries logical metadata into the pipeline; groups copy per bucket', { skip, timeout: 30000 }, async (t) => {
  const dp = await DatapathProcess.spawn({ memoryMb: 64 });
  t.after(() => dp.stop());
  await dp.applyBatch([{ op: 'add', entry: { table: 3, priority: 10, cookie: 41, match: { metadata: 5, inport: 2 }, actions: [{ type: 'packet_in', reason: 9 }] } }]);
  const pins: { reason: number; table: number; cookie: number }[] = [];
  dp.on('packet_in', (p) => pins.push(p));
  const f = Buffer.alloc(60, 0xab);
  assert.equal(await dp.packetOut({ table: 3, inPort: 0, metadata: { metadata: 6, inport: 2 } }, f), true);
  assert.equal(await dp.packetOut({ table: 3, inPort: 0, metadata: { metadata: 5, inport: 2 } }, f), true);
  const got = await waitFor('one packet-in', () => (pins.length >= 1 ? pins : undefined), 5000, 50);
  const s = await dp.stats();
  assert.equal(s.entries.find((e) => e.cookie === 41)?.packets, 1, 'only the packet with metadata 5 matched');
  assert.equal(got[0]?.reason, 9);
  assert.equal(got[0]?.table, 3);
  assert.equal(got[0]?.cookie, 41);

  // A group runs each bucket on its own copy: two buckets, two packet-ins.
  await dp.applyBatch([
    { op: 'add_group', group: 5, buckets: [[{ type: 'packet_in', reason: 21 }], [{ type: 'packet_in', reason: 22 }]] },
    { op: 'add', entry: { table: 4, priority: 10, cookie: 42, match: {}, actions: [{ type: 'group', group: 5 }] } },
  ]);
  await assert.rejects(dp.applyBatch([{ op: 'add', entry: { table: 4, priority: 20, match: {}, actions: [{ type: 'group', group: 6 }] } }]), (e: unknown) => e instanceof LoomError && e.op === 0);
  pins.length = 0;
  assert.equal(await dp.packetOut({ table: 4, inPort: 0 }, f), true);
  const two = await waitFor('two packet-ins from the group', () => (pins.length >= 2 ? pins : undefined), 5000, 50);
  assert.deepEqual(two.map((p) => p.reason).sort(), [21, 22]);
});

test('Geneve between two loom datapaths, with OVN\'s port option, decoded by tshark on the wire', { skip, timeout: 90000 }, async (t) => {
  const tag = `${process.pid % 10000}${tagN++}`;
  const net = new Netns();
  const dps: DatapathProcess[] = [];
  const kids: ChildProcess[] = [];
  t.after(async () => {
    for (const c of kids) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dps) await d.stop();
    net.cleanup();
  });
  const nsA = `lgA${tag}`;
  const nsB = `lgB${tag}`;
  net.addHost(nsA, `lga${tag}`, 'eth0', '192.168.80.1/24', MAC_A);
  net.addHost(nsB, `lgb${tag}`, 'eth0', '192.168.80.2/24', MAC_B);
  net.addWire(`lgu${tag}`, `lgv${tag}`);
  const chassis = [
    { vm: `lga${tag}`, wire: `lgu${tag}`, mac: '02:00:00:00:e1:01', ip: '10.99.0.1', peerMac: '02:00:00:00:e2:01', peerIp: '10.99.0.2', inport: 1, outport: 2 },
    { vm: `lgb${tag}`, wire: `lgv${tag}`, mac: '02:00:00:00:e2:01', ip: '10.99.0.2', peerMac: '02:00:00:00:e1:01', peerIp: '10.99.0.1', inport: 2, outport: 1 },
  ];
  for (const c of chassis) {
    const { dp, ids: [vm, up] } = await spawnWithAfPacket({ memoryMb: 64 }, [{ name: 'vm', iface: c.vm }, { name: 'uplink', iface: c.wire }]);
    dps.push(dp);
    await dp.applyBatch([
      // Logical ports (OVN's reg14/reg15 keys) ride in the Geneve option 0x0102/0x80.
      { op: 'add', entry: { table: 0, priority: 100, match: { in_port: vm }, actions: [
        { type: 'set_field', field: 'inport', value: c.inport }, { type: 'set_field', field: 'outport', value: c.outport },
        { type: 'encap', kind: 'geneve', vni: 77, ethSrc: c.mac, ethDst: c.peerMac, ipSrc: c.ip, ipDst: c.peerIp }, { type: 'output', port: up }] } },
      { op: 'add', entry: { table: 0, priority: 100, match: { in_port: up, eth_type: 0x0800, ip_proto: 17, l4_dst: 6081 }, actions: [{ type: 'decap' }, { type: 'goto_table', table: 1 }] } },
      // The option arrives as tun_opt = (sender's inport << 16) | its outport (us).
      { op: 'add', entry: { table: 1, priority: 100, cookie: 51, match: { tun_id: 77, tun_opt: (c.outport << 16) | c.inport }, actions: [{ type: 'output', port: vm }] } },
    ]);
  }
  // The af_packet PMD bypasses the qdisc, so a capture sees a wire end's received frames
  // only: one tshark per end shows both directions.
  const captures = [`lgu${tag}`, `lgv${tag}`].map((ifc) => {
    const ts = spawn('timeout', ['25', 'tshark', '-l', '-n', '-i', ifc, '-f', 'udp port 6081', '-c', '3', '-T', 'fields', '-E', 'separator=,', '-E', 'aggregator=/', '-e', 'ip.src', '-e', 'geneve.vni', '-e', 'geneve.option.class', '-e', 'geneve.option.type', '-e', 'icmp.type'], { stdio: ['ignore', 'pipe', 'pipe'] });
    kids.push(ts);
    const c = { out: '', err: '', done: new Promise<void>((res) => ts.once('exit', () => res())) };
    ts.stdout.setEncoding('utf8').on('data', (s: string) => (c.out += s));
    ts.stderr.setEncoding('utf8').on('data', (s: string) => (c.err += s));
    return c;
  });
  await waitFor('tshark to capture', () => (captures.every((c) => /Capturing on/.test(c.err)) ? true : undefined), 15000, 100);
  const ping = (() => {
    try {
      return net.exec(nsA, 'ping', ['-c', '3', '-i', '0.3', '-W', '2', '192.168.80.2']);
    } catch (e) {
      return String((e as { stdout?: unknown }).stdout ?? e);
    }
  })();
  const diag = async (): Promise<string> => JSON.stringify(await Promise.all(dps.map(async (d) => {
    const s = await d.stats();
    return { entries: s.entries, drops: Object.fromEntries(Object.entries(s.drops).filter(([, v]) => v > 0)), ports: s.ports.map((p) => [p.name, p.rx, p.tx]) };
  })));
  assert.match(ping, /3 packets transmitted, 3 received/, `${ping} ${await diag()}`);
  await Promise.all(captures.map((c) => c.done));
  const out = captures.map((c) => c.out).join('');
  const rows = out.trim().split('\n').map((l) => l.split(','));
  // tshark prints vni/class/type in hex (0x00004d) or decimal depending on version.
  const geneve = (src: string, icmp: string) => rows.filter((r) => r[0]?.startsWith(src) && Number(r[1]) === 77 && Number(r[2]) === 0x0102 && Number(r[3]) === 0x80 && r[4] === icmp);
  assert.ok(geneve('10.99.0.1', '8').length >= 2, `chassis 1's Geneve echo requests with the OVN option: ${out}`);
  assert.ok(geneve('10.99.0.2', '0').length >= 2, `chassis 2's Geneve echo replies with the OVN option: ${out}`);
  for (const d of dps) assert.ok(((await d.stats()).entries.find((e) => e.cookie === 51)?.packets ?? 0) >= 3, 'decapsulated and matched on the Geneve option');
});

test('trace: a packet through the installed tables, every lookup and step, nothing sent', { skip, timeout: 30000 }, async (t) => {
  const dp = await DatapathProcess.spawn({ memoryMb: 64 });
  t.after(() => dp.stop());
  await dp.applyBatch([
    { op: 'add', entry: { table: 0, priority: 100, cookie: 61, match: { in_port: 3, eth_type: 0x0800 }, actions: [{ type: 'goto_table', table: 1 }] } },
    { op: 'add', entry: { table: 1, priority: 50, cookie: 62, match: { ip4_dst: '10.0.0.0/8' }, actions: [{ type: 'set_field', field: 'eth_dst', value: '02:00:00:00:00:99' }, { type: 'output', port: 4 }] } },
    { op: 'set_miss', table: 1, miss: { packetIn: 3 } },
  ]);
  // Ethernet + IPv4 (UDP) to 10.1.2.3.
  const pkt = Buffer.from('ffffffffffff02000000000108004500001c0000400040117a91c0a800010a01020330393039000800000000', 'hex');
  const tr = await dp.trace({ inPort: 3 }, pkt);
  assert.deepEqual(tr.lookups.map((l) => [l.table, l.cookie]), [[0, 61], [1, 62]]);
  assert.equal(tr.outputs.length, 1);
  assert.equal(tr.outputs[0]!.port, 4);
  assert.equal(Buffer.from(tr.outputs[0]!.data).subarray(0, 6).toString('hex'), '020000000099', 'set_field rewrote eth.dst');
  const miss = await dp.trace({ inPort: 3 }, Buffer.from(pkt.toString('hex').replace('0a010203', 'c0a80002'), 'hex'));
  assert.deepEqual(miss.lookups.map((l) => [l.table, l.miss ?? false]), [[0, false], [1, true]]);
  assert.equal(miss.packetIns[0]?.reason, 3);
  const s = await dp.stats();
  assert.equal(s.entries.find((e) => e.cookie === 62)?.packets, 1, 'a traced packet counts on the entries it hits (unlike ofproto/trace)');
});

test('conntrack: an idle datapath still expires connections (the control thread sweeps on a timer)', { skip, timeout: 30000 }, async (t) => {
  // No ports: the workers only ever see empty polls, which expire nothing; the 1 s UDP
  // timeout can only be enforced by the addon's expiry thread (every 50 ms here).
  const dp = await DatapathProcess.spawn({ memoryMb: 64, ctTimeouts: { udp_first: 1 }, ctExpireMs: 50 });
  t.after(() => dp.stop());
  await dp.applyBatch([
    { op: 'add', entry: { table: 0, priority: 100, cookie: 71, match: { eth_type: 0x0800 }, actions: [{ type: 'ct', zone: 5, commit: true }, { type: 'output', port: 4 }] } },
  ]);
  // Ethernet + IPv4 (UDP) 192.168.0.1 -> 10.1.2.3; trace acts on the real connection table.
  const pkt = Buffer.from('ffffffffffff02000000000108004500001c0000400040117a91c0a800010a01020330393039000800000000', 'hex');
  const tr = await dp.trace({ inPort: 3 }, pkt);
  assert.equal(tr.outputs.length, 1);
  const before = (await dp.stats()).conntrack;
  assert.ok(before, 'the core pipeline reports conntrack counters');
  assert.equal(before.conns, 1, 'the traced packet committed one connection');
  const after = await waitFor('the idle connection to expire', async () => {
    const c = (await dp.stats()).conntrack;
    return c && c.conns === 0 ? c : undefined;
  }, 8000, 200);
  assert.equal(after.expired - before.expired, 1);
  assert.equal(after.created, before.created);
});
