// datapath/core/bench/core_bench.cc — micro-benchmark of the core (not a test).
//
// Prints ns/packet for: parse alone; parse + classifier lookup (1,000 ACL-like entries in
// 10 masks) with the exact-match cache hit (64 hot flows) and missed (65,536 flows,
// cache off); the same through Executor::run; and a conntrack lookup of an established
// connection. Times are thread CPU time per packet. Build Release (-O2) without sanitizers:
//   cmake -S datapath/core -B datapath/build/core-rel -DCMAKE_BUILD_TYPE=Release -DLOOM_TESTS=OFF -DLOOM_FUZZ=OFF -DLOOM_BENCH=ON
//   cmake --build datapath/build/core-rel -j2 --target loomcore_bench && datapath/build/core-rel/loomcore_bench
// Scenario mode, for instruction counts (deterministic, unlike times on a shared machine):
//   loomcore_bench l2|aclct [packets]   runs only bench/datapath's loom-l2 or loom-acl1000-ct
//   rule set through Executor::run (shell-like bursts of 32 from one port, the two ports
//   alternating, one UDP flow both ways), e.g.
//   valgrind --tool=callgrind --toggle-collect='loom::Executor::run*' loomcore_bench aclct 100000
//   then Ir / packets = instructions per packet in the core (sink calls included).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <cstdlib>
#include <vector>

#include "core/executor.h"
#include "test/harness.h"

using namespace loom;
using namespace loom::testpkt;

namespace {

struct NullSink : Sink {
  uint64_t n = 0;
  void emit(uint32_t, const Packet&, bool) override { ++n; }
  void packet_in(const Packet&, uint16_t) override { ++n; }
  void drop(const Packet&, DropReason) override { ++n; }
};

// Thread CPU time, not wall time: on a shared 2-core machine other processes' load
// would otherwise be counted as ours.
double now_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

std::vector<FlowMod> acl_entries(std::mt19937& rng) {
  auto m = [](Field f, uint64_t v, uint64_t mask) { return FieldMatch{f, U128{0, v & mask}, U128{0, mask}}; };
  auto e = [](Field f, uint64_t v) { return FieldMatch{f, U128{0, v}, field_full_mask(f)}; };
  std::vector<FlowMod> out;
  for (uint32_t i = 0; i < 1000; ++i) {
    const uint32_t net = 0x0a000000 | (rng() & 0xffff);
    const uint16_t port = static_cast<uint16_t>(1 + rng() % 2000);
    std::vector<FieldMatch> fm = {e(Field::kEthType, 0x800)};
    switch (i % 10) {
      case 0: fm.insert(fm.end(), {m(Field::kIp4Src, net, 0xffffff00), e(Field::kIp4Dst, net), e(Field::kIpProto, 6), e(Field::kL4Dst, port)}); break;
      case 1: fm.insert(fm.end(), {e(Field::kIp4Dst, net), e(Field::kIpProto, 6), e(Field::kL4Dst, port)}); break;
      case 2: fm.insert(fm.end(), {m(Field::kIp4Src, net, 0xffff0000), e(Field::kIpProto, 17)}); break;
      case 3: fm.insert(fm.end(), {m(Field::kIp4Dst, net, 0xffffff00)}); break;
      case 4: fm.insert(fm.end(), {e(Field::kIp4Src, net), e(Field::kL4Src, port)}); break;
      case 5: fm.insert(fm.end(), {e(Field::kIpProto, 6), e(Field::kL4Dst, port)}); break;
      case 6: fm.insert(fm.end(), {e(Field::kIp4Dst, net ^ 0x55)}); break;
      case 7: fm.insert(fm.end(), {e(Field::kMetadata, 1), e(Field::kInport, i), e(Field::kIp4Src, net)}); break;
      case 8: fm.insert(fm.end(), {m(Field::kIp4Src, net, 0xff000000), m(Field::kIp4Dst, net, 0xff000000), e(Field::kIpProto, 6), m(Field::kL4Dst, port, 0xff00)}); break;
      default: fm.insert(fm.end(), {m(Field::kIp4Dst, net, 0xfffffff0), e(Field::kIpProto, 17)}); break;
    }
    out.push_back(add(0, 100 + i, fm, {Output{2}}, i));
  }
  out.push_back(add(0, 1, {}, {Output{3}}));
  return out;
}

// bench/datapath/run.ts's rule sets (loom-l2, loom-acl1000-ct) on ports 1 and 2.
Batch scenario_batch(bool acl) {
  Batch b;
  const auto in = [](uint32_t p) { return fexact(Field::kInPort, p); };
  if (!acl) {
    b.flows.push_back(add(0, 100, {in(1)}, {Output{2}}));
    b.flows.push_back(add(0, 100, {in(2)}, {Output{1}}));
    return b;
  }
  for (uint32_t i = 1; i < 1000; ++i)
    b.flows.push_back(add(0, 200, {fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 17),
                                   fexact(Field::kIp4Src, 0x0a000000 | (i & 0xffff)), fexact(Field::kL4Dst, 1024 + i % 60000)},
                          {GotoTable{1}}));
  b.flows.push_back(add(0, 200, {fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 17),
                                 fexact(Field::kIp4Src, 0xc6120001), fexact(Field::kL4Dst, 9)}, {GotoTable{1}}));
  b.flows.push_back(add(0, 100, {in(1)}, {Output{2}}));
  b.flows.push_back(add(0, 100, {in(2)}, {Output{1}}));
  Ct track;
  track.zone = 1;
  track.table = 2;
  b.flows.push_back(add(1, 100, {fexact(Field::kEthType, 0x800)}, {track}));
  Ct commit;
  commit.zone = 1;
  commit.commit = true;
  for (uint32_t p : {1u, 2u}) {
    b.flows.push_back(add(2, 100, {in(p), fmasked(Field::kCtState, 0x21, 0x23)}, {commit, Output{3 - p}}));
    b.flows.push_back(add(2, 100, {in(p), fmasked(Field::kCtState, 0x22, 0x23)}, {Output{3 - p}}));
  }
  return b;
}

int scenario(bool acl, size_t packets) {
  Core core;
  BuildError err;
  if (!core.apply(scenario_batch(acl), err)) {
    std::fprintf(stderr, "batch failed: %s %s (flow %d)\n", err.code.c_str(), err.message.c_str(), err.index);
    return 1;
  }
  // testpmd's default UDP frame (198.18.0.1:9 -> 198.18.0.2:9), circulating both ways.
  std::vector<Buf> bufs;
  for (uint32_t p : {1u, 2u}) bufs.emplace_back(udp4(0xc6120001, 0xc6120002, 9, 9, Bytes(18, 0)), p);
  Executor ex(core);
  NullSink ns;
  ns.emit_md = std::getenv("LOOM_BENCH_EMIT_MD") != nullptr;  // the DPDK shell's sink reads bytes only
  const double t = now_ns();
  uint64_t clock = 1;
  for (size_t i = 0; i < packets; i += 32) {
    ex.begin_burst(clock += 1000);
    for (size_t j = 0; j < 32; ++j) {
      // A burst comes from one port, as the shell's rx bursts do (the two ports alternate
      // burst by burst; before 2026-11-24 afternoon, packet by packet).
      Buf& x = bufs[(i / 32) & 1];
      const uint32_t port = x.pkt.md.in_port;
      x.pkt.md = Metadata{};
      x.pkt.md.in_port = port;
      ex.run(x.pkt, ns);
    }
    ex.end_burst();
  }
  const ExecStats s = ex.stats();
  std::printf("%s: %zu packets, %.1f ns/pkt, outputs %llu, lookups/pkt %.2f, EMC hits %llu, flow cache hits %llu\n", acl ? "aclct" : "l2",
              packets, (now_ns() - t) / static_cast<double>(packets), static_cast<unsigned long long>(s.outputs),
              static_cast<double>(s.lookups) / static_cast<double>(s.packets), static_cast<unsigned long long>(s.emc_hits),
              static_cast<unsigned long long>(s.flow_cache_hits));
  return s.outputs == s.packets ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2) {
    const std::string mode = argv[1];
    const size_t n = argc >= 3 ? static_cast<size_t>(std::strtoull(argv[2], nullptr, 10)) : 1000000;
    if (mode == "l2" || mode == "aclct") return scenario(mode == "aclct", n);
    std::fprintf(stderr, "usage: loomcore_bench [l2|aclct [packets]]\n");
    return 1;
  }
  std::mt19937 rng(7);
  Core core;
  Batch b;
  b.flows = acl_entries(rng);
  BuildError err;
  if (!core.apply(b, err)) {
    std::fprintf(stderr, "batch failed: %s %s (flow %d)\n", err.code.c_str(), err.message.c_str(), err.index);
    return 1;
  }
  auto pipe = core.snapshot();
  const Table& t0 = pipe->table(0);
  std::printf("table 0: %zu entries, %zu subtables\n", t0.entries().size(), t0.subtable_count());

  auto flows = [&](size_t n) {
    std::vector<Buf> v;
    v.reserve(n);
    for (size_t i = 0; i < n; ++i)
      v.emplace_back(tcp4(0x0a000000 | (rng() & 0xffff), 0x0a000000 | (rng() & 0xffff), static_cast<uint16_t>(1024 + i),
                          static_cast<uint16_t>(1 + rng() % 2000), 1, 1, 0x10));
    return v;
  };
  std::vector<Buf> hot = flows(64), cold = flows(65536);
  const size_t iters = 2000000;
  FlowKey k;
  volatile uint64_t sink = 0;

  double t = now_ns();
  for (size_t i = 0; i < iters; ++i) {
    Buf& x = hot[i & 63];
    sink = sink + parse(x.pkt.data, x.pkt.len, k).layout.l4;
  }
  std::printf("parse only:                          %6.1f ns/pkt\n", (now_ns() - t) / iters);

  t = now_ns();
  for (size_t i = 0; i < iters; ++i) {
    Buf& x = cold[i & 65535];
    parse(x.pkt.data, x.pkt.len, k);
    const Entry* e = t0.lookup(k);
    sink = sink + (e ? e->cookie : 0);
  }
  std::printf("parse + tuple-space lookup (no EMC): %6.1f ns/pkt\n", (now_ns() - t) / iters);

  Executor ex(core);
  NullSink ns;
  auto run = [&](std::vector<Buf>& v, bool emc, const char* what, bool flow_cache = true) {
    ex.set_emc_enabled(emc);
    ex.set_flow_cache_enabled(flow_cache);
    const size_t mask = v.size() - 1;
    for (size_t i = 0; i < 4096; ++i) {  // warm the cache
      ex.begin_burst(1);
      v[i & mask].pkt.md = Metadata{};
      ex.run(v[i & mask].pkt, ns);
      ex.end_burst();
    }
    const ExecStats s0 = ex.stats();
    const double t1 = now_ns();
    for (size_t i = 0; i < iters; i += 32) {
      ex.begin_burst(1);
      for (size_t j = 0; j < 32; ++j) {
        Buf& x = v[(i + j) & mask];
        x.pkt.md = Metadata{};
        x.pkt.md.in_port = 1;
        ex.run(x.pkt, ns);
      }
      ex.end_burst();
    }
    const double dt = (now_ns() - t1) / iters;
    const ExecStats s1 = ex.stats();
    std::printf("%s %6.1f ns/pkt (EMC hit rate %.1f%%, flow cache hits %.1f%%)\n", what, dt,
                100.0 * static_cast<double>(s1.emc_hits - s0.emc_hits) / static_cast<double>(s1.lookups - s0.lookups),
                100.0 * static_cast<double>(s1.flow_cache_hits - s0.flow_cache_hits) / static_cast<double>(s1.packets - s0.packets));
  };
  run(hot, true, "executor, 64 flows, caches on:      ");
  run(hot, true, "executor, 64 flows, EMC only:       ", false);
  run(cold, true, "executor, 65536 flows, caches on:   ");
  run(cold, true, "executor, 65536 flows, EMC only:    ", false);
  run(cold, false, "executor, 65536 flows, no caches:   ", false);

  // Conntrack: 10,000 established UDP connections, then lookups of established packets.
  Conntrack ct;
  Ct commit;
  commit.zone = 1;
  commit.commit = true;
  Ct track;
  track.zone = 1;
  std::vector<Buf> conns;
  std::vector<FlowKey> keys(10000);
  std::vector<Layout> lays(10000);
  conns.reserve(10000);
  for (uint32_t i = 0; i < 10000; ++i) {
    conns.emplace_back(udp4(0x0a000001 + i, 0x0b000001, static_cast<uint16_t>(1000 + i % 60000), 53));
    Buf reply(udp4(0x0b000001, 0x0a000001 + i, 53, static_cast<uint16_t>(1000 + i % 60000)));
    FlowKey rk;
    ParseResult pr = parse(conns[i].pkt.data, conns[i].pkt.len, keys[i]);
    lays[i] = pr.layout;
    ct.process(conns[i].pkt, keys[i], pr.layout, commit, 1, i, 1);
    ParseResult rp = parse(reply.pkt.data, reply.pkt.len, rk);
    ct.process(reply.pkt, rk, rp.layout, track, 1, i, 1);
  }
  t = now_ns();
  const size_t ct_iters = 1000000;
  for (size_t i = 0; i < ct_iters; ++i) {
    const size_t j = (i * 7919) % 10000;
    const CtResult r = ct.process(conns[j].pkt, keys[j], lays[j], track, 1, static_cast<uint32_t>(j), 2);
    sink = sink + r.state;
  }
  std::printf("conntrack lookup (10k est. conns):   %6.1f ns/pkt (live %llu)\n", (now_ns() - t) / ct_iters,
              static_cast<unsigned long long>(ct.stats().conns));

  // Control path: a batch of one entry into a table of 100,000 (OVN-like L2 lookup: one
  // mask, one priority, distinct MACs) rebuilds that table; wall time per apply.
  {
    Core big;
    Batch fill;
    for (uint32_t i = 0; i < 100000; ++i)
      fill.flows.push_back(add(1, 50, {FieldMatch{Field::kMetadata, U128{0, 1}, U128{0, 0xffffffff}},
                                       FieldMatch{Field::kEthDst, U128{0, 0x020000000000ull + i}, U128{0, 0xffffffffffffull}}},
                               {Output{i % 8}}, i));
    auto w0 = std::chrono::steady_clock::now();
    if (!big.apply(fill, err)) return 1;
    auto w1 = std::chrono::steady_clock::now();
    Batch one;
    one.flows.push_back(add(1, 50, {FieldMatch{Field::kMetadata, U128{0, 2}, U128{0, 0xffffffff}}}, {Output{1}}, 7));
    if (!big.apply(one, err)) return 1;
    auto w2 = std::chrono::steady_clock::now();
    Batch del;
    FlowMod d = add(1, 50, {FieldMatch{Field::kMetadata, U128{0, 1}, U128{0, 0xffffffff}},
                            FieldMatch{Field::kEthDst, U128{0, 0x020000000000ull + 5}, U128{0, 0xffffffffffffull}}},
                    {});
    d.op = FlowMod::kDelete;
    del.flows.push_back(d);
    if (!big.apply(del, err)) return 1;
    auto w3 = std::chrono::steady_clock::now();
    auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    std::printf("apply 100,000 entries: %.0f ms; then +1 entry in that table: %.1f ms; -1 entry: %.1f ms (wall)\n",
                ms(w0, w1), ms(w1, w2), ms(w2, w3));
  }
  return sink == 42 ? 1 : 0;
}
