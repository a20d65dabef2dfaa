// datapath/core/conntrack.h — connection tracking with NAT, per zone.
//
// Owns: the connection table: TCP state (RFC 9293 state machine, simplified window
// check: sequence numbers must lie within the peer's advertised window, with slack),
// UDP and ICMP (echo id) pseudo-connections, ICMP errors related to a tracked
// connection, per-state timeouts (config), SNAT/DNAT/LB with port allocation from a
// range, reply-direction un-NAT, a size limit with a counter, incremental expiry.
// Reads: the FlowKey/Layout of the packet (parser.h), the Ct action (actions.h).
// Called by: Executor (ct action, expire in end_burst), the addon (stats, flush, dump).
// Never: allocate after construction (connections come from a preallocated pool);
// throw; hold a lock across anything but a table lookup/insert/remove.
// Thread-safety: several forwarding threads may call process()/expire() at once. The hash
// table is split in stripes (1/64 of the buckets each): inserts/removes take the stripe's
// spinlock, lookups read without it (a per-stripe sequence number, seqlock-style, with
// the lock as fallback); each connection has its own spinlock for its state update, and
// the free pool has one. With one forwarding thread (the default) nothing is contended.
// Clock: callers pass `now` in ns (virtual clocks in tests), one value per burst.
// Invariants: every live connection is in the table under exactly two keys (original and
// reply direction, the reply key already un-NATed); count() == live connections <= max.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/actions.h"
#include "core/flow.h"
#include "core/packet.h"
#include "core/parser.h"

namespace loom {

struct CtTimeouts {  // seconds, OVS's defaults where OVS has one
  uint32_t tcp_syn_sent = 30, tcp_syn_recv = 30, tcp_established = 86400,
           tcp_fin_wait = 15, tcp_time_wait = 45, tcp_closed = 30;
  uint32_t udp_first = 30, udp_single = 60, udp_multiple = 30;
  uint32_t icmp_first = 60, icmp_reply = 30;
  uint32_t other = 30;
};

struct CtConfig {
  uint32_t max_conns = 65536;
  CtTimeouts timeouts;
};

struct CtStats {
  uint64_t conns = 0;          // live now
  uint64_t created = 0;
  uint64_t expired = 0;
  uint64_t table_full = 0;     // commits refused because max_conns was reached
  uint64_t nat_exhausted = 0;  // commits refused because no NAT tuple was free
  uint64_t invalid = 0;        // packets marked invalid
};

// Where the last process() of a packet found its connection, so that a second ct action
// on the same, unchanged packet in the same zone (ct(table=..) then ct(commit) on +new,
// OVN's usual pair) skips the hash and the chain walk. The caller resets it whenever the
// packet's tuple may have changed (packet-field writes, reparse); process() clears it
// itself after NAT. A stale hint is safe: the connection's generation is re-checked.
struct CtHint {
  uint32_t link = UINT32_MAX;  // pool index << 1 | direction; UINT32_MAX = none
  uint32_t gen = 0;
  uint16_t zone = 0;
};

// What the executor gets back from process().
struct CtResult {
  uint16_t state = 0;  // ct_state bits (kTrk always set)
  uint32_t mark = 0;
  U128 label;
  DropReason drop = DropReason::kNone;  // kCtTableFull / kCtNatExhausted / kCtInvalid
};

// A connection as the control plane sees it (dump()).
struct CtConnView {
  uint16_t zone;
  uint8_t proto;
  uint32_t orig_src, orig_dst, reply_src, reply_dst;  // IPv4, host order
  uint16_t orig_sport, orig_dport, reply_sport, reply_dport;
  uint8_t tcp_state;
  uint32_t mark;
  uint64_t expires_ns;
};

class Conntrack {
 public:
  explicit Conntrack(const CtConfig& cfg = {});
  ~Conntrack();
  Conntrack(const Conntrack&) = delete;
  Conntrack& operator=(const Conntrack&) = delete;

  // Tracks (and with act.commit creates/NATs) the packet, IPv4 or IPv6. Rewrites
  // addresses/ports and checksums in pkt for NAT and updates the key's ip4/ip6/l4 fields
  // to match. Non-IP packets and fragments come back tracked + invalid. `hash` picks the
  // backend / NAT tuple of a new connection and is read for nothing else (callers may pass
  // 0 when the action has neither NAT nor backends).
  CtResult process(Packet& pkt, FlowKey& key, const Layout& lay, const Ct& act, uint16_t zone,
                   uint32_t hash, uint64_t now_ns, CtHint* hint = nullptr) noexcept;

  // process() for a non-TCP packet whose connection `hint` names (same unchanged packet or
  // the executor's memo of the same tuple), with an action that commits no mark or label:
  // the per-packet update only, in a small function (process() is large, and its prologue
  // alone costs more than this update). False, with nothing done, when the hint does not
  // apply (other zone, connection freed, reused or expired): call process() then.
  bool process_hinted(const CtHint& hint, uint16_t zone, uint64_t now_ns, CtResult& r) noexcept;

  // Expires at most `budget` pool slots from an internal cursor. Returns how many freed.
  unsigned expire(uint64_t now_ns, unsigned budget) noexcept;

  void flush() noexcept;            // control: drop everything
  void flush_zone(uint16_t zone) noexcept;
  CtStats stats() const noexcept;
  std::vector<CtConnView> dump(size_t max) const;  // control thread
  void set_timeouts(const CtTimeouts& t) noexcept;  // applies to later updates
  // The invariants above, checked by a full walk (tests; no concurrent writers).
  // Returns "" when they hold, else what is wrong.
  std::string check_invariants() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace loom
