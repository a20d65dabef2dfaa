// test/datapath-vhost.test.ts — the datapath between real vhost-user peers: dpdk-testpmd
// with virtio-user ports (the client a VM's virtio driver is) on two loom ports.
//   1. server mode: packets forwarded through an L2 table, then stopped by a drop rule.
//   2. client mode: loom connects to testpmd's virtio-user servers; loom's process is
//      restarted while testpmd stays up, and traffic resumes.
// Each datapath runs in its own process (EAL is once per process) with a unique prefix;
// every socket, process and runtime dir is removed in t.after, even on failure.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { DatapathProcess } from '../datapath/js/process.js';
import { canRunDpdk, Testpmd, waitFor } from './datapath-peers.js';

const skip = canRunDpdk();

const l2 = (a: number, b: number) => [
  { op: 'add', entry: { table: 0, priority: 100, cookie: 1, match: { in_port: a }, actions: [{ type: 'output', port: b }] } },
  { op: 'add', entry: { table: 0, priority: 100, cookie: 2, match: { in_port: b }, actions: [{ type: 'output', port: a }] } },
];

/**
 * A directory for the vhost sockets. After the test, even a failed one, the testpmd and
 * datapath that `running()` names then are stopped and the directory removed.
 */
function scratch(t: TestContext, prefix: string, running: () => { dp: DatapathProcess | undefined; tp: Testpmd | undefined }): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(async () => {
    const { dp, tp } = running();
    await tp?.quit();
    await dp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Waits until every port of DP (and, given PORTS, exactly that many) has its link up. */
const linksUp = (dp: DatapathProcess, what: string, ports?: number) => waitFor(what, async () => {
  const s = await dp.stats();
  return (ports === undefined || s.ports.length === ports) && s.ports.every((p) => p.linkUp) ? true : undefined;
}, 20000, 100);

async function portStat(dp: DatapathProcess, name: string) {
  const s = await dp.stats();
  const p = s.ports.find((x) => x.name === name);
  assert.ok(p, `port ${name} in stats`);
  return { port: p, stats: s };
}

test('vhost-user: testpmd virtio-user <-> loom L2 table, then a drop rule', { skip, timeout: 90000 }, async (t) => {
  let dp: DatapathProcess | undefined;
  let tp: Testpmd | undefined;
  const dir = scratch(t, 'loom-vhost-', () => ({ dp, tp }));
  t.after(() => {
    for (const f of Testpmd.startFailures.splice(0)) t.diagnostic(`testpmd start-up stalled once and was retried: ${f.slice(0, 2000)}`);
  });
  dp = await DatapathProcess.spawn({ memoryMb: 256 });
  const p0 = await dp.addPort({ name: 'vm0', type: 'vhost-user', path: join(dir, 'vm0.sock') });
  const p1 = await dp.addPort({ name: 'vm1', type: 'vhost-user', path: join(dir, 'vm1.sock') });
  assert.deepEqual((await dp.applyBatch(l2(p0.id, p1.id))).entries, 2);
  tp = await Testpmd.start([`net_virtio_user0,path=${join(dir, 'vm0.sock')},queues=1`, `net_virtio_user1,path=${join(dir, 'vm1.sock')},queues=1`]);

  await linksUp(dp!, 'vhost links up');
  // 32 packets seeded on each virtio port keep circulating: vm0 -> loom -> vm1 -> testpmd io -> vm0 ...
  await tp.cmd('start tx_first 1');
  const fwd = await waitFor('loom to forward 20000 packets each way', async () => {
    const a = (await portStat(dp!, 'vm0')).port;
    const b = (await portStat(dp!, 'vm1')).port;
    return a.tx >= 20000 && b.tx >= 20000 ? { a, b } : undefined;
  }, 20000, 200);
  await tp.cmd('stop');
  const tpStats = await tp.portStats();
  assert.equal(tpStats.length, 2);
  // What testpmd's virtio ports received is what loom sent them (no other path exists).
  assert.ok(tpStats[0]!.rx > 0 && tpStats[1]!.rx > 0, `testpmd received on both ports: ${JSON.stringify(tpStats)}`);
  const after = await dp.stats();
  const e1 = after.entries.find((e) => e.cookie === 1);
  const e2 = after.entries.find((e) => e.cookie === 2);
  assert.ok(e1 && e1.packets >= fwd.b.tx && e1.bytes >= 60 * e1.packets, `entry 1 counted ${JSON.stringify(e1)}`);
  assert.ok(e2 && e2.packets >= fwd.a.tx, `entry 2 counted ${JSON.stringify(e2)}`);
  assert.equal(after.drops.table_miss, 0);
  const vm1 = after.ports.find((p) => p.name === 'vm1')!;
  assert.ok(tpStats[1]!.rx <= vm1.tx, 'testpmd cannot receive more than loom transmitted');
  assert.ok(after.workers[0]!.busyCycles > 0);

  // Drop what comes from vm0. Packets seeded on vm0 now die in loom; the vm1 -> vm0
  // direction keeps circulating (testpmd forwards vm0's rx out of vm1 -> loom -> vm0 ...
  // is broken at loom's vm0 rx, so only vm1's seed survives one lap at most).
  await dp.applyBatch([{ op: 'modify', entry: { table: 0, priority: 100, cookie: 3, match: { in_port: p0.id }, actions: [{ type: 'drop' }] } }]);
  const base = await dp.stats();
  const baseVm1Tx = base.ports.find((p) => p.name === 'vm1')!.tx;
  await tp.cmd('start tx_first 1');
  const dropped = await waitFor('the drop rule to count the 32 seeded packets', async () => {
    const s = await dp!.stats();
    return s.drops.explicit_drop! - base.drops.explicit_drop! >= 32 ? s : undefined;
  }, 10000, 100);
  await tp.cmd('stop');
  const end = await dp.stats();
  const dropEntry = end.entries.find((e) => e.cookie === 3);
  assert.ok(dropEntry && dropEntry.packets >= 32, `drop entry counted ${JSON.stringify(dropEntry)}`);
  assert.equal(end.ports.find((p) => p.name === 'vm1')!.tx, baseVm1Tx, 'nothing reaches vm1 once vm0 traffic is dropped');
  assert.ok(dropped.drops.explicit_drop! >= 32);
});

test('vhost-user client mode: loom restarts (clean stop, then SIGKILL), testpmd (virtio-user server) stays up, traffic resumes', { skip, timeout: 120000 }, async (t) => {
  let dp: DatapathProcess | undefined;
  let tp: Testpmd | undefined;
  const dir = scratch(t, 'loom-vhostc-', () => ({ dp, tp }));
  const s0 = join(dir, 'vm0.sock');
  const s1 = join(dir, 'vm1.sock');
  const bringUp = async (): Promise<DatapathProcess> => {
    const d = await DatapathProcess.spawn({ memoryMb: 256 });
    const a = await d.addPort({ name: 'vm0', type: 'vhost-user-client', path: s0 });
    const b = await d.addPort({ name: 'vm1', type: 'vhost-user-client', path: s1 });
    await d.applyBatch(l2(a.id, b.id));
    return d;
  };
  const traffic = async (d: DatapathProcess, round: string): Promise<number> => {
    // Seed only once both vhost links are up (testpmd's virtio-user drops what it sends
    // while disconnected); re-seed if a seed was lost anyway (bounded).
    await linksUp(d, `${round}: vhost links up`);
    for (let attempt = 1; attempt <= 4; attempt++) {
      await tp!.cmd('start tx_first 1');
      const s = await waitFor(`${round}: loom forwarding both ways`, async () => {
        const st = await d.stats();
        const tx = st.ports.map((p) => p.tx);
        return tx.length === 2 && tx.every((x) => x >= 5000) ? st : undefined;
      }, 8000, 200).catch(() => undefined);
      await tp!.cmd('stop');
      if (s) return s.ports.reduce((n, p) => n + p.tx, 0);
    }
    throw new Error(`${round}: no traffic after 4 seeds: ${JSON.stringify((await d.stats()).ports)}`);
  };
  // loom's client ports retry until testpmd's virtio-user servers listen (testpmd's
  // start-up waits for them to connect).
  dp = await bringUp();
  tp = await Testpmd.start([`net_virtio_user0,path=${s0},queues=1,server=1`, `net_virtio_user1,path=${s1},queues=1,server=1`]);
  const first = await traffic(dp, 'first datapath');
  assert.ok(first >= 10000);
  const before = (await tp.portStats()).reduce((n, p) => n + p.rx, 0);
  const oldPid = dp.pid;
  await dp.stop(); // the datapath process goes away; testpmd keeps running
  dp = await bringUp();
  assert.notEqual(dp.pid, oldPid);
  const second = await traffic(dp, 'restarted datapath');
  assert.ok(second >= 10000, 'the new datapath forwards');
  const afterRx = (await tp.portStats()).reduce((n, p) => n + p.rx, 0);
  assert.ok(afterRx > before, `testpmd (never restarted) receives again: ${before} -> ${afterRx}`);

  // A crash this time (SIGKILL: no goodbye on the vhost-user sockets), then a new datapath.
  await dp.kill();
  dp = await bringUp();
  assert.ok((await traffic(dp, 'datapath after a crash')) >= 10000);
  const crashRx = (await tp.portStats()).reduce((n, p) => n + p.rx, 0);
  assert.ok(crashRx > afterRx, `testpmd receives after the crash-restart too: ${afterRx} -> ${crashRx}`);
});

// The vhost ports call the vhost library directly (datapath/dpdk/vhost_port.h): a guest
// that goes away mid-burst must be retired (destroy_device waits for the workers) before
// the library unmaps its memory. Killed under traffic three times, the datapath must stay
// up, report the link down, and forward again for the next guest on the same socket.
test('vhost-user: the guest is SIGKILLed under traffic and comes back, three times; loom keeps forwarding', { skip, timeout: 120000 }, async (t) => {
  let dp: DatapathProcess | undefined;
  let tp: Testpmd | undefined;
  const dir = scratch(t, 'loom-vhostk-', () => ({ dp, tp }));
  dp = await DatapathProcess.spawn({ memoryMb: 256 });
  const s0 = join(dir, 'vm0.sock');
  const s1 = join(dir, 'vm1.sock');
  const p0 = await dp.addPort({ name: 'vm0', type: 'vhost-user', path: s0 });
  const p1 = await dp.addPort({ name: 'vm1', type: 'vhost-user', path: s1 });
  await dp.applyBatch(l2(p0.id, p1.id));
  const txSum = async () => (await dp!.stats()).ports.reduce((n, p) => n + p.tx, 0);
  for (let round = 1; round <= 3; round++) {
    tp = await Testpmd.start([`net_virtio_user0,path=${s0},queues=1`, `net_virtio_user1,path=${s1},queues=1`]);
    await linksUp(dp!, `round ${round}: links up`);
    const base = await txSum();
    await tp.cmd('start tx_first 1');
    await waitFor(`round ${round}: loom forwards 20000 packets`, async () => ((await txSum()) - base >= 20000 ? true : undefined), 20000, 100);
    // Still circulating: the kill lands while loom's worker is in a dequeue or enqueue.
    const pid = tp.pid;
    assert.ok(pid !== undefined);
    process.kill(pid, 'SIGKILL');
    await tp.quit(); // waits for the exit, removes its runtime dir
    tp = undefined;
    await waitFor(`round ${round}: links down after the guest died`, async () => ((await dp!.stats()).ports.every((p) => !p.linkUp) ? true : undefined), 20000, 100);
    assert.equal((await dp.stats()).ports.length, 2, 'both ports are still there');
  }
  // A last guest: the datapath forwards as before.
  tp = await Testpmd.start([`net_virtio_user0,path=${s0},queues=1`, `net_virtio_user1,path=${s1},queues=1`]);
  await linksUp(dp!, 'links up again');
  const base = await txSum();
  await tp.cmd('start tx_first 1');
  await waitFor('loom forwards for the fourth guest', async () => ((await txSum()) - base >= 20000 ? true : undefined), 20000, 100);
  await tp.cmd('stop');
  assert.ok((await tp.portStats()).every((p) => p.rx > 0), 'the fourth guest receives on both ports');
});

// Ports removed and added at run time while packets circulate: loom's client port to
// testpmd's virtio-user server is removed (traffic toward it counts as bad_port) and added
// again (same id, reconnects), and the loop runs again.
test('vhost-user client port removed and re-added under traffic', { skip, timeout: 90000 }, async (t) => {
  let dp: DatapathProcess | undefined;
  let tp: Testpmd | undefined;
  const dir = scratch(t, 'loom-vhostr-', () => ({ dp, tp }));
  const s0 = join(dir, 'vm0.sock');
  const s1 = join(dir, 'vm1.sock');
  dp = await DatapathProcess.spawn({ memoryMb: 256 });
  const a = await dp.addPort({ name: 'vm0', type: 'vhost-user-client', path: s0 });
  const b = await dp.addPort({ name: 'vm1', type: 'vhost-user-client', path: s1 });
  await dp.applyBatch(l2(a.id, b.id));
  tp = await Testpmd.start([`net_virtio_user0,path=${s0},queues=1,server=1`, `net_virtio_user1,path=${s1},queues=1,server=1`]);
  const forwarding = async (what: string) => {
    // Re-seed if a seed was lost while a link was still coming up (bounded).
    for (let attempt = 1; attempt <= 4; attempt++) {
      const base = (await dp!.stats()).ports.map((p) => p.tx);
      await tp!.cmd('start tx_first 1');
      const ok = await waitFor(what, async () => {
        const tx = (await dp!.stats()).ports.map((p) => p.tx);
        return tx.length === 2 && tx.every((x, i) => x - (base[i] ?? 0) >= 5000) ? true : undefined;
      }, 8000, 100).catch(() => undefined);
      if (ok) return;
      await tp!.cmd('stop');
    }
    throw new Error(`${what}: no traffic after 4 seeds`);
  };
  await linksUp(dp, 'links up', 2);
  await forwarding('loom forwards both ways');
  // Remove vm1 while the loop runs.
  const before = await dp.stats();
  await dp.removePort('vm1');
  const gone = await waitFor('packets toward the removed port count as bad_port', async () => {
    const s = await dp!.stats();
    return s.drops.bad_port! > before.drops.bad_port! ? s : undefined;
  }, 10000, 100);
  assert.deepEqual(gone.ports.map((p) => p.name), ['vm0']);
  await tp.cmd('stop');
  const again = await dp.addPort({ name: 'vm1', type: 'vhost-user-client', path: s1 });
  assert.equal(again.id, b.id, 'the lowest free id is reused');
  await linksUp(dp, 'links up after re-adding vm1', 2);
  await forwarding('loom forwards both ways after re-adding vm1');
  await tp.cmd('stop');
});

// Two workers, each polling one vhost port, both transmitting to guests that have one
// queue pair: the workers share that pair's rx ring (the vhost library locks it), so
// nothing is lost for want of a second queue.
test('vhost-user with two workers and single-queue guests: both directions forward, no tx drops', { skip, timeout: 90000 }, async (t) => {
  let dp: DatapathProcess | undefined;
  let tp: Testpmd | undefined;
  const dir = scratch(t, 'loom-vhost2w-', () => ({ dp, tp }));
  dp = await DatapathProcess.spawn({ memoryMb: 256, workers: 2 });
  const p0 = await dp.addPort({ name: 'vm0', type: 'vhost-user', path: join(dir, 'vm0.sock') });
  const p1 = await dp.addPort({ name: 'vm1', type: 'vhost-user', path: join(dir, 'vm1.sock') });
  await dp.applyBatch(l2(p0.id, p1.id));
  tp = await Testpmd.start([`net_virtio_user0,path=${join(dir, 'vm0.sock')},queues=1`, `net_virtio_user1,path=${join(dir, 'vm1.sock')},queues=1`]);
  await linksUp(dp!, 'vhost links up');
  await tp.cmd('start tx_first 1');
  // Worker 0 polls vm0 and transmits on vm1; worker 1 the other way round.
  const s = await waitFor('both workers forward', async () => {
    const st = await dp!.stats();
    return st.ports.length === 2 && st.ports.every((p) => p.tx >= 5000) ? st : undefined;
  }, 20000, 100);
  await tp.cmd('stop');
  assert.equal(s.workers.length, 2);
  assert.ok(s.workers.every((w) => w.bursts > 0), `both workers carried bursts: ${JSON.stringify(s.workers)}`);
  assert.equal(s.drops.tx_full, 0, 'no worker transmits on a queue pair the guest does not have');
});
