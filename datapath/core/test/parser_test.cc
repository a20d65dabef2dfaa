// datapath/core/test/parser_test.cc — parse() on good and hostile packets.
#include <gtest/gtest.h>

#include <memory>

#include "core/parser.h"
#include "test/packets.h"

using namespace loom;
using namespace loom::testpkt;

namespace {

struct Parsed {
  ParseResult r;
  FlowKey k;
};

// Parses from an exact-size heap copy, so ASan sees any read past the end.
Parsed run(const Bytes& b, size_t n) {
  std::unique_ptr<uint8_t[]> buf(new uint8_t[n ? n : 1]);
  std::copy(b.begin(), b.begin() + static_cast<long>(n), buf.get());
  Parsed p;
  p.r = parse(buf.get(), static_cast<uint32_t>(n), p.k);
  return p;
}
Parsed run(const Bytes& b) { return run(b, b.size()); }
uint64_t get(const FlowKey& k, Field f) { return key_get(k, f).lo; }

const U128 kV6a{0x20010db800000000ull, 1}, kV6b{0x20010db800000000ull, 2};

Bytes tcp_frame() { return tcp4(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 1234, 80, 1000, 0, 0x02, Bytes(10, 0xab)); }
Bytes udp6_ext_frame() {
  // hop-by-hop (8 bytes), destination options (16 bytes), routing (8 bytes), fragment (8, offset 0, M=1)
  return eth(kMacB, kMacA, 0x86dd,
             ip6(kV6a, kV6b, 17, udp(53, 5353, Bytes(4, 1)), 64,
                 {{0, Bytes{0, 1, 4, 0, 0, 0, 0}},
                  {60, Bytes{1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
                  {43, Bytes{0, 0, 0, 0, 0, 0, 0}},
                  {44, Bytes{0, 0x00, 0x01, 0, 0, 0, 7}}}));
}

}  // namespace

TEST(Parser, Tcp4Fields) {
  auto p = run(tcp_frame());
  ASSERT_EQ(p.r.drop, DropReason::kNone);
  EXPECT_EQ(get(p.k, Field::kEthDst), kMacB);
  EXPECT_EQ(get(p.k, Field::kEthSrc), kMacA);
  EXPECT_EQ(get(p.k, Field::kEthType), 0x0800u);
  EXPECT_EQ(get(p.k, Field::kIp4Src), ip(10, 0, 0, 1));
  EXPECT_EQ(get(p.k, Field::kIp4Dst), ip(10, 0, 0, 2));
  EXPECT_EQ(get(p.k, Field::kIpProto), 6u);
  EXPECT_EQ(get(p.k, Field::kIpTtl), 64u);
  EXPECT_EQ(get(p.k, Field::kL4Src), 1234u);
  EXPECT_EQ(get(p.k, Field::kL4Dst), 80u);
  EXPECT_EQ(get(p.k, Field::kTcpFlags), 0x02u);
  EXPECT_EQ(get(p.k, Field::kIpFrag), 0u);
  EXPECT_EQ(p.r.layout.l3, 14u);
  EXPECT_EQ(p.r.layout.l4, 34u);
  EXPECT_EQ(p.r.layout.l4_kind, L4::kTcp);
}

TEST(Parser, VlanStacks) {
  Bytes inner = ip4(ip(1, 2, 3, 4), ip(5, 6, 7, 8), 17, udp(1, 2));
  auto one = run(eth(kMacB, kMacA, 0x0800, inner, {{0x8100, 0x2064}}));
  ASSERT_EQ(one.r.drop, DropReason::kNone);
  EXPECT_EQ(get(one.k, Field::kVlanTci), 0x2064u | kVlanPresent);
  EXPECT_EQ(get(one.k, Field::kVlanTci2), 0u);
  EXPECT_EQ(get(one.k, Field::kEthType), 0x0800u);
  EXPECT_EQ(one.r.layout.l3, 18u);
  auto two = run(eth(kMacB, kMacA, 0x0800, inner, {{0x88a8, 0x0005}, {0x8100, 0x0007}}));
  ASSERT_EQ(two.r.drop, DropReason::kNone);
  EXPECT_EQ(get(two.k, Field::kVlanTci), 0x0005u | kVlanPresent);
  EXPECT_EQ(get(two.k, Field::kVlanTci2), 0x0007u | kVlanPresent);
  EXPECT_EQ(get(two.k, Field::kL4Dst), 2u);
  EXPECT_EQ(two.r.layout.l3, 22u);
  // A third tag is not parsed: the frame's type is the tag's TPID and nothing below it.
  auto three = run(eth(kMacB, kMacA, 0x0800, inner, {{0x88a8, 1}, {0x8100, 2}, {0x8100, 3}}));
  ASSERT_EQ(three.r.drop, DropReason::kNone);
  EXPECT_EQ(get(three.k, Field::kEthType), 0x8100u);
  EXPECT_EQ(get(three.k, Field::kIp4Src), 0u);
  // Tag header cut short.
  Bytes cut = eth(kMacB, kMacA, 0x8100, Bytes{0x00});
  EXPECT_EQ(run(cut).r.drop, DropReason::kVlanTruncated);
}

TEST(Parser, Ip4OptionsFragmentsAndPadding) {
  Bytes opts{0x94, 0x04, 0x00, 0x00};  // router alert
  auto o = run(eth(kMacB, kMacA, 0x0800, ip4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 17, udp(7, 9), 64, opts)));
  ASSERT_EQ(o.r.drop, DropReason::kNone);
  EXPECT_EQ(o.r.layout.l3_len, 24u);
  EXPECT_EQ(o.r.layout.l4, 38u);
  EXPECT_EQ(get(o.k, Field::kL4Dst), 9u);
  // First fragment (MF=1, offset 0): L4 parsed, frag=any.
  auto f1 = run(eth(kMacB, kMacA, 0x0800, ip4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 17, udp(7, 9, Bytes(16, 0)), 64, {}, 0x2000)));
  ASSERT_EQ(f1.r.drop, DropReason::kNone);
  EXPECT_EQ(get(f1.k, Field::kIpFrag), kFragAny);
  EXPECT_EQ(get(f1.k, Field::kL4Dst), 9u);
  // Later fragment: no L4 header, even if the bytes would look like one.
  auto f2 = run(eth(kMacB, kMacA, 0x0800, ip4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 17, Bytes(3, 0xff), 64, {}, 0x0003)));
  ASSERT_EQ(f2.r.drop, DropReason::kNone);
  EXPECT_EQ(get(f2.k, Field::kIpFrag), kFragAny | kFragLater);
  EXPECT_EQ(get(f2.k, Field::kL4Src), 0u);
  EXPECT_EQ(f2.r.layout.l4_kind, L4::kNone);
  // Garbage after the datagram (Ethernet padding) is ignored and ip_end says where it starts.
  Bytes pad = tcp_frame();
  const size_t real = pad.size();
  pad.insert(pad.end(), 30, 0xee);
  auto pd = run(pad);
  ASSERT_EQ(pd.r.drop, DropReason::kNone);
  EXPECT_EQ(pd.r.layout.ip_end, real);
  EXPECT_EQ(get(pd.k, Field::kL4Dst), 80u);
}

TEST(Parser, Ip4HostileHeaders) {
  Bytes base = tcp_frame();
  Bytes b = base;
  b[14] = 0x44;  // ihl 4 < 5
  EXPECT_EQ(run(b).r.drop, DropReason::kIp4BadIhl);
  b = base;
  b[14] = 0x4f;  // ihl 15 = 60 bytes > what the frame has
  EXPECT_EQ(run(b).r.drop, DropReason::kIp4Truncated);
  b = base;
  b[14] = 0x55;  // version 5
  EXPECT_EQ(run(b).r.drop, DropReason::kIp4BadVersion);
  b = base;
  b[16] = 0x05;  // total length 0x05xx > frame
  EXPECT_EQ(run(b).r.drop, DropReason::kIp4BadTotalLen);
  b = base;
  b[16] = 0; b[17] = 10;  // total length < header
  EXPECT_EQ(run(b).r.drop, DropReason::kIp4BadTotalLen);
  b = base;
  b[46] = 0x40;  // TCP data offset 4
  EXPECT_EQ(run(b).r.drop, DropReason::kTcpBadOffset);
  b = base;
  b[46] = 0xf0;  // TCP data offset 15 = 60 bytes > segment
  EXPECT_EQ(run(b).r.drop, DropReason::kTcpBadOffset);
  Bytes u = udp4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 1, 2, Bytes(4, 0));
  u[38] = 0; u[39] = 7;  // UDP length 7 < 8
  EXPECT_EQ(run(u).r.drop, DropReason::kUdpBadLen);
  u[38] = 0; u[39] = 200;  // UDP length beyond the datagram
  EXPECT_EQ(run(u).r.drop, DropReason::kUdpBadLen);
}

TEST(Parser, EveryTruncationIsCaught) {
  const std::vector<Bytes> frames = {
      tcp_frame(),
      udp4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 1, 2, Bytes(3, 9)),
      eth(kMacB, kMacA, 0x0800, ip4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 1, icmp4(8, 0, 0x00010002, Bytes(8, 1)))),
      eth(kMacB, kMacA, 0x0806, arp(1, kMacA, ip(1, 1, 1, 1), 0, ip(1, 1, 1, 2))),
      eth(kMacB, kMacA, 0x0800, ip4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 6, tcp(1, 2, 3, 4, 0x10), 64, Bytes{1, 1, 1, 0}),
          {{0x88a8, 1}, {0x8100, 2}}),
      udp6_ext_frame(),
  };
  for (size_t f = 0; f < frames.size(); ++f) {
    const Bytes& fr = frames[f];
    ASSERT_EQ(run(fr).r.drop, DropReason::kNone) << "frame " << f;
    for (size_t n = 0; n < fr.size(); ++n) {
      auto p = run(fr, n);
      EXPECT_NE(p.r.drop, DropReason::kNone) << "frame " << f << " cut at " << n;
    }
  }
}

TEST(Parser, Ip6ExtensionChains) {
  auto p = run(udp6_ext_frame());
  ASSERT_EQ(p.r.drop, DropReason::kNone);
  EXPECT_EQ(get(p.k, Field::kIpProto), 17u);
  EXPECT_EQ(get(p.k, Field::kL4Src), 53u);
  EXPECT_EQ(get(p.k, Field::kL4Dst), 5353u);
  EXPECT_EQ(get(p.k, Field::kIpFrag), kFragAny);
  EXPECT_EQ(key_get(p.k, Field::kIp6Src), kV6a);
  EXPECT_EQ(key_get(p.k, Field::kIp6Dst), kV6b);
  EXPECT_EQ(p.r.layout.l4, 14u + 40 + 8 + 16 + 8 + 8);
  // Later fragment: no L4.
  auto later = run(eth(kMacB, kMacA, 0x86dd, ip6(kV6a, kV6b, 17, Bytes(8, 0), 64, {{44, Bytes{0, 0x00, 0x08, 0, 0, 0, 7}}})));
  ASSERT_EQ(later.r.drop, DropReason::kNone);
  EXPECT_EQ(get(later.k, Field::kIpFrag), kFragAny | kFragLater);
  EXPECT_EQ(get(later.k, Field::kL4Src), 0u);
  // Too many extension headers.
  std::vector<std::pair<uint8_t, Bytes>> many(11, {60, Bytes(7, 0)});
  EXPECT_EQ(run(eth(kMacB, kMacA, 0x86dd, ip6(kV6a, kV6b, 17, udp(1, 2), 64, many))).r.drop, DropReason::kIp6ExtTooMany);
  // An extension header whose length runs past the payload.
  Bytes bad = eth(kMacB, kMacA, 0x86dd, ip6(kV6a, kV6b, 59, Bytes{}, 64, {{60, Bytes{3, 0, 0, 0, 0, 0, 0}}}));
  EXPECT_EQ(run(bad).r.drop, DropReason::kIp6ExtTruncated);
  // Payload length beyond the frame.
  Bytes big = eth(kMacB, kMacA, 0x86dd, ip6(kV6a, kV6b, 17, udp(1, 2)));
  big[18] = 0x10;
  EXPECT_EQ(run(big).r.drop, DropReason::kIp6BadPayloadLen);
}

TEST(Parser, ArpAndNd) {
  auto a = run(eth(0xffffffffffffull, kMacA, 0x0806, arp(1, kMacA, ip(10, 0, 0, 1), 0, ip(10, 0, 0, 2))));
  ASSERT_EQ(a.r.drop, DropReason::kNone);
  EXPECT_EQ(get(a.k, Field::kArpOp), 1u);
  EXPECT_EQ(get(a.k, Field::kArpSha), kMacA);
  EXPECT_EQ(get(a.k, Field::kArpSpa), ip(10, 0, 0, 1));
  EXPECT_EQ(get(a.k, Field::kArpTpa), ip(10, 0, 0, 2));
  Bytes bad = eth(0xffffffffffffull, kMacA, 0x0806, arp(1, kMacA, 1, 0, 2));
  bad[18] = 8;  // hlen 8
  EXPECT_EQ(run(bad).r.drop, DropReason::kArpBadFormat);
  // Neighbor solicitation with a source link-layer address option.
  // reserved(4), target 2001:db8::2
  Bytes ns{0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  Bytes opt{1, 1, 0x02, 0, 0, 0, 0, 1};  // SLL = 02:00:00:00:00:01
  ns.insert(ns.end(), opt.begin(), opt.end());
  auto n = run(eth(0x333300000001ull, kMacA, 0x86dd, ip6(kV6a, kV6b, 58, icmp6(135, 0, ns), 255)));
  ASSERT_EQ(n.r.drop, DropReason::kNone);
  EXPECT_EQ(get(n.k, Field::kIcmpType), 135u);
  EXPECT_EQ(key_get(n.k, Field::kNdTarget), kV6b);
  EXPECT_EQ(get(n.k, Field::kNdSll), kMacA);
  Bytes zero = ns;
  zero[zero.size() - 7] = 0;  // option length 0 (RFC 4861 §4.6: invalid)
  EXPECT_EQ(run(eth(0x333300000001ull, kMacA, 0x86dd, ip6(kV6a, kV6b, 58, icmp6(135, 0, zero), 255))).r.drop,
            DropReason::kNdBadOption);
}

TEST(Parser, RandomBytesNeverReadOutOfBounds) {
  // Deterministic pseudo-random frames with plausible headers (so the parser goes deep).
  uint64_t s = 0x1234567;
  auto rnd = [&]() { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; };
  const Bytes seeds[] = {tcp_frame(), udp6_ext_frame()};
  for (int i = 0; i < 20000; ++i) {
    Bytes b = seeds[i % 2];
    const int flips = 1 + static_cast<int>(rnd() % 4);
    for (int j = 0; j < flips; ++j) b[rnd() % b.size()] = static_cast<uint8_t>(rnd());
    auto p = run(b, rnd() % (b.size() + 1));
    if (p.r.drop == DropReason::kNone) {
      EXPECT_LE(p.r.layout.l3, b.size());
      EXPECT_LE(p.r.layout.ip_end, b.size());
    }
  }
}

// parse() takes a straight-line path for plain IPv4 UDP/TCP; it (and parse_check) must give exactly what the
// general parser gives (key words, layout, drop reason) for every input, near the fast
// path's boundaries in particular: every truncation and single-byte change of UDP/TCP
// frames, plus frames the fast path must hand over (options, fragments, VLAN, ICMP, v6).
TEST(Parser, FastPathAgreesWithReference) {
  auto same = [](const Bytes& b, size_t n) {
    std::unique_ptr<uint8_t[]> buf(new uint8_t[n ? n : 1]);
    std::copy(b.begin(), b.begin() + static_cast<long>(n), buf.get());
    FlowKey k, kr;
    for (auto& x : k.w) x = 0x5a5a5a5a5a5a5a5aull;  // stale words must be overwritten
    const ParseResult r = parse(buf.get(), static_cast<uint32_t>(n), k);
    const ParseResult rr = parse_reference(buf.get(), static_cast<uint32_t>(n), kr);
    for (unsigned i = 0; i < kMetaWords; ++i) k.w[i] = kr.w[i] = 0;
    EXPECT_EQ(r.drop, rr.drop);
    EXPECT_EQ(parse_check(buf.get(), static_cast<uint32_t>(n)), rr.drop);
    EXPECT_EQ(r.layout.l3, rr.layout.l3);
    EXPECT_EQ(r.layout.l4, rr.layout.l4);
    EXPECT_EQ(r.layout.l3_len, rr.layout.l3_len);
    EXPECT_EQ(r.layout.ip_end, rr.layout.ip_end);
    EXPECT_EQ(r.layout.vlans, rr.layout.vlans);
    EXPECT_EQ(r.layout.l3_kind, rr.layout.l3_kind);
    EXPECT_EQ(r.layout.l4_kind, rr.layout.l4_kind);
    for (unsigned i = kMetaWords; i < kKeyWords; ++i) EXPECT_EQ(k.w[i], kr.w[i]) << "word " << i;
    return !::testing::Test::HasFailure();
  };
  const uint32_t a = ip(10, 0, 0, 1), b = ip(10, 0, 0, 2);
  const Bytes frames[] = {
      udp4(ip(198, 18, 0, 1), ip(198, 18, 0, 2), 9, 9, Bytes(18, 0)),
      tcp_frame(),
      tcp4(a, b, 1, 2, 3, 4, 0x12),
      eth(kMacB, kMacA, 0x0800, ip4(a, b, 17, udp(5, 6, Bytes(8, 1)), 64, {}, 0x2000)),  // MF
      eth(kMacB, kMacA, 0x0800, ip4(a, b, 6, tcp(5, 6, 7, 8, 0x10), 64, {}, 0x0003)),    // later fragment
      eth(kMacB, kMacA, 0x0800, ip4(a, b, 17, udp(1, 2), 64, Bytes{1, 1, 1, 0})),        // options
      eth(kMacB, kMacA, 0x0800, ip4(a, b, 17, udp(1, 2)), {{0x8100, 7}}),
      eth(kMacB, kMacA, 0x0800, ip4(a, b, 1, icmp4(8, 0, 0x10001))),
      eth(kMacB, kMacA, 0x0800, ip4(a, b, 47, Bytes(12, 3))),
      udp6_ext_frame(),
      eth(kMacB, kMacA, 0x0806, arp(1, kMacA, ip(10, 0, 0, 1), 0, ip(10, 0, 0, 2))),
  };
  uint64_t s = 0x9e3779b9;
  auto rnd = [&]() { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; };
  for (const Bytes& f : frames) {
    for (size_t n = 0; n <= f.size(); ++n)
      if (!same(f, n)) return;
    for (size_t i = 0; i < f.size() && i < 64; ++i) {
      for (int v = 0; v < 8; ++v) {
        Bytes b = f;
        b[i] = static_cast<uint8_t>(rnd());
        if (!same(b, b.size())) return;
      }
    }
  }
}
