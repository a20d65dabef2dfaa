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

struct KeyUninit {};  // tag: FlowKey storage the caller fills completely itself

struct alignas(64) FlowKey {
  uint64_t w[kKeyWords];
  FlowKey() noexcept : w{} {}
  // For the per-packet key, which key_from_md + parse overwrite entirely: zeroing 256
  // bytes per packet was a measurable share of the fast path.
  explicit FlowKey(KeyUninit) noexcept {}
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


// Word layout (metadata words [0, 16), packet words [16, 32)). Inline so that per-packet
// field accesses with a constant Field fold to a shift and a mask.
inline constexpr FieldInfo kFieldTable[kNumFields] = {
    {"in_port", 0, 0, 32, false},
    {"metadata", 0, 32, 32, false},
    {"inport", 1, 0, 32, false},
    {"outport", 1, 32, 32, false},
    {"reg0", 2, 0, 32, false},   {"reg1", 2, 32, 32, false},
    {"reg2", 3, 0, 32, false},   {"reg3", 3, 32, 32, false},
    {"reg4", 4, 0, 32, false},   {"reg5", 4, 32, 32, false},
    {"reg6", 5, 0, 32, false},   {"reg7", 5, 32, 32, false},
    {"reg8", 6, 0, 32, false},   {"reg9", 6, 32, 32, false},
    {"reg10", 7, 0, 32, false},  {"reg11", 7, 32, 32, false},
    {"reg12", 8, 0, 32, false},  {"reg13", 8, 32, 32, false},
    {"reg14", 9, 0, 32, false},  {"reg15", 9, 32, 32, false},
    {"ct_state", 10, 0, 16, false},
    {"ct_zone", 10, 16, 16, false},
    {"flags", 10, 32, 32, false},
    {"ct_mark", 11, 0, 32, false},
    {"tun_id", 11, 32, 32, false},
    {"ct_label", 12, 0, 128, false},
    {"tun_src", 14, 0, 32, false},
    {"tun_dst", 14, 32, 32, false},
    {"tun_opt", 15, 0, 32, false},
    {"eth_dst", 16, 0, 48, true},
    {"eth_type", 16, 48, 16, true},
    {"eth_src", 17, 0, 48, true},
    {"vlan_tci", 17, 48, 16, true},
    {"vlan_tci2", 18, 0, 16, true},
    {"ip_proto", 18, 16, 8, true},
    {"ip_tos", 18, 24, 8, true},
    {"ip_ttl", 18, 32, 8, true},
    {"ip_frag", 18, 40, 8, true},
    {"arp_op", 18, 48, 16, true},
    {"ip4_src", 19, 0, 32, true},
    {"ip4_dst", 19, 32, 32, true},
    {"arp_spa", 19, 0, 32, true},
    {"arp_tpa", 19, 32, 32, true},
    {"ip6_src", 20, 0, 128, true},
    {"ip6_dst", 22, 0, 128, true},
    {"ip6_label", 29, 0, 20, true},
    {"l4_src", 24, 0, 16, true},
    {"l4_dst", 24, 16, 16, true},
    {"tcp_flags", 24, 32, 16, true},
    {"icmp_type", 24, 48, 8, true},
    {"icmp_code", 24, 56, 8, true},
    {"arp_sha", 25, 0, 48, true},
    {"arp_tha", 26, 0, 48, true},
    {"nd_sll", 25, 0, 48, true},
    {"nd_tll", 26, 0, 48, true},
    {"nd_target", 27, 0, 128, true},
};
static_assert(sizeof(kFieldTable) / sizeof(kFieldTable[0]) == kNumFields, "one FieldInfo per Field");

inline constexpr uint64_t field_low_mask(unsigned bits) noexcept { return bits >= 64 ? ~0ull : ((1ull << bits) - 1); }

inline const FieldInfo& field_info(Field f) noexcept { return kFieldTable[static_cast<unsigned>(f)]; }

// Mask covering all bits of a field (U128 {0, 0xffff} for a 16-bit field, etc.).
inline U128 field_full_mask(Field f) noexcept {
  const FieldInfo& fi = field_info(f);
  if (fi.bits == 128) return U128{~0ull, ~0ull};
  return U128{0, field_low_mask(fi.bits)};
}

// Reads a field's value from a key.
inline U128 key_get(const FlowKey& k, Field f) noexcept {
  const FieldInfo& fi = field_info(f);
  if (fi.bits == 128) return U128{k.w[fi.word], k.w[fi.word + 1]};
  return U128{0, (k.w[fi.word] >> fi.shift) & field_low_mask(fi.bits)};
}

// Writes (value & mask) into the masked bits of a field, leaving other bits.
inline void key_set(FlowKey& k, Field f, U128 value, U128 mask) noexcept {
  const FieldInfo& fi = field_info(f);
  if (fi.bits == 128) {
    k.w[fi.word] = (k.w[fi.word] & ~mask.hi) | (value.hi & mask.hi);
    k.w[fi.word + 1] = (k.w[fi.word + 1] & ~mask.lo) | (value.lo & mask.lo);
    return;
  }
  const uint64_t m = (mask.lo & field_low_mask(fi.bits)) << fi.shift;
  k.w[fi.word] = (k.w[fi.word] & ~m) | ((value.lo << fi.shift) & m);
}

// Looks a field up by name (also accepts OVN spellings: "eth.dst", "ip4.src", "tcp.dst",
// "udp.src", "icmp4.type", "arp.spa", "nd.target", "ip.ttl", "vlan.tci"...). false if unknown.
bool field_by_name(const char* name, Field& out) noexcept;

// Copies Metadata into words [0, kMetaWords) and back.
void key_from_md(FlowKey& k, const Metadata& md) noexcept;
void md_from_key(Metadata& md, const FlowKey& k) noexcept;

// 64-bit hash of the words listed in `words` (n entries): a multiply-xorshift mix per
// word, cheap and with good enough spread for power-of-two tables.
inline uint64_t hash_words(const uint64_t* w, const uint8_t* words, unsigned n) noexcept {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  for (unsigned i = 0; i < n; ++i) {
    uint64_t x = w[words[i]] ^ (uint64_t{words[i]} << 56);
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 31;
    h = (h ^ x) * 0x94d049bb133111ebull;
    h ^= h >> 29;
  }
  return h;
}

}  // namespace loom
