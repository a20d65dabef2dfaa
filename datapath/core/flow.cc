// datapath/core/flow.cc — field table and key helpers (see flow.h).
#include "core/flow.h"

#include <cstddef>
#include <cstring>

namespace loom {

namespace {

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


}  // namespace


bool field_by_name(const char* name, Field& out) noexcept {
  if (name == nullptr) return false;
  for (unsigned i = 0; i < kNumFields; ++i) {
    if (std::strcmp(kFieldTable[i].name, name) == 0) {
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




void key_from_md(FlowKey& k, const Metadata& md) noexcept {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // On little-endian hosts Metadata's first 88 bytes already have the layout of words
  // 0..10 (each word = low field | high field << 32/16): one block copy instead of ~35
  // shifts and ors per packet.
  static_assert(offsetof(Metadata, in_port) == 0 && offsetof(Metadata, metadata) == 4 &&
                    offsetof(Metadata, inport) == 8 && offsetof(Metadata, outport) == 12 &&
                    offsetof(Metadata, reg) == 16 && kNumRegs == 16 &&
                    offsetof(Metadata, ct_state) == 80 && offsetof(Metadata, ct_zone) == 82 &&
                    offsetof(Metadata, flags) == 84,
                "Metadata words 0..10 layout");
  std::memcpy(&k.w[0], &md, 88);
#else
  k.w[0] = md.in_port | (uint64_t{md.metadata} << 32);
  k.w[1] = md.inport | (uint64_t{md.outport} << 32);
  for (unsigned i = 0; i < kNumRegs / 2; ++i)
    k.w[2 + i] = md.reg[2 * i] | (uint64_t{md.reg[2 * i + 1]} << 32);
  k.w[10] = md.ct_state | (uint64_t{md.ct_zone} << 16) | (uint64_t{md.flags} << 32);
#endif
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
