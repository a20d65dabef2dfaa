// datapath/core/test/flowcache_test.cc — the executor's multi-table flow cache: a hit
// must give exactly what the tables give, a new pipeline version must be obeyed by the
// very next packet, and conntrack's answer must never be served from the cache.
#include <gtest/gtest.h>

#include <random>

#include "core/bytes.h"
#include "core/executor.h"
#include "test/harness.h"

using namespace loom;
using namespace loom::testpkt;

namespace {

const uint32_t A = ip(10, 0, 0, 1), B = ip(10, 0, 0, 2), C = ip(10, 0, 0, 3);

struct Fixture {
  Core core;
  Executor ex{core};
  BuildError err;
  void flows(std::vector<FlowMod> f) {
    Batch b;
    b.flows = std::move(f);
    ASSERT_TRUE(core.apply(b, err)) << err.code << ": " << err.message;
  }
  uint64_t hits() const { return ex.stats().flow_cache_hits; }
};

// One pipeline in two cores: an executor with the flow cache and the uncached reference.
struct Twins {
  Core c1, c2;
  Executor cached{c1}, plain{c2};
  void load(const Batch& b) {
    BuildError err;
    ASSERT_TRUE(c1.apply(b, err)) << err.message;
    ASSERT_TRUE(c2.apply(b, err)) << err.message;
    plain.set_flow_cache_enabled(false);
  }
};

FlowMod modify(uint16_t table, uint32_t prio, std::vector<FieldMatch> m, Program p) {
  FlowMod f = add(table, prio, std::move(m), std::move(p));
  f.op = FlowMod::kModify;
  return f;
}

std::vector<uint32_t> ports(const RecordingSink& s) {
  std::vector<uint32_t> v;
  for (const auto& e : s.out) v.push_back(e.port);
  return v;
}

Ct ct_to(int16_t table, bool commit = false) {
  Ct c;
  c.zone = 1;
  c.table = table;
  c.commit = commit;
  return c;
}

// Table 0 with two masks (so the path goes through the cache), then table 1.
std::vector<FlowMod> two_table_base(Program t1) {
  return {add(0, 20, {fexact(Field::kEthType, 0x800), fexact(Field::kIp4Dst, B)}, {GotoTable{1}}),
          add(0, 10, {fexact(Field::kInPort, 1)}, {GotoTable{1}}),
          add(1, 10, {fexact(Field::kEthType, 0x800)}, std::move(t1))};
}

}  // namespace

TEST(FlowCache, HitServesTheSamePathAndCountsEntries) {
  Fixture fx;
  fx.flows(two_table_base({Output{2}}));
  const Bytes f = udp4(A, B, 1000, 53);
  EXPECT_EQ(ports(run1(fx.ex, f)), std::vector<uint32_t>{2});
  const uint64_t h0 = fx.hits();
  EXPECT_EQ(ports(run1(fx.ex, f)), std::vector<uint32_t>{2});
  EXPECT_EQ(fx.hits(), h0 + 1) << "the second packet of the flow is a cache hit";
  // Per-entry counters still count every packet on a hit.
  auto snap = fx.core.snapshot();
  uint64_t t1_packets = 0;
  for (const auto& e : snap->table(1).entries()) t1_packets += e->stats->packets();
  EXPECT_EQ(t1_packets, 2u);
}

TEST(FlowCache, TableUpdateTakesEffectOnTheNextPacket) {
  Fixture fx;
  fx.flows(two_table_base({Output{2}}));
  const Bytes f = udp4(A, B, 1000, 53);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ports(run1(fx.ex, f)), std::vector<uint32_t>{2});
  ASSERT_GT(fx.hits(), 0u);
  // Modify the second table's entry: the cached path must not survive the version swap.
  fx.flows({modify(1, 10, {fexact(Field::kEthType, 0x800)}, {Output{3}})});
  EXPECT_EQ(ports(run1(fx.ex, f)), std::vector<uint32_t>{3});
  // A new higher-priority entry in table 0 that drops.
  fx.flows({add(0, 30, {fexact(Field::kIp4Src, A)}, {Drop{}})});
  auto s = run1(fx.ex, f);
  EXPECT_TRUE(s.out.empty());
  ASSERT_EQ(s.drops.size(), 1u);
  EXPECT_EQ(s.drops[0], DropReason::kExplicitDrop);
  // And within one burst: the version is pinned at begin_burst, the next burst sees the new one.
  {
    RecordingSink rs;
    Buf b1(f, 1), b2(f, 1);
    fx.ex.begin_burst(5);
    fx.ex.run(b1.pkt, rs);
    fx.ex.end_burst();
    Batch del;
    FlowMod d = add(0, 30, {fexact(Field::kIp4Src, A)}, {});
    d.op = FlowMod::kDelete;
    del.flows.push_back(d);
    ASSERT_TRUE(fx.core.apply(del, fx.err));
    fx.ex.begin_burst(6);
    fx.ex.run(b2.pkt, rs);
    fx.ex.end_burst();
    EXPECT_EQ(ports(rs), std::vector<uint32_t>{3});
  }
}

TEST(FlowCache, WildcardsShareOneSegmentAndConsultedFieldsSplit) {
  Fixture fx;
  fx.flows(two_table_base({Output{2}}));
  EXPECT_EQ(ports(run1(fx.ex, udp4(A, B, 1000, 53))), std::vector<uint32_t>{2});
  const uint64_t h0 = fx.hits();
  // Source port and source address are consulted by no table: same segment.
  EXPECT_EQ(ports(run1(fx.ex, udp4(C, B, 2000, 54))), std::vector<uint32_t>{2});
  EXPECT_EQ(fx.hits(), h0 + 1);
  // The destination address is consulted: a different path (table 0's in_port entry).
  EXPECT_EQ(ports(run1(fx.ex, udp4(A, C, 1000, 53), 1)), std::vector<uint32_t>{2});
  EXPECT_EQ(fx.hits(), h0 + 1);
  EXPECT_TRUE(run1(fx.ex, udp4(A, C, 1000, 53), 2).out.empty()) << "no entry for in_port 2 and ip4_dst C";
}

TEST(FlowCache, MovedFieldsJoinTheConsultedMask) {
  // Table 1 matches reg0, which table 0 fills from ip4_src: ip4_src decides the path.
  Fixture fx;
  fx.flows({add(0, 20, {fexact(Field::kEthType, 0x800)}, {Move{Field::kIp4Src, 0, Field::kReg0, 0, 32}, GotoTable{1}}),
            add(0, 10, {fexact(Field::kInPort, 9)}, {Drop{}}),
            add(1, 20, {fexact(Field::kReg0, A)}, {Output{2}}),
            add(1, 10, {fexact(Field::kEthType, 0x800)}, {Output{3}})});
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ports(run1(fx.ex, udp4(A, B, 1, 2))), std::vector<uint32_t>{2});
    EXPECT_EQ(ports(run1(fx.ex, udp4(C, B, 1, 2))), std::vector<uint32_t>{3});
  }
  EXPECT_GT(fx.hits(), 0u);
}

TEST(FlowCache, ConntrackStateIsNeverServedStale) {
  // The bench's allow-related shape: ct(table=2); +new -> commit and out 2; +est -> out 3.
  Fixture fx;
  Ct commit = ct_to(-1, true);
  fx.flows({add(0, 20, {fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 17)}, {GotoTable{1}}),
            add(0, 10, {fexact(Field::kInPort, 1)}, {GotoTable{1}}),
            add(1, 10, {fexact(Field::kEthType, 0x800)}, {ct_to(2)}),
            add(2, 10, {fmasked(Field::kCtState, 0x21, 0x23)}, {commit, Output{2}}),
            add(2, 10, {fmasked(Field::kCtState, 0x22, 0x23)}, {Output{3}})});
  const Bytes ab = udp4(A, B, 1000, 53), ba = udp4(B, A, 53, 1000);
  EXPECT_EQ(ports(run1(fx.ex, ab, 1, 10)), std::vector<uint32_t>{2}) << "new";
  EXPECT_EQ(ports(run1(fx.ex, ab, 1, 11)), std::vector<uint32_t>{2}) << "still new: no reply yet";
  EXPECT_EQ(ports(run1(fx.ex, ba, 2, 12)), std::vector<uint32_t>{3}) << "the reply makes it established";
  EXPECT_EQ(ports(run1(fx.ex, ab, 1, 13)), std::vector<uint32_t>{3}) << "established now, same flow, cached path before ct";
  EXPECT_GT(fx.hits(), 0u);
  fx.core.conntrack().flush();
  EXPECT_EQ(ports(run1(fx.ex, ab, 1, 14)), std::vector<uint32_t>{2}) << "connection gone: new again";
}

TEST(FlowCache, CtWithoutTableThenGotoSplitsThePath) {
  // ct() without a table, then goto in the same program: the next lookup reads ct_state.
  Fixture fx;
  Ct track = ct_to(-1);
  Ct commit = ct_to(-1, true);
  fx.flows({add(0, 20, {fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 17)}, {track, GotoTable{1}}),
            add(0, 10, {fexact(Field::kInPort, 1)}, {GotoTable{1}}),
            add(1, 10, {fmasked(Field::kCtState, 0x21, 0x23)}, {commit, Output{2}}),
            add(1, 10, {fmasked(Field::kCtState, 0x22, 0x23)}, {Output{3}})});
  const Bytes ab = udp4(A, B, 1000, 53), ba = udp4(B, A, 53, 1000);
  EXPECT_EQ(ports(run1(fx.ex, ab, 1, 10)), std::vector<uint32_t>{2});
  EXPECT_EQ(ports(run1(fx.ex, ab, 1, 11)), std::vector<uint32_t>{2});
  EXPECT_EQ(ports(run1(fx.ex, ba, 2, 12)), std::vector<uint32_t>{3});
  EXPECT_EQ(ports(run1(fx.ex, ab, 1, 13)), std::vector<uint32_t>{3});
}

TEST(FlowCache, DecTtlBranchIsPartOfTheKey) {
  Fixture fx;
  DecTtl dt;
  dt.on_error = DecTtl::kGoto;
  dt.table = 2;
  fx.flows({add(0, 20, {fexact(Field::kEthType, 0x800), fexact(Field::kIp4Dst, B)}, {dt, GotoTable{1}}),
            add(0, 10, {fexact(Field::kInPort, 7)}, {Drop{}}),
            add(1, 10, {}, {Output{2}}),
            add(2, 10, {}, {Output{9}})});
  const Bytes ok = eth(2, 1, 0x800, ip4(A, B, 17, udp(1, 2), 64));
  const Bytes expiring = eth(2, 1, 0x800, ip4(A, B, 17, udp(1, 2), 1));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ports(run1(fx.ex, ok)), std::vector<uint32_t>{2});
    EXPECT_EQ(ports(run1(fx.ex, expiring)), std::vector<uint32_t>{9});
  }
}

// Random traffic through an ACL-like pipeline with conntrack, NAT-free: two cores with the
// same tables, one executor with the flow cache and one without, must emit the same
// packets (port, bytes, last_use) and drop the same ones, packet by packet.
TEST(FlowCache, SameResultsAsWithoutTheCacheOnRandomTraffic) {
  std::mt19937 rng(11);
  std::vector<FlowMod> fl;
  const uint32_t addrs[] = {A, B, C, ip(10, 0, 1, 1), ip(10, 0, 1, 2)};
  for (uint32_t i = 0; i < 40; ++i) {
    const uint32_t a = addrs[rng() % 5];
    const uint16_t p = static_cast<uint16_t>(50 + rng() % 6);
    switch (i % 4) {
      case 0: fl.push_back(add(0, 100 + i, {fexact(Field::kEthType, 0x800), fexact(Field::kIp4Src, a), fexact(Field::kIpProto, 17), fexact(Field::kL4Dst, p)}, {GotoTable{1}})); break;
      case 1: fl.push_back(add(0, 100 + i, {fexact(Field::kEthType, 0x800), fmasked(Field::kIp4Dst, a, 0xffffff00)}, {setf(Field::kReg1, i), GotoTable{1}})); break;
      case 2: fl.push_back(add(0, 100 + i, {fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 6), fexact(Field::kL4Src, p)}, {Drop{}})); break;
      default: fl.push_back(add(0, 100 + i, {fexact(Field::kInPort, 1 + i % 3), fexact(Field::kEthType, 0x800), fexact(Field::kIp4Dst, a)}, {Move{Field::kIp4Dst, 0, Field::kReg2, 0, 8}, GotoTable{1}})); break;
    }
  }
  fl.push_back(add(0, 1, {}, {GotoTable{1}}));
  fl.push_back(add(1, 20, {fexact(Field::kReg2, 2)}, {Output{5}}));
  fl.push_back(add(1, 10, {fexact(Field::kEthType, 0x800)}, {ct_to(2)}));
  Ct commit = ct_to(-1, true);
  fl.push_back(add(2, 30, {fmasked(Field::kCtState, 0x21, 0x23), fexact(Field::kIpProto, 17)}, {commit, setf(Field::kIpTtl, 9), Output{2}}));
  fl.push_back(add(2, 30, {fmasked(Field::kCtState, 0x21, 0x23), fexact(Field::kIpProto, 6)}, {Output{6}}));
  fl.push_back(add(2, 20, {fmasked(Field::kCtState, 0x22, 0x22), fexact(Field::kInPort, 1)}, {Output{3}}));
  fl.push_back(add(2, 20, {fmasked(Field::kCtState, 0x22, 0x22), fexact(Field::kInPort, 2)}, {Output{4}}));
  Batch b;
  b.flows = fl;
  Twins t;
  ASSERT_NO_FATAL_FAILURE(t.load(b));
  auto& [c1, c2, cached, plain] = t;
  for (int i = 0; i < 3000; ++i) {
    const uint32_t s = addrs[rng() % 5], d = addrs[rng() % 5];
    const uint16_t sp = static_cast<uint16_t>(50 + rng() % 6), dp = static_cast<uint16_t>(50 + rng() % 6);
    const Bytes f = rng() % 4 == 0 ? tcp4(s, d, sp, dp, 1, 0, 0x02) : udp4(s, d, sp, dp);
    const uint32_t port = 1 + rng() % 3;
    const uint64_t now = 1000 + static_cast<uint64_t>(i);
    const RecordingSink r1 = run1(cached, f, port, now), r2 = run1(plain, f, port, now);
    ASSERT_EQ(r1.out.size(), r2.out.size()) << "packet " << i;
    for (size_t j = 0; j < r1.out.size(); ++j) {
      EXPECT_EQ(r1.out[j].port, r2.out[j].port) << "packet " << i;
      EXPECT_EQ(r1.out[j].bytes, r2.out[j].bytes) << "packet " << i;
      EXPECT_EQ(r1.out[j].last_use, r2.out[j].last_use) << "packet " << i;
    }
    ASSERT_EQ(r1.drops, r2.drops) << "packet " << i;
  }
  EXPECT_GT(cached.stats().flow_cache_hits, 1000u) << "the cache was exercised";
  EXPECT_EQ(plain.stats().flow_cache_hits, 0u);
  EXPECT_EQ(cached.stats().lookups, plain.stats().lookups) << "a replayed step counts as the lookup it replaces";
}

// The ct hint (conntrack.h): a second ct on the same packet reuses the connection the
// first found — but never after the tuple changed in between.
TEST(FlowCache, SecondCtAfterATupleRewriteLooksUpAgain) {
  for (const bool cache : {true, false}) {
    Fixture fx;
    fx.ex.set_flow_cache_enabled(cache);
    Ct commit = ct_to(-1, true), mark = ct_to(-1, true);
    mark.set_mark = true;
    mark.mark = 7;
    mark.mark_mask = 0xffffffff;
    fx.flows({add(0, 20, {fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 17)}, {ct_to(1)}),
              add(0, 10, {fexact(Field::kInPort, 5)}, {Drop{}}),
              add(1, 10, {fexact(Field::kEthType, 0x800)}, {commit, setf(Field::kIp4Dst, C), mark, Output{2}})});
    const Bytes ab = udp4(A, B, 1000, 53);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(ports(run1(fx.ex, ab, 1, 10 + static_cast<uint64_t>(i))), std::vector<uint32_t>{2});
    const auto conns = fx.core.conntrack().dump(10);
    ASSERT_EQ(conns.size(), 2u) << "A->B and A->C are two connections (cache " << cache << ")";
    for (const auto& c : conns) {
      ASSERT_TRUE(c.orig_dst == B || c.orig_dst == C);
      EXPECT_EQ(c.mark, c.orig_dst == C ? 7u : 0u) << "the marking commit is about A->C only (cache " << cache << ")";
    }
  }
}

// The executor's per-thread conntrack memo (the connection the last IPv4 UDP ct found, by
// tuple and zone) must never answer for another tuple, zone, direction or a connection
// that was flushed or expired since: it only saves the conntrack lookup.
TEST(FlowCache, ConntrackMemoIsNeverStale) {
  for (const bool cache : {true, false}) {
    Fixture fx;
    fx.ex.set_flow_cache_enabled(cache);
    Ct z1 = ct_to(2), z2 = ct_to(2), commit1 = ct_to(-1, true), commit2 = ct_to(-1, true);
    z2.zone = commit2.zone = 2;
    const uint64_t trk = ct_state::kTrk, nw = ct_state::kNew, est = ct_state::kEst, rpl = ct_state::kRpl;
    fx.flows({add(0, 20, {fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 17)}, {GotoTable{1}}),
              add(0, 10, {fexact(Field::kInPort, 9)}, {Drop{}}),
              add(1, 10, {fexact(Field::kInPort, 1)}, {z1}),
              add(1, 10, {fexact(Field::kInPort, 2)}, {z1}),
              add(1, 10, {fexact(Field::kInPort, 3)}, {z2}),
              add(2, 10, {fexact(Field::kInPort, 3), fmasked(Field::kCtState, trk | nw, trk | nw | est)}, {commit2, Output{20}}),
              add(2, 10, {fexact(Field::kInPort, 3), fmasked(Field::kCtState, trk | est, trk | nw | est)}, {Output{21}}),
              add(2, 5, {fmasked(Field::kCtState, trk | nw, trk | nw | est)}, {commit1, Output{10}}),
              add(2, 5, {fmasked(Field::kCtState, trk | est, trk | est | rpl)}, {Output{11}}),
              add(2, 5, {fmasked(Field::kCtState, trk | est | rpl, trk | est | rpl)}, {Output{12}})});
    const Bytes ab = udp4(A, B, 1000, 53), ba = udp4(B, A, 53, 1000), ab2 = udp4(A, B, 1001, 53);
    uint64_t t = 10;
    auto out = [&](const Bytes& f, uint32_t port) { return ports(run1(fx.ex, f, port, ++t)); };
    const std::vector<uint32_t> kNewOut{10}, kEstOut{11}, kRplOut{12}, kZ2New{20}, kZ2Est{21};
    EXPECT_EQ(out(ab, 1), kNewOut) << cache;
    EXPECT_EQ(out(ab, 1), kNewOut) << "no reply yet " << cache;
    EXPECT_EQ(out(ba, 2), kRplOut) << "the reply direction " << cache;
    EXPECT_EQ(out(ab, 1), kEstOut) << "the original direction again, not reply " << cache;
    EXPECT_EQ(out(ab, 3), kZ2New) << "same tuple, other zone: its own connection " << cache;
    EXPECT_EQ(out(ab, 3), kZ2New) << "zone 2 has seen no reply " << cache;
    EXPECT_EQ(out(ab, 1), kEstOut) << "zone 1 unchanged " << cache;
    EXPECT_EQ(out(ab2, 1), kNewOut) << "other source port: other connection " << cache;
    EXPECT_EQ(out(ab, 1), kEstOut) << cache;
    fx.core.conntrack().flush();
    EXPECT_EQ(out(ab, 1), kNewOut) << "flushed: new again " << cache;
    EXPECT_EQ(out(ba, 2), kRplOut) << cache;
    EXPECT_EQ(out(ab, 1), kEstOut) << cache;
    // Far past every timeout: the memoised connection has expired.
    t += 1000ull * 1000000000ull;
    EXPECT_EQ(out(ab, 1), kNewOut) << "expired: new again " << cache;
    EXPECT_EQ(fx.core.conntrack().check_invariants(), "") << cache;
  }
}

// A packet's second ct in the same zone on the unchanged packet reuses the first ct's
// answer (do_ct, as OVS's process_one_fast); everything that makes it a different question
// must run conntrack again: another zone, a rewritten tuple, a commit that sets a mark, NAT.
TEST(FlowCache, RepeatedCtReusesTheAnswerOnlyForTheSameQuestion) {
  for (const bool cache : {true, false}) {
    Fixture fx;
    fx.ex.set_flow_cache_enabled(cache);
    const uint64_t trk = ct_state::kTrk, nw = ct_state::kNew, est = ct_state::kEst;
    Ct first = ct_to(1), again = ct_to(3), commit = ct_to(-1, true), z2 = ct_to(3);
    z2.zone = 2;
    Ct mark7 = ct_to(-1, true);
    mark7.set_mark = true;
    mark7.mark = 7;
    mark7.mark_mask = 0xffffffff;
    Ct mark8 = mark7;
    mark8.mark = 8;
    Ct snat = ct_to(3, true);
    snat.nat = NatKind::kSrc;
    snat.addr_min = snat.addr_max = C;
    fx.flows({add(0, 10, {fexact(Field::kEthType, 0x800)}, {first}),
              // in_port 1: commit, then ask again (same question: +new like the first answer).
              add(1, 10, {fexact(Field::kInPort, 1), fmasked(Field::kCtState, trk | nw, trk | nw | est)}, {commit, again}),
              add(1, 10, {fexact(Field::kInPort, 1), fmasked(Field::kCtState, trk | est, trk | nw | est)}, {again}),
              // in_port 2: the same tuple in zone 2 (never committed there: +new).
              add(1, 10, {fexact(Field::kInPort, 2)}, {z2}),
              // in_port 3: the destination rewritten to C before asking zone 1 again.
              add(1, 10, {fexact(Field::kInPort, 3)}, {SetField{Field::kIp4Dst, U128{0, C}, U128{0, 0xffffffff}}, again}),
              // in_port 4 (6): commit with mark 7 (8), then ask again: the answer carries it.
              add(1, 10, {fexact(Field::kInPort, 4)}, {mark7, again}),
              add(1, 10, {fexact(Field::kInPort, 6)}, {mark8, again}),
              // in_port 5: SNAT commit, then ask again.
              add(1, 10, {fexact(Field::kInPort, 5)}, {snat}),
              add(3, 10, {fmasked(Field::kCtState, trk | nw, trk | nw | est), fexact(Field::kCtMark, 7)}, {Output{17}}),
              add(3, 10, {fmasked(Field::kCtState, trk | nw, trk | nw | est), fexact(Field::kCtMark, 8)}, {Output{18}}),
              add(3, 9, {fmasked(Field::kCtState, trk | nw, trk | nw | est)}, {Output{10}}),
              add(3, 9, {fmasked(Field::kCtState, trk | est, trk | nw | est)}, {Output{11}})});
    uint64_t t = 10;
    auto out = [&](const Bytes& f, uint32_t port) { return ports(run1(fx.ex, f, port, ++t)); };
    const Bytes ab = udp4(A, B, 1000, 53), ba = udp4(B, A, 53, 1000);
    const std::vector<uint32_t> kNew{10}, kEst{11}, kMarked{17}, kMarked8{18};
    EXPECT_EQ(out(ab, 1), kNew) << "committed, not yet answered " << cache;
    EXPECT_EQ(out(ab, 1), kNew) << "the found connection, asked twice " << cache;
    EXPECT_EQ(out(ab, 2), kNew) << "zone 2 is its own question " << cache;
    EXPECT_EQ(out(ba, 1), kEst) << "the reply: established " << cache;
    EXPECT_EQ(out(ab, 1), kEst) << cache;
    EXPECT_EQ(out(ab, 2), kNew) << "zone 2 still new after zone 1 is established " << cache;
    EXPECT_EQ(out(ab, 3), kNew) << "A->C is another connection than A->B " << cache;
    EXPECT_EQ(out(ab, 1), kEst) << "A->B unchanged " << cache;
    const Bytes ab2 = udp4(A, B, 2000, 53);
    EXPECT_EQ(out(ab2, 4), kMarked) << "the second ct sees the mark the commit set " << cache;
    EXPECT_EQ(out(ab2, 6), kMarked8) << "a commit that changes the mark runs conntrack " << cache;
    EXPECT_EQ(out(ab2, 4), kMarked) << cache;
    const Bytes ab3 = udp4(A, B, 3000, 53);
    const RecordingSink s = run1(fx.ex, ab3, 5, ++t);
    ASSERT_EQ(ports(s), kNew) << cache;
    ASSERT_EQ(s.out.size(), 1u);
    EXPECT_EQ(loom::rd32(s.out[0].bytes.data() + 26), C) << "SNAT still rewrites the source " << cache;
    EXPECT_EQ(fx.core.conntrack().check_invariants(), "") << cache;
  }
}

// The cache counts a replayed segment on its entries once per burst (MfSeg::pend_pkts,
// flushed at end_burst, when more than kMfDirty segments are pending, and before a slot is
// reused): after every burst each entry's packets and bytes equal the uncached executor's.
// 4,500 flows over 4,096 slots and bursts of up to 300 packets force all three flushes.
TEST(FlowCache, EntryCountersAreExactAfterEveryBurst) {
  std::vector<FlowMod> fl;
  fl.push_back(add(0, 20, {fexact(Field::kEthType, 0x800), fexact(Field::kIp4Dst, B)}, {GotoTable{1}}));
  fl.push_back(add(0, 10, {fexact(Field::kInPort, 1)}, {GotoTable{1}}));
  for (uint32_t p = 0; p < 4500; ++p)
    fl.push_back(add(1, 10, {fexact(Field::kEthType, 0x800), fexact(Field::kL4Dst, 1000 + p)}, {Output{2 + p % 3}}, p + 1));
  Batch b;
  b.flows = fl;
  Twins t;
  ASSERT_NO_FATAL_FAILURE(t.load(b));
  auto& [c1, c2, cached, plain] = t;
  std::mt19937 rng(5);
  auto counts = [](Core& c) {
    std::vector<std::pair<uint64_t, uint64_t>> v;
    auto snap = c.snapshot();
    for (uint16_t t : {0, 1})
      for (const auto& e : snap->table(t).entries()) v.emplace_back(e->stats->packets(), e->stats->bytes());
    return v;
  };
  uint64_t sent = 0;
  for (int burst = 0; burst < 40; ++burst) {
    const unsigned n = 1 + rng() % 300;
    std::vector<Buf> bufs1, bufs2;
    for (unsigned i = 0; i < n; ++i) {
      // Mostly 200 hot segments (hits; more than kMfDirty pending in one burst), sometimes
      // any of the 4,500 flows (misses, slot reuse).
      const uint16_t port = static_cast<uint16_t>(1000 + (rng() % 4 ? rng() % 100 : rng() % 4500));
      const Bytes f = udp4(A, rng() % 2 ? B : C, 7, port, Bytes(rng() % 40, 0));
      bufs1.emplace_back(f, 1);
      bufs2.emplace_back(f, 1);
    }
    RecordingSink s1, s2;
    cached.begin_burst(100 + burst);
    for (auto& x : bufs1) cached.run(x.pkt, s1);
    cached.end_burst();
    plain.begin_burst(100 + burst);
    for (auto& x : bufs2) plain.run(x.pkt, s2);
    plain.end_burst();
    sent += n;
    ASSERT_EQ(s1.out.size(), s2.out.size());
    ASSERT_EQ(counts(c1), counts(c2)) << "after burst " << burst;
  }
  uint64_t t1 = 0;
  for (const auto& e : c1.snapshot()->table(1).entries()) t1 += e->stats->packets();
  EXPECT_EQ(t1, sent);
  EXPECT_GT(cached.stats().flow_cache_hits, sent / 2) << "the cache was exercised";
  EXPECT_EQ(cached.stats().lookups, plain.stats().lookups);
}

// Compiled segments (MfSeg::ops): paths made only of "next;" entries, table misses that go
// on, and Entry::simple programs (outputs, cts, gotos) replay from a flat op list. Random
// pipelines of exactly those, random traffic: the same outputs, bytes, drops, entry
// counters and connections as the uncached executor.
TEST(FlowCache, CompiledSegmentsMatchTheUncachedExecutor) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    std::mt19937 rng(seed);
    const uint32_t addrs[] = {A, B, C};
    Batch b;
    b.tables.push_back(TableMod{1, MissAction{MissAction::kGoto, 2, 0}});
    b.tables.push_back(TableMod{3, MissAction{MissAction::kGoto, 4, 0}});
    auto ct = [&](int16_t table, bool commit, uint16_t zone) {
      Ct c = ct_to(table, commit);
      c.zone = zone;
      return c;
    };
    const uint16_t z = static_cast<uint16_t>(1 + rng() % 2);
    for (uint32_t i = 0; i < 3; ++i) {
      b.flows.push_back(add(0, 10 + i, {fexact(Field::kEthType, 0x800), fexact(Field::kIp4Dst, addrs[i])},
                            i == 0 ? Program{GotoTable{1}} : Program{Output{1 + i}, GotoTable{1}}));
    }
    b.flows.push_back(add(0, 5, {fexact(Field::kInPort, 9)}, {Output{9}}));
    b.flows.push_back(add(1, 10, {fexact(Field::kL4Dst, 53)}, {GotoTable{2}}));  // "next;"
    b.flows.push_back(add(2, 10, {fexact(Field::kEthType, 0x800)}, {ct(3, false, z)}));
    const uint64_t trk = ct_state::kTrk, nw = ct_state::kNew, est = ct_state::kEst;
    b.flows.push_back(add(3, 10, {fmasked(Field::kCtState, trk | nw, trk | nw | est)},
                          rng() % 2 ? Program{ct(-1, true, z), ct(4, false, z)} : Program{ct(-1, true, z), Output{7}}));
    b.flows.push_back(add(3, 10, {fmasked(Field::kCtState, trk | est, trk | nw | est), fexact(Field::kInPort, 1)},
                          {Output{8}, Output{10}}));
    b.flows.push_back(add(4, 10, {fexact(Field::kIpProto, 17)}, {Output{11}}));
    Twins t;
    ASSERT_NO_FATAL_FAILURE(t.load(b));
    auto& [c1, c2, cached, plain] = t;
    for (int burst = 0; burst < 60; ++burst) {
      const unsigned n = 1 + rng() % 40;
      std::vector<Buf> b1, b2;
      for (unsigned i = 0; i < n; ++i) {
        const uint32_t s = addrs[rng() % 3], d = addrs[rng() % 3];
        const uint16_t sp = static_cast<uint16_t>(50 + rng() % 3), dp = rng() % 2 ? 53 : static_cast<uint16_t>(60 + rng() % 2);
        const Bytes f = rng() % 5 == 0 ? tcp4(s, d, sp, dp, 1, 0, 0x02) : udp4(s, d, sp, dp);
        const uint32_t port = 1 + rng() % 2;
        b1.emplace_back(f, port);
        b2.emplace_back(f, port);
      }
      RecordingSink r1, r2;
      const uint64_t now = 1000 + static_cast<uint64_t>(burst);
      cached.begin_burst(now);
      for (auto& x : b1) cached.run(x.pkt, r1);
      cached.end_burst();
      plain.begin_burst(now);
      for (auto& x : b2) plain.run(x.pkt, r2);
      plain.end_burst();
      ASSERT_EQ(r1.out.size(), r2.out.size()) << "seed " << seed << " burst " << burst;
      for (size_t j = 0; j < r1.out.size(); ++j) {
        ASSERT_EQ(r1.out[j].port, r2.out[j].port) << "seed " << seed << " burst " << burst;
        ASSERT_EQ(r1.out[j].bytes, r2.out[j].bytes);
        ASSERT_EQ(r1.out[j].last_use, r2.out[j].last_use);
      }
      ASSERT_EQ(r1.drops, r2.drops) << "seed " << seed << " burst " << burst;
    }
    for (uint16_t t = 0; t < 5; ++t) {
      const auto& e1 = c1.snapshot()->table(t).entries();
      const auto& e2 = c2.snapshot()->table(t).entries();
      ASSERT_EQ(e1.size(), e2.size());
      for (size_t i = 0; i < e1.size(); ++i) {
        EXPECT_EQ(e1[i]->stats->packets(), e2[i]->stats->packets()) << "seed " << seed << " table " << t;
        EXPECT_EQ(e1[i]->stats->bytes(), e2[i]->stats->bytes());
      }
    }
    EXPECT_EQ(c1.conntrack().dump(100).size(), c2.conntrack().dump(100).size()) << "seed " << seed;
    EXPECT_GT(cached.stats().flow_cache_hits, 500u) << "seed " << seed;
    EXPECT_EQ(cached.stats().lookups, plain.stats().lookups) << "seed " << seed;
  }
}
