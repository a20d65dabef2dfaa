// datapath/core/actions.h — the action set an entry (or a group bucket) runs.
//
// Owns: one struct per action and `Action` (a variant of them), `Program` (a list).
// Reads: Field (flow.h). Called by: the addon (builds them from JS), PipelineBuilder
// (validates them), Executor (runs them).
// Never: hold pointers into a pipeline version; everything is by value or id.
// Invariants: once a Program is inside a published Pipeline it is immutable and valid
// (validate_program() passed): fields writable, tables < kMaxTables, groups exist.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "core/flow.h"

namespace loom {

constexpr unsigned kMaxTables = 256;

// set_field: field = (field & ~mask) | (value & mask). Packet fields rewrite the bytes
// (and fix IPv4/TCP/UDP/ICMP checksums); supported packet fields: eth_src, eth_dst,
// vlan_tci (outer tag VID/PCP), ip4_src, ip4_dst, ip6_src, ip6_dst, ip_ttl, ip_tos, l4_src,
// l4_dst, arp_op/spa/tpa/sha/tha, icmp_type/code, nd_target/sll/tll (existing option only).
// A write whose header is absent from the packet (e.g. ip4_dst on ARP) is a no-op.
struct SetField { Field field; U128 value; U128 mask; };
// move: dst[dst_ofs, +nbits) = src[src_ofs, +nbits) (OVS move / OVN "a = b" and "a <-> b").
struct Move { Field src; uint8_t src_ofs; Field dst; uint8_t dst_ofs; uint8_t nbits; };
// goto_table: continue in `table` (> the current table); ends this program.
struct GotoTable { uint16_t table; };
// resubmit: run `table` now (any table), then continue with the next action.
struct Resubmit { uint16_t table; };
// output: send (a copy of) the packet as it is now to a physical port.
struct Output { uint32_t port; };
// group: run every bucket of group `group` on its own copy of the packet and metadata
// (OpenFlow "all" group: flooding, multicast groups). Buckets skip nothing implicitly.
struct GroupOut { uint32_t group; };
// drop: stop here; outputs already done stand.
struct Drop {};

enum class NatKind : uint8_t { kNone, kSrc, kDst };
struct CtBackend { uint32_t ip; uint16_t port; };  // port 0 = keep the destination port
struct CtBackend6 { U128 ip; uint16_t port; };      // IPv6 backends (same rules)
// ct: track the packet in `zone` (or the low 16 bits of zone_field when use_zone_field),
// fill ct_state/ct_mark/ct_label; if commit and the connection is new, create it, with
// NAT (src or dst, address range [addr_min, addr_max], port range [port_min, port_max],
// 0/0 = keep ports) or load balancing to `backends` (chosen by flow hash; implies dst NAT
// and commit). Established connections get their NAT applied in both directions whatever
// this action says. IPv6 packets use addr6_min/addr6_max (only the low 64 bits may
// differ) and backends6 instead. set_mark/set_label apply on commit. If table >= 0, execution
// continues in that table (recirculation) and this program ends; if table < 0, with the
// next action. drop_invalid: invalid packets are dropped (kCtInvalid) instead of marked.
struct Ct {
  uint16_t zone = 0;
  bool use_zone_field = false;
  Field zone_field = Field::kReg13;
  bool commit = false;
  NatKind nat = NatKind::kNone;
  uint32_t addr_min = 0, addr_max = 0;
  uint16_t port_min = 0, port_max = 0;
  std::vector<CtBackend> backends;
  U128 addr6_min, addr6_max;
  std::vector<CtBackend6> backends6;
  bool set_mark = false;
  uint32_t mark = 0, mark_mask = 0;
  bool set_label = false;
  U128 label, label_mask;
  int16_t table = -1;
  bool drop_invalid = false;
  // No NAT and no backends (so no flow hash is needed). Set by build_pipeline; false
  // (unknown: the executor checks the fields) for actions built elsewhere.
  bool tracking_only = false;
};
// ct_clear: forget the tracking state (ct_state/zone/mark/label = 0).
struct CtClear {};
// dec_ttl: IPv4 ttl / IPv6 hop limit - 1 (with checksum update). When the ttl is <= 1
// the packet is not modified and: kDrop drops (kTtlExpired), kGoto continues in `table`
// (e.g. a table that builds ICMP time exceeded), kPacketIn sends it to JS with `reason`.
struct DecTtl {
  enum OnError : uint8_t { kDrop, kGoto, kPacketIn } on_error = kDrop;
  uint16_t table = 0;
  uint16_t reason = 0;
};
// push_vlan: prepend an 802.1Q (tpid 0x8100) or 802.1ad (0x88a8) tag with `tci`.
struct PushVlan { uint16_t tpid = 0x8100; uint16_t tci = 0; };
// pop_vlan: remove the outer tag (no-op on an untagged packet).
struct PopVlan {};
// encap: prepend Ethernet + IPv4 + UDP + VXLAN (RFC 7348) or Geneve (RFC 8926) headers.
// UDP source port = 49152 + flow hash % 16384 (RFC 7348 §5). VNI = vni, or the low 24 bits
// of vni_field when use_vni_field. Geneve carries OVN's option (class 0x0102, type 0x80,
// 4 bytes: inport 15 bits << 16 | outport 16 bits) from md.inport / md.outport.
enum class TunnelKind : uint8_t { kVxlan, kGeneve };
struct Encap {
  TunnelKind kind = TunnelKind::kVxlan;
  uint64_t eth_src = 0, eth_dst = 0;
  uint32_t ip_src = 0, ip_dst = 0;
  uint8_t ttl = 64;
  uint16_t dst_port = 0;  // 0 = 4789 (VXLAN) / 6081 (Geneve)
  uint32_t vni = 0;
  bool use_vni_field = false;
  Field vni_field = Field::kMetadata;
};
// decap: strip outer Ethernet/IPv4/UDP/VXLAN-or-Geneve, set tun_id/tun_src/tun_dst/
// tun_opt, re-parse the inner frame and continue. Non-matching packets drop
// (kDecapMalformed). Accepts VXLAN on 4789 and Geneve on 6081 (or on dst_port if set).
struct Decap { uint16_t dst_port = 0; };  // dst_port != 0: a Geneve tunnel on that UDP port
// neigh_store: learn (md.metadata, ip) -> mac into the neighbour cache (OVN put_arp/put_nd
// without a round trip). ip is ip4/ip6/arp_spa/a register; mac is eth_src/arp_sha/...
struct NeighStore { Field ip; Field mac; };
// neigh_lookup: look (md.metadata, ip) up; on a hit write the MAC into `mac` (e.g. eth_dst)
// and set bit `result_bit` of `result`, on a miss clear that bit (OVN get_arp/lookup_arp).
struct NeighLookup { Field ip; Field mac; Field result; uint8_t result_bit; };
// packet_in: hand a copy to JS (Sink::packet_in) with `reason`; execution continues.
struct PacketIn { uint16_t reason = 0; };

using Action = std::variant<SetField, Move, GotoTable, Resubmit, Output, GroupOut, Drop, Ct,
                            CtClear, DecTtl, PushVlan, PopVlan, Encap, Decap, NeighStore,
                            NeighLookup, PacketIn>;
using Program = std::vector<Action>;

}  // namespace loom
