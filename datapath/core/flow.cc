// datapath/core/flow.cc — field table and key helpers (see flow.h).
#include "core/flow.h"

#include <cstring>

namespace loom {

namespace {

// Word layout. Metadata words [0, 16), packet words [16, 32).
constexpr FieldInfo kFields[kNumFields] = {
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

struct Alias { const char* name; Field f; };
// OVN expression spellings and a few OVS ones.
constexpr Alias kAliases[] = {
    {"eth.dst", Field::kEthDst}, {"eth.src", Field::kEthSrc}, {"eth.type", Field::kEthType},
    {"vlan.tci", Field::kVlanTci}, {"ip.proto", Field::kIpProto}, {"nw_proto", Field::kIpProto},
    {"ip.tos", Field::kIpTos}, {"ip.ttl", Field::kIpTtl}, {"nw_ttl", Field::kIpTtl},
    {"ip.frag", Field::kIpFrag}, {"ip4.src", Field::kIp4Src}, {"ip4.dst", Field::kIp4Dst},
    {"nw_src", Field::kIp4Src}, {"nw_dst", Field::kIp4Dst},
    {"ip6.src", Field::kIp6Src}, {"ip6.dst", Field::kIp6Dst}, {"ipv6_src", Field::kIp6Src},
    {"ipv6_dst", Field::kIp6Dst}, {"ip6.label", Field::kIp6Label},
    {"arp.op", Field::kArpOp}, {"arp.spa", Field::kArpSpa}, {"arp.tpa", Field::kArpTpa},
    {"arp.sha", Field::kArpSha}, {"arp.tha", Field::kArpTha},
    {"tcp.src", Field::kL4Src}, {"tcp.dst", Field::kL4Dst}, {"udp.src", Field::kL4Src},
    {"udp.dst", Field::kL4Dst}, {"sctp.src", Field::kL4Src}, {"sctp.dst", Field::kL4Dst},
    {"tp_src", Field::kL4Src}, {"tp_dst", Field::kL4Dst}, {"tcp.flags", Field::kTcpFlags},
    {"icmp4.type", Field::kIcmpType}, {"icmp4.code", Field::kIcmpCode},
    {"icmp6.type", Field::kIcmpType}, {"icmp6.code", Field::kIcmpCode},
    {"nd.target", Field::kNdTarget}, {"nd.sll", Field::kNdSll}, {"nd.tll", Field::kNdTll},
    {"ct.state", Field::kCtState}, {"ct_state", Field::kCtState}, {"ct.mark", Field::kCtMark},
    {"ct.label", Field::kCtLabel}, {"ct.zone", Field::kCtZone}, {"tun.id", Field::kTunId},
    {"tun_metadata0", Field::kTunOpt},
};

inline uint64_t low_mask(unsigned bits) { return bits >= 64 ? ~0ull : ((1ull << bits) - 1); }

}  // namespace

const FieldInfo& field_info(Field f) noexcept { return kFields[static_cast<unsigned>(f)]; }

bool field_by_name(const char* name, Field& out) noexcept {
  if (name == nullptr) return false;
  for (unsigned i = 0; i < kNumFields; ++i) {
    if (std::strcmp(kFields[i].name, name) == 0) {
      out = static_cast<Field>(i);
      return true;
    }
  }
  for (const Alias& a : kAliases) {
    if (std::strcmp(a.name, name) == 0) {
      out = a.f;
      return true;
    }
  }
  return false;
}

U128 field_full_mask(Field f) noexcept {
  const FieldInfo& fi = field_info(f);
  if (fi.bits == 128) return U128{~0ull, ~0ull};
  return U128{0, low_mask(fi.bits)};
}

U128 key_get(const FlowKey& k, Field f) noexcept {
  const FieldInfo& fi = field_info(f);
  if (fi.bits == 128) return U128{k.w[fi.word], k.w[fi.word + 1]};
  return U128{0, (k.w[fi.word] >> fi.shift) & low_mask(fi.bits)};
}

void key_set(FlowKey& k, Field f, U128 value, U128 mask) noexcept {
  const FieldInfo& fi = field_info(f);
  if (fi.bits == 128) {
    k.w[fi.word] = (k.w[fi.word] & ~mask.hi) | (value.hi & mask.hi);
    k.w[fi.word + 1] = (k.w[fi.word + 1] & ~mask.lo) | (value.lo & mask.lo);
    return;
  }
  const uint64_t m = (mask.lo & low_mask(fi.bits)) << fi.shift;
  k.w[fi.word] = (k.w[fi.word] & ~m) | ((value.lo << fi.shift) & m);
}

void key_from_md(FlowKey& k, const Metadata& md) noexcept {
  k.w[0] = md.in_port | (uint64_t{md.metadata} << 32);
  k.w[1] = md.inport | (uint64_t{md.outport} << 32);
  for (unsigned i = 0; i < kNumRegs / 2; ++i)
    k.w[2 + i] = md.reg[2 * i] | (uint64_t{md.reg[2 * i + 1]} << 32);
  k.w[10] = md.ct_state | (uint64_t{md.ct_zone} << 16) | (uint64_t{md.flags} << 32);
  k.w[11] = md.ct_mark | (uint64_t{md.tun_id} << 32);
  k.w[12] = md.ct_label_hi;
  k.w[13] = md.ct_label_lo;
  k.w[14] = md.tun_src | (uint64_t{md.tun_dst} << 32);
  k.w[15] = md.tun_opt;
}

void md_from_key(Metadata& md, const FlowKey& k) noexcept {
  md.in_port = static_cast<uint32_t>(k.w[0]);
  md.metadata = static_cast<uint32_t>(k.w[0] >> 32);
  md.inport = static_cast<uint32_t>(k.w[1]);
  md.outport = static_cast<uint32_t>(k.w[1] >> 32);
  for (unsigned i = 0; i < kNumRegs / 2; ++i) {
    md.reg[2 * i] = static_cast<uint32_t>(k.w[2 + i]);
    md.reg[2 * i + 1] = static_cast<uint32_t>(k.w[2 + i] >> 32);
  }
  md.ct_state = static_cast<uint16_t>(k.w[10]);
  md.ct_zone = static_cast<uint16_t>(k.w[10] >> 16);
  md.flags = static_cast<uint32_t>(k.w[10] >> 32);
  md.ct_mark = static_cast<uint32_t>(k.w[11]);
  md.tun_id = static_cast<uint32_t>(k.w[11] >> 32);
  md.ct_label_hi = k.w[12];
  md.ct_label_lo = k.w[13];
  md.tun_src = static_cast<uint32_t>(k.w[14]);
  md.tun_dst = static_cast<uint32_t>(k.w[14] >> 32);
  md.tun_opt = static_cast<uint32_t>(k.w[15]);
}

uint64_t hash_words(const uint64_t* w, const uint8_t* words, unsigned n) noexcept {
  // A multiply-xorshift mix per word: cheap, good enough spread for power-of-two tables.
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

const char* drop_reason_name(DropReason r) noexcept {
  switch (r) {
    case DropReason::kNone: return "none";
    case DropReason::kEthTruncated: return "eth_truncated";
    case DropReason::kVlanTruncated: return "vlan_truncated";
    case DropReason::kIp4Truncated: return "ip4_truncated";
    case DropReason::kIp4BadVersion: return "ip4_bad_version";
    case DropReason::kIp4BadIhl: return "ip4_bad_ihl";
    case DropReason::kIp4BadTotalLen: return "ip4_bad_total_len";
    case DropReason::kIp6Truncated: return "ip6_truncated";
    case DropReason::kIp6BadVersion: return "ip6_bad_version";
    case DropReason::kIp6BadPayloadLen: return "ip6_bad_payload_len";
    case DropReason::kIp6ExtTruncated: return "ip6_ext_truncated";
    case DropReason::kIp6ExtTooMany: return "ip6_ext_too_many";
    case DropReason::kArpTruncated: return "arp_truncated";
    case DropReason::kArpBadFormat: return "arp_bad_format";
    case DropReason::kTcpTruncated: return "tcp_truncated";
    case DropReason::kTcpBadOffset: return "tcp_bad_offset";
    case DropReason::kUdpTruncated: return "udp_truncated";
    case DropReason::kUdpBadLen: return "udp_bad_len";
    case DropReason::kIcmpTruncated: return "icmp_truncated";
    case DropReason::kNdBadOption: return "nd_bad_option";
    case DropReason::kNoOutput: return "no_output";
    case DropReason::kExplicitDrop: return "explicit_drop";
    case DropReason::kTableMiss: return "table_miss";
    case DropReason::kLoopLimit: return "loop_limit";
    case DropReason::kTtlExpired: return "ttl_expired";
    case DropReason::kNotIp: return "not_ip";
    case DropReason::kNoRoom: return "no_room";
    case DropReason::kDecapMalformed: return "decap_malformed";
    case DropReason::kCtInvalid: return "ct_invalid";
    case DropReason::kCtTableFull: return "ct_table_full";
    case DropReason::kCtNatExhausted: return "ct_nat_exhausted";
    case DropReason::kCloneDepth: return "clone_depth";
    case DropReason::kTooBig: return "too_big";
    case DropReason::kCount: break;
  }
  return "unknown";
}

}  // namespace loom
