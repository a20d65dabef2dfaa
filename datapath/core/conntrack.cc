// datapath/core/conntrack.cc — connection tracking (see conntrack.h).
//
// Layout: a preallocated pool of Conn; a bucket array of chain heads. Each Conn sits in
// two chains, one per direction key; a chain link is (pool index << 1 | direction).
// NAT is expressed by the keys alone: the reply key is what the peer's answer looks like
// after translation, so a packet in one direction is rewritten to look like the reverse
// of the other direction's key.
// Locks: stripe spinlocks serialise writers of a stripe's chains (link/unlink); a per-Conn
// spinlock guards its state. Order: Conn lock before stripe locks.
// Lookups take no stripe lock: chain walks are seqlock reads. Each stripe has a sequence
// number that writers make odd while they link/unlink; a reader that saw it change (or
// odd) walks again, then falls back to the stripe lock. Links are relaxed atomics; CtKey
// reads may race with a slot being re-initialised, which the sequence check then rejects
// (the racing data are plain words, never pointers followed unchecked; the walk is
// bounded). The Conn lock is then taken and the generation re-checked, as before.
// Measured (loomcore_bench aclct, thread CPU time, interleaved runs): dropping the stripe
// lock from lookups saved ~5 ns/packet (two ct lookups); a fully lock-free Conn update
// (generation + flags in one word, validated after the reads) was ~7 ns slower than the
// uncontended Conn lock on this CPU, so it was not kept.
// The expiry time lives in the separate `exp` array (relaxed atomics).
#include "core/conntrack.h"

#include <algorithm>
#include <thread>

#include "core/bytes.h"
#include "core/hash.h"
#include "core/rewrite.h"

namespace loom {

namespace {

constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmp6 = 58;
constexpr uint32_t kNil = UINT32_MAX;
constexpr unsigned kStripes = 64;
constexpr unsigned kMaxNatTries = 1024;
constexpr uint64_t kSec = 1000000000ull;
constexpr uint64_t kNever = UINT64_MAX;

class Spin {
 public:
  void lock() noexcept {
    for (unsigned n = 0; f_.test_and_set(std::memory_order_acquire); ++n)
      if (n > 64) std::this_thread::yield();  // 2 shared cores: do not spin long
  }
  void unlock() noexcept { f_.clear(std::memory_order_release); }

 private:
  std::atomic_flag f_ = ATOMIC_FLAG_INIT;
};

struct alignas(64) PaddedSpin {
  Spin s;
  std::atomic<uint32_t> seq{0};  // odd while a writer changes this stripe's chains
};
constexpr unsigned kMaxWalk = 64;  // lock-free chain steps before falling back to the lock
constexpr uint64_t kSeenReply = 1, kOrigMulti = 2;  // Conn::gs flag bits
constexpr uint64_t kGenOne = 1ull << 32;

struct CtKey {
  U128 src, dst;
  uint16_t sport = 0, dport = 0;
  uint16_t zone = 0;
  uint8_t proto = 0;
  bool operator==(const CtKey& o) const noexcept {
    return src == o.src && dst == o.dst && sport == o.sport && dport == o.dport && zone == o.zone &&
           proto == o.proto;
  }
  CtKey reversed() const noexcept {
    CtKey r = *this;
    r.src = dst; r.dst = src; r.sport = dport; r.dport = sport;
    return r;
  }
};

uint64_t key_hash(const CtKey& k) noexcept {
  uint64_t h = fast_hash_add(kHashSeed, k.src.hi);
  h = fast_hash_add(h, k.src.lo);
  h = fast_hash_add(h, k.dst.hi);
  h = fast_hash_add(h, k.dst.lo);
  h = fast_hash_add(h, uint64_t{k.sport} | uint64_t{k.dport} << 16 | uint64_t{k.zone} << 32 | uint64_t{k.proto} << 48);
  return fast_hash_finish(h);
}

enum TcpState : uint8_t { kSynSent, kSynRecv, kEstablished, kFinWait, kClosing, kTimeWait, kClosed };

struct Peer {  // one direction's TCP sequence tracking (Guido van Rooij's scheme, as OVS)
  uint32_t seqlo = 0;   // highest sequence end sent
  uint32_t seqhi = 0;   // highest sequence end the other side allows (its ack + window)
  uint32_t max_win = 1; // largest window advertised (scaled)
  uint8_t wscale = 0xff;  // 0xff: no window scale option seen
  bool init = false;
  bool fin = false;
};

inline bool seq_geq(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) >= 0; }
inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_geq(a, b) ? a : b; }

}  // namespace

struct Conn {
  Spin lock;
  CtKey key[2];
  std::atomic<uint32_t> next[2] = {kNil, kNil};
  // generation << 32 | kSeenReply | kOrigMulti (UDP: more than one packet from the
  // originator). The generation grows when the Conn is freed; see the header comment.
  std::atomic<uint64_t> gs{0};
  std::atomic<bool> live{false};
  // The expiry time, for lookups (on the Conn's own cache line); Impl::exp holds the same
  // value for the sweep. Both are written together, under the Conn lock.
  std::atomic<uint64_t> expires{0};
  uint8_t tcp = kSynSent;
  uint16_t nat_bits = 0;  // ct_state::kSnat / kDnat
  uint32_t mark = 0;
  U128 label;
  Peer peer[2];
};

struct Conntrack::Impl {
  CtConfig cfg;
  std::unique_ptr<Conn[]> pool;
  // Expiry time per pool slot, kNever when free: a copy of Conn::expires kept apart so
  // the sweep in expire() reads 8 contiguous bytes per slot instead of a Conn's cache line
  // each (the per-burst sweep was two cache misses per packet at 65,536 connections).
  // Lookups read the Conn's copy: one more line per lookup cost ~30 ns at 10k cold conns.
  std::unique_ptr<std::atomic<uint64_t>[]> exp;
  std::unique_ptr<std::atomic<uint32_t>[]> heads;  // bucket -> first link
  size_t nbuckets = 0;
  uint64_t bmask = 0;
  PaddedSpin stripes[kStripes];
  Spin free_lock;
  std::vector<uint32_t> free_list;
  std::atomic<uint32_t> cursor{0};
  std::atomic<uint64_t> live{0}, created{0}, expired{0}, full{0}, nat_exhausted{0}, invalid{0};

  explicit Impl(const CtConfig& c) : cfg(c) {
    if (cfg.max_conns == 0) cfg.max_conns = 1;
    pool.reset(new Conn[cfg.max_conns]);
    exp.reset(new std::atomic<uint64_t>[cfg.max_conns]);
    for (uint32_t i = 0; i < cfg.max_conns; ++i) exp[i].store(kNever, std::memory_order_relaxed);
    size_t nb = 64;
    while (nb < size_t{cfg.max_conns} * 2) nb <<= 1;
    heads.reset(new std::atomic<uint32_t>[nb]);
    for (size_t i = 0; i < nb; ++i) heads[i].store(kNil, std::memory_order_relaxed);
    nbuckets = nb;
    bmask = nb - 1;
    free_list.reserve(cfg.max_conns);
    for (uint32_t i = cfg.max_conns; i-- > 0;) free_list.push_back(i);
  }

  void set_expires(uint32_t idx, uint64_t t) noexcept {
    pool[idx].expires.store(t, std::memory_order_relaxed);
    exp[idx].store(t, std::memory_order_relaxed);
  }

  // Finds key; returns link (idx << 1 | dir) and the conn generation, or kNil.
  uint32_t find(const CtKey& k, uint32_t& gen) noexcept {
    const uint64_t b = key_hash(k) & bmask;
    PaddedSpin& ps = stripes[b % kStripes];
    for (unsigned attempt = 0; attempt < 2; ++attempt) {  // seqlock read, no lock
      const uint32_t s0 = ps.seq.load(std::memory_order_acquire);
      if (s0 & 1) continue;
      uint32_t l = heads[b].load(std::memory_order_relaxed);
      uint32_t g = 0;
      unsigned steps = 0;
      while (l != kNil && ++steps <= kMaxWalk) {
        Conn& c = pool[l >> 1];
        if (c.key[l & 1] == k) {
          g = static_cast<uint32_t>(c.gs.load(std::memory_order_acquire) >> 32);
          break;
        }
        l = c.next[l & 1].load(std::memory_order_relaxed);
      }
      std::atomic_thread_fence(std::memory_order_acquire);
      if (steps <= kMaxWalk && ps.seq.load(std::memory_order_relaxed) == s0) {
        gen = g;
        return l;
      }
    }
    ps.s.lock();
    uint32_t l = heads[b].load(std::memory_order_relaxed);
    while (l != kNil) {
      Conn& c = pool[l >> 1];
      if (c.key[l & 1] == k) {
        gen = static_cast<uint32_t>(c.gs.load(std::memory_order_acquire) >> 32);
        break;
      }
      l = c.next[l & 1].load(std::memory_order_relaxed);
    }
    ps.s.unlock();
    return l;
  }

  // Writers hold the stripe locks of b0 and b1; readers see an odd sequence meanwhile.
  void write_begin(uint64_t b0, uint64_t b1) noexcept {
    const unsigned s0 = b0 % kStripes, s1 = b1 % kStripes;
    stripes[s0].seq.store(stripes[s0].seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (s1 != s0) stripes[s1].seq.store(stripes[s1].seq.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }
  void write_end(uint64_t b0, uint64_t b1) noexcept {
    const unsigned s0 = b0 % kStripes, s1 = b1 % kStripes;
    stripes[s0].seq.store(stripes[s0].seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    if (s1 != s0) stripes[s1].seq.store(stripes[s1].seq.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  bool exists(const CtKey& k) noexcept {
    uint32_t g;
    return find(k, g) != kNil;
  }

  void unlink_locked(uint32_t idx, unsigned dir) noexcept {
    const uint64_t b = key_hash(pool[idx].key[dir]) & bmask;
    std::atomic<uint32_t>* pl = &heads[b];
    const uint32_t me = idx << 1 | dir;
    for (uint32_t l = pl->load(std::memory_order_relaxed); l != kNil; l = pl->load(std::memory_order_relaxed)) {
      if (l == me) {
        pl->store(pool[idx].next[dir].load(std::memory_order_relaxed), std::memory_order_relaxed);
        return;
      }
      pl = &pool[l >> 1].next[l & 1];
    }
  }

  void lock_two(uint64_t b0, uint64_t b1) noexcept {
    unsigned s0 = b0 % kStripes, s1 = b1 % kStripes;
    if (s0 > s1) std::swap(s0, s1);
    stripes[s0].s.lock();
    if (s1 != s0) stripes[s1].s.lock();
  }
  void unlock_two(uint64_t b0, uint64_t b1) noexcept {
    const unsigned s0 = b0 % kStripes, s1 = b1 % kStripes;
    stripes[s0].s.unlock();
    if (s1 != s0) stripes[s1].s.unlock();
  }

  // Caller holds c.lock and c.live.
  void remove_locked(uint32_t idx) noexcept {
    Conn& c = pool[idx];
    const uint64_t b0 = key_hash(c.key[0]) & bmask, b1 = key_hash(c.key[1]) & bmask;
    lock_two(b0, b1);
    write_begin(b0, b1);
    unlink_locked(idx, 0);
    unlink_locked(idx, 1);
    write_end(b0, b1);
    unlock_two(b0, b1);
    c.live.store(false, std::memory_order_release);
    exp[idx].store(kNever, std::memory_order_relaxed);
    c.gs.fetch_add(kGenOne, std::memory_order_acq_rel);
    live.fetch_sub(1, std::memory_order_relaxed);
    free_lock.lock();
    free_list.push_back(idx);
    free_lock.unlock();
  }

  uint32_t alloc() noexcept {
    free_lock.lock();
    uint32_t idx = kNil;
    if (!free_list.empty()) {
      idx = free_list.back();
      free_list.pop_back();
    }
    free_lock.unlock();
    return idx;
  }
  void release(uint32_t idx) noexcept {
    exp[idx].store(kNever, std::memory_order_relaxed);
    free_lock.lock();
    free_list.push_back(idx);
    free_lock.unlock();
  }

  // Links a prepared conn under both keys unless either key exists: the original key (a
  // racing insert of the same connection) or the reply key (a NAT tuple in use).
  enum class Ins { kOk, kOrigTaken, kReplyTaken };
  Ins insert(uint32_t idx) noexcept {
    Conn& c = pool[idx];
    const uint64_t b0 = key_hash(c.key[0]) & bmask, b1 = key_hash(c.key[1]) & bmask;
    lock_two(b0, b1);
    for (unsigned d = 0; d < 2; ++d) {
      const uint64_t b = d == 0 ? b0 : b1;
      for (uint32_t l = heads[b].load(std::memory_order_relaxed); l != kNil;
           l = pool[l >> 1].next[l & 1].load(std::memory_order_relaxed)) {
        if (pool[l >> 1].key[l & 1] == c.key[d]) {
          unlock_two(b0, b1);
          return d == 0 ? Ins::kOrigTaken : Ins::kReplyTaken;
        }
      }
    }
    write_begin(b0, b1);
    c.next[0].store(heads[b0].load(std::memory_order_relaxed), std::memory_order_relaxed);
    heads[b0].store(idx << 1, std::memory_order_relaxed);
    c.next[1].store(heads[b1].load(std::memory_order_relaxed), std::memory_order_relaxed);
    heads[b1].store(idx << 1 | 1, std::memory_order_relaxed);
    c.live.store(true, std::memory_order_release);
    write_end(b0, b1);
    unlock_two(b0, b1);
    live.fetch_add(1, std::memory_order_relaxed);
    created.fetch_add(1, std::memory_order_relaxed);
    return Ins::kOk;
  }

  uint64_t timeout_ns(const Conn& c) const noexcept { return timeout_ns(c, c.gs.load(std::memory_order_relaxed)); }
  uint64_t timeout_ns(const Conn& c, uint64_t gs) const noexcept {
    const bool seen_reply = gs & kSeenReply, orig_multi = gs & kOrigMulti;
    const CtTimeouts& t = cfg.timeouts;
    uint32_t s = t.other;
    switch (c.key[0].proto) {
      case kTcp:
        switch (c.tcp) {
          case kSynSent: s = t.tcp_syn_sent; break;
          case kSynRecv: s = t.tcp_syn_recv; break;
          case kEstablished: s = t.tcp_established; break;
          case kFinWait: case kClosing: s = t.tcp_fin_wait; break;
          case kTimeWait: s = t.tcp_time_wait; break;
          default: s = t.tcp_closed; break;
        }
        break;
      case kUdp:
        s = seen_reply ? t.udp_multiple : orig_multi ? t.udp_single : t.udp_first;
        break;
      case kIcmp: case kIcmp6:
        s = seen_reply ? t.icmp_reply : t.icmp_first;
        break;
      default: break;
    }
    return uint64_t{s} * kSec;
  }
};

namespace {

struct TcpSeg {
  uint32_t seq, ack, win;
  uint16_t flags;
  uint32_t len;  // payload length
  uint8_t wscale;  // 0xff when no option
};
constexpr uint16_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

bool read_tcp(const uint8_t* d, const Layout& lay, TcpSeg& s) noexcept {
  const uint8_t* t = d + lay.l4;
  const uint32_t hl = (t[12] >> 4) * 4u;
  s.seq = rd32(t + 4);
  s.ack = rd32(t + 8);
  s.flags = rd16(t + 12) & 0x0fff;
  s.win = rd16(t + 14);
  s.len = lay.ip_end - lay.l4 - hl;
  s.wscale = 0xff;
  // RFC 7323 §2.2: window scale option kind 3, length 3, shift <= 14; only on SYNs.
  if (s.flags & kSyn) {
    for (uint32_t o = 20; o < hl;) {
      const uint8_t kind = t[o];
      if (kind == 0) break;
      if (kind == 1) { ++o; continue; }
      if (o + 1 >= hl) break;
      const uint8_t ol = t[o + 1];
      if (ol < 2 || o + ol > hl) break;
      if (kind == 3 && ol == 3) s.wscale = std::min<uint8_t>(t[o + 2], 14);
      o += ol;
    }
  }
  return true;
}

// Returns false when the segment is invalid for the connection (state left unchanged).
bool tcp_update(Conn& c, unsigned dir, const TcpSeg& s) noexcept {
  Peer& src = c.peer[dir];
  Peer& dst = c.peer[dir ^ 1];
  const uint16_t f = s.flags;
  // RFC 9293 §3.10.7: SYN+RST, SYN+FIN are never valid.
  if ((f & kSyn) && (f & (kRst | kFin))) return false;
  uint32_t end = s.seq + s.len + ((f & kSyn) ? 1 : 0) + ((f & kFin) ? 1 : 0);
  if (f & kSyn) {
    if (dir == 0 && c.tcp == kSynSent) return true;  // retransmitted SYN
    if (dir == 1 && (f & kAck) && (c.tcp == kSynSent || c.tcp == kSynRecv)) {
      if (s.ack != c.peer[0].seqlo) return false;  // must ack the SYN (RFC 9293 §3.5)
      src.init = true;
      src.seqlo = end;
      src.wscale = s.wscale;
      if (src.wscale == 0xff || dst.wscale == 0xff) src.wscale = dst.wscale = 0;  // both or neither
      src.max_win = std::max<uint32_t>(s.win, 1);
      dst.seqhi = s.ack + src.max_win;
      src.seqhi = end + std::max<uint32_t>(dst.max_win, 1);
      c.tcp = kSynRecv;
      c.gs.fetch_or(kSeenReply, std::memory_order_relaxed);
      return true;
    }
    return false;  // a SYN in any other state
  }
  if (!dst.init || !src.init) {
    // Only the originator has spoken: nothing but its SYN retransmits or an RST is sane.
    if (f & kRst) { c.tcp = kClosed; return true; }
    return false;
  }
  const uint8_t sws = src.wscale == 0xff ? 0 : src.wscale;
  const uint32_t win = s.win << sws;
  const uint32_t ack = (f & kAck) ? s.ack : dst.seqlo;
  const uint32_t slack = 65535 + 1500;  // MAXACKWINDOW-like slack for acks behind
  // In window: ends no later than the peer allows, starts no earlier than the peer's
  // window behind what we already sent, acks nothing the peer did not send.
  const bool ok = seq_geq(src.seqhi + dst.max_win, end) && seq_geq(s.seq, src.seqlo - dst.max_win - slack) &&
                  seq_geq(dst.seqlo, ack) && seq_geq(ack, dst.seqlo - slack);
  if (!ok) return false;
  src.max_win = std::max(src.max_win, std::max<uint32_t>(win, 1));
  src.seqlo = seq_max(src.seqlo, end);
  if (f & kAck) dst.seqhi = seq_max(dst.seqhi, ack + std::max<uint32_t>(win, 1));
  if (f & kRst) {
    c.tcp = kClosed;
    return true;
  }
  if (f & kFin) src.fin = true;
  switch (c.tcp) {
    case kSynRecv:
      if (dir == 0 && (f & kAck)) c.tcp = kEstablished;
      if (src.fin) c.tcp = kFinWait;
      break;
    case kEstablished:
      if (src.fin) c.tcp = kFinWait;
      break;
    case kFinWait:
      if (src.fin && dst.fin) c.tcp = kClosing;
      break;
    case kClosing:
      if ((f & kAck) && !(f & kFin)) c.tcp = kTimeWait;
      break;
    default:
      break;
  }
  return true;
}

// ICMP types that report an error about a packet they quote (RFC 792 / RFC 4443).
bool icmp_is_error(bool v6, uint8_t type) noexcept {
  if (v6) return type == 1 || type == 2 || type == 3 || type == 4;
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// Builds the tuple of the IPv4/IPv6 packet quoted in an ICMP error. false if truncated.
bool quoted_key(const uint8_t* d, const Layout& lay, bool v6, uint16_t zone, CtKey& k) noexcept {
  const uint32_t q = lay.l4 + 8;  // quoted packet starts after the 8-byte ICMP header
  if (q > lay.ip_end) return false;
  const uint32_t avail = lay.ip_end - q;
  const uint8_t* p = d + q;
  uint32_t l4;
  if (!v6) {
    if (avail < 20 || (p[0] >> 4) != 4) return false;
    const uint32_t hl = (p[0] & 0x0f) * 4u;
    if (hl < 20 || hl > avail) return false;
    k.proto = p[9];
    k.src = U128{0, rd32(p + 12)};
    k.dst = U128{0, rd32(p + 16)};
    l4 = hl;
  } else {
    if (avail < 40 || (p[0] >> 4) != 6) return false;
    k.proto = p[6];
    k.src = U128{rd64(p + 8), rd64(p + 16)};
    k.dst = U128{rd64(p + 24), rd64(p + 32)};
    l4 = 40;
  }
  k.zone = zone;
  k.sport = k.dport = 0;
  if (k.proto == kTcp || k.proto == kUdp) {
    if (avail < l4 + 4) return false;  // RFC 792: at least 64 bits of the quoted datagram
    k.sport = rd16(p + l4);
    k.dport = rd16(p + l4 + 2);
  } else if (k.proto == kIcmp || k.proto == kIcmp6) {
    if (avail < l4 + 8) return false;
    k.sport = k.dport = rd16(p + l4 + 4);  // echo id
  }
  return true;
}

void apply_nat(Packet& pkt, FlowKey& key, const Layout& lay, const CtKey& want) noexcept {
  // Rewrite the packet so that its tuple equals `want`.
  uint8_t* d = pkt.data;
  if (lay.l3_kind == L3::kIp4) {
    set_ip4_addr(d, lay, false, static_cast<uint32_t>(want.src.lo));
    set_ip4_addr(d, lay, true, static_cast<uint32_t>(want.dst.lo));
    key_set(key, Field::kIp4Src, want.src, field_full_mask(Field::kIp4Src));
    key_set(key, Field::kIp4Dst, want.dst, field_full_mask(Field::kIp4Dst));
  } else {
    set_ip6_addr(d, lay, false, want.src.hi, want.src.lo);
    set_ip6_addr(d, lay, true, want.dst.hi, want.dst.lo);
    key_set(key, Field::kIp6Src, want.src, field_full_mask(Field::kIp6Src));
    key_set(key, Field::kIp6Dst, want.dst, field_full_mask(Field::kIp6Dst));
  }
  if (lay.l4_kind == L4::kTcp || lay.l4_kind == L4::kUdp) {
    set_l4_port(d, lay, false, want.sport);
    set_l4_port(d, lay, true, want.dport);
    key_set(key, Field::kL4Src, U128{0, want.sport}, U128{0, 0xffff});
    key_set(key, Field::kL4Dst, U128{0, want.dport}, U128{0, 0xffff});
  }
}

// An ICMPv4 error about a NATed connection (RFC 5508 §7, as Linux's nf_nat does): the
// quoted packet was sent in the direction opposite to `after` (the key the error
// matched), after translation; make the quoted header say what its sender really sent
// (`before`), send the error to that sender's real address, and, when the error comes
// from the peer itself, from the address the sender talked to. Checksums: outer IP by
// set_ip4_addr, quoted IP header and ICMP checksum incrementally (RFC 1624).
void unnat_icmp_error(Packet& pkt, FlowKey& key, const Layout& lay, const CtKey& before, const CtKey& after) noexcept {
  uint8_t* d = pkt.data;
  const uint32_t icmp = lay.l4;
  const uint32_t q = icmp + 8;
  // quoted_key() already checked the quoted IPv4 header fits within ip_end.
  const uint32_t qhl = (d[q] & 0x0f) * 4u;
  auto icmp_fix = [&](uint16_t from, uint16_t to) {
    wr16(d + icmp + 2, csum_update16(rd16(d + icmp + 2), from, to));
  };
  auto put16q = [&](uint32_t off, uint16_t v, bool ip_hdr) {
    const uint16_t old = rd16(d + off);
    if (old == v) return;
    wr16(d + off, v);
    icmp_fix(old, v);
    if (ip_hdr) {  // quoted IP header checksum, itself covered by the ICMP checksum
      const uint16_t oc = rd16(d + q + 10);
      const uint16_t nc = csum_update16(oc, old, v);
      wr16(d + q + 10, nc);
      icmp_fix(oc, nc);
    }
  };
  auto put32q = [&](uint32_t off, uint32_t v) {
    put16q(off, static_cast<uint16_t>(v >> 16), true);
    put16q(off + 2, static_cast<uint16_t>(v), true);
  };
  put32q(q + 12, static_cast<uint32_t>(before.src.lo));
  put32q(q + 16, static_cast<uint32_t>(before.dst.lo));
  const uint8_t proto = d[q + 9];
  if ((proto == kTcp || proto == kUdp) && q + qhl + 4 <= lay.ip_end) {
    put16q(q + qhl, before.sport, false);
    put16q(q + qhl + 2, before.dport, false);
  }
  // Outer header: to the quoted packet's real sender; from the address it talked to when
  // the error comes from the translated peer itself.
  const uint32_t outer_src = rd32(d + lay.l3 + 12);
  if (outer_src == static_cast<uint32_t>(after.src.lo)) {
    set_ip4_addr(d, lay, false, static_cast<uint32_t>(before.dst.lo));
    key_set(key, Field::kIp4Src, before.dst, U128{0, 0xffffffff});
  }
  set_ip4_addr(d, lay, true, static_cast<uint32_t>(before.src.lo));
  key_set(key, Field::kIp4Dst, before.src, U128{0, 0xffffffff});
}

// The same for ICMPv6 errors (RFC 4443 §2.4: the quoted packet follows the 8-byte
// header). IPv6 has no header checksum; the ICMPv6 checksum covers the pseudo-header
// (fixed by set_ip6_addr) and the quoted bytes (fixed here).
void unnat_icmp6_error(Packet& pkt, FlowKey& key, const Layout& lay, const CtKey& before, const CtKey& after) noexcept {
  uint8_t* d = pkt.data;
  const uint32_t icmp = lay.l4;
  const uint32_t q = icmp + 8;  // quoted_key() checked that 40 bytes of it are there
  auto put16q = [&](uint32_t off, uint16_t v) {
    const uint16_t old = rd16(d + off);
    if (old == v) return;
    wr16(d + off, v);
    wr16(d + icmp + 2, csum_update16(rd16(d + icmp + 2), old, v));
  };
  auto put128q = [&](uint32_t off, U128 v) {
    uint8_t b[16];
    wr64(b, v.hi);
    wr64(b + 8, v.lo);
    for (unsigned i = 0; i < 16; i += 2) put16q(off + i, rd16(b + i));
  };
  put128q(q + 8, before.src);
  put128q(q + 24, before.dst);
  const uint8_t proto = d[q + 6];
  if ((proto == kTcp || proto == kUdp) && q + 40 + 4 <= lay.ip_end) {
    put16q(q + 40, before.sport);
    put16q(q + 42, before.dport);
  }
  const U128 outer_src{rd64(d + lay.l3 + 8), rd64(d + lay.l3 + 16)};
  if (outer_src == after.src) {
    set_ip6_addr(d, lay, false, before.dst.hi, before.dst.lo);
    key_set(key, Field::kIp6Src, before.dst, U128{~0ull, ~0ull});
  }
  set_ip6_addr(d, lay, true, before.src.hi, before.src.lo);
  key_set(key, Field::kIp6Dst, before.src, U128{~0ull, ~0ull});
}

}  // namespace

Conntrack::Conntrack(const CtConfig& cfg) : impl_(new Impl(cfg)) {}
Conntrack::~Conntrack() = default;

bool Conntrack::process_hinted(const CtHint& hint, uint16_t zone, uint64_t now, CtResult& r) noexcept {
  if (hint.link == kNil || hint.zone != zone) return false;
  Impl& m = *impl_;
  const uint32_t idx = hint.link >> 1;
  const unsigned dir = hint.link & 1;
  Conn& c = m.pool[idx];
  c.lock.lock();
  if (!c.live || static_cast<uint32_t>(c.gs.load(std::memory_order_acquire) >> 32) != hint.gen ||
      c.expires.load(std::memory_order_relaxed) <= now) {
    c.lock.unlock();
    return false;
  }
  // The non-TCP update of process(): the direction's flag, the expiry, the state.
  const uint64_t bit = dir ? kSeenReply : kOrigMulti;
  uint64_t g = c.gs.load(std::memory_order_relaxed);
  if (!(g & bit)) g = c.gs.fetch_or(bit, std::memory_order_relaxed) | bit;
  m.set_expires(idx, now + m.timeout_ns(c, g));
  r.state = ct_state::kTrk | (dir ? ct_state::kRpl : 0) | ((g & kSeenReply) ? ct_state::kEst : ct_state::kNew) | c.nat_bits;
  r.mark = c.mark;
  r.label = c.label;
  r.drop = DropReason::kNone;
  c.lock.unlock();
  return true;
}

CtResult Conntrack::process(Packet& pkt, FlowKey& key, const Layout& lay, const Ct& act, uint16_t zone,
                            uint32_t hash, uint64_t now, CtHint* hint) noexcept {
  Impl& m = *impl_;
  CtResult r;
  r.state = ct_state::kTrk;
  const CtHint hint_in = hint ? *hint : CtHint{};
  if (hint) *hint = CtHint{};  // set again below only when an unNATed connection is found
  if (hint_in.link != kNil && hint_in.zone == zone && lay.l4_kind != L4::kTcp &&
      !(act.commit && (act.set_mark || act.set_label))) {
    // The same unchanged packet found this connection a moment ago (so it is IP, not a
    // fragment, and has no NAT): only the per-packet update of the non-TCP case below.
    const uint32_t idx = hint_in.link >> 1;
    const unsigned dir = hint_in.link & 1;
    Conn& c = m.pool[idx];
    c.lock.lock();
    if (c.live && static_cast<uint32_t>(c.gs.load(std::memory_order_acquire) >> 32) == hint_in.gen &&
        c.expires.load(std::memory_order_relaxed) > now) {
      const uint64_t bit = dir ? kSeenReply : kOrigMulti;
      uint64_t g = c.gs.load(std::memory_order_relaxed);
      if (!(g & bit)) g = c.gs.fetch_or(bit, std::memory_order_relaxed) | bit;
      m.set_expires(idx, now + m.timeout_ns(c, g));
      r.state |= (dir ? ct_state::kRpl : 0) | ((g & kSeenReply) ? ct_state::kEst : ct_state::kNew) | c.nat_bits;
      r.mark = c.mark;
      r.label = c.label;
      c.lock.unlock();
      *hint = hint_in;
      return r;
    }
    c.lock.unlock();  // freed, reused or expired since: the full path below decides
  }
  auto invalid = [&]() {
    r.state |= ct_state::kInv;
    m.invalid.fetch_add(1, std::memory_order_relaxed);
    if (act.drop_invalid) r.drop = DropReason::kCtInvalid;
    return r;
  };
  const bool v6 = lay.l3_kind == L3::kIp6;
  if (lay.l3_kind != L3::kIp4 && !v6) return invalid();
  // No reassembly: fragments cannot be tracked.
  if (static_cast<uint8_t>(key_get(key, Field::kIpFrag).lo) & kFragAny) return invalid();

  CtKey k;
  k.zone = zone;
  k.proto = static_cast<uint8_t>(key_get(key, Field::kIpProto).lo);
  k.src = key_get(key, v6 ? Field::kIp6Src : Field::kIp4Src);
  k.dst = key_get(key, v6 ? Field::kIp6Dst : Field::kIp4Dst);
  const uint8_t* d = pkt.data;
  bool valid_new = true;
  TcpSeg seg{};
  switch (lay.l4_kind) {
    case L4::kTcp:
      k.sport = rd16(d + lay.l4);
      k.dport = rd16(d + lay.l4 + 2);
      read_tcp(d, lay, seg);
      // Only a bare SYN opens a connection (no mid-stream pickup, no SYN+ACK).
      valid_new = (seg.flags & (kSyn | kAck | kRst | kFin)) == kSyn;
      break;
    case L4::kUdp:
      k.sport = rd16(d + lay.l4);
      k.dport = rd16(d + lay.l4 + 2);
      break;
    case L4::kIcmp4:
    case L4::kIcmp6: {
      const uint8_t type = d[lay.l4];
      if (icmp_is_error(v6, type)) {
        // RELATED: the quoted packet belongs to a connection we track (either direction).
        CtKey q;
        if (!quoted_key(d, lay, v6, zone, q)) return invalid();
        uint32_t gen;
        const uint32_t l = m.find(q.reversed(), gen);
        if (l == kNil) return invalid();
        Conn& c = m.pool[l >> 1];
        c.lock.lock();
        if (!c.live || (c.gs.load(std::memory_order_acquire) >> 32) != gen) {
          c.lock.unlock();
          return invalid();
        }
        r.state |= ct_state::kRel | ((l & 1) ? ct_state::kRpl : 0) | c.nat_bits;
        r.mark = c.mark;
        r.label = c.label;
        if (c.nat_bits) {
          const CtKey before = c.key[(l & 1) ^ 1];
          const CtKey after = c.key[l & 1];
          c.lock.unlock();
          if (lay.l3_kind == L3::kIp4) unnat_icmp_error(pkt, key, lay, before, after);
          else unnat_icmp6_error(pkt, key, lay, before, after);
          return r;
        }
        c.lock.unlock();
        return r;
      }
      const bool echo_req = v6 ? type == 128 : type == 8;
      const bool echo_rep = v6 ? type == 129 : type == 0;
      if (!echo_req && !echo_rep) {
        valid_new = true;  // other informational types: tracked by addresses only
      } else {
        k.sport = k.dport = rd16(d + lay.l4 + 4);  // identifier, same in both directions
        valid_new = echo_req;
      }
      break;
    }
    default:
      break;  // other protocols: tracked by addresses and protocol
  }

  for (unsigned attempt = 0; attempt < 2; ++attempt) {
    uint32_t gen = 0;
    uint32_t l;
    if (attempt == 0 && hint_in.link != kNil && hint_in.zone == zone) {
      l = hint_in.link;  // same packet, same zone: the connection the last ct found
      gen = hint_in.gen;
    } else {
      l = m.find(k, gen);
    }
    if (l == kNil) break;
    const uint32_t idx = l >> 1;
    const unsigned dir = l & 1;
    Conn& c = m.pool[idx];
    c.lock.lock();
    if (!c.live || (c.gs.load(std::memory_order_acquire) >> 32) != gen) {
      c.lock.unlock();
      continue;  // freed under us: look again
    }
    if (c.expires.load(std::memory_order_relaxed) <= now) {
      m.remove_locked(idx);  // stale: forget it and treat the packet as new
      m.expired.fetch_add(1, std::memory_order_relaxed);
      c.lock.unlock();
      break;
    }
    if (k.proto == kTcp && lay.l4_kind == L4::kTcp) {
      // A new SYN on a closed/time-wait connection reuses the tuple: start over.
      if (dir == 0 && valid_new && (c.tcp == kTimeWait || c.tcp == kClosed)) {
        m.remove_locked(idx);
        c.lock.unlock();
        break;
      }
      if (!tcp_update(c, dir, seg)) {
        c.lock.unlock();
        return invalid();
      }
    } else {
      const uint64_t bit = dir == 1 ? kSeenReply : kOrigMulti;
      if (!(c.gs.load(std::memory_order_relaxed) & bit)) c.gs.fetch_or(bit, std::memory_order_relaxed);
    }
    const uint64_t g = c.gs.load(std::memory_order_relaxed);
    m.set_expires(idx, now + m.timeout_ns(c, g));
    r.state |= (dir ? ct_state::kRpl : 0) | ((g & kSeenReply) ? ct_state::kEst : ct_state::kNew) | c.nat_bits;
    if (act.commit && act.set_mark) c.mark = (c.mark & ~act.mark_mask) | (act.mark & act.mark_mask);
    if (act.commit && act.set_label) {
      c.label.hi = (c.label.hi & ~act.label_mask.hi) | (act.label.hi & act.label_mask.hi);
      c.label.lo = (c.label.lo & ~act.label_mask.lo) | (act.label.lo & act.label_mask.lo);
    }
    r.mark = c.mark;
    r.label = c.label;
    const uint16_t nat_bits = c.nat_bits;
    CtKey want;
    if (nat_bits) want = c.key[dir ^ 1].reversed();
    c.lock.unlock();
    if (nat_bits) apply_nat(pkt, key, lay, want);
    else if (hint) *hint = CtHint{l, gen, zone};
    return r;
  }

  if (!valid_new) return invalid();
  r.state |= ct_state::kNew;
  const bool lb = v6 ? !act.backends6.empty() : !act.backends.empty();
  if (!act.commit && !lb) return r;  // new, not committed: nothing is remembered

  const uint32_t idx = m.alloc();
  if (idx == kNil) {
    m.full.fetch_add(1, std::memory_order_relaxed);
    r.drop = DropReason::kCtTableFull;
    return r;
  }
  Conn& c = m.pool[idx];
  c.key[0] = k;
  c.gs.fetch_and(~(kSeenReply | kOrigMulti), std::memory_order_relaxed);  // not linked yet
  c.tcp = kSynSent;
  c.peer[0] = Peer{};
  c.peer[1] = Peer{};
  c.nat_bits = 0;
  c.mark = act.set_mark ? (act.mark & act.mark_mask) : 0;
  c.label = act.set_label ? U128{act.label.hi & act.label_mask.hi, act.label.lo & act.label_mask.lo} : U128{};
  if (k.proto == kTcp) {
    Peer& o = c.peer[0];
    o.init = true;
    o.seqlo = seg.seq + seg.len + 1;
    o.wscale = seg.wscale;
    o.max_win = std::max<uint32_t>(seg.win, 1);
    o.seqhi = o.seqlo + 1;
  }

  // Set before the Conn is linked: once insert() succeeds other threads may update it.
  m.set_expires(idx, now + m.timeout_ns(c));
  const uint32_t mark = c.mark;
  const U128 label = c.label;
  uint16_t nat_bits = 0;

  // The reply key: the reverse of the (translated) original tuple.
  CtKey t = k;  // translated tuple of the original direction
  Impl::Ins ins = Impl::Ins::kReplyTaken;
  const bool has_l4_ports = lay.l4_kind == L4::kTcp || lay.l4_kind == L4::kUdp;
  const bool nat4 = !v6 && act.nat != NatKind::kNone && act.addr_min != 0;
  const bool nat6 = v6 && act.nat != NatKind::kNone && (act.addr6_min.hi | act.addr6_min.lo) != 0;
  if (lb) {
    U128 ip;
    uint16_t port;
    if (v6) {
      const CtBackend6& be = act.backends6[hash % act.backends6.size()];
      ip = be.ip;
      port = be.port;
    } else {
      const CtBackend& be = act.backends[hash % act.backends.size()];
      ip = U128{0, be.ip};
      port = be.port;
    }
    t.dst = ip;
    if (port != 0 && has_l4_ports) t.dport = port;
    c.key[1] = t.reversed();
    c.nat_bits = nat_bits = ct_state::kDnat;
    ins = m.insert(idx);
  } else if (nat4 || nat6) {
    const bool snat = act.nat == NatKind::kSrc;
    // IPv4: [addr_min, addr_max]; IPv6: the low 64 bits vary within [addr6_min, addr6_max].
    const U128 base = nat6 ? act.addr6_min : U128{0, act.addr_min};
    const uint64_t naddr = nat6 ? act.addr6_max.lo - act.addr6_min.lo + 1 : uint64_t{act.addr_max} - act.addr_min + 1;
    const bool ports = act.port_max != 0 && has_l4_ports;
    const uint64_t nport = ports ? uint64_t{act.port_max} - act.port_min + 1 : 1;
    const uint64_t total = naddr > (UINT64_MAX / nport) ? UINT64_MAX : naddr * nport;
    const uint64_t tries = std::min<uint64_t>(total, kMaxNatTries);
    const uint64_t start = hash % total;
    c.nat_bits = nat_bits = snat ? ct_state::kSnat : ct_state::kDnat;
    for (uint64_t i = 0; i < tries && ins == Impl::Ins::kReplyTaken; ++i) {
      const uint64_t n = (start + i) % total;
      const U128 a{base.hi, base.lo + n / nport};
      const uint16_t p = ports ? static_cast<uint16_t>(act.port_min + n % nport) : (snat ? k.sport : k.dport);
      if (snat) { t.src = a; t.sport = p; }
      else { t.dst = a; t.dport = p; }
      c.key[1] = t.reversed();
      ins = m.insert(idx);
    }
    if (ins == Impl::Ins::kReplyTaken) {
      m.release(idx);
      m.nat_exhausted.fetch_add(1, std::memory_order_relaxed);
      r.drop = DropReason::kCtNatExhausted;
      return r;
    }
  } else {
    c.key[1] = k.reversed();
    ins = m.insert(idx);
  }
  if (ins != Impl::Ins::kOk) {
    // Another thread created this connection first: its state applies from the next packet.
    m.release(idx);
    return r;
  }
  // Everything below uses values computed before the Conn became visible to others.
  r.state |= nat_bits;
  r.mark = mark;
  r.label = label;
  if (nat_bits) apply_nat(pkt, key, lay, t);
  return r;
}

unsigned Conntrack::expire(uint64_t now, unsigned budget) noexcept {
  Impl& m = *impl_;
  unsigned freed = 0;
  const uint32_t n = m.cfg.max_conns;
  if (m.live.load(std::memory_order_relaxed) == 0) return 0;  // nothing to walk
  const unsigned count = budget < n ? budget : n;
  // One atomic step per call, not per slot: concurrent sweeps take disjoint ranges.
  const uint32_t first = m.cursor.fetch_add(count, std::memory_order_relaxed);
  for (unsigned i = 0; i < count; ++i) {
    const uint32_t idx = (first + i) % n;
    if (m.exp[idx].load(std::memory_order_relaxed) > now) continue;
    Conn& c = m.pool[idx];
    c.lock.lock();
    if (c.live && m.exp[idx].load(std::memory_order_relaxed) <= now) {
      m.remove_locked(idx);
      m.expired.fetch_add(1, std::memory_order_relaxed);
      ++freed;
    }
    c.lock.unlock();
  }
  return freed;
}

void Conntrack::flush() noexcept {
  Impl& m = *impl_;
  for (uint32_t i = 0; i < m.cfg.max_conns; ++i) {
    Conn& c = m.pool[i];
    c.lock.lock();
    if (c.live) m.remove_locked(i);
    c.lock.unlock();
  }
}

void Conntrack::flush_zone(uint16_t zone) noexcept {
  Impl& m = *impl_;
  for (uint32_t i = 0; i < m.cfg.max_conns; ++i) {
    Conn& c = m.pool[i];
    c.lock.lock();
    if (c.live && c.key[0].zone == zone) m.remove_locked(i);
    c.lock.unlock();
  }
}

CtStats Conntrack::stats() const noexcept {
  const Impl& m = *impl_;
  CtStats s;
  s.conns = m.live.load(std::memory_order_relaxed);
  s.created = m.created.load(std::memory_order_relaxed);
  s.expired = m.expired.load(std::memory_order_relaxed);
  s.table_full = m.full.load(std::memory_order_relaxed);
  s.nat_exhausted = m.nat_exhausted.load(std::memory_order_relaxed);
  s.invalid = m.invalid.load(std::memory_order_relaxed);
  return s;
}

std::vector<CtConnView> Conntrack::dump(size_t max) const {
  Impl& m = *impl_;
  std::vector<CtConnView> out;
  for (uint32_t i = 0; i < m.cfg.max_conns && out.size() < max; ++i) {
    Conn& c = m.pool[i];
    c.lock.lock();
    if (c.live) {
      out.push_back(CtConnView{c.key[0].zone, c.key[0].proto, static_cast<uint32_t>(c.key[0].src.lo),
                               static_cast<uint32_t>(c.key[0].dst.lo), static_cast<uint32_t>(c.key[1].src.lo),
                               static_cast<uint32_t>(c.key[1].dst.lo), c.key[0].sport, c.key[0].dport,
                               c.key[1].sport, c.key[1].dport, c.tcp, c.mark,
                               m.exp[i].load(std::memory_order_relaxed)});
    }
    c.lock.unlock();
  }
  return out;
}

void Conntrack::set_timeouts(const CtTimeouts& t) noexcept { impl_->cfg.timeouts = t; }

std::string Conntrack::check_invariants() const {
  Impl& m = *impl_;
  uint64_t live = 0;
  for (uint32_t i = 0; i < m.cfg.max_conns; ++i) {
    const Conn& c = m.pool[i];
    if (!c.live) continue;
    ++live;
    for (unsigned d = 0; d < 2; ++d) {
      uint32_t gen;
      if (m.find(c.key[d], gen) != (i << 1 | d)) return "connection " + std::to_string(i) + " not reachable by its key " + std::to_string(d);
    }
  }
  uint64_t links = 0;
  for (size_t b = 0; b < m.nbuckets; ++b)
    for (uint32_t l = m.heads[b].load(); l != kNil; l = m.pool[l >> 1].next[l & 1].load()) {
      if (!m.pool[l >> 1].live) return "a freed connection is still linked";
      if (++links > 2ull * m.cfg.max_conns) return "a hash chain loops";
    }
  if (links != 2 * live) return "links " + std::to_string(links) + " != 2 x live " + std::to_string(live);
  if (live != m.live.load()) return "live count " + std::to_string(m.live.load()) + " != walked " + std::to_string(live);
  if (live > m.cfg.max_conns) return "more connections than max_conns";
  return "";
}

}  // namespace loom
