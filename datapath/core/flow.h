// datapath/core/flow.h — the flow key every table matches on, and its named fields.
//
// Owns: `FlowKey` (a fixed array of 64-bit words: metadata words then packet words),
// `Field` (every matchable/settable field, OVS/OVN names) with its bit position, and
// helpers to read, write and mask fields. Values are host-order numbers: an IPv4 address
// is a uint32 (10.0.0.1 = 0x0a000001), a MAC a 48-bit number (first byte most
// significant), 128-bit fields (ip6, nd_target, ct_label) use U128 {hi, lo}.
// Reads: Metadata (packet.h). Called by: parser (fills packet words), classifier (masks,
// hashes), executor (reads/writes fields), the addon (field names -> Field).
// Never: allocate or throw in the per-packet helpers.
// Invariants: a field's bits never overlap another field's bits, except the documented
// aliases (arp_spa/arp_tpa share ip4_src/ip4_dst, nd_sll/nd_tll share arp_sha/arp_tha —
// OVS does the same, the eth_type tells them apart); words not used by any field are 0.
#pragma once

#include <cstdint>
#include <cstring>

#include "core/packet.h"

namespace loom {

constexpr unsigned kKeyWords = 32;
constexpr unsigned kMetaWords = 16;  // words [0, 16) come from Metadata, [16, 32) from the packet

struct U128 {
  uint64_t hi = 0, lo = 0;
  bool operator==(const U128& o) const noexcept { return hi == o.hi && lo == o.lo; }
  bool operator!=(const U128& o) const noexcept { return !(*this == o); }
};

struct alignas(64) FlowKey {
  uint64_t w[kKeyWords] = {};
  bool operator==(const FlowKey& o) const noexcept { return std::memcmp(w, o.w, sizeof w) == 0; }
  bool operator!=(const FlowKey& o) const noexcept { return !(*this == o); }
};

enum class Field : uint8_t {
  // metadata
  kInPort, kMetadata, kInport, kOutport,
  kReg0, kReg1, kReg2, kReg3, kReg4, kReg5, kReg6, kReg7,
  kReg8, kReg9, kReg10, kReg11, kReg12, kReg13, kReg14, kReg15,
  kCtState, kCtZone, kFlags, kCtMark, kTunId, kCtLabel, kTunSrc, kTunDst, kTunOpt,
  // packet
  kEthDst, kEthType, kEthSrc, kVlanTci, kVlanTci2,
  kIpProto, kIpTos, kIpTtl, kIpFrag, kArpOp,
  kIp4Src, kIp4Dst, kArpSpa, kArpTpa,
  kIp6Src, kIp6Dst, kIp6Label,
  kL4Src, kL4Dst, kTcpFlags, kIcmpType, kIcmpCode,
  kArpSha, kArpTha, kNdSll, kNdTll, kNdTarget,
  kCount
};
constexpr unsigned kNumFields = static_cast<unsigned>(Field::kCount);

// vlan_tci / vlan_tci2: the 802.1Q TCI with bit 0x1000 (CFI/DEI) forced to 1 when the tag
// is present (as OVS does), so "vlan_tci=0/0x1000" means untagged. vlan_tci is the outer tag.
constexpr uint16_t kVlanPresent = 0x1000;
// ip_frag bits (OVS nw_frag): any fragment, and a later (offset != 0) fragment.
constexpr uint8_t kFragAny = 0x01, kFragLater = 0x02;

struct FieldInfo {
  const char* name;  // OVS-style name: "eth_dst", "ip4_src", "reg3", "ct_state", ...
  uint8_t word;      // first word in FlowKey::w
  uint8_t shift;     // bit offset inside the word (0 for 128-bit fields)
  uint8_t bits;      // 1..64, or 128 (two words: word = hi, word+1 = lo)
  bool packet;       // lives in the packet (set_field rewrites bytes), not in Metadata
};

const FieldInfo& field_info(Field f) noexcept;
// Looks a field up by name (also accepts OVN spellings: "eth.dst", "ip4.src", "tcp.dst",
// "udp.src", "icmp4.type", "arp.spa", "nd.target", "ip.ttl", "vlan.tci"...). false if unknown.
bool field_by_name(const char* name, Field& out) noexcept;

// Mask covering all bits of a field (U128 {0, 0xffff} for a 16-bit field, etc.).
U128 field_full_mask(Field f) noexcept;

// Reads a field's value from a key.
U128 key_get(const FlowKey& k, Field f) noexcept;
// Writes (value & mask) into the masked bits of a field, leaving other bits.
void key_set(FlowKey& k, Field f, U128 value, U128 mask) noexcept;

// Copies Metadata into words [0, kMetaWords) and back.
void key_from_md(FlowKey& k, const Metadata& md) noexcept;
void md_from_key(Metadata& md, const FlowKey& k) noexcept;

// 64-bit hash of the masked words listed in `words` (n entries).
uint64_t hash_words(const uint64_t* w, const uint8_t* words, unsigned n) noexcept;

}  // namespace loom
