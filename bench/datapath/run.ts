// bench/datapath/run.ts — loom's datapath against OVS-DPDK and DPDK's own loopback, same run.
//
// 64-byte UDP packets (testpmd's txonly template, 198.18.0.1 -> .2, port 9) circulate
// between two vhost-user ports exactly as /work/shared/bench/ref-*.sh do it: a dpdk-testpmd
// with two virtio-user ports ("the VMs", io forwarding, CPU $SRC_CPU) seeds BURSTS x 32
// packets per port with `start tx_first`; the switch under test runs on CPU $SW_CPU.
// Rate = what the source receives (both ports) over DURATION s after WARMUP s.
// Configurations, interleaved round by round (A B C D E, A B C D E, ...):
//   loom-l2         loom, core pipeline, in_port -> output (plain L2)
//   loom-acl1000-ct loom, 1,000 L3/L4 entries (one matches) -> conntrack zone 1, commit on
//                   new, forward on est (the same rule set ref-ovs-dpdk-loop.sh --acl 1000 --ct installs)
//   ovs-dpdk        ref-ovs-dpdk-loop.sh          ovs-dpdk-acl1000-ct  ref-ovs-dpdk-loop.sh --acl 1000 --ct
//   ceiling         ref-testpmd-loop.sh
// First (unless --only leaves it out; name "idle"): the CPU an idle loom process uses.
// Prints per run Mpps and switch cycles/packet, then medians and the ratios
// loom/OVS-DPDK and loom/ceiling. Needs root, hugepages, dpdk, openvswitch-switch-dpdk.
// Usage: node --import tsx bench/datapath/run.ts [--duration S(10)] [--warmup S(2)]
//        [--bursts N(32)] [--rounds R(3)] [--only name,name] [--loom-spin N]
// Env: SW_CPU=0 SRC_CPU=1 REF_DIR=/work/shared/bench

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatapathProcess } from '../../datapath/js/process.js';
import { Testpmd } from '../../test/datapath-peers.js';
import { processCpuMs } from '../proc-cpu.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : dflt;
};
const DUR = Number(arg('duration', '10'));
const WARM = Number(arg('warmup', '2'));
const BURSTS = Number(arg('bursts', '32'));
const ROUNDS = Number(arg('rounds', '3'));
const ONLY = arg('only', '').split(',').filter((s) => s !== '');
// Empty polls loom spins before sleeping; omitted: the datapath's default. A large value
// makes loom poll like a PMD (OVS-DPDK and testpmd never sleep), to separate the cost of
// the idle policy on a shared machine from the per-packet cost.
const SPIN = arg('loom-spin', '');
const SW_CPU = Number(process.env.SW_CPU ?? '0');
const SRC_CPU = Number(process.env.SRC_CPU ?? '1');
const REF_DIR = process.env.REF_DIR ?? '/work/shared/bench';

interface Result { readonly name: string; readonly mpps: number; readonly cyclesPerPkt: number | undefined; readonly busyPct: number | undefined; readonly note: string }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// The ACL + conntrack rule set of ref-ovs-dpdk-loop.sh --acl 1000 --ct, as loom tables.
function aclCtBatch(a: number, b: number, n: number): unknown[] {
  const ops: unknown[] = [];
  for (let i = 1; i < n; i++) {
    ops.push({ op: 'add', entry: { table: 0, priority: 200, match: { eth_type: 0x0800, ip_proto: 17, ip4_src: `10.${Math.floor(i / 65536) % 256}.${Math.floor(i / 256) % 256}.${i % 256}`, l4_dst: 1024 + (i % 60000) }, actions: [{ type: 'goto_table', table: 1 }] } });
  }
  ops.push({ op: 'add', entry: { table: 0, priority: 200, match: { eth_type: 0x0800, ip_proto: 17, ip4_src: '198.18.0.1', l4_dst: 9 }, actions: [{ type: 'goto_table', table: 1 }] } });
  ops.push({ op: 'add', entry: { table: 0, priority: 100, match: { in_port: a }, actions: [{ type: 'output', port: b }] } });
  ops.push({ op: 'add', entry: { table: 0, priority: 100, match: { in_port: b }, actions: [{ type: 'output', port: a }] } });
  ops.push({ op: 'add', entry: { table: 1, priority: 100, match: { eth_type: 0x0800 }, actions: [{ type: 'ct', zone: 1, table: 2 }] } });
  // ct_state bits: new 0x01, est 0x02, trk 0x20; masks include new|est so the two never overlap.
  for (const [inp, out] of [[a, b], [b, a]] as const) {
    ops.push({ op: 'add', entry: { table: 2, priority: 100, match: { in_port: inp, ct_state: { value: 0x21, mask: 0x23 } }, actions: [{ type: 'ct', zone: 1, commit: true }, { type: 'output', port: out }] } });
    ops.push({ op: 'add', entry: { table: 2, priority: 100, match: { in_port: inp, ct_state: { value: 0x22, mask: 0x23 } }, actions: [{ type: 'output', port: out }] } });
  }
  return ops;
}

function parseRx(s: string): number {
  let sum = 0;
  for (const m of s.matchAll(/RX-packets:\s+(\d+)/g)) sum += Number(m[1]);
  return sum;
}

async function runLoom(name: string, acl: boolean): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'loom-bench-'));
  let dp: DatapathProcess | undefined;
  let tp: Testpmd | undefined;
  try {
    dp = await DatapathProcess.spawn({ taskset: String(SW_CPU), workerCpus: [SW_CPU], mainCpu: SW_CPU, memoryMb: 512, ...(SPIN === '' ? {} : { idleSpinPolls: Number(SPIN) }) });
    const a = await dp.addPort({ name: 'vhu0', type: 'vhost-user', path: join(dir, 'vhu0') });
    const b = await dp.addPort({ name: 'vhu1', type: 'vhost-user', path: join(dir, 'vhu1') });
    await dp.applyBatch(acl ? aclCtBatch(a.id, b.id, 1000) : [
      { op: 'add', entry: { table: 0, priority: 100, match: { in_port: a.id }, actions: [{ type: 'output', port: b.id }] } },
      { op: 'add', entry: { table: 0, priority: 100, match: { in_port: b.id }, actions: [{ type: 'output', port: a.id }] } },
    ]);
    tp = await Testpmd.start([`net_virtio_user0,path=${join(dir, 'vhu0')},queues=1`, `net_virtio_user1,path=${join(dir, 'vhu1')},queues=1`], { cpu: String(SRC_CPU) });
    await tp.cmd(`start tx_first ${BURSTS}`);
    await sleep(WARM * 1000);
    const s0 = await dp.stats();
    const t0 = performance.now();
    const rx0 = parseRx(await tp.cmd('show port stats all'));
    let rx1 = rx0;
    let t1 = t0;
    for (let i = 0; i < DUR; i++) {
      await sleep(1000);
      t1 = performance.now();
      rx1 = parseRx(await tp.cmd('show port stats all'));
    }
    const s1 = await dp.stats();
    const secs = (t1 - t0) / 1000;
    const tx = (s: typeof s0): number => s.ports.reduce((n, p) => n + p.tx, 0);
    const w0 = s0.workers[0]!;
    const w1 = s1.workers[0]!;
    const busy = w1.busyCycles - w0.busyCycles;
    const pkts = tx(s1) - tx(s0);
    const drops = Object.entries(s1.drops).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(' ');
    return {
      name, mpps: (rx1 - rx0) / secs / 1e6, cyclesPerPkt: pkts > 0 ? busy / pkts : undefined,
      // pkt/burst: packets per busy poll (all ports); small bursts mean per-poll costs
      // (empty rx calls, flushes, rdtsc) weigh on cycles/packet.
      busyPct: (100 * busy) / (s1.tscHz * secs),
      note: `entries=${s1.entries.length} pkt/burst=${(pkts / Math.max(1, w1.bursts - w0.bursts)).toFixed(1)} sleeps/s=${Math.round((w1.sleeps - w0.sleeps) / secs)} ${drops}`.trim(),
    };
  } finally {
    await tp?.quit();
    await dp?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runRef(name: string, script: string, args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(join(REF_DIR, script), ['--duration', String(DUR), '--warmup', String(WARM), '--bursts', String(BURSTS), ...args], {
      env: { ...process.env, SW_CPU: String(SW_CPU), SRC_CPU: String(SRC_CPU) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.once('exit', () => {
      const mpps = Number(/Mpps=([\d.]+)\s*$/.exec(out.trim())?.[1] ?? NaN);
      const cyc = /cycles\/pkt=([\d.]+)/.exec(err)?.[1];
      const busy = /(?:busy|pmd_busy)=([\d.]+)%/.exec(err)?.[1];
      resolve({ name, mpps, cyclesPerPkt: cyc === undefined ? undefined : Number(cyc), busyPct: busy === undefined ? undefined : Number(busy), note: Number.isNaN(mpps) ? `FAILED: ${err.split('\n').slice(-4).join(' | ')}` : '' });
    });
  });
}

// An idle datapath (two vhost-user ports, no peer): CPU its process uses, all threads.
async function idleCpu(seconds: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'loom-bench-idle-'));
  const dp = await DatapathProcess.spawn({ memoryMb: 256 });
  try {
    await dp.addPort({ name: 'vhu0', type: 'vhost-user', path: join(dir, 'vhu0') });
    await dp.addPort({ name: 'vhu1', type: 'vhost-user', path: join(dir, 'vhu1') });
    const ticks = (): number => processCpuMs(dp.pid) / 10; // clock ticks (100/s)
    await sleep(1000);
    const t0 = ticks();
    const s0 = await dp.stats();
    await sleep(seconds * 1000);
    const t1 = ticks();
    const s1 = await dp.stats();
    const w0 = s0.workers[0]!;
    const w1 = s1.workers[0]!;
    return `loom idle: process CPU ${((t1 - t0) / seconds).toFixed(1)}% of one core over ${seconds} s; worker ${Math.round((w1.sleeps - w0.sleeps) / seconds)} sleeps/s, ${Math.round((w1.polls - w0.polls) / seconds)} polls/s`;
  } finally {
    await dp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const CONFIGS: readonly { readonly name: string; readonly run: () => Promise<Result> }[] = [
  { name: 'loom-l2', run: () => runLoom('loom-l2', false) },
  { name: 'ovs-dpdk', run: () => runRef('ovs-dpdk', 'ref-ovs-dpdk-loop.sh', []) },
  { name: 'loom-acl1000-ct', run: () => runLoom('loom-acl1000-ct', true) },
  { name: 'ovs-dpdk-acl1000-ct', run: () => runRef('ovs-dpdk-acl1000-ct', 'ref-ovs-dpdk-loop.sh', ['--acl', '1000', '--ct']) },
  { name: 'ceiling', run: () => runRef('ceiling', 'ref-testpmd-loop.sh', []) },
];

const median = (xs: readonly number[]): number => {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((p, q) => p - q);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const fmt = (x: number | undefined, d = 2): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

async function main(): Promise<void> {
  if (ONLY.length === 0 || ONLY.includes('idle')) console.log(await idleCpu(5));
  const results: Result[] = [];
  const chosen = CONFIGS.filter((c) => ONLY.length === 0 || ONLY.includes(c.name));
  console.log(`datapath bench: loom idle spin polls ${SPIN === '' ? 'default' : SPIN}; ${ROUNDS} round(s) x [${chosen.map((c) => c.name).join(', ')}], ${DUR} s window after ${WARM} s warm-up, ${BURSTS} bursts, switch CPU ${SW_CPU}, source CPU ${SRC_CPU}`);
  for (let r = 1; r <= ROUNDS; r++) {
    for (const c of chosen) {
      let res: Result;
      try {
        res = await c.run();
      } catch (e) {
        res = { name: c.name, mpps: NaN, cyclesPerPkt: undefined, busyPct: undefined, note: `FAILED: ${(e as Error).message.slice(0, 300)}` };
      }
      results.push(res);
      console.log(`round ${r} ${res.name.padEnd(20)} Mpps=${fmt(res.mpps, 3)} cycles/pkt=${fmt(res.cyclesPerPkt, 0)} switch_busy=${fmt(res.busyPct, 1)}% ${res.note}`);
    }
  }
  const med = new Map<string, { mpps: number; cyc: number }>();
  console.log('\nmedians:');
  for (const c of chosen) {
    const rs = results.filter((x) => x.name === c.name);
    const m = { mpps: median(rs.map((x) => x.mpps)), cyc: median(rs.map((x) => x.cyclesPerPkt ?? NaN)) };
    med.set(c.name, m);
    console.log(`  ${c.name.padEnd(20)} Mpps=${fmt(m.mpps, 3)} cycles/pkt=${fmt(m.cyc, 0)}`);
  }
  const ratio = (a: string, b: string): void => {
    const x = med.get(a);
    const y = med.get(b);
    if (x && y) console.log(`  ${a} / ${b}: Mpps ${fmt(x.mpps / y.mpps)}  cycles/pkt ${fmt(x.cyc / y.cyc)}`);
  };
  console.log('ratios (Mpps: higher is better for loom; cycles/pkt: lower is better):');
  ratio('loom-l2', 'ovs-dpdk');
  ratio('loom-l2', 'ceiling');
  ratio('loom-acl1000-ct', 'ovs-dpdk-acl1000-ct');
  ratio('loom-acl1000-ct', 'ceiling');
}

await main();
