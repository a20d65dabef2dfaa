// datapath/core/test/actions_test.cc — the executor's actions, byte-exact against
// hand-built packets.
#include <gtest/gtest.h>

#include "core/executor.h"
#include "test/harness.h"

using namespace loom;
using namespace loom::testpkt;

namespace {

const uint32_t A = ip(10, 0, 0, 1), B = ip(10, 0, 0, 2);
const uint32_t TEP1 = ip(192, 168, 0, 1), TEP2 = ip(192, 168, 0, 2);
constexpr uint64_t kOuterSrc = 0x0a0000000001ull, kOuterDst = 0x0a0000000002ull;

struct Fixture {
  Core core;
  Executor ex{core};
  BuildError err;
  void install(Batch b) { ASSERT_TRUE(core.apply(b, err)) << err.code << ": " << err.message; }
  void flows(std::vector<FlowMod> f) {
    Batch b;
    b.flows = std::move(f);
    install(std::move(b));
  }
};

Bytes vxlan_hdr(uint32_t vni) { return Bytes{0x08, 0, 0, 0, uint8_t(vni >> 16), uint8_t(vni >> 8), uint8_t(vni), 0}; }
Bytes geneve_hdr(uint32_t vni, uint16_t in, uint16_t out) {
  return Bytes{0x02, 0x40, 0x65, 0x58, uint8_t(vni >> 16), uint8_t(vni >> 8), uint8_t(vni), 0,
               0x01, 0x02, 0x80, 0x01, uint8_t(in >> 8), uint8_t(in), uint8_t(out >> 8), uint8_t(out)};
}
// Outer frame as a tunnel endpoint sends it: UDP checksum 0 (RFC 7348 §5), IP id 0.
Bytes tunnel(uint16_t sport, uint16_t dport, const Bytes& hdr, const Bytes& inner) {
  Bytes payload = hdr;
  payload.insert(payload.end(), inner.begin(), inner.end());
  Bytes f = eth(kOuterDst, kOuterSrc, 0x0800, ip4(TEP1, TEP2, 17, udp(sport, dport, payload), 64, {}, 0, 0, 0));
  f[14 + 20 + 6] = 0;
  f[14 + 20 + 7] = 0;
  return f;
}
uint16_t rd16(const Bytes& b, size_t o) { return uint16_t(b[o] << 8 | b[o + 1]); }

}  // namespace

TEST(Actions, OutputLastUseAndMiss) {
  Fixture fx;
  fx.flows({add(0, 10, {fexact(Field::kInPort, 1)}, {Output{2}, Output{3}})});
  const Bytes f = udp4(A, B, 1, 2);
  auto s = run1(fx.ex, f, 1);
  ASSERT_EQ(s.out.size(), 2u);
  EXPECT_EQ(s.out[0].port, 2u);
  EXPECT_FALSE(s.out[0].last_use);
  EXPECT_EQ(s.out[1].port, 3u);
  EXPECT_TRUE(s.out[1].last_use);
  EXPECT_EQ(s.out[1].bytes, f);
  EXPECT_TRUE(s.drops.empty());
  auto m = run1(fx.ex, f, 7);
  EXPECT_TRUE(m.out.empty());
  ASSERT_EQ(m.drops.size(), 1u);
  EXPECT_EQ(m.drops[0], DropReason::kTableMiss);
  auto st = fx.ex.stats();
  EXPECT_EQ(st.drops[static_cast<unsigned>(DropReason::kTableMiss)], 1u);
  EXPECT_EQ(st.packets, 2u);
}

TEST(Actions, SetFieldMoveAndChecksums) {
  Fixture fx;
  const uint32_t C = ip(10, 9, 9, 9);
  fx.flows({add(0, 10, {}, {setf(Field::kIp4Dst, C), setf(Field::kL4Dst, 8080), setf(Field::kEthDst, 0x0200000000ffull),
                            setf(Field::kReg0, 0x12345678), Move{Field::kReg0, 8, Field::kReg1, 0, 16},
                            Move{Field::kReg0, 0, Field::kOutport, 4, 8}, Output{2}})});
  auto s = run1(fx.ex, udp4(A, B, 1111, 53, Bytes(5, 7)), 1);
  ASSERT_EQ(s.out.size(), 1u);
  Bytes want = eth(0x0200000000ffull, kMacA, 0x0800, ip4(A, C, 17, udp(1111, 8080, Bytes(5, 7))));
  EXPECT_EQ(s.out[0].bytes, want);
  EXPECT_EQ(s.out[0].md.reg[1], 0x3456u);
  EXPECT_EQ(s.out[0].md.outport, 0x780u);
  // TCP too.
  Fixture t;
  t.flows({add(0, 10, {}, {setf(Field::kIp4Src, C), setf(Field::kL4Src, 999), Output{2}})});
  auto ts = run1(t.ex, tcp4(A, B, 40000, 80, 12345, 678, 0x18, Bytes(33, 1)), 1);
  ASSERT_EQ(ts.out.size(), 1u);
  EXPECT_EQ(ts.out[0].bytes, tcp4(C, B, 999, 80, 12345, 678, 0x18, Bytes(33, 1)));
  EXPECT_TRUE(ip4_csum_ok(ts.out[0].bytes, 14));
  EXPECT_TRUE(l4_csum_ok(ts.out[0].bytes, 14));
}

TEST(Actions, DecTtlAndItsErrorPaths) {
  Fixture fx;
  Batch b;
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 1)}, {DecTtl{DecTtl::kGoto, 5, 0}, Output{2}}));
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 2)}, {DecTtl{DecTtl::kPacketIn, 0, 11}, Output{2}}));
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 3)}, {DecTtl{DecTtl::kDrop, 0, 0}, Output{2}}));
  b.flows.push_back(add(5, 10, {}, {Output{9}}));
  fx.install(b);
  for (uint8_t ttl : {64, 2, 255}) {
    auto s = run1(fx.ex, eth(kMacB, kMacA, 0x0800, ip4(A, B, 17, udp(1, 2), ttl)), 1);
    ASSERT_EQ(s.out.size(), 1u);
    EXPECT_EQ(s.out[0].port, 2u);
    EXPECT_EQ(s.out[0].bytes, eth(kMacB, kMacA, 0x0800, ip4(A, B, 17, udp(1, 2), uint8_t(ttl - 1))));
    EXPECT_TRUE(ip4_csum_ok(s.out[0].bytes, 14));
  }
  const Bytes one = eth(kMacB, kMacA, 0x0800, ip4(A, B, 17, udp(1, 2), 1));
  auto g = run1(fx.ex, one, 1);
  ASSERT_EQ(g.out.size(), 1u);
  EXPECT_EQ(g.out[0].port, 9u);
  EXPECT_EQ(g.out[0].bytes, one);  // unchanged
  auto p = run1(fx.ex, one, 2);
  EXPECT_TRUE(p.out.empty());
  ASSERT_EQ(p.pins.size(), 1u);
  EXPECT_EQ(p.pins[0].port, 11u);
  auto d = run1(fx.ex, one, 3);
  EXPECT_TRUE(d.out.empty());
  ASSERT_EQ(d.drops.size(), 1u);
  EXPECT_EQ(d.drops[0], DropReason::kTtlExpired);
  // IPv6 hop limit.
  const U128 a6{0x20010db800000000ull, 1}, b6{0x20010db800000000ull, 2};
  auto v6 = run1(fx.ex, eth(kMacB, kMacA, 0x86dd, ip6(a6, b6, 17, udp(1, 2), 9)), 1);
  ASSERT_EQ(v6.out.size(), 1u);
  EXPECT_EQ(v6.out[0].bytes, eth(kMacB, kMacA, 0x86dd, ip6(a6, b6, 17, udp(1, 2), 8)));
  // Not IP.
  auto arpd = run1(fx.ex, eth(kMacB, kMacA, 0x0806, arp(1, kMacA, A, 0, B)), 1);
  EXPECT_EQ(arpd.drops.at(0), DropReason::kNotIp);
}

TEST(Actions, VlanPushPop) {
  Fixture fx;
  fx.flows({add(0, 10, {fexact(Field::kInPort, 1)}, {PushVlan{0x8100, 0x2064}, Output{2}}),
            add(0, 10, {fexact(Field::kInPort, 2)}, {PopVlan{}, Output{3}}),
            add(0, 10, {fexact(Field::kInPort, 3)}, {PushVlan{0x88a8, 0x0007}, setf(Field::kVlanTci, 0x0009), Output{4}})});
  const Bytes inner = ip4(A, B, 17, udp(1, 2));
  const Bytes plain = eth(kMacB, kMacA, 0x0800, inner);
  const Bytes tagged = eth(kMacB, kMacA, 0x0800, inner, {{0x8100, 0x2064}});
  auto push = run1(fx.ex, plain, 1);
  ASSERT_EQ(push.out.size(), 1u);
  EXPECT_EQ(push.out[0].bytes, tagged);
  auto pop = run1(fx.ex, tagged, 2);
  ASSERT_EQ(pop.out.size(), 1u);
  EXPECT_EQ(pop.out[0].bytes, plain);
  auto qinq = run1(fx.ex, tagged, 3);
  ASSERT_EQ(qinq.out.size(), 1u);
  EXPECT_EQ(qinq.out[0].bytes, eth(kMacB, kMacA, 0x0800, inner, {{0x88a8, 0x0009}, {0x8100, 0x2064}}));
  // No headroom: counted drop, never a write before the buffer.
  RecordingSink s;
  Buf nb(plain, 1, 0);
  fx.ex.begin_burst(1);
  fx.ex.run(nb.pkt, s);
  fx.ex.end_burst();
  EXPECT_EQ(s.drops.at(0), DropReason::kNoRoom);
}

TEST(Actions, VxlanEncapDecapByteExact) {
  Fixture fx;
  Encap e;
  e.kind = TunnelKind::kVxlan;
  e.eth_src = kOuterSrc;
  e.eth_dst = kOuterDst;
  e.ip_src = TEP1;
  e.ip_dst = TEP2;
  e.use_vni_field = true;
  e.vni_field = Field::kMetadata;
  Batch b;
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 1)}, {setf(Field::kMetadata, 0x123456), e, Output{7}}));
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 7), fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 17),
                                fexact(Field::kL4Dst, 4789)},
                        {Decap{}, GotoTable{1}}));
  b.flows.push_back(add(1, 10, {fexact(Field::kTunId, 0x123456)}, {Output{3}}));
  fx.install(b);
  const Bytes inner = tcp4(A, B, 40000, 80, 1, 2, 0x10, Bytes(20, 5));
  auto s = run1(fx.ex, inner, 1);
  ASSERT_EQ(s.out.size(), 1u);
  const Bytes& out = s.out[0].bytes;
  const uint16_t sport = rd16(out, 34);
  EXPECT_GE(sport, 49152);
  EXPECT_EQ(out, tunnel(sport, 4789, vxlan_hdr(0x123456), inner));
  EXPECT_TRUE(ip4_csum_ok(out, 14));
  // Same flow, same source port (ECMP friendliness); decap gives the inner frame back.
  EXPECT_EQ(rd16(run1(fx.ex, inner, 1).out.at(0).bytes, 34), sport);
  auto d = run1(fx.ex, out, 7);
  ASSERT_EQ(d.out.size(), 1u);
  EXPECT_EQ(d.out[0].port, 3u);
  EXPECT_EQ(d.out[0].bytes, inner);
  EXPECT_EQ(d.out[0].md.tun_id, 0x123456u);
  EXPECT_EQ(d.out[0].md.tun_src, TEP1);
  EXPECT_EQ(d.out[0].md.tun_dst, TEP2);
  // Not a VXLAN packet (I flag clear): counted drop.
  Bytes bad = tunnel(50000, 4789, Bytes{0, 0, 0, 0, 0, 0, 1, 0}, inner);
  EXPECT_EQ(run1(fx.ex, bad, 7).drops.at(0), DropReason::kDecapMalformed);
}

TEST(Actions, GeneveEncapDecapWithOvnOption) {
  Fixture fx;
  Encap e;
  e.kind = TunnelKind::kGeneve;
  e.eth_src = kOuterSrc;
  e.eth_dst = kOuterDst;
  e.ip_src = TEP1;
  e.ip_dst = TEP2;
  e.vni = 5;
  Batch b;
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 1)},
                        {setf(Field::kInport, 0x12), setf(Field::kOutport, 0x345), e, Output{7}}));
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 7), fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 17),
                                fexact(Field::kL4Dst, 6081)},
                        {Decap{}, Move{Field::kTunOpt, 0, Field::kOutport, 0, 16},
                         Move{Field::kTunOpt, 16, Field::kInport, 0, 15}, GotoTable{1}}));
  b.flows.push_back(add(1, 10, {fexact(Field::kTunId, 5), fexact(Field::kOutport, 0x345)}, {Output{3}}));
  fx.install(b);
  const Bytes inner = udp4(A, B, 5, 6, Bytes(3, 3));
  auto s = run1(fx.ex, inner, 1);
  ASSERT_EQ(s.out.size(), 1u);
  const Bytes& out = s.out[0].bytes;
  const uint16_t sport = rd16(out, 34);
  EXPECT_EQ(out, tunnel(sport, 6081, geneve_hdr(5, 0x12, 0x345), inner));
  auto d = run1(fx.ex, out, 7);
  ASSERT_EQ(d.out.size(), 1u);
  EXPECT_EQ(d.out[0].bytes, inner);
  EXPECT_EQ(d.out[0].md.inport, 0x12u);
  EXPECT_EQ(d.out[0].md.outport, 0x345u);
  EXPECT_EQ(d.out[0].md.tun_opt, 0x00120345u);
}

TEST(Actions, GroupBucketsGetTheirOwnCopy) {
  Fixture fx;
  Group g;
  g.id = 3;
  g.buckets = {{setf(Field::kEthDst, 0x0200000000aaull), Output{1}}, {Output{2}}, {PushVlan{0x8100, 5}, Output{3}},
               {Drop{}}, {setf(Field::kReg3, 9), Resubmit{4}}};
  Batch b;
  b.groups.push_back(GroupMod{GroupMod::kAdd, g});
  b.flows.push_back(add(0, 10, {}, {GroupOut{3}, Output{4}}));
  b.flows.push_back(add(4, 10, {fexact(Field::kReg3, 9)}, {Output{5}}));
  fx.install(b);
  const Bytes f = udp4(A, B, 1, 2);
  auto s = run1(fx.ex, f, 9);
  ASSERT_EQ(s.out.size(), 5u);
  EXPECT_EQ(s.out[0].port, 1u);
  EXPECT_EQ(s.out[0].bytes, eth(0x0200000000aaull, kMacA, 0x0800, ip4(A, B, 17, udp(1, 2))));
  EXPECT_EQ(s.out[1].port, 2u);
  EXPECT_EQ(s.out[1].bytes, f);
  EXPECT_EQ(s.out[2].port, 3u);
  EXPECT_EQ(s.out[2].bytes, eth(kMacB, kMacA, 0x0800, ip4(A, B, 17, udp(1, 2)), {{0x8100, 5}}));
  EXPECT_EQ(s.out[3].port, 5u);
  EXPECT_EQ(s.out[4].port, 4u);
  EXPECT_EQ(s.out[4].bytes, f);
  EXPECT_EQ(s.out[4].md.reg[3], 0u);  // bucket metadata does not leak out either
  EXPECT_TRUE(s.out[4].last_use);
  for (size_t i = 0; i < 4; ++i) EXPECT_FALSE(s.out[i].last_use);
}

TEST(Actions, NeighbourCache) {
  Fixture fx;
  fx.flows({add(0, 10, {fexact(Field::kEthType, 0x806)}, {NeighStore{Field::kArpSpa, Field::kArpSha}}),
            add(0, 10, {fexact(Field::kEthType, 0x800)},
                {NeighLookup{Field::kIp4Dst, Field::kEthDst, Field::kReg9, 2}, Output{2}})});
  auto learn = run1(fx.ex, eth(0xffffffffffffull, 0x02000000beefull, 0x0806, arp(2, 0x02000000beefull, B, kMacA, A)), 1);
  EXPECT_EQ(learn.drops.at(0), DropReason::kNoOutput);
  auto hit = run1(fx.ex, eth(0, kMacA, 0x0800, ip4(A, B, 17, udp(1, 2))), 1);
  ASSERT_EQ(hit.out.size(), 1u);
  EXPECT_EQ(hit.out[0].bytes, eth(0x02000000beefull, kMacA, 0x0800, ip4(A, B, 17, udp(1, 2))));
  EXPECT_EQ(hit.out[0].md.reg[9] & 4u, 4u);
  auto miss = run1(fx.ex, eth(0, kMacA, 0x0800, ip4(A, ip(10, 0, 0, 99), 17, udp(1, 2))), 1);
  ASSERT_EQ(miss.out.size(), 1u);
  EXPECT_EQ(miss.out[0].md.reg[9] & 4u, 0u);
  uint64_t mac = 0;
  EXPECT_TRUE(fx.core.neigh().lookup(0, U128{0, B}, mac));
  EXPECT_EQ(mac, 0x02000000beefull);
}

TEST(Actions, ConntrackAllowRelatedPipeline) {
  Fixture fx;
  Ct track;
  track.zone = 1;
  track.table = 1;
  Ct commit;
  commit.zone = 1;
  commit.commit = true;
  fx.flows({add(0, 10, {fexact(Field::kEthType, 0x800)}, {track}),
            add(1, 30, {fmasked(Field::kCtState, ct_state::kTrk | ct_state::kEst, ct_state::kTrk | ct_state::kEst)}, {GotoTable{2}}),
            add(1, 20, {fmasked(Field::kCtState, ct_state::kTrk | ct_state::kNew, ct_state::kTrk | ct_state::kNew),
                        fexact(Field::kInPort, 1)},
                {commit, GotoTable{2}}),
            add(1, 10, {fmasked(Field::kCtState, ct_state::kTrk, ct_state::kTrk)}, {Drop{}}),
            add(2, 10, {fexact(Field::kInPort, 1)}, {Output{2}}),
            add(2, 10, {fexact(Field::kInPort, 2)}, {Output{1}})});
  // Outbound opens, the reply comes back, an unsolicited inbound flow is dropped.
  auto out = run1(fx.ex, udp4(A, B, 1000, 53), 1, 1000);
  ASSERT_EQ(out.out.size(), 1u);
  EXPECT_EQ(out.out[0].port, 2u);
  auto back = run1(fx.ex, udp4(B, A, 53, 1000), 2, 2000);
  ASSERT_EQ(back.out.size(), 1u);
  EXPECT_EQ(back.out[0].port, 1u);
  EXPECT_EQ(back.out[0].md.ct_state, ct_state::kTrk | ct_state::kEst | ct_state::kRpl);
  auto unsolicited = run1(fx.ex, udp4(B, A, 53, 1001), 2, 3000);
  EXPECT_TRUE(unsolicited.out.empty());
  EXPECT_EQ(unsolicited.drops.at(0), DropReason::kExplicitDrop);
  EXPECT_EQ(fx.core.conntrack().stats().conns, 1u);
}

TEST(Actions, LoopsAreBounded) {
  Fixture fx;
  fx.flows({add(0, 10, {}, {Resubmit{0}})});
  auto s = run1(fx.ex, udp4(A, B, 1, 2));
  EXPECT_EQ(s.drops.at(0), DropReason::kLoopLimit);
  Fixture g;
  Ct c;
  c.table = 0;  // recirculate into the same table forever
  g.flows({add(0, 10, {}, {c})});
  EXPECT_EQ(run1(g.ex, udp4(A, B, 1, 2)).drops.at(0), DropReason::kLoopLimit);
}

TEST(Actions, TracerSeesEveryLookup) {
  struct T : Tracer {
    std::vector<std::pair<uint16_t, uint64_t>> hits;
    void lookup(uint16_t t, const FlowKey&, const Entry* e) override { hits.push_back({t, e ? e->cookie : 0}); }
  } tr;
  Fixture fx;
  fx.flows({add(0, 10, {}, {GotoTable{3}}, 0xa), add(3, 10, {}, {Resubmit{7}, Output{1}}, 0xb)});
  RecordingSink s;
  Buf b(udp4(A, B, 1, 2));
  fx.ex.begin_burst(1);
  fx.ex.run(b.pkt, s, 0, &tr);
  fx.ex.end_burst();
  ASSERT_EQ(tr.hits.size(), 3u);
  EXPECT_EQ(tr.hits[0], (std::pair<uint16_t, uint64_t>{0, 0xa}));
  EXPECT_EQ(tr.hits[1], (std::pair<uint16_t, uint64_t>{3, 0xb}));
  EXPECT_EQ(tr.hits[2], (std::pair<uint16_t, uint64_t>{7, 0}));
  EXPECT_EQ(s.out.size(), 1u);
}

// OVN's ls_in_arp_rsp, as datapath actions: the reply is built from the request in place.
TEST(Actions, ArpResponderInPlace) {
  Fixture fx;
  const uint32_t V = ip(10, 0, 0, 254);
  const uint64_t VMAC = 0x0a00000000feull;
  fx.flows({add(0, 50, {fexact(Field::kEthType, 0x806), fexact(Field::kArpOp, 1), fexact(Field::kArpTpa, V)},
                {Move{Field::kEthSrc, 0, Field::kEthDst, 0, 48}, setf(Field::kEthSrc, VMAC), setf(Field::kArpOp, 2),
                 Move{Field::kArpSha, 0, Field::kArpTha, 0, 48}, setf(Field::kArpSha, VMAC),
                 Move{Field::kArpSpa, 0, Field::kArpTpa, 0, 32}, setf(Field::kArpSpa, V), Output{1}})});
  auto s = run1(fx.ex, eth(0xffffffffffffull, kMacA, 0x0806, arp(1, kMacA, A, 0, V)), 1);
  ASSERT_EQ(s.out.size(), 1u);
  EXPECT_EQ(s.out[0].bytes, eth(kMacA, VMAC, 0x0806, arp(2, VMAC, V, kMacA, A)));
}

// A router answering ping: addresses swapped through a register, type 0, checksums fixed.
TEST(Actions, IcmpEchoResponderInPlace) {
  Fixture fx;
  const uint32_t V = ip(10, 0, 0, 254);
  const uint64_t VMAC = 0x0a00000000feull;
  fx.flows({add(0, 50, {fexact(Field::kEthType, 0x800), fexact(Field::kIpProto, 1), fexact(Field::kIcmpType, 8),
                        fexact(Field::kIp4Dst, V)},
                {Move{Field::kIp4Src, 0, Field::kReg0, 0, 32}, setf(Field::kIp4Src, V),
                 Move{Field::kReg0, 0, Field::kIp4Dst, 0, 32}, setf(Field::kIcmpType, 0), setf(Field::kIpTtl, 255),
                 setf(Field::kEthDst, kMacA), setf(Field::kEthSrc, VMAC), Output{1}})});
  const Bytes payload(56, 0x61);
  auto s = run1(fx.ex, eth(VMAC, kMacA, 0x0800, ip4(A, V, 1, icmp4(8, 0, 0x12340007, payload))), 1);
  ASSERT_EQ(s.out.size(), 1u);
  EXPECT_EQ(s.out[0].bytes, eth(kMacA, VMAC, 0x0800, ip4(V, A, 1, icmp4(0, 0, 0x12340007, payload), 255)));
}

TEST(Actions, NdFieldsRewriteWithChecksum) {
  Fixture fx;
  const U128 a6{0x20010db800000000ull, 1}, b6{0x20010db800000000ull, 2}, t6{0x20010db800000000ull, 0x99};
  fx.flows({add(0, 50, {fexact(Field::kEthType, 0x86dd), fexact(Field::kIpProto, 58), fexact(Field::kIcmpType, 136)},
                {SetField{Field::kNdTarget, t6, U128{~0ull, ~0ull}}, setf(Field::kNdTll, 0x0a0000000099ull), Output{1}})});
  // NA (flags S|O), target b6, target link-layer option.
  const Bytes na{0x60, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 1, 2, 0, 0, 0, 0, 2};
  const Bytes want{0x60, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99, 2, 1, 0x0a, 0, 0, 0, 0, 0x99};
  auto s = run1(fx.ex, eth(kMacA, kMacB, 0x86dd, ip6(b6, a6, 58, icmp6(136, 0, na), 255)), 1);
  ASSERT_EQ(s.out.size(), 1u);
  EXPECT_EQ(s.out[0].bytes, eth(kMacA, kMacB, 0x86dd, ip6(b6, a6, 58, icmp6(136, 0, want), 255)));
  EXPECT_TRUE(l4_csum_ok(s.out[0].bytes, 14));
}
