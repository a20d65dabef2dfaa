// datapath/dpdk/shell_bench.cc — the whole forwarding path (worker loop, core pipeline,
// sink, ethdev rx/tx) on a loop of two ring ports, for instruction counts under callgrind.
//
// Owns: nothing shared; a bench program. The two ports are rte_eth_from_rings over two
// rte_rings crossed over (port 0 transmits into port 1's rx ring and back), seeded with
// 512 copies of testpmd's 64-byte UDP frame; the rule set is bench/datapath's loom-l2 or
// loom-acl1000-ct. The worker runs exactly as in the addon (Datapath::worker_loop with a
// CoreWorkerPipeline); the main thread waits until `packets` were transmitted.
// Reads: argv. Called by: a developer (bench/datapath/README.md, "Instruction counts").
// Never: touches hugepages or real devices (--no-huge, --no-pci); leaves its EAL runtime
//   dir behind (removed after the run).
// Build: make -C datapath/addon shell-bench (after datapath/build.sh built the core).
// Use:   valgrind --tool=callgrind --toggle-collect='loom::dp::Datapath::worker_loop*'
//          datapath/build/loom_shell_bench l2 200000   (one command line)
//        Collected / transmitted packets = instructions per packet of the whole shell path
//        (ring PMD instead of vhost: the vhost copy is not in this figure).
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <unistd.h>

#include <chrono>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "core/core.h"
#include "dpdk/core_pipeline.h"
#include "dpdk/datapath.h"

using namespace loom;

namespace {

FlowMod add(uint16_t table, uint32_t prio, std::vector<FieldMatch> m, Program p) {
  FlowMod f;
  f.table = table;
  f.priority = prio;
  f.match = std::move(m);
  f.program = std::move(p);
  return f;
}
FieldMatch exact(Field f, uint64_t v) { return FieldMatch{f, U128{0, v}, field_full_mask(f)}; }
FieldMatch masked(Field f, uint64_t v, uint64_t m) { return FieldMatch{f, U128{0, v}, U128{0, m}}; }

// bench/datapath/run.ts's two rule sets on ports a and b.
Batch rules(bool acl, uint32_t a, uint32_t b) {
  Batch out;
  auto& f = out.flows;
  if (acl) {
    for (uint32_t i = 1; i < 1000; ++i)
      f.push_back(add(0, 200, {exact(Field::kEthType, 0x800), exact(Field::kIpProto, 17),
                               exact(Field::kIp4Src, 0x0a000000 | (i & 0xffff)), exact(Field::kL4Dst, 1024 + i % 60000)},
                      {GotoTable{1}}));
    f.push_back(add(0, 200, {exact(Field::kEthType, 0x800), exact(Field::kIpProto, 17),
                             exact(Field::kIp4Src, 0xc6120001), exact(Field::kL4Dst, 9)}, {GotoTable{1}}));
    Ct track;
    track.zone = 1;
    track.table = 2;
    f.push_back(add(1, 100, {exact(Field::kEthType, 0x800)}, {track}));
    Ct commit;
    commit.zone = 1;
    commit.commit = true;
    for (uint32_t p : {a, b}) {
      const uint32_t o = p == a ? b : a;
      f.push_back(add(2, 100, {exact(Field::kInPort, p), masked(Field::kCtState, 0x21, 0x23)}, {commit, Output{o}}));
      f.push_back(add(2, 100, {exact(Field::kInPort, p), masked(Field::kCtState, 0x22, 0x23)}, {Output{o}}));
    }
  }
  f.push_back(add(0, 100, {exact(Field::kInPort, a)}, {Output{b}}));
  f.push_back(add(0, 100, {exact(Field::kInPort, b)}, {Output{a}}));
  return out;
}

// testpmd txonly's frame: 198.18.0.1:9 -> 198.18.0.2:9, 64 bytes (no FCS).
void udp_frame(uint8_t* p) {
  std::memset(p, 0, 64);
  const uint8_t hdr[42] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
                           0x45, 0, 0, 50, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
                           0, 9, 0, 9, 0, 30, 0, 0};
  std::memcpy(p, hdr, sizeof hdr);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "l2";
  // vhost DIR [packets] [l2|aclct]: a rule set between two vhost-user server ports DIR/vhu0
  // and DIR/vhu1; a peer (dpdk-testpmd with virtio-user, bench/datapath's source) is
  // started by the caller.
  const bool vhost = mode == "vhost";
  const std::string vhost_dir = vhost && argc > 2 ? argv[2] : "";
  const int nidx = vhost ? 3 : 2;
  const uint64_t want = argc > nidx ? std::stoull(argv[nidx]) : 200000;
  const std::string rules_name = vhost ? (argc > 4 ? argv[4] : "l2") : mode;
  // check: the l2 rules with 64 hostile frames among the 512 (test/datapath-shell.test.ts).
  if ((mode != "l2" && mode != "aclct" && mode != "check" && !vhost) || (vhost && vhost_dir.empty()) ||
      (vhost && rules_name != "l2" && rules_name != "aclct")) {
    std::fprintf(stderr, "usage: loom_shell_bench l2|aclct|check [packets] | vhost DIR [packets] [l2|aclct]\n");
    return 2;
  }
  const bool check = mode == "check";
  dp::Options o;
  // A private file prefix (its runtime dir is removed at the end; --in-memory does not go
  // with --no-huge).
  const std::string prefix = "loom-shell-bench-" + std::to_string(getpid());
  o.eal_args = {"--no-huge", "-m", "256", "--no-pci", "-l", "0-1", "--log-level", "error", "--file-prefix", prefix};
  o.mbufs = 4095;
  dp::Datapath d(o);
  rte_ring* r0 = rte_ring_create("lsb_r0", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  rte_ring* r1 = rte_ring_create("lsb_r1", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!r0 || !r1) { std::fprintf(stderr, "rings: %s\n", rte_strerror(rte_errno)); return 1; }
  const dp::PortInfo a = vhost ? d.add_port("a", dp::PortType::kVhostUser, vhost_dir + "/vhu0") : d.add_ring_port("a", r0, r1);
  const dp::PortInfo b = vhost ? d.add_port("b", dp::PortType::kVhostUser, vhost_dir + "/vhu1") : d.add_ring_port("b", r1, r0);
  Core core;
  BuildError err;
  if (!core.apply(rules(rules_name == "aclct", a.id, b.id), err)) {  // check: the l2 rules
    std::fprintf(stderr, "rules: %s %s\n", err.code.c_str(), err.message.c_str());
    return 1;
  }
  // Seed both directions before the worker starts (vhost: the peer seeds).
  for (int i = 0; i < (vhost ? 0 : 512); ++i) {
    rte_mbuf* m = rte_pktmbuf_alloc(d.pool());
    char* data = m ? rte_pktmbuf_append(m, 64) : nullptr;
    if (!data) return 1;
    auto* frame = reinterpret_cast<uint8_t*>(data);
    udp_frame(frame);
    if (check && i % 8 == 0) {
      // Hostile: IPv4 Total Length past the frame, UDP length past the datagram, IHL 4,
      // or a 20-byte runt. The core must count and drop every one, never forward it.
      switch ((i / 8) % 4) {
        case 0: frame[16] = 0x05; break;
        case 1: frame[38] = 0x7f; break;
        case 2: frame[14] = 0x44; break;
        default: rte_pktmbuf_trim(m, 44); break;
      }
    }
    if (rte_ring_enqueue(i % 2 ? r0 : r1, m) != 0) return 1;
  }
  // As the addon does (core_binding.cc): the simple-match shortcut unless LOOM_SIMPLE_MATCH=0.
  std::atomic<const dp::InPortForward*> fwd{nullptr};
  const char* sm = std::getenv("LOOM_SIMPLE_MATCH");
  std::unique_ptr<dp::InPortForward> f = sm && std::string(sm) == "0" ? nullptr : dp::InPortForward::from(*core.snapshot());
  std::printf("simple match: %s\n", f ? "on" : "off");
  fwd.store(f.get());
  // check: a packet-out queued for port c, then c removed and c2 added (DPDK gives c2 the
  // same id): the packet-out must die as bad_port, not leave through c2.
  bool reused = false;
  if (check) {
    rte_ring* q[4];
    for (int i = 0; i < 4; i++) {
      q[i] = rte_ring_create(("lsb_q" + std::to_string(i)).c_str(), 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
      if (!q[i]) return 1;
    }
    const dp::PortInfo c = d.add_ring_port("c", q[0], q[1]);
    uint8_t frame[64];
    udp_frame(frame);
    if (!d.packet_out(c.id, -1, frame, sizeof frame)) return 1;
    d.remove_port("c");
    const dp::PortInfo c2 = d.add_ring_port("c2", q[2], q[3]);
    reused = c2.id == c.id;
    std::printf("port id %u reused: %s\n", c.id, reused ? "yes" : "no");
  }
  d.start_workers([&core, &fwd](unsigned) { return std::make_unique<dp::CoreWorkerPipeline>(core, &fwd); });
  uint64_t tx = 0;
  dp::Stats s;
  if (vhost) std::printf("ready\n");
  std::fflush(stdout);
  for (int polls = 0; polls < 600000 && tx < want; ++polls) {  // at most ~10 min
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    s = d.stats();
    tx = 0;
    for (const auto& [p, ps] : s.ports) tx += ps.tx;  // live ports only: while running
  }
  d.stop();
  std::error_code ec;
  std::filesystem::remove_all("/var/run/dpdk/" + prefix, ec);
  s = d.stats();  // after the worker ended: every packet it counted
  const dp::WorkerStats& w = s.workers.at(0);
  tx = w.tx;
  uint64_t drops = 0;
  for (uint64_t x : s.drops) drops += x;
  std::printf("%s: %llu packets transmitted, %llu dropped, %llu bursts (%.1f pkt/burst), %llu polls, %llu sleeps\n",
              mode.c_str(), static_cast<unsigned long long>(tx), static_cast<unsigned long long>(drops),
              static_cast<unsigned long long>(w.bursts), w.bursts ? static_cast<double>(tx) / static_cast<double>(w.bursts) : 0.0,
              static_cast<unsigned long long>(w.polls), static_cast<unsigned long long>(w.sleeps));
  if (!check) return tx >= want ? 0 : 3;
  // Every forwarded packet was counted on an entry, and exactly the 64 hostile ones died
  // in the core (as malformed, by reason): the same with and without the shortcut.
  uint64_t counted = 0;
  for (const auto& e : core.snapshot()->table(0).entries()) counted += e->stats->packets();
  const uint64_t core_drops = s.drops[dp::kDropCore];
  const uint64_t bad_port = s.drops[dp::kDropBadPort];
  std::printf("check: entries counted %llu, core drops %llu (want 64), stale packet-out dropped %llu (want 1), other drops %llu\n",
              static_cast<unsigned long long>(counted), static_cast<unsigned long long>(core_drops),
              static_cast<unsigned long long>(bad_port), static_cast<unsigned long long>(drops - core_drops - bad_port));
  return tx >= want && counted == tx && core_drops == 64 && bad_port == 1 && drops == 65 && reused ? 0 : 4;
}
