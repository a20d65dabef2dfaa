// datapath/core/test/conntrack_test.cc — connection tracking, NAT and expiry on a virtual clock.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "core/conntrack.h"
#include "test/harness.h"

using namespace loom;
using namespace loom::testpkt;

namespace {

constexpr uint64_t kSec = 1000000000ull;
const uint32_t A = ip(10, 0, 0, 1), B = ip(10, 0, 0, 2), X = ip(192, 0, 2, 1);
constexpr uint16_t SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04;

struct Out {
  CtResult r;
  Bytes bytes;  // the packet after NAT
  FlowKey key;
};

Out ct(Conntrack& t, const Bytes& frame, const Ct& act, uint64_t now, uint32_t hash = 7) {
  Buf b(frame);
  Out o;
  const ParseResult pr = parse(b.pkt.data, b.pkt.len, o.key);
  EXPECT_EQ(pr.drop, DropReason::kNone);
  o.r = t.process(b.pkt, o.key, pr.layout, act, act.zone, hash, now);
  o.bytes.assign(b.pkt.data, b.pkt.data + b.pkt.len);
  return o;
}
Ct commit(uint16_t zone = 1) { Ct c; c.zone = zone; c.commit = true; return c; }
Ct track(uint16_t zone = 1) { Ct c; c.zone = zone; return c; }
bool has(uint16_t s, uint16_t bits) { return (s & bits) == bits; }

}  // namespace

TEST(Conntrack, TcpHandshakeAndStates) {
  Conntrack t;
  auto syn = ct(t, tcp4(A, B, 40000, 80, 100, 0, SYN), commit(), kSec);
  EXPECT_EQ(syn.r.state, ct_state::kTrk | ct_state::kNew);
  EXPECT_EQ(t.stats().conns, 1u);
  auto synack = ct(t, tcp4(B, A, 80, 40000, 5000, 101, SYN | ACK), track(), kSec);
  EXPECT_EQ(synack.r.state, ct_state::kTrk | ct_state::kEst | ct_state::kRpl);
  auto ack = ct(t, tcp4(A, B, 40000, 80, 101, 5001, ACK), track(), kSec);
  EXPECT_EQ(ack.r.state, ct_state::kTrk | ct_state::kEst);
  auto data = ct(t, tcp4(A, B, 40000, 80, 101, 5001, ACK, Bytes(100, 1)), track(), kSec);
  EXPECT_EQ(data.r.state, ct_state::kTrk | ct_state::kEst);
  auto reply = ct(t, tcp4(B, A, 80, 40000, 5001, 201, ACK, Bytes(50, 2)), track(), kSec);
  EXPECT_EQ(reply.r.state, ct_state::kTrk | ct_state::kEst | ct_state::kRpl);
  // A segment far outside the window is invalid.
  auto wild = ct(t, tcp4(A, B, 40000, 80, 0x80000000u, 5051, ACK, Bytes(10, 3)), track(), kSec);
  EXPECT_TRUE(has(wild.r.state, ct_state::kInv));
  // A segment acking data never sent is invalid.
  auto badack = ct(t, tcp4(A, B, 40000, 80, 201, 900000, ACK), track(), kSec);
  EXPECT_TRUE(has(badack.r.state, ct_state::kInv));
  // Orderly close: FIN, FIN, ACK -> the connection then times out on time_wait.
  EXPECT_FALSE(has(ct(t, tcp4(A, B, 40000, 80, 201, 5051, FIN | ACK), track(), kSec).r.state, ct_state::kInv));
  EXPECT_FALSE(has(ct(t, tcp4(B, A, 80, 40000, 5051, 202, FIN | ACK), track(), kSec).r.state, ct_state::kInv));
  EXPECT_FALSE(has(ct(t, tcp4(A, B, 40000, 80, 202, 5052, ACK), track(), kSec).r.state, ct_state::kInv));
  CtTimeouts to;
  // expire() walks at most `budget` pool slots per call; cover the whole pool here.
  EXPECT_EQ(t.expire(kSec + (to.tcp_time_wait - 1) * kSec, 1 << 17), 0u);
  EXPECT_EQ(t.expire(kSec + (to.tcp_time_wait + 1) * kSec, 1 << 17), 1u);
  EXPECT_EQ(t.stats().conns, 0u);
  EXPECT_EQ(t.check_invariants(), "");
}

TEST(Conntrack, UnsolicitedInboundIsNewAndNotRemembered) {
  Conntrack t;
  auto in1 = ct(t, tcp4(B, A, 5555, 22, 1, 0, SYN), track(), kSec);
  EXPECT_EQ(in1.r.state, ct_state::kTrk | ct_state::kNew);
  EXPECT_EQ(t.stats().conns, 0u);
  auto in2 = ct(t, tcp4(B, A, 5555, 22, 1, 0, SYN), track(), kSec);
  EXPECT_EQ(in2.r.state, ct_state::kTrk | ct_state::kNew);
  // Mid-stream packets without a connection are invalid (no pickup), dropped if asked.
  Ct drop = track();
  drop.drop_invalid = true;
  auto mid = ct(t, tcp4(B, A, 5555, 22, 1, 1, ACK), drop, kSec);
  EXPECT_TRUE(has(mid.r.state, ct_state::kInv));
  EXPECT_EQ(mid.r.drop, DropReason::kCtInvalid);
  EXPECT_EQ(ct(t, tcp4(B, A, 5555, 22, 1, 1, SYN | ACK), track(), kSec).r.state & ct_state::kInv, ct_state::kInv);
  // RST to an unknown connection is invalid as well.
  EXPECT_TRUE(has(ct(t, tcp4(B, A, 5555, 22, 1, 1, RST), track(), kSec).r.state, ct_state::kInv));
}

TEST(Conntrack, UdpAndTimeouts) {
  CtConfig cfg;
  cfg.timeouts.udp_first = 30;
  cfg.timeouts.udp_multiple = 120;
  Conntrack t(cfg);
  EXPECT_EQ(ct(t, udp4(A, B, 1000, 53), commit(), kSec).r.state, ct_state::kTrk | ct_state::kNew);
  EXPECT_EQ(ct(t, udp4(A, B, 1000, 53), track(), 2 * kSec).r.state, ct_state::kTrk | ct_state::kNew);
  EXPECT_EQ(ct(t, udp4(B, A, 53, 1000), track(), 3 * kSec).r.state,
            ct_state::kTrk | ct_state::kEst | ct_state::kRpl);
  EXPECT_EQ(ct(t, udp4(A, B, 1000, 53), track(), 4 * kSec).r.state, ct_state::kTrk | ct_state::kEst);
  // Other zones do not see it.
  EXPECT_EQ(ct(t, udp4(A, B, 1000, 53), track(2), 4 * kSec).r.state, ct_state::kTrk | ct_state::kNew);
  // Expires 120 s after the last packet (the multiple-packets timeout), not before.
  EXPECT_EQ(t.expire(100 * kSec, 1 << 20), 0u);
  EXPECT_EQ(t.stats().conns, 1u);
  EXPECT_EQ(t.expire(125 * kSec, 1 << 20), 1u);
  EXPECT_EQ(t.stats().conns, 0u);
  EXPECT_EQ(t.stats().expired, 1u);
  // Once gone, the reply direction is just a new flow.
  EXPECT_EQ(ct(t, udp4(B, A, 53, 1000), track(), 126 * kSec).r.state, ct_state::kTrk | ct_state::kNew);
  // A lookup also refuses an expired connection even before expire() ran.
  ct(t, udp4(A, B, 2000, 53), commit(), 200 * kSec);
  EXPECT_EQ(ct(t, udp4(B, A, 53, 2000), track(), 200 * kSec + 31 * kSec).r.state, ct_state::kTrk | ct_state::kNew);
}

TEST(Conntrack, IcmpEchoAndRelatedErrors) {
  Conntrack t;
  auto req = eth(kMacB, kMacA, 0x0800, ip4(A, B, 1, icmp4(8, 0, 0x12340001)));
  auto rep = eth(kMacA, kMacB, 0x0800, ip4(B, A, 1, icmp4(0, 0, 0x12340001)));
  EXPECT_EQ(ct(t, rep, track(), kSec).r.state & ct_state::kInv, ct_state::kInv);  // reply with no request
  EXPECT_EQ(ct(t, req, commit(), kSec).r.state, ct_state::kTrk | ct_state::kNew);
  EXPECT_EQ(ct(t, rep, track(), kSec).r.state, ct_state::kTrk | ct_state::kEst | ct_state::kRpl);
  // UDP A->B, then B answers with ICMP port unreachable quoting A's datagram: related.
  ct(t, udp4(A, B, 3333, 4444), commit(), kSec);
  Bytes quoted = ip4(A, B, 17, udp(3333, 4444, Bytes(4, 0)));
  auto err = eth(kMacA, kMacB, 0x0800, ip4(B, A, 1, icmp4(3, 3, 0, quoted)));
  EXPECT_EQ(ct(t, err, track(), kSec).r.state, ct_state::kTrk | ct_state::kRel | ct_state::kRpl);
  // Quoting a flow we do not track: invalid.
  Bytes other = ip4(A, B, 17, udp(1, 2, Bytes(4, 0)));
  auto err2 = eth(kMacA, kMacB, 0x0800, ip4(B, A, 1, icmp4(3, 3, 0, other)));
  EXPECT_TRUE(has(ct(t, err2, track(), kSec).r.state, ct_state::kInv));
}

TEST(Conntrack, SnatPortAllocationReplyAndExhaustion) {
  Conntrack t;
  Ct snat = commit();
  snat.nat = NatKind::kSrc;
  snat.addr_min = snat.addr_max = X;
  snat.port_min = 1000;
  snat.port_max = 1003;
  std::set<uint16_t> ports;
  for (uint16_t i = 0; i < 4; ++i) {
    auto o = ct(t, udp4(A, B, static_cast<uint16_t>(5000 + i), 53), snat, kSec, i * 3u);
    ASSERT_EQ(o.r.drop, DropReason::kNone);
    EXPECT_TRUE(has(o.r.state, ct_state::kNew | ct_state::kSnat));
    EXPECT_EQ(key_get(o.key, Field::kIp4Src).lo, X);
    const uint16_t p = static_cast<uint16_t>(key_get(o.key, Field::kL4Src).lo);
    EXPECT_GE(p, 1000);
    EXPECT_LE(p, 1003);
    ports.insert(p);
    // Bytes agree with the key and checksums are still right.
    EXPECT_EQ(o.bytes, udp4(X, B, p, 53));
    EXPECT_TRUE(ip4_csum_ok(o.bytes, 14));
    EXPECT_TRUE(l4_csum_ok(o.bytes, 14));
  }
  EXPECT_EQ(ports.size(), 4u);
  EXPECT_EQ(t.check_invariants(), "");
  // A fifth connection finds no free tuple.
  auto full = ct(t, udp4(A, B, 6000, 53), snat, kSec);
  EXPECT_EQ(full.r.drop, DropReason::kCtNatExhausted);
  EXPECT_EQ(t.stats().nat_exhausted, 1u);
  // The reply to one translated port is un-NATed back to the original source.
  const uint16_t p0 = *ports.begin();
  auto rep = ct(t, udp4(B, X, 53, p0), track(), kSec);
  EXPECT_TRUE(has(rep.r.state, ct_state::kEst | ct_state::kRpl | ct_state::kSnat));
  const uint16_t orig = static_cast<uint16_t>(key_get(rep.key, Field::kL4Dst).lo);
  EXPECT_GE(orig, 5000);
  EXPECT_LE(orig, 5003);
  EXPECT_EQ(rep.bytes, udp4(B, A, 53, orig));
  // Later originals keep their translation without asking again.
  auto again = ct(t, udp4(A, B, orig, 53), track(), kSec);
  EXPECT_EQ(again.bytes, udp4(X, B, p0, 53));
}

TEST(Conntrack, DnatAndLoadBalancing) {
  Conntrack t;
  const uint32_t V = ip(172, 16, 0, 10), B1 = ip(10, 1, 0, 1), B2 = ip(10, 1, 0, 2);
  Ct lb = commit();
  lb.backends = {{B1, 8080}, {B2, 8080}};
  auto s1 = ct(t, tcp4(A, V, 40000, 80, 1, 0, SYN), lb, kSec, 0);
  auto s2 = ct(t, tcp4(A, V, 40001, 80, 1, 0, SYN), lb, kSec, 1);
  EXPECT_TRUE(has(s1.r.state, ct_state::kNew | ct_state::kDnat));
  EXPECT_EQ(s1.bytes, tcp4(A, B1, 40000, 8080, 1, 0, SYN));
  EXPECT_EQ(s2.bytes, tcp4(A, B2, 40001, 8080, 1, 0, SYN));
  // The backend's answer goes back looking like the VIP.
  auto r1 = ct(t, tcp4(B1, A, 8080, 40000, 900, 2, SYN | ACK), track(), kSec);
  EXPECT_TRUE(has(r1.r.state, ct_state::kEst | ct_state::kRpl | ct_state::kDnat));
  EXPECT_EQ(r1.bytes, tcp4(V, A, 80, 40000, 900, 2, SYN | ACK));
  EXPECT_TRUE(l4_csum_ok(r1.bytes, 14));
  // Plain DNAT to an address range.
  Ct dn = commit(3);
  dn.nat = NatKind::kDst;
  dn.addr_min = dn.addr_max = B2;
  auto d = ct(t, udp4(A, V, 7, 9), dn, kSec);
  EXPECT_EQ(d.bytes, udp4(A, B2, 7, 9));
}

TEST(Conntrack, TableFullIsCounted) {
  CtConfig cfg;
  cfg.max_conns = 4;
  Conntrack t(cfg);
  for (uint16_t i = 0; i < 4; ++i) EXPECT_EQ(ct(t, udp4(A, B, static_cast<uint16_t>(i + 1), 53), commit(), kSec).r.drop, DropReason::kNone);
  auto o = ct(t, udp4(A, B, 99, 53), commit(), kSec);
  EXPECT_EQ(o.r.drop, DropReason::kCtTableFull);
  EXPECT_EQ(t.stats().table_full, 1u);
  EXPECT_EQ(t.stats().conns, 4u);
  // Tracking without commit still works when full.
  EXPECT_EQ(ct(t, udp4(A, B, 99, 53), track(), kSec).r.drop, DropReason::kNone);
  // Expiry frees room.
  t.expire(1000 * kSec, 100);
  EXPECT_EQ(ct(t, udp4(A, B, 99, 53), commit(), 1000 * kSec).r.drop, DropReason::kNone);
}

TEST(Conntrack, MarkAndLabelOnCommit) {
  Conntrack t;
  Ct c = commit();
  c.set_mark = true;
  c.mark = 0x5;
  c.mark_mask = 0xf;
  c.set_label = true;
  c.label = U128{1, 2};
  c.label_mask = U128{~0ull, ~0ull};
  EXPECT_EQ(ct(t, udp4(A, B, 1, 2), c, kSec).r.mark, 0x5u);
  auto r = ct(t, udp4(B, A, 2, 1), track(), kSec);
  EXPECT_EQ(r.r.mark, 0x5u);
  EXPECT_EQ(r.r.label, (U128{1, 2}));
  t.flush();
  EXPECT_EQ(t.stats().conns, 0u);
}

TEST(Conntrack, IcmpErrorsAboutNatedConnectionsAreUnNated) {
  Conntrack t;
  Ct snat = commit();
  snat.nat = NatKind::kSrc;
  snat.addr_min = snat.addr_max = X;
  snat.port_min = 2000;
  snat.port_max = 2000;
  auto o = ct(t, udp4(A, B, 5000, 53, Bytes(4, 1)), snat, kSec);
  ASSERT_EQ(o.r.drop, DropReason::kNone);
  // B answers port unreachable to X, quoting the translated datagram X:2000 -> B:53.
  const Bytes quoted = ip4(X, B, 17, udp(2000, 53, Bytes(4, 1)));
  auto e = ct(t, eth(kMacA, kMacB, 0x0800, ip4(B, X, 1, icmp4(3, 3, 0, quoted))), track(), kSec);
  EXPECT_EQ(e.r.state, ct_state::kTrk | ct_state::kRel | ct_state::kRpl | ct_state::kSnat);
  const Bytes& f = e.bytes;
  auto rd32 = [&](size_t o2) { return uint32_t(f[o2]) << 24 | uint32_t(f[o2 + 1]) << 16 | uint32_t(f[o2 + 2]) << 8 | f[o2 + 3]; };
  auto rd16 = [&](size_t o2) { return uint16_t(f[o2] << 8 | f[o2 + 1]); };
  EXPECT_EQ(rd32(14 + 12), B);  // from the peer itself: B is what A talked to
  EXPECT_EQ(rd32(14 + 16), A);  // to the real sender
  const size_t q = 14 + 20 + 8;
  EXPECT_EQ(rd32(q + 12), A);   // the quoted packet is what A really sent
  EXPECT_EQ(rd32(q + 16), B);
  EXPECT_EQ(rd16(q + 20), 5000);
  EXPECT_EQ(rd16(q + 22), 53);
  EXPECT_TRUE(ip4_csum_ok(f, 14));
  EXPECT_TRUE(ip4_csum_ok(f, q));
  EXPECT_TRUE(l4_csum_ok(f, 14));  // the ICMP checksum over the rewritten message
  EXPECT_EQ(key_get(e.key, Field::kIp4Dst).lo, A);
}

// Two threads commit, track and expire overlapping flows at once (the multi-lcore case);
// afterwards the table must be consistent: every live connection reachable under both
// keys, counts matching, nothing over the limit. Run under ASan/UBSan by core.test.ts.
TEST(Conntrack, ConcurrentThreadsKeepTheTableConsistent) {
  CtConfig cfg;
  cfg.max_conns = 512;
  cfg.timeouts.udp_first = cfg.timeouts.udp_single = cfg.timeouts.udp_multiple = 2;
  Conntrack t(cfg);
  std::vector<Bytes> orig, reply;
  for (uint16_t i = 0; i < 1024; ++i) {
    orig.push_back(udp4(A + (i % 37), B, static_cast<uint16_t>(1000 + i), 53));
    reply.push_back(udp4(B, A + (i % 37), 53, static_cast<uint16_t>(1000 + i)));
  }
  std::atomic<uint64_t> clock{kSec};
  auto worker = [&](uint32_t seed) {
    uint32_t s = seed;
    for (int n = 0; n < 20000; ++n) {
      s = s * 1103515245u + 12345u;
      const size_t i = (s >> 8) % orig.size();
      const uint64_t now = clock.fetch_add(100000) ;  // 0.1 ms per operation
      switch ((s >> 4) % 4) {
        case 0: ct(t, orig[i], commit(), now, s); break;
        case 1: ct(t, reply[i], track(), now, s); break;
        case 2: ct(t, orig[i], track(), now, s); break;
        default: t.expire(now, 16); break;
      }
    }
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  EXPECT_EQ(t.check_invariants(), "");
  const auto conns = t.dump(10000);
  EXPECT_EQ(conns.size(), t.stats().conns);
  EXPECT_LE(conns.size(), 512u);
  EXPECT_EQ(t.stats().created, t.stats().conns + t.stats().expired);
  // Every live connection answers in both directions.
  const uint64_t now = clock.load();
  for (const auto& c : conns) {
    if (c.expires_ns <= now) continue;
    const Bytes r = udp4(c.reply_src, c.reply_dst, c.reply_sport, c.reply_dport);
    EXPECT_TRUE(has(ct(t, r, track(c.zone), now).r.state, ct_state::kRpl)) << c.orig_sport;
  }
}

// Lookups read the hash chains without the stripe lock (seqlock, conntrack.cc): while one
// thread keeps creating, refreshing and expiring UDP connections in a small pool (slots
// reused, chains relinked in the same stripes), another looks up established TCP
// connections and must find every one of them established, every time.
TEST(Conntrack, LockFreeLookupsSeeStableConnectionsDuringChurn) {
  CtConfig cfg;
  cfg.max_conns = 256;
  cfg.timeouts.udp_first = cfg.timeouts.udp_single = cfg.timeouts.udp_multiple = 1;
  Conntrack t(cfg);
  constexpr unsigned kStable = 16;
  std::vector<Bytes> acks;
  for (uint16_t i = 0; i < kStable; ++i) {
    const uint16_t p = static_cast<uint16_t>(40000 + i);
    ASSERT_EQ(ct(t, tcp4(A, B, p, 80, 100, 0, SYN), commit(), kSec).r.state, ct_state::kTrk | ct_state::kNew);
    ASSERT_TRUE(has(ct(t, tcp4(B, A, 80, p, 5000, 101, SYN | ACK), track(), kSec).r.state, ct_state::kEst));
    acks.push_back(tcp4(A, B, p, 80, 101, 5001, ACK));
    ASSERT_EQ(ct(t, acks.back(), track(), kSec).r.state, ct_state::kTrk | ct_state::kEst);
  }
  std::atomic<uint64_t> clock{2 * kSec};
  std::atomic<bool> done{false};
  std::atomic<unsigned> wrong{0};
  std::thread churn([&] {
    for (uint32_t n = 0; n < 30000; ++n) {
      const uint64_t now = clock.fetch_add(50000000);  // 50 ms per operation
      const uint16_t j = static_cast<uint16_t>(n % 300);
      if (n % 3 == 2) t.expire(now, 64);
      else ct(t, udp4(X + j % 7, B, static_cast<uint16_t>(1000 + j), 53), commit(), now, n);
    }
    done = true;
  });
  unsigned reads = 0;
  while (!done || reads < 20000) {
    const uint64_t now = clock.load();
    const CtResult r = ct(t, acks[reads % kStable], track(), now).r;
    if (r.state != (ct_state::kTrk | ct_state::kEst)) wrong.fetch_add(1);
    if (++reads >= 200000) break;  // bounded even if the churn thread is slow
  }
  churn.join();
  EXPECT_EQ(wrong.load(), 0u) << "of " << reads << " lookups";
  EXPECT_EQ(t.check_invariants(), "");
}

// A Linux-like bulk transfer: window scaling negotiated on the SYNs, full-size segments
// acked every other one, a retransmission, an out-of-order pair, a window probe and a
// keepalive. None of it may be marked invalid (real kernels' traffic must pass ACLs).
TEST(Conntrack, RealisticTcpTransferStaysValid) {
  Conntrack t;
  const Bytes ws7{1, 3, 3, 7};  // NOP, window scale 7
  auto seg = [&](bool fwd, uint32_t seq, uint32_t ack, uint16_t flags, uint16_t win, size_t len, const Bytes& opt = {}) {
    const Bytes l4 = tcp(fwd ? 40000 : 5201, fwd ? 5201 : 40000, seq, ack, flags, win, Bytes(len, 0x5a), opt);
    return eth(fwd ? kMacB : kMacA, fwd ? kMacA : kMacB, 0x0800, fwd ? ip4(A, B, 6, l4) : ip4(B, A, 6, l4));
  };
  uint32_t cs = 1000000, ss = 4294962000u;  // client and server sequence numbers (server near wrap)
  auto check = [&](const Bytes& f, const Ct& act, const char* what) {
    const auto o = ct(t, f, act, kSec);
    EXPECT_FALSE(has(o.r.state, ct_state::kInv)) << what;
  };
  check(seg(true, cs, 0, SYN, 64240, 0, ws7), commit(), "syn");
  check(seg(false, ss, cs + 1, SYN | ACK, 65160, 0, ws7), track(), "syn-ack");
  ++cs;
  ++ss;
  check(seg(true, cs, ss, ACK, 502, 0), track(), "ack");
  const uint32_t mss = 1448;
  for (int i = 0; i < 400; ++i) {
    check(seg(true, cs, ss, ACK | 0x08, 502, mss), track(), "data");
    cs += mss;
    if (i % 2 == 1) check(seg(false, ss, cs, ACK, 3000, 0), track(), "ack of data");  // 3000 << 7 = 384 KB
  }
  // Retransmission of an already acked segment, and an out-of-order pair.
  check(seg(true, cs - 4 * mss, ss, ACK, 502, mss), track(), "retransmit");
  check(seg(true, cs + mss, ss, ACK, 502, mss), track(), "out of order (second first)");
  check(seg(true, cs, ss, ACK, 502, mss), track(), "out of order (first)");
  cs += 2 * mss;
  check(seg(false, ss, cs, ACK, 3000, 0), track(), "ack");
  // Server sends a response that wraps its sequence space.
  for (int i = 0; i < 10; ++i) {
    check(seg(false, ss, cs, ACK | 0x08, 3000, 1000), track(), "reply data");
    ss += 1000;
  }
  check(seg(true, cs, ss, ACK, 502, 0), track(), "ack of reply");
  // Keepalive (seq one below) and a zero-window probe.
  check(seg(true, cs - 1, ss, ACK, 502, 0), track(), "keepalive");
  check(seg(false, ss, cs, ACK, 0, 0), track(), "zero window");
  check(seg(true, cs, ss, ACK, 502, 1), track(), "window probe");
}

TEST(Conntrack, Ipv6SnatAndLoadBalancing) {
  Conntrack t;
  const U128 a6{0x20010db800000000ull, 1}, b6{0x20010db800000000ull, 2};
  const U128 x6{0x20010db8ffff0000ull, 0x10}, v6{0x20010db8eeee0000ull, 0x80}, k6{0x20010db8dddd0000ull, 0x5};
  auto udp6 = [](U128 s, U128 d, uint16_t sp, uint16_t dp) { return eth(kMacB, kMacA, 0x86dd, ip6(s, d, 17, udp(sp, dp, Bytes(6, 2)))); };
  Ct snat = commit();
  snat.nat = NatKind::kSrc;
  snat.addr6_min = x6;
  snat.addr6_max = U128{x6.hi, x6.lo + 1};
  snat.port_min = 3000;
  snat.port_max = 3000;
  auto o = ct(t, udp6(a6, b6, 5000, 53), snat, kSec, 0);
  ASSERT_EQ(o.r.drop, DropReason::kNone);
  EXPECT_TRUE(has(o.r.state, ct_state::kNew | ct_state::kSnat));
  const U128 got = key_get(o.key, Field::kIp6Src);
  EXPECT_TRUE(got == x6 || got == (U128{x6.hi, x6.lo + 1}));
  EXPECT_EQ(o.bytes, udp6(got, b6, 3000, 53));
  EXPECT_TRUE(l4_csum_ok(o.bytes, 14));
  // Two addresses x one port: the third source is exhausted.
  EXPECT_EQ(ct(t, udp6(a6, b6, 5001, 53), snat, kSec, 1).r.drop, DropReason::kNone);
  EXPECT_EQ(ct(t, udp6(a6, b6, 5002, 53), snat, kSec, 2).r.drop, DropReason::kCtNatExhausted);
  auto rep = ct(t, udp6(b6, got, 53, 3000), track(), kSec);
  EXPECT_TRUE(has(rep.r.state, ct_state::kEst | ct_state::kRpl));
  EXPECT_EQ(rep.bytes, udp6(b6, a6, 53, 5000));
  // Load balancing an IPv6 VIP.
  Ct lb = commit(4);
  lb.backends6 = {{k6, 8053}};
  auto l = ct(t, udp6(a6, v6, 7000, 53), lb, kSec);
  EXPECT_EQ(l.bytes, udp6(a6, k6, 7000, 8053));
  auto lr = ct(t, udp6(k6, a6, 8053, 7000), track(4), kSec);
  EXPECT_EQ(lr.bytes, udp6(v6, a6, 53, 7000));
  EXPECT_TRUE(l4_csum_ok(lr.bytes, 14));
}

TEST(Conntrack, Icmp6ErrorsAboutNatedConnectionsAreUnNated) {
  Conntrack t;
  const U128 a6{0x20010db800000000ull, 1}, b6{0x20010db800000000ull, 2}, x6{0x20010db8ffff0000ull, 0x10};
  Ct snat = commit();
  snat.nat = NatKind::kSrc;
  snat.addr6_min = snat.addr6_max = x6;
  snat.port_min = snat.port_max = 4000;
  auto o = ct(t, eth(kMacB, kMacA, 0x86dd, ip6(a6, b6, 17, udp(5000, 53, Bytes(4, 1)))), snat, kSec);
  ASSERT_EQ(o.r.drop, DropReason::kNone);
  // b6 answers "port unreachable" (type 1 code 4) to x6, quoting x6:4000 -> b6:53.
  Bytes body(4, 0);  // unused field
  const Bytes quoted = ip6(x6, b6, 17, udp(4000, 53, Bytes(4, 1)));
  body.insert(body.end(), quoted.begin(), quoted.end());
  auto e = ct(t, eth(kMacA, kMacB, 0x86dd, ip6(b6, x6, 58, icmp6(1, 4, body))), track(), kSec);
  EXPECT_EQ(e.r.state, ct_state::kTrk | ct_state::kRel | ct_state::kRpl | ct_state::kSnat);
  const Bytes& f = e.bytes;
  auto rd128 = [&](size_t off) {
    U128 v;
    for (int i = 0; i < 8; ++i) v.hi = v.hi << 8 | f[off + i];
    for (int i = 8; i < 16; ++i) v.lo = v.lo << 8 | f[off + i];
    return v;
  };
  const size_t q = 14 + 40 + 8;
  EXPECT_EQ(rd128(14 + 8), b6);
  EXPECT_EQ(rd128(14 + 24), a6);
  EXPECT_EQ(rd128(q + 8), a6);
  EXPECT_EQ(rd128(q + 24), b6);
  EXPECT_EQ(f[q + 40] << 8 | f[q + 41], 5000);
  EXPECT_TRUE(l4_csum_ok(f, 14));
}
