// test/datapath-shell.test.ts — the forwarding worker itself (Datapath::worker_loop with
// the core pipeline) on a loop of two DPDK ring ports, no peers: datapath/dpdk/shell_bench.cc
// in its `check` mode seeds 512 frames of which 64 are hostile (bad IPv4/UDP lengths, bad
// IHL, a runt) and requires that the core drops exactly those 64 (counted as malformed by
// reason) while every forwarded packet is counted on its table entry. Run twice: with the
// simple-match shortcut (in_port -> output without the executor) and without it
// (LOOM_SIMPLE_MATCH=0), so the shortcut cannot forward what the executor would drop.
// The same run queues a packet-out for a port that is then removed and replaced by one
// with the same DPDK port id: the packet-out must be dropped (port generation), not sent.
// Never: leaves a process (spawnSync with a timeout and SIGKILL) or an EAL runtime dir
// (the bench removes its own; this test too if the bench was killed).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const coreLib = join(root, 'datapath', 'build', 'core-shell', 'libloomcore.a');
const bench = join(root, 'datapath', 'build', 'loom_shell_bench');
const skip = process.getuid?.() !== 0 ? 'needs root (DPDK EAL)' : !existsSync(coreLib) ? 'core not built (datapath/build.sh)' : false;

test('datapath worker: hostile frames die in the core with and without the simple-match shortcut; ACL rules take no shortcut', { skip, timeout: 360_000 }, () => {
  // build.sh first: the bench links the core library, which must match the headers it is compiled with.
  const bs = spawnSync('bash', [join(root, 'datapath', 'build.sh')], { encoding: 'utf8', timeout: 150_000, killSignal: 'SIGKILL' });
  assert.equal(bs.status, 0, `datapath/build.sh: ${bs.stdout}${bs.stderr}`);
  const mk = spawnSync('make', ['-s', '-C', join(root, 'datapath', 'addon'), 'shell-bench', `LOOM_CORE_LIB=${coreLib}`], { encoding: 'utf8', timeout: 150_000, killSignal: 'SIGKILL' });
  assert.equal(mk.status, 0, `make shell-bench: ${mk.stdout}${mk.stderr}`);
  for (const simple of ['1', '0']) {
    const r = spawnSync(bench, ['check', '100000'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', env: { ...process.env, LOOM_SIMPLE_MATCH: simple } });
    if (r.pid) rmSync(`/var/run/dpdk/loom-shell-bench-${r.pid}`, { recursive: true, force: true });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.status, 0, `LOOM_SIMPLE_MATCH=${simple}:\n${out}`);
    assert.match(out, simple === '1' ? /simple match: on/ : /simple match: off/);
    assert.match(out, /core drops 64 \(want 64\), stale packet-out dropped 1 \(want 1\), other drops 0/);
    assert.match(out, /port id \d+ reused: yes/);
  }
  // bench/datapath's ACL + conntrack rules: table 0 matches more than in_port, so no shortcut;
  // every packet through the executor, none dropped.
  const acl = spawnSync(bench, ['aclct', '20000'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  if (acl.pid) rmSync(`/var/run/dpdk/loom-shell-bench-${acl.pid}`, { recursive: true, force: true });
  assert.equal(acl.status, 0, `aclct:\n${acl.stdout}${acl.stderr}`);
  assert.match(acl.stdout, /simple match: off/);
  assert.match(acl.stdout, /aclct: \d+ packets transmitted, 0 dropped/);
});
