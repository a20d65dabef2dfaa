// datapath/core/executor.cc — the per-packet interpreter (see executor.h).
//
// A packet runs table after table (goto / ct(table) / miss goto) at one nesting level;
// resubmit and group buckets nest (bounded by kMaxDepth / kMaxCloneDepth), and every
// lookup counts against kMaxLookups so no pipeline can loop forever.
// Outputs are deferred by one action: an output is only sent when the next action
// could change the packet, or when the packet is done; the very last output of a packet
// gets last_use = true so the shell can send the buffer without cloning it.
// Group buckets each run on a snapshot of the packet (bytes, key, layout) kept in this
// executor's scratch space and restored afterwards, so buckets never see each other's
// edits.
#include "core/executor.h"

#include <cstring>
#include <stdexcept>

#include "core/bytes.h"
#include "core/hash.h"
#include "core/rewrite.h"

namespace loom {

namespace {

constexpr uint16_t kInBucket = 0xffff;
constexpr uint32_t kVxlanHdr = 14 + 20 + 8 + 8;
constexpr uint32_t kGeneveHdr = 14 + 20 + 8 + 8 + 8;
constexpr uint16_t kVxlanPort = 4789, kGenevePort = 6081;
// Conntrack pool slots examined per burst: a full sweep of a 65,536-entry pool takes
// 2,048 busy bursts; empty polls and idle threads do none, so the control thread must
// also call expire() on a timer (the DPDK shell's addon/core_binding.cc does).
constexpr unsigned kExpireBudget = 32;
constexpr uint32_t kEmcWindow = 1024, kEmcBypass = 16384;

struct Counter {
  std::atomic<uint64_t> v{0};
  void inc(uint64_t n = 1) noexcept { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return v.load(std::memory_order_relaxed); }
};

// The flow cache (OVS's megaflow idea, per thread): a "segment" is the path one packet
// took from a start table up to the first lookup after a ct action (or to its end): the
// entries it hit, in order. It is valid for every key that agrees with the recorded one
// on the bits the path consulted (the union masks of the tables looked up, plus the
// fields actions read to decide something), so one segment serves a whole class of
// packets; a hit replays the entries' programs without any table lookup. Segments are
// keyed per (start table, consulted mask): one small hash probe per distinct mask.
// They belong to one pipeline version: a new version empties the cache (lazily, by
// version check), so a table update takes effect on the very next packet. Conntrack is
// never cached: the ct action runs live on replay, and what follows it is the next
// segment, looked up with the post-ct key (ct_state, mark, label, NATed tuple). A segment
// remembers its last successor (and the thread its last first segment): tried first with
// a full masked compare, no hash. Segments of only "next;" entries, misses that go on and
// Entry::simple programs are compiled to a flat list of outputs and cts. A replay's entry
// counters are pending on the segment until the burst ends (flush_counts).
constexpr unsigned kMfSteps = 16;     // lookups per segment; longer paths are not cached
constexpr unsigned kMfMasks = 16;     // distinct (start table, mask) pairs per version
constexpr uint32_t kMfEntries = 4096;  // segments per thread (direct-mapped)
constexpr uint32_t kMfNone = UINT32_MAX;
constexpr unsigned kMfDirty = 64;     // segments with unflushed counts (see MfSeg::pend_pkts)

struct MfStep {
  const Entry* e;  // nullptr: the table missed (its miss action follows)
  uint16_t table;
};

struct MfMask {
  uint16_t start = 0;
  uint8_t nwords = 0;
  uint8_t words[kKeyWords];
  uint64_t bits[kKeyWords];  // mask.w[words[i]], packed like MfSeg::key
  FlowKey mask;
};

// One step of a compiled segment (MfSeg::ops): what the segment's programs do, without
// the entries' program walks.
struct MfOp {
  enum Kind : uint8_t { kOutput, kCt } kind;
  uint8_t step;  // the segment step it comes from (counts of a replay cut short there)
  uint32_t port;
  const Ct* ct;  // in an Entry of the segment's pipeline version
};
constexpr unsigned kMfOps = 8;

struct MfSeg {
  uint64_t version = 0;  // pipeline version + 1; 0 = empty
  uint64_t hash = 0;
  uint16_t start = 0;
  uint8_t mask_idx = 0;
  uint8_t nsteps = 0;
  // The slot of the segment that followed this one last time (after its ct): tried first,
  // with a full compare, before hashing the post-ct key (kMfNone: none yet).
  uint32_t next = kMfNone;
  // Replays not yet counted on the steps' entries: added once per burst (flush_counts)
  // instead of one counter update per entry per packet, as OVS counts megaflows.
  uint32_t pend_pkts = 0;
  uint64_t pend_bytes = 0;
  // Compiled (every step a miss that goes on, a "next;", or an Entry::simple program):
  // the outputs and cts in order and where the path continues (-1: it ends here).
  bool compiled = false;
  uint8_t nops = 0;
  int32_t cont = -1;
  MfOp ops[kMfOps];
  uint64_t key[kKeyWords];  // the masked key words, in MfMask::words order
  MfStep steps[kMfSteps];
};

// What the recording run of a packet learns (see exec_table / exec_program).
struct MfRec {
  FlowKey orig{KeyUninit{}};  // the key at the segment's start table
  FlowKey mask;               // bits of `orig` the path depended on
  uint16_t start = 0;
  uint8_t nsteps = 0;
  bool after_ct = false;  // a ct action ran: the next lookup starts a new segment
  MfStep steps[kMfSteps];
};

// Adds a field's bits to a consulted mask.
inline void mask_field(FlowKey& m, Field f) noexcept { key_set(m, f, U128{~0ull, ~0ull}, field_full_mask(f)); }

struct EmcSlot {
  uint64_t gen = 0;
  uint64_t hash = 0;
  const Entry* e = nullptr;
  FlowKey key;  // only the table's used words are meaningful
};

U128 shr(U128 v, unsigned n) {
  if (n == 0) return v;
  if (n >= 64) return U128{0, v.hi >> (n - 64)};
  return U128{v.hi >> n, (v.lo >> n) | (v.hi << (64 - n))};
}
U128 shl(U128 v, unsigned n) {
  if (n == 0) return v;
  if (n >= 64) return U128{v.lo << (n - 64), 0};
  return U128{(v.hi << n) | (v.lo >> (64 - n)), v.lo << n};
}
U128 ones(unsigned n) {
  if (n >= 128) return U128{~0ull, ~0ull};
  if (n >= 64) return U128{n == 64 ? 0 : ((1ull << (n - 64)) - 1), ~0ull};
  return U128{0, n == 0 ? 0 : (n == 64 ? ~0ull : ((1ull << n) - 1))};
}
U128 band(U128 a, U128 b) { return U128{a.hi & b.hi, a.lo & b.lo}; }

// Rewrites the 16-bit word at `off` inside an ICMP/ICMPv6 message and updates the
// message checksum (RFC 1624; for ICMPv6 the pseudo-header is unchanged).
void icmp_word(uint8_t* d, const Layout& lay, uint32_t off, uint16_t v) noexcept {
  const uint16_t old = rd16(d + off);
  if (old == v) return;
  wr16(d + off, v);
  wr16(d + lay.l4 + 2, csum_update16(rd16(d + lay.l4 + 2), old, v));
}

// Offset of an NS/NA link-layer address option of `type` (1 source, 2 target) with an
// Ethernet address (length 1), or 0. The parser already validated the option chain.
uint32_t nd_option(const uint8_t* d, const Layout& lay, uint8_t type) noexcept {
  if (d[lay.l4] != 135 && d[lay.l4] != 136) return 0;
  for (uint32_t o = lay.l4 + 24; o + 8 <= lay.ip_end;) {
    const uint32_t len = uint32_t{d[o + 1]} * 8;
    if (len == 0) return 0;
    if (d[o] == type && len == 8) return o;
    o += len;
  }
  return 0;
}

}  // namespace

struct Executor::Impl {
  Core& core;
  unsigned tid;
  const Pipeline* pipe = nullptr;
  uint64_t now = 0;
  std::unique_ptr<EmcSlot[]> emc;
  uint64_t emc_mask;
  // Adaptive bypass: with far more flows than slots the cache only adds a miss per
  // lookup, so after a window of kEmcWindow lookups with under 1/16 hits it is skipped
  // for the next kEmcBypass lookups, then measured again.
  uint32_t emc_window = 0, emc_window_hits = 0, emc_bypass = 0;
  std::unique_ptr<MfSeg[]> mf;
  MfMask mf_masks[kMfMasks];
  unsigned mf_nmasks = 0;
  uint64_t mf_version = 0;  // pipeline version + 1 the masks belong to
  uint32_t mf_dirty[kMfDirty];  // slots with pend_pkts > 0
  // The first segment of this thread's previous packet: packets of one flow tend to come
  // in runs, so it is tried first (a full compare, no hash), as a successor is. Off after
  // a packet it would not have served (mixed traffic pays no compare), on again when two
  // packets in a row start with the same segment.
  uint32_t mf_first = kMfNone;
  bool mf_first_on = true;
  unsigned mf_ndirty = 0;
  MfRec rec;
  Counter mf_hits;
  // Adaptive bypass, as for the EMC: with far more flows than segments (every packet a
  // miss) recording costs more than it saves, so after a window with under 1/16 hits the
  // cache is skipped for a while, then measured again.
  uint32_t mf_window = 0, mf_window_hits = 0, mf_bypass = 0;
  // The connection this thread's last unNATed IPv4 UDP ct found, by tuple: the first ct of
  // the next packet of that flow starts from it (CtHint) instead of building the conntrack
  // key, hashing it and walking the chain. Never stale: process() re-checks the
  // connection's generation, liveness and expiry under its lock and reads its state
  // fresh; a tuple or zone that differs does not use it.
  struct CtMemo {
    uint64_t addrs = 0;  // ip4_src | ip4_dst << 32
    uint32_t ports = 0;  // the L4 header's first 4 bytes, as conntrack reads them
    uint32_t meta = 0;   // ip_proto | ip_frag << 8
    CtHint hint;
  } ct_memo;
  uint64_t burst_start = 0;  // `packets` at begin_burst
  std::unique_ptr<uint8_t[]> scratch;  // kMaxCloneDepth * kMaxFrame
  Counter packets, lookups, emc_hits, outputs, packet_ins;
  Counter drops[static_cast<unsigned>(DropReason::kCount)];

  Impl(Core& c, unsigned t, uint32_t emc_entries) : core(c), tid(t) {
    uint32_t n = 16;
    while (n < emc_entries) n <<= 1;
    emc.reset(new EmcSlot[n]);
    emc_mask = n - 1;
    mf.reset(new MfSeg[kMfEntries]);
    scratch.reset(new uint8_t[size_t{kMaxCloneDepth} * kMaxFrame]);
  }

  // Per-packet state.
  struct St {
    Packet* pkt;
    Sink* sink;
    Tracer* tr;
    FlowKey key{KeyUninit{}};  // key_from_md + parse fill every word
    Layout lay;
    uint32_t nlookups = 0;
    int64_t pending = -1;  // deferred output port
    bool handled = false;  // some emit or packet_in happened
    bool stopped = false;  // drop action / fatal error: end everything
    DropReason reason = DropReason::kNoOutput;
    unsigned clone_depth = 0;
    uint16_t next_table = 0;  // set with Next::kGoto
    bool emc_on = true;
    CtHint ct_hint;        // the connection the last ct found (see conntrack.h)
    // What the ct that left `ct_hint` returned, valid while ct_hint still equals
    // ct_last_hint (every change of the packet's tuple, a reparse and ct_clear reset
    // ct_hint): a later ct in that zone with nothing to change reuses it (see do_ct).
    CtHint ct_last_hint;
    struct { uint16_t state; uint32_t mark; uint64_t label_hi, label_lo; } ct_last;  // no per-packet init
    MfRec* rec = nullptr;  // recording a flow-cache segment (top level only)
    bool split = false;    // exec_table stopped at a lookup after ct: segment ends here
    uint16_t split_table = 0;
  };
  enum class Next { kEnd, kGoto, kStop };

  const Entry* lookup(St& st, const Table& tb) noexcept {
    lookups.inc();
    // Few subtables: the classifier is as cheap as the cache.
    if (!st.emc_on || tb.subtable_count() <= 2) return tb.lookup(st.key);
    if (emc_bypass > 0) {
      --emc_bypass;
      return tb.lookup(st.key);
    }
    if (++emc_window == kEmcWindow) {
      if (emc_window_hits < kEmcWindow / 16) emc_bypass = kEmcBypass;
      emc_window = emc_window_hits = 0;
    }
    const auto& uw = tb.used_words();
    const FlowKey& um = tb.union_mask();
    FlowKey& k = st.key;
    uint64_t tmp[kKeyWords];
    uint64_t h = kHashSeed ^ tb.generation();
    for (uint8_t w : uw) {
      tmp[w] = k.w[w] & um.w[w];
      h = fast_hash_add(h, tmp[w]);
    }
    h = fast_hash_finish(h);
    EmcSlot& s = emc[h & emc_mask];
    if (s.gen == tb.generation() && s.hash == h) {
      bool eq = true;
      for (uint8_t w : uw)
        if (s.key.w[w] != tmp[w]) { eq = false; break; }
      if (eq) {
        ++emc_window_hits;
        emc_hits.inc();
        return s.e;
      }
    }
    const Entry* e = tb.lookup(k);
    s.gen = tb.generation();
    s.hash = h;
    s.e = e;
    for (uint8_t w : uw) s.key.w[w] = tmp[w];
    return e;
  }

  void flush(St& st, bool last) noexcept {
    if (st.pending < 0) return;
    if (st.sink->emit_md) md_from_key(st.pkt->md, st.key);
    st.sink->emit(static_cast<uint32_t>(st.pending), *st.pkt, last);
    st.pending = -1;
    st.handled = true;
    outputs.inc();
  }

  void stop(St& st, DropReason r) noexcept {
    st.stopped = true;
    st.reason = r;
    if (st.tr) st.tr->step("drop", static_cast<uint64_t>(r), 0);
  }

  void packet_in(St& st, uint16_t reason, uint16_t table, uint64_t cookie) noexcept {
    flush(st, false);
    md_from_key(st.pkt->md, st.key);
    st.pkt->md.pin_reason = reason;
    st.pkt->md.pin_table = table;
    st.pkt->md.pin_cookie = cookie;
    if (st.tr) st.tr->step("packet_in", reason, table);
    st.sink->packet_in(*st.pkt, reason);
    st.handled = true;
    packet_ins.inc();
  }

  bool reparse(St& st) noexcept {
    st.ct_hint = CtHint{};
    ParseResult pr = parse(st.pkt->data, st.pkt->len, st.key);
    st.lay = pr.layout;
    if (pr.drop != DropReason::kNone) {
      stop(st, pr.drop);
      return false;
    }
    return true;
  }

  // Writes (value & mask) into a field, rewriting packet bytes for packet fields.
  void set(St& st, Field f, U128 value, U128 mask) noexcept {
    const FieldInfo& fi = field_info(f);
    if (!fi.packet) {
      key_set(st.key, f, value, mask);
      return;
    }
    FlowKey nk = st.key;
    key_set(nk, f, value, mask);
    const U128 v = key_get(nk, f);
    uint8_t* d = st.pkt->data;
    const Layout& lay = st.lay;
    switch (f) {
      case Field::kEthDst: wr48(d, v.lo); break;
      case Field::kEthSrc: wr48(d + 6, v.lo); break;
      case Field::kVlanTci:
        if (lay.vlans == 0) return;  // nothing to rewrite: push_vlan first
        wr16(d + 14, static_cast<uint16_t>(v.lo & ~uint64_t{kVlanPresent}) | (rd16(d + 14) & kVlanPresent));
        key_set(nk, f, U128{0, v.lo | kVlanPresent}, U128{0, 0xffff});
        break;
      case Field::kIp4Src:
      case Field::kIp4Dst:
      case Field::kArpSpa:
      case Field::kArpTpa: {
        // Shared bits: the frame type says whether this is an IPv4 or an ARP address.
        const bool dst = f == Field::kIp4Dst || f == Field::kArpTpa;
        if (lay.l3_kind == L3::kIp4) set_ip4_addr(d, lay, dst, static_cast<uint32_t>(v.lo));
        else if (lay.l3_kind == L3::kArp) wr32(d + lay.l3 + (dst ? 24 : 14), static_cast<uint32_t>(v.lo));
        else return;
        break;
      }
      case Field::kArpOp:
        if (lay.l3_kind != L3::kArp) return;
        wr16(d + lay.l3 + 6, static_cast<uint16_t>(v.lo));
        break;
      case Field::kArpSha:
      case Field::kArpTha:
      case Field::kNdSll:
      case Field::kNdTll: {
        const bool target = f == Field::kArpTha || f == Field::kNdTll;
        if (lay.l3_kind == L3::kArp) {
          wr48(d + lay.l3 + (target ? 18 : 8), v.lo);
        } else if (lay.l4_kind == L4::kIcmp6) {
          // RFC 4861 §4.6.1: rewrite an existing source/target link-layer option in place.
          const uint32_t opt = nd_option(d, lay, target ? 2 : 1);
          if (opt == 0) return;
          uint8_t mac[6];
          wr48(mac, v.lo);
          for (unsigned i = 0; i < 6; i += 2) icmp_word(d, lay, opt + 2 + i, rd16(mac + i));
        } else {
          return;
        }
        break;
      }
      case Field::kIcmpType:
      case Field::kIcmpCode: {
        if (lay.l4_kind != L4::kIcmp4 && lay.l4_kind != L4::kIcmp6) return;
        const uint8_t type = f == Field::kIcmpType ? static_cast<uint8_t>(v.lo) : d[lay.l4];
        const uint8_t code = f == Field::kIcmpCode ? static_cast<uint8_t>(v.lo) : d[lay.l4 + 1];
        icmp_word(d, lay, lay.l4, static_cast<uint16_t>(type << 8 | code));
        break;
      }
      case Field::kNdTarget: {
        if (lay.l4_kind != L4::kIcmp6 || (d[lay.l4] != 135 && d[lay.l4] != 136)) return;
        uint8_t t[16];
        wr64(t, v.hi);
        wr64(t + 8, v.lo);
        for (unsigned i = 0; i < 16; i += 2) icmp_word(d, lay, lay.l4 + 8 + i, rd16(t + i));
        break;
      }
      case Field::kIp6Src:
      case Field::kIp6Dst:
        if (lay.l3_kind != L3::kIp6) return;
        set_ip6_addr(d, lay, f == Field::kIp6Dst, v.hi, v.lo);
        break;
      case Field::kIpTtl:
        if (lay.l3_kind == L3::kIp4) set_ip4_word(d, lay, 8, static_cast<uint16_t>(v.lo << 8 | d[lay.l3 + 9]));
        else if (lay.l3_kind == L3::kIp6) d[lay.l3 + 7] = static_cast<uint8_t>(v.lo);
        else return;
        break;
      case Field::kIpTos:
        if (lay.l3_kind == L3::kIp4) {
          set_ip4_word(d, lay, 0, static_cast<uint16_t>(d[lay.l3] << 8 | (v.lo & 0xff)));
        } else if (lay.l3_kind == L3::kIp6) {
          d[lay.l3] = static_cast<uint8_t>(0x60 | (v.lo >> 4));
          d[lay.l3 + 1] = static_cast<uint8_t>(((v.lo & 0xf) << 4) | (d[lay.l3 + 1] & 0x0f));
        } else {
          return;
        }
        break;
      case Field::kL4Src:
      case Field::kL4Dst:
        if (lay.l4_kind != L4::kTcp && lay.l4_kind != L4::kUdp) return;
        set_l4_port(d, lay, f == Field::kL4Dst, static_cast<uint16_t>(v.lo));
        break;
      default:
        return;  // validate_program only lets writable fields through
    }
    st.key = nk;
    st.ct_hint = CtHint{};  // the tuple may have changed
  }

  Next group(St& st, const Group& g, unsigned depth) noexcept {
    if (st.clone_depth >= kMaxCloneDepth || depth >= kMaxDepth) {
      stop(st, DropReason::kCloneDepth);
      return Next::kStop;
    }
    Packet& p = *st.pkt;
    if (p.len > kMaxFrame) {
      stop(st, DropReason::kTooBig);
      return Next::kStop;
    }
    uint8_t* save = scratch.get() + size_t{st.clone_depth} * kMaxFrame;
    const Packet saved_view = p;  // pointers and metadata
    const FlowKey saved_key = st.key;
    const Layout saved_lay = st.lay;
    std::memcpy(save, p.data, p.len);
    if (st.tr) st.tr->step("group", g.id, g.buckets.size());
    ++st.clone_depth;
    for (const Program& b : g.buckets) {
      exec_program(st, b, kInBucket, depth + 1, nullptr);
      flush(st, false);
      st.stopped = false;  // a drop inside a bucket ends that bucket only
      p.data = saved_view.data;
      p.len = saved_view.len;
      p.headroom = saved_view.headroom;
      p.tailroom = saved_view.tailroom;
      p.md = saved_view.md;
      std::memcpy(p.data, save, p.len);
      st.key = saved_key;
      st.lay = saved_lay;
    }
    --st.clone_depth;
    st.ct_hint = CtHint{};
    return Next::kEnd;
  }

  uint32_t flow_hash(St& st) noexcept {
    if (st.pkt->md.hash != 0) return st.pkt->md.hash;
    static const uint8_t words[] = {18, 19, 20, 21, 22, 23, 24};
    FlowKey k = st.key;
    k.w[18] &= 0xff0000;          // ip_proto only
    k.w[24] &= 0xffffffffull;     // ports only
    const uint32_t h = static_cast<uint32_t>(hash_words(k.w, words, 7));
    st.pkt->md.hash = h ? h : 1;
    return st.pkt->md.hash;
  }

  Next encap(St& st, const Encap& e) noexcept {
    Packet& p = *st.pkt;
    const bool gen = e.kind == TunnelKind::kGeneve;
    const uint32_t hl = gen ? kGeneveHdr : kVxlanHdr;
    if (p.headroom < hl) {
      stop(st, DropReason::kNoRoom);
      return Next::kStop;
    }
    const uint32_t inner = p.len;
    const uint32_t h = flow_hash(st);
    const uint32_t vni = (e.use_vni_field ? static_cast<uint32_t>(key_get(st.key, e.vni_field).lo) : e.vni) & 0xffffff;
    p.data -= hl;
    p.headroom -= hl;
    p.len += hl;
    uint8_t* o = p.data;
    // Ethernet
    wr48(o, e.eth_dst);
    wr48(o + 6, e.eth_src);
    wr16(o + 12, 0x0800);
    // IPv4 (RFC 791): no options, no DF, checksum over the header
    uint8_t* ip = o + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    wr16(ip + 2, static_cast<uint16_t>(hl - 14 + inner));
    wr16(ip + 4, 0);
    wr16(ip + 6, 0);
    ip[8] = e.ttl;
    ip[9] = 17;
    wr16(ip + 10, 0);
    wr32(ip + 12, e.ip_src);
    wr32(ip + 16, e.ip_dst);
    wr16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    // UDP: source port from the inner flow's hash (RFC 7348 §5: 49152-65535), checksum 0
    uint8_t* udp = ip + 20;
    wr16(udp, static_cast<uint16_t>(49152 + (h % 16384)));
    wr16(udp + 2, e.dst_port ? e.dst_port : (gen ? kGenevePort : kVxlanPort));
    wr16(udp + 4, static_cast<uint16_t>(hl - 34 + inner));
    wr16(udp + 6, 0);
    uint8_t* t = udp + 8;
    if (!gen) {
      // VXLAN (RFC 7348 §5): flags with I set, 24 reserved bits, VNI, 8 reserved bits.
      wr32(t, 0x08000000);
      wr32(t + 4, vni << 8);
    } else {
      // Geneve (RFC 8926 §3.4): version 0, option length 2 words, C set because OVN's
      // option type 0x80 has its critical bit set; protocol Transparent Ethernet Bridging.
      t[0] = 2;
      t[1] = 0x40;
      wr16(t + 2, 0x6558);
      wr32(t + 4, vni << 8);
      // Option: class 0x0102 (OVN), type 0x80, length 1 word: inport (15 bits) << 16 | outport.
      wr16(t + 8, 0x0102);
      t[10] = 0x80;
      t[11] = 1;
      const uint32_t in = static_cast<uint32_t>(key_get(st.key, Field::kInport).lo) & 0x7fff;
      const uint32_t out = static_cast<uint32_t>(key_get(st.key, Field::kOutport).lo) & 0xffff;
      wr32(t + 12, in << 16 | out);
    }
    if (st.tr) st.tr->step(gen ? "encap_geneve" : "encap_vxlan", vni, e.ip_dst);
    return reparse(st) ? Next::kEnd : Next::kStop;
  }

  Next decap(St& st, const Decap& dc) noexcept {
    Packet& p = *st.pkt;
    const Layout& lay = st.lay;
    auto bad = [&]() {
      stop(st, DropReason::kDecapMalformed);
      return Next::kStop;
    };
    if (lay.l3_kind != L3::kIp4 || lay.l4_kind != L4::kUdp) return bad();
    const uint16_t port = static_cast<uint16_t>(key_get(st.key, Field::kL4Dst).lo);
    const bool vx = port == (dc.dst_port ? dc.dst_port : kVxlanPort);
    const bool gv = port == (dc.dst_port ? dc.dst_port : kGenevePort);
    if (!vx && !gv) return bad();
    const uint8_t* d = p.data;
    uint32_t off = lay.l4 + 8;
    uint32_t vni, opt = 0;
    if (vx && (!gv || dc.dst_port == 0)) {
      if (lay.ip_end < off + 8 || !(d[off] & 0x08)) return bad();  // RFC 7348: I flag must be set
      vni = rd32(d + off + 4) >> 8;
      off += 8;
    } else {
      if (lay.ip_end < off + 8 || (d[off] >> 6) != 0) return bad();  // RFC 8926: version 0
      const uint32_t optlen = (d[off] & 0x3f) * 4u;
      if (rd16(d + off + 2) != 0x6558 || lay.ip_end < off + 8 + optlen) return bad();
      vni = rd32(d + off + 4) >> 8;
      for (uint32_t o = off + 8; o + 4 <= off + 8 + optlen;) {
        const uint32_t ol = (d[o + 3] & 0x1f) * 4u;
        if (o + 4 + ol > off + 8 + optlen) return bad();
        if (rd16(d + o) == 0x0102 && (d[o + 2] & 0x7f) == 0 && ol == 4) opt = rd32(d + o + 4);
        o += 4 + ol;
      }
      off += 8 + optlen;
    }
    if (lay.ip_end < off + 14) return bad();
    const uint32_t tun_src = static_cast<uint32_t>(key_get(st.key, Field::kIp4Src).lo);
    const uint32_t tun_dst = static_cast<uint32_t>(key_get(st.key, Field::kIp4Dst).lo);
    const uint32_t new_len = lay.ip_end - off;
    p.tailroom += p.len - lay.ip_end;  // link padding after the outer datagram goes too
    p.data += off;
    p.headroom += off;
    p.len = new_len;
    key_set(st.key, Field::kTunId, U128{0, vni}, field_full_mask(Field::kTunId));
    key_set(st.key, Field::kTunSrc, U128{0, tun_src}, field_full_mask(Field::kTunSrc));
    key_set(st.key, Field::kTunDst, U128{0, tun_dst}, field_full_mask(Field::kTunDst));
    key_set(st.key, Field::kTunOpt, U128{0, opt}, field_full_mask(Field::kTunOpt));
    if (st.tr) st.tr->step("decap", vni, tun_src);
    st.pkt->md.hash = 0;
    return reparse(st) ? Next::kEnd : Next::kStop;
  }

  // A packet-field write only changes the key when the frame has that header (set()
  // checks the layout): the layout's deciding fields join the consulted mask. Writes
  // whose effect depends on bytes the key does not hold (ND options) are not cached.
  void note_packet_write(St& st, Field f) noexcept {
    switch (f) {
      case Field::kArpSha: case Field::kArpTha: case Field::kNdSll: case Field::kNdTll:
      case Field::kNdTarget: case Field::kIcmpType: case Field::kIcmpCode:
        st.rec = nullptr;
        return;
      default:
        break;
    }
    FlowKey& m = st.rec->mask;
    mask_field(m, Field::kEthType);
    mask_field(m, Field::kVlanTci);
    mask_field(m, Field::kVlanTci2);
    mask_field(m, Field::kIpProto);
    mask_field(m, Field::kIpFrag);
  }

  // Hashes k under the mask, leaving the masked words packed in `out`.
  static uint64_t mf_hash(const MfMask& mk, unsigned idx, const FlowKey& k, uint64_t* out) noexcept {
    uint64_t h = kHashSeed ^ (uint64_t{idx} << 16 | mk.start);
    for (unsigned i = 0; i < mk.nwords; ++i) {
      out[i] = k.w[mk.words[i]] & mk.bits[i];
      h = fast_hash_add(h, out[i]);
    }
    return fast_hash_finish(h);
  }

  // The slot of a segment starting at t that k agrees with, or kMfNone.
  uint32_t mf_find(uint16_t t, const FlowKey& k) const noexcept {
    uint64_t v[kKeyWords];
    for (unsigned i = 0; i < mf_nmasks; ++i) {
      const MfMask& mk = mf_masks[i];
      if (mk.start != t) continue;
      const uint64_t h = mf_hash(mk, i, k, v);
      const uint32_t slot = static_cast<uint32_t>(h & (kMfEntries - 1));
      const MfSeg& s = mf[slot];
      if (s.version != mf_version || s.hash != h || s.mask_idx != i || s.start != t) continue;
      uint64_t diff = 0;  // branch-free: a handful of words, no libc call
      for (unsigned j = 0; j < mk.nwords; ++j) diff |= v[j] ^ s.key[j];
      if (diff == 0) return slot;
    }
    return kMfNone;
  }

  // Whether the segment in `slot` (a successor remembered by its predecessor) serves k at
  // table t: the same test as mf_find's, without the hash.
  bool mf_serves(uint32_t slot, uint16_t t, const FlowKey& k) const noexcept {
    const MfSeg& s = mf[slot];
    if (s.version != mf_version || s.start != t) return false;
    const MfMask& mk = mf_masks[s.mask_idx];
    uint64_t diff = 0;
    for (unsigned j = 0; j < mk.nwords; ++j) diff |= (k.w[mk.words[j]] & mk.bits[j]) ^ s.key[j];
    return diff == 0;
  }

  // Adds the pending replay counts of every dirty segment to its entries. Called before
  // the pipeline version the entries belong to can be released (end_burst, go_offline,
  // begin_burst) and before a dirty slot is overwritten.
  void flush_counts() noexcept {
    for (unsigned i = 0; i < mf_ndirty; ++i) flush_seg(mf[mf_dirty[i]]);
    mf_ndirty = 0;
  }
  void flush_seg(MfSeg& s) noexcept {
    if (s.pend_pkts == 0) return;
    for (unsigned j = 0; j < s.nsteps; ++j)
      if (const Entry* e = s.steps[j].e) e->stats->add_n(tid, s.pend_pkts, s.pend_bytes);
    s.pend_pkts = 0;
    s.pend_bytes = 0;
  }

  // Returns the slot it filled, or kMfNone.
  uint32_t mf_insert(const MfRec& r) noexcept {
    unsigned idx = 0;
    while (idx < mf_nmasks && !(mf_masks[idx].start == r.start && mf_masks[idx].mask == r.mask)) ++idx;
    if (idx == mf_nmasks) {
      if (mf_nmasks == kMfMasks) return kMfNone;  // too many shapes in this version: not cached
      MfMask& mk = mf_masks[mf_nmasks++];
      mk.start = r.start;
      mk.mask = r.mask;
      mk.nwords = 0;
      for (unsigned w = 0; w < kKeyWords; ++w)
        if (r.mask.w[w]) {
          mk.bits[mk.nwords] = r.mask.w[w];
          mk.words[mk.nwords++] = static_cast<uint8_t>(w);
        }
    }
    const MfMask& mk = mf_masks[idx];
    uint64_t v[kKeyWords];
    const uint64_t h = mf_hash(mk, idx, r.orig, v);
    const uint32_t slot = static_cast<uint32_t>(h & (kMfEntries - 1));
    MfSeg& s = mf[slot];
    flush_seg(s);  // its entries still belong to the pinned version
    s.version = mf_version;
    s.next = kMfNone;
    s.hash = h;
    s.start = r.start;
    s.mask_idx = static_cast<uint8_t>(idx);
    s.nsteps = r.nsteps;
    std::memcpy(s.key, v, mk.nwords * sizeof(uint64_t));
    for (unsigned j = 0; j < r.nsteps; ++j) s.steps[j] = r.steps[j];
    compile(s);
    return slot;
  }

  // Fills s.ops/cont when every step is one the compiled replay does exactly as
  // mf_replay's step walk would (exec_simple's Output, Ct and GotoTable); else leaves
  // s.compiled false.
  void compile(MfSeg& s) const noexcept {
    s.compiled = false;
    s.nops = 0;
    int32_t cont = -1;
    for (unsigned j = 0; j < s.nsteps; ++j) {
      const MfStep& step = s.steps[j];
      if (j > 0 && cont != step.table) return;  // the recorded path must chain
      cont = -1;
      if (step.e == nullptr) {
        const MissAction& m = pipe->miss(step.table);
        if (m.kind != MissAction::kGoto) return;
        cont = m.table;
      } else if (step.e->goto_only >= 0) {
        cont = step.e->goto_only;
      } else if (step.e->simple) {
        for (const Action& a : step.e->program) {
          if (const auto* g = std::get_if<GotoTable>(&a)) {
            cont = g->table;
            break;
          }
          if (s.nops == kMfOps) return;
          MfOp& op = s.ops[s.nops++];
          op.step = static_cast<uint8_t>(j);
          if (const auto* o = std::get_if<Output>(&a)) {
            op.kind = MfOp::kOutput;
            op.port = o->port;
            op.ct = nullptr;
          } else {
            const Ct& c = *std::get_if<Ct>(&a);  // Entry::simple: output, ct or goto only
            op.kind = MfOp::kCt;
            op.port = 0;
            op.ct = &c;
            if (c.table >= 0) {
              cont = c.table;
              break;
            }
          }
        }
      } else {
        return;
      }
      if (cont < 0 && j + 1 != s.nsteps) return;  // ended before the last step
    }
    s.cont = cont;
    s.compiled = true;
  }

  // Replays a segment: the same entries' programs, no lookups. Returns true when the
  // packet continues at st.next_table (a ct action sent it there: the next segment).
  // Counts a replay that ran steps 0..last on their entries: a whole segment joins the
  // segment's pending counts (flush_counts), a cut-short one counts at once.
  [[gnu::always_inline]] void count_replay(uint32_t slot, const St& st, unsigned last) noexcept {
    MfSeg& s = mf[slot];
    if (last + 1 != s.nsteps) return count_cut_short(s, st.pkt->len, last);
    lookups.inc(s.nsteps);
    if (s.pend_pkts == 0) {
      if (mf_ndirty == kMfDirty) flush_counts();
      mf_dirty[mf_ndirty++] = slot;
    }
    ++s.pend_pkts;
    s.pend_bytes += st.pkt->len;
  }
  [[gnu::noinline]] void count_cut_short(const MfSeg& s, uint32_t len, unsigned last) noexcept {
    lookups.inc(last + 1);
    for (unsigned j = 0; j <= last; ++j)
      if (const Entry* e = s.steps[j].e) e->stats->add(tid, len);
  }

  [[gnu::always_inline]] bool mf_replay(St& st, uint32_t slot) noexcept {
    const MfSeg& s = mf[slot];
    if (st.nlookups + s.nsteps > kMaxLookups) {
      exec_table(st, s.start, 0);  // near the limit: the uncached path counts and stops
      return false;
    }
    st.nlookups += s.nsteps;
    if (s.compiled) {
      for (unsigned i = 0; i < s.nops; ++i) {
        const MfOp& op = s.ops[i];
        if (op.kind == MfOp::kOutput) {
          flush(st, false);
          st.pending = op.port;
        } else if (!do_ct(st, *op.ct)) {
          count_replay(slot, st, op.step);
          return false;
        }
      }
      count_replay(slot, st, s.nsteps - 1u);
      if (s.cont < 0) return false;
      st.next_table = static_cast<uint16_t>(s.cont);
      return true;
    }
    for (unsigned i = 0; i < s.nsteps; ++i) {
      const MfStep& step = s.steps[i];
      uint16_t next;
      if (step.e == nullptr) {
        const MissAction& m = pipe->miss(step.table);
        if (m.kind == MissAction::kPacketIn) {
          count_replay(slot, st, i);
          packet_in(st, m.reason, step.table, 0);
          return false;
        }
        if (m.kind != MissAction::kGoto) {
          count_replay(slot, st, i);
          if (!st.handled) st.reason = DropReason::kTableMiss;
          return false;
        }
        next = m.table;
      } else if (step.e->goto_only >= 0) {
        next = static_cast<uint16_t>(step.e->goto_only);  // "next;": nothing to interpret
      } else {
        const Next nx = step.e->simple ? exec_simple(st, step.e->program)
                                       : exec_program(st, step.e->program, step.table, 0, step.e);
        if (nx != Next::kGoto) {
          count_replay(slot, st, i);
          return false;
        }
        next = st.next_table;
      }
      if (i + 1 == s.nsteps) {
        count_replay(slot, st, i);
        st.next_table = next;
        return true;
      }
      if (s.steps[i + 1].table != next) {  // cannot happen for a deterministic path; stay safe
        count_replay(slot, st, i);
        st.nlookups -= s.nsteps - (i + 1);
        exec_table(st, next, 0);
        return false;
      }
    }
    return false;
  }

  // Top level with the flow cache: segment after segment (one per ct recirculation).
  void exec_cached(St& st, uint16_t t) noexcept {
    uint32_t prev = kMfNone;  // the segment this packet replayed or recorded last
    for (;;) {
      const Table& tb = pipe->table(t);
      if (tb.subtable_count() <= 1 && tb.all_end_path()) {
        // One probe (or a direct index) that ends the path costs less than a cache probe
        // (plain L2: in_port -> output); only a miss can go on, and runs uncached.
        if (const Entry* e = tb.lookup(st.key)) {
          ++st.nlookups;
          lookups.inc();
          e->stats->add(tid, st.pkt->len);
          if (e->simple) exec_simple(st, e->program);
          else exec_program(st, e->program, t, 0, e);
        } else {
          exec_table(st, t, 0);
        }
        return;
      }
      if (mf_bypass > 0) {
        --mf_bypass;
        exec_table(st, t, 0);
        return;
      }
      if (++mf_window == kEmcWindow) {
        if (mf_window_hits < kEmcWindow / 16) mf_bypass = kEmcBypass;
        mf_window = mf_window_hits = 0;
      }
      const uint32_t guess = prev != kMfNone ? mf[prev].next : mf_first_on ? mf_first : kMfNone;
      uint32_t slot = guess != kMfNone && mf_serves(guess, t, st.key) ? guess : kMfNone;
      if (slot == kMfNone) {
        slot = mf_find(t, st.key);
        if (slot != kMfNone) {
          if (prev != kMfNone) {
            mf[prev].next = slot;
          } else {
            mf_first_on = slot == mf_first;
            mf_first = slot;
          }
        }
      }
      if (slot != kMfNone) {
        mf_hits.inc();
        ++mf_window_hits;
        if (!mf_replay(st, slot) || st.stopped) return;
        t = st.next_table;
        prev = slot;
        continue;
      }
      MfRec& r = rec;
      r.orig = st.key;
      r.mask = FlowKey{};
      r.start = t;
      r.nsteps = 0;
      r.after_ct = false;
      st.rec = &r;
      st.split = false;
      exec_table(st, t, 0);
      uint32_t ins = kMfNone;
      if (st.rec != nullptr && r.nsteps > 0 && !(st.stopped && st.reason == DropReason::kLoopLimit)) ins = mf_insert(r);
      if (ins != kMfNone && prev != ins) {
        if (prev != kMfNone) mf[prev].next = ins;
        else mf_first = ins, mf_first_on = true;
      }
      st.rec = nullptr;
      if (!st.split || st.stopped) return;
      t = st.split_table;
      prev = ins;
    }
  }

  // The ct action up to its optional recirculation; false when it dropped the packet.
  [[gnu::always_inline]] bool do_ct(St& st, const Ct& c) noexcept {
    flush(st, false);
    const uint16_t zone = c.use_zone_field ? static_cast<uint16_t>(key_get(st.key, c.zone_field).lo) : c.zone;
    // Only NAT and load balancing read the hash: no flow hash for plain tracking.
    const bool needs_hash = !c.tracking_only && (c.nat != NatKind::kNone || !c.backends.empty() || !c.backends6.empty());
    const uint32_t h = needs_hash ? flow_hash(st) : 0;
    // A second ct on the same unchanged packet in the same zone that would change nothing
    // (no NAT or load balancing, no mark or label to commit) returns what the first one
    // did without running conntrack again: the first already did this packet's update
    // (OVS's conntrack does the same with the connection cached in the packet's metadata,
    // process_one_fast). A commit changes nothing on a connection the first ct found.
    if (st.ct_hint.link != UINT32_MAX && st.ct_hint.zone == zone && st.ct_hint.link == st.ct_last_hint.link &&
        st.ct_hint.gen == st.ct_last_hint.gen && st.ct_last_hint.zone == zone && !needs_hash &&
        !(c.commit && (c.set_mark || c.set_label))) {
      if (st.tr) st.tr->step("ct", st.ct_last.state, zone);
      set_ct_fields(st, st.ct_last.state, st.ct_last.mark, st.ct_last.label_hi, st.ct_last.label_lo, zone);
      return true;
    }
    // Only a packet's first ct (no hint yet) consults the memo; a later one has its hint.
    const bool memo = st.ct_hint.link == UINT32_MAX && st.lay.l3_kind == L3::kIp4 && st.lay.l4_kind == L4::kUdp;
    uint64_t addrs = 0;
    uint32_t ports = 0, meta = 0;
    bool hit = false;
    if (memo) {
      addrs = key_get(st.key, Field::kIp4Src).lo | key_get(st.key, Field::kIp4Dst).lo << 32;
      meta = static_cast<uint32_t>(key_get(st.key, Field::kIpProto).lo | key_get(st.key, Field::kIpFrag).lo << 8);
      std::memcpy(&ports, st.pkt->data + st.lay.l4, sizeof ports);
      hit = ct_memo.hint.link != UINT32_MAX && ct_memo.hint.zone == zone && ct_memo.addrs == addrs &&
            ct_memo.ports == ports && ct_memo.meta == meta;
      if (hit) st.ct_hint = ct_memo.hint;
    }
    CtResult r;
    // A hinted non-TCP ct that commits no mark/label is only the connection's per-packet
    // update (process_hinted); anything else, or a hint that no longer applies, takes the
    // full path, which leaves a hint for the next ct of this packet.
    if (!(st.ct_hint.link != UINT32_MAX && st.lay.l4_kind != L4::kTcp && !(c.commit && (c.set_mark || c.set_label)) &&
          core.conntrack().process_hinted(st.ct_hint, zone, now, r)))
      r = core.conntrack().process(*st.pkt, st.key, st.lay, c, zone, h, now, &st.ct_hint);
    // process() leaves a hint only for an unNATed connection (key and bytes unchanged).
    if (memo && st.ct_hint.link != UINT32_MAX &&
        (!hit || st.ct_hint.link != ct_memo.hint.link || st.ct_hint.gen != ct_memo.hint.gen))
      ct_memo = CtMemo{addrs, ports, meta, st.ct_hint};
    if (st.tr) st.tr->step("ct", r.state, zone);
    if (r.drop != DropReason::kNone) {
      stop(st, r.drop);
      return false;
    }
    st.ct_last_hint = st.ct_hint;
    st.ct_last = {r.state, r.mark, r.label.hi, r.label.lo};
    set_ct_fields(st, r.state, r.mark, r.label.hi, r.label.lo, zone);
    return true;
  }

  [[gnu::always_inline]] static void set_ct_fields(St& st, uint16_t state, uint32_t mark, uint64_t label_hi,
                                                   uint64_t label_lo, uint16_t zone) noexcept {
    // ct_state | ct_zone << 16 share word 10 with flags; ct_mark word 11 with tun_id
    // (static_asserts below the Impl): direct word writes, not four key_set()s.
    st.key.w[10] = (st.key.w[10] & ~0xffffffffull) | state | uint64_t{zone} << 16;
    st.key.w[11] = (st.key.w[11] & ~0xffffffffull) | mark;
    st.key.w[12] = label_hi;
    st.key.w[13] = label_lo;
    if (st.rec) st.rec->after_ct = true;
  }

  // One ct action, shared by the replay of simple programs and the full interpreter:
  // kStop when ct dropped the packet, kGoto for ct(table=N) (the packet goes on there),
  // kEnd when the program goes on with its next action.
  [[gnu::always_inline]] Next ct_step(St& st, const Ct& c) noexcept {
    if (!do_ct(st, c)) return Next::kStop;
    if (c.table < 0) return Next::kEnd;
    st.next_table = static_cast<uint16_t>(c.table);
    return Next::kGoto;
  }

  // Replay of an Entry::simple program (only output, ct, goto_table): the same steps as
  // exec_program without its general dispatch. Returns what exec_program would.
  [[gnu::always_inline]] Next exec_simple(St& st, const Program& prog) noexcept {
    for (const Action& a : prog) {
      switch (a.index()) {
        case 2:  // GotoTable
          st.next_table = std::get_if<GotoTable>(&a)->table;
          return Next::kGoto;
        case 4:  // Output
          flush(st, false);
          st.pending = std::get_if<Output>(&a)->port;
          break;
        default: {  // Ct
          const Next n = ct_step(st, *std::get_if<Ct>(&a));
          if (n != Next::kEnd) return n;
          break;
        }
      }
    }
    return Next::kEnd;
  }

  Next exec_program(St& st, const Program& prog, uint16_t table, unsigned depth, const Entry* ent) noexcept {
    for (const Action& a : prog) {
      if (st.stopped) return Next::kStop;
      switch (a.index()) {
        case 0: {  // SetField
          const auto& s = *std::get_if<SetField>(&a);
          flush(st, false);
          if (st.rec && field_info(s.field).packet) note_packet_write(st, s.field);
          set(st, s.field, s.value, s.mask);
          break;
        }
        case 1: {  // Move
          const auto& m = *std::get_if<Move>(&a);
          flush(st, false);
          if (st.rec) {
            mask_field(st.rec->mask, m.src);  // later lookups may read what it copies
            if (field_info(m.dst).packet) note_packet_write(st, m.dst);
          }
          const U128 v = band(shr(key_get(st.key, m.src), m.src_ofs), ones(m.nbits));
          set(st, m.dst, shl(v, m.dst_ofs), shl(ones(m.nbits), m.dst_ofs));
          break;
        }
        case 2: {  // GotoTable
          const auto& g = *std::get_if<GotoTable>(&a);
          st.next_table = g.table;
          return Next::kGoto;
        }
        case 3: {  // Resubmit
          const auto& r = *std::get_if<Resubmit>(&a);
          flush(st, false);
          st.rec = nullptr;  // nested paths are not cached
          if (depth + 1 >= kMaxDepth) {
            stop(st, DropReason::kLoopLimit);
            return Next::kStop;
          }
          exec_table(st, r.table, depth + 1);
          if (st.stopped) return Next::kStop;
          break;
        }
        case 4: {  // Output
          flush(st, false);
          st.pending = std::get_if<Output>(&a)->port;
          if (st.tr) st.tr->step("output", static_cast<uint64_t>(st.pending), 0);
          break;
        }
        case 5: {  // GroupOut
          flush(st, false);
          st.rec = nullptr;
          const Group* g = pipe->group(std::get_if<GroupOut>(&a)->group);
          if (g != nullptr && group(st, *g, depth) == Next::kStop) return Next::kStop;
          break;
        }
        case 6:  // Drop
          flush(st, false);
          stop(st, DropReason::kExplicitDrop);
          return Next::kStop;
        case 7: {  // Ct
          const Next n = ct_step(st, *std::get_if<Ct>(&a));
          if (n != Next::kEnd) return n;
          break;
        }
        case 8:  // CtClear
          flush(st, false);
          st.ct_hint = CtHint{};  // as OVS forgets the packet's connection
          key_set(st.key, Field::kCtState, U128{}, U128{0, 0xffff});
          key_set(st.key, Field::kCtZone, U128{}, U128{0, 0xffff});
          key_set(st.key, Field::kCtMark, U128{}, U128{0, 0xffffffff});
          key_set(st.key, Field::kCtLabel, U128{}, U128{~0ull, ~0ull});
          break;
        case 9: {  // DecTtl
          const auto& dt = *std::get_if<DecTtl>(&a);
          flush(st, false);
          if (st.rec) {  // branches on the ttl and on the packet being IP
            mask_field(st.rec->mask, Field::kIpTtl);
            note_packet_write(st, Field::kIpTtl);
          }
          if (st.lay.l3_kind != L3::kIp4 && st.lay.l3_kind != L3::kIp6) {
            stop(st, DropReason::kNotIp);
            return Next::kStop;
          }
          const uint64_t ttl = key_get(st.key, Field::kIpTtl).lo;
          if (ttl <= 1) {
            if (st.tr) st.tr->step("dec_ttl_expired", ttl, dt.on_error);
            switch (dt.on_error) {
              case DecTtl::kGoto:
                st.next_table = dt.table;
                return Next::kGoto;
              case DecTtl::kPacketIn:
                packet_in(st, dt.reason, table, ent ? ent->cookie : 0);
                st.stopped = true;
                return Next::kStop;
              case DecTtl::kDrop:
                stop(st, DropReason::kTtlExpired);
                return Next::kStop;
            }
          }
          set(st, Field::kIpTtl, U128{0, ttl - 1}, U128{0, 0xff});
          break;
        }
        case 10: {  // PushVlan
          const auto& pv = *std::get_if<PushVlan>(&a);
          flush(st, false);
          st.rec = nullptr;  // reparses bytes the key does not hold
          Packet& p = *st.pkt;
          if (p.headroom < 4) {
            stop(st, DropReason::kNoRoom);
            return Next::kStop;
          }
          p.data -= 4;
          p.headroom -= 4;
          p.len += 4;
          std::memmove(p.data, p.data + 4, 12);
          wr16(p.data + 12, pv.tpid);
          wr16(p.data + 14, pv.tci);
          if (!reparse(st)) return Next::kStop;
          break;
        }
        case 11: {  // PopVlan
          flush(st, false);
          st.rec = nullptr;
          if (st.lay.vlans == 0) break;
          Packet& p = *st.pkt;
          std::memmove(p.data + 4, p.data, 12);
          p.data += 4;
          p.headroom += 4;
          p.len -= 4;
          if (!reparse(st)) return Next::kStop;
          break;
        }
        case 12:  // Encap
          flush(st, false);
          st.rec = nullptr;
          if (encap(st, *std::get_if<Encap>(&a)) == Next::kStop) return Next::kStop;
          break;
        case 13:  // Decap
          flush(st, false);
          st.rec = nullptr;
          if (decap(st, *std::get_if<Decap>(&a)) == Next::kStop) return Next::kStop;
          break;
        case 14: {  // NeighStore
          const auto& n = *std::get_if<NeighStore>(&a);
          const uint32_t dp = static_cast<uint32_t>(key_get(st.key, Field::kMetadata).lo);
          core.neigh().store(dp, key_get(st.key, n.ip), key_get(st.key, n.mac).lo);
          break;
        }
        case 15: {  // NeighLookup
          const auto& n = *std::get_if<NeighLookup>(&a);
          flush(st, false);
          st.rec = nullptr;  // its answer comes from the neighbour cache, not the key
          const uint32_t dp = static_cast<uint32_t>(key_get(st.key, Field::kMetadata).lo);
          uint64_t mac = 0;
          const bool hit = core.neigh().lookup(dp, key_get(st.key, n.ip), mac);
          if (hit) set(st, n.mac, U128{0, mac}, field_full_mask(n.mac));
          const U128 bit = shl(U128{0, 1}, n.result_bit);
          key_set(st.key, n.result, hit ? bit : U128{}, bit);
          break;
        }
        case 16:  // PacketIn
          packet_in(st, std::get_if<PacketIn>(&a)->reason, table, ent ? ent->cookie : 0);
          break;
        default:
          break;
      }
    }
    return st.stopped ? Next::kStop : Next::kEnd;
  }

  void exec_table(St& st, uint16_t t, unsigned depth) noexcept {
    for (;;) {
      if (st.rec != nullptr) {
        if (st.rec->after_ct) {  // this lookup reads conntrack's answer: a new segment
          st.split = true;
          st.split_table = t;
          return;
        }
        if (st.rec->nsteps == kMfSteps) st.rec = nullptr;  // too long to cache
      }
      if (++st.nlookups > kMaxLookups) {
        stop(st, DropReason::kLoopLimit);
        return;
      }
      const Table& tb = pipe->table(t);
      const Entry* e = lookup(st, tb);
      if (st.tr) st.tr->lookup(t, st.key, e);
      if (st.rec != nullptr) {
        MfRec& r = *st.rec;
        const FlowKey& um = tb.union_mask();
        for (uint8_t w : tb.used_words()) r.mask.w[w] |= um.w[w];
        r.steps[r.nsteps++] = MfStep{e, t};
      }
      if (e == nullptr) {
        const MissAction& m = pipe->miss(t);
        if (m.kind == MissAction::kGoto) {
          t = m.table;
          continue;
        }
        if (m.kind == MissAction::kPacketIn) {
          packet_in(st, m.reason, t, 0);
          return;
        }
        if (!st.handled) st.reason = DropReason::kTableMiss;
        return;
      }
      e->stats->add(tid, st.pkt->len);
      const Next nx = exec_program(st, e->program, t, depth, e);
      if (nx != Next::kGoto) return;
      t = st.next_table;
    }
  }
};

static_assert(kFieldTable[static_cast<unsigned>(Field::kCtState)].word == 10 &&
                  kFieldTable[static_cast<unsigned>(Field::kCtState)].shift == 0 &&
                  kFieldTable[static_cast<unsigned>(Field::kCtZone)].word == 10 &&
                  kFieldTable[static_cast<unsigned>(Field::kCtZone)].shift == 16 &&
                  kFieldTable[static_cast<unsigned>(Field::kCtMark)].word == 11 &&
                  kFieldTable[static_cast<unsigned>(Field::kCtMark)].shift == 0 &&
                  kFieldTable[static_cast<unsigned>(Field::kCtLabel)].word == 12,
              "the ct action writes these key words directly");

Executor::Executor(Core& core, uint32_t emc_entries) : core_(core) {
  const int id = core.qsbr().register_thread();
  if (id < 0) throw std::runtime_error("loom core: more than kMaxThreads executors");
  tid_ = static_cast<unsigned>(id);
  impl_.reset(new Impl(core, tid_, emc_entries));
}

Executor::~Executor() {
  if (online_) impl_->flush_counts();  // still pinned: the entries are alive
  core_.qsbr().unregister_thread(tid_);
}

void Executor::begin_burst(uint64_t now_ns) noexcept {
  if (online_) impl_->flush_counts();  // a begin without an end: count under the old version
  if (!online_) {
    core_.qsbr().online(tid_);
    online_ = true;
  }
  impl_->now = now_ns;
  impl_->pipe = core_.current();
  impl_->burst_start = impl_->packets.get();
  if (impl_->pipe->version() + 1 != impl_->mf_version) {  // a new version: forget all segments
    impl_->mf_version = impl_->pipe->version() + 1;
    impl_->mf_nmasks = 0;
  }
}

void Executor::end_burst() noexcept {
  impl_->flush_counts();
  impl_->pipe = nullptr;
  core_.qsbr().quiescent(tid_);
  // Only bursts that carried packets pay for expiry: an empty poll stays a pointer load
  // and a quiescent report. Idle expiry is the control thread's timer (the shell's).
  if (impl_->packets.get() != impl_->burst_start) core_.conntrack().expire(impl_->now, kExpireBudget);
}

void Executor::go_offline() noexcept {
  impl_->pipe = nullptr;
  if (online_) {
    impl_->flush_counts();
    core_.qsbr().offline(tid_);
    online_ = false;
  }
}

void Executor::run(Packet& pkt, Sink& sink, uint16_t start_table, Tracer* tracer) noexcept {
  Impl& m = *impl_;
  if (m.pipe == nullptr) begin_burst(m.now);
  m.packets.inc();
  Impl::St st;
  st.pkt = &pkt;
  st.sink = &sink;
  st.tr = tracer;
  st.emc_on = emc_on_;
  key_from_md(st.key, pkt.md);
  const ParseResult pr = parse(pkt.data, pkt.len, st.key);
  st.lay = pr.layout;
  if (pr.drop != DropReason::kNone) {
    m.drops[static_cast<unsigned>(pr.drop)].inc();
    if (tracer) tracer->step("drop", static_cast<uint64_t>(pr.drop), 0);
    sink.drop(pkt, pr.drop);
    return;
  }
  const uint16_t t0 = start_table < kMaxTables ? start_table : 0;
  if (tracer == nullptr && mf_on_) m.exec_cached(st, t0);
  else m.exec_table(st, t0, 0);
  m.flush(st, true);
  if (!st.handled) {
    m.drops[static_cast<unsigned>(st.reason)].inc();
    sink.drop(pkt, st.reason);
  }
}

ExecStats Executor::stats() const noexcept {
  const Impl& m = *impl_;
  ExecStats s;
  s.packets = m.packets.get();
  s.lookups = m.lookups.get();
  s.emc_hits = m.emc_hits.get();
  s.flow_cache_hits = m.mf_hits.get();
  s.outputs = m.outputs.get();
  s.packet_ins = m.packet_ins.get();
  for (unsigned i = 0; i < static_cast<unsigned>(DropReason::kCount); ++i) s.drops[i] = m.drops[i].get();
  return s;
}

}  // namespace loom
