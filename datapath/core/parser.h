// datapath/core/parser.h — extracts a FlowKey from packet bytes.
//
// Owns: `parse()` and the `Layout` (offsets of each header) the executor reuses for
// in-place rewrites. Reads: packet bytes only. Called by: the executor (on entry and
// after encap/decap/push/pop), the fuzzer, tests.
// Never: read outside data[0, len); allocate; throw. Every header check is bounded by
// `len` and cites its RFC step in parser.cc.
// Invariants: on kNone every offset in Layout + its header length <= len; on a drop the
// key's packet words hold what was parsed before the bad header (so traces can show it).
#pragma once

#include <cstdint>

#include "core/flow.h"
#include "core/packet.h"

namespace loom {

enum class L3 : uint8_t { kNone, kIp4, kIp6, kArp };
enum class L4 : uint8_t { kNone, kTcp, kUdp, kIcmp4, kIcmp6, kOther };

struct Layout {
  uint32_t l3 = 0;        // offset of the IPv4/IPv6/ARP header (= Ethernet + VLAN tags)
  uint32_t l4 = 0;        // offset of the L4 header (after IPv4 options / IPv6 ext headers)
  uint32_t l3_len = 0;    // IP header length (ihl*4 or 40 + extension headers)
  uint32_t ip_end = 0;    // end of the IP datagram (l3 + total length); bytes after it are padding
  uint8_t vlans = 0;      // number of VLAN tags parsed (0..2)
  L3 l3_kind = L3::kNone;
  L4 l4_kind = L4::kNone; // kNone for non-first fragments
};

struct ParseResult {
  DropReason drop = DropReason::kNone;
  Layout layout;
};

// Fills words [kMetaWords, kKeyWords) of `key` (metadata words are left alone). Takes a
// straight-line path for untagged IPv4 UDP/TCP without options or fragmentation and
// falls back to parse_reference for everything else; the result is the same either way.
ParseResult parse(const uint8_t* data, uint32_t len, FlowKey& key) noexcept;

// parse(data, len, k).drop without filling a key (cheaper for the common frame).
DropReason parse_check(const uint8_t* data, uint32_t len) noexcept;

// The general parser, one header at a time (every protocol, every drop reason). parse()
// must agree with it on every input (differential test, fuzz target).
ParseResult parse_reference(const uint8_t* data, uint32_t len, FlowKey& key) noexcept;

}  // namespace loom
