// datapath/core/packet.h — the packet view and per-packet metadata the core works on.
//
// Owns: `Packet` (a view over the shell's buffer that actions edit in place), `Metadata`
// (the registers a pipeline reads and writes, OVN's names), `DropReason` (every named,
// counted reason a packet dies in the core) and `Sink` (how the core hands packets back).
// Reads: nothing. Called by: the DPDK shell (datapath/dpdk) fills a Packet from an
// rte_mbuf and implements Sink; parser/executor/conntrack use these types.
// Never: allocate, lock, log or throw on anything here; no DPDK types (opaque is void*).
// Invariants: data - headroom .. data + len + tailroom lies inside one buffer owned by
// the shell; actions that prepend/strip adjust data/len/headroom/tailroom together so
// headroom + len + tailroom stays constant.
#pragma once

#include <cstdint>

namespace loom {

constexpr unsigned kNumRegs = 16;

// Per-packet metadata, named as in OVN's physical pipeline. `metadata` is the logical
// datapath key, `inport`/`outport` the logical port keys (OVN's reg14/reg15).
struct Metadata {
  uint32_t in_port = 0;   // physical port id, set by the shell on rx
  uint32_t metadata = 0;  // logical datapath key
  uint32_t inport = 0;    // logical ingress port key
  uint32_t outport = 0;   // logical egress port key
  uint32_t reg[kNumRegs] = {};
  uint16_t ct_state = 0;  // CtState bits below
  uint16_t ct_zone = 0;
  uint32_t flags = 0;     // free-form flag bits for the pipeline (OVN's MFF_LOG_FLAGS)
  uint32_t ct_mark = 0;
  uint64_t ct_label_hi = 0, ct_label_lo = 0;
  uint32_t tun_id = 0;    // VNI of the tunnel the packet came in on (24 bits)
  uint32_t tun_src = 0, tun_dst = 0;  // outer IPv4 addresses, host byte order
  uint32_t tun_opt = 0;   // OVN Geneve option 0x0102/0x80: (inport << 16) | outport
  uint32_t hash = 0;      // flow hash (shell may fill from RSS; 0 = core computes)
  uint16_t pin_reason = 0;  // packet-in: reason given by the packet_in action / miss
  uint16_t pin_table = 0;   // packet-in: table whose entry (or miss) sent it
  uint64_t pin_cookie = 0;  // packet-in: cookie of that entry (0 on a miss)
};

// OVS/OVN ct_state bits.
namespace ct_state {
constexpr uint16_t kNew = 0x01, kEst = 0x02, kRel = 0x04, kRpl = 0x08, kInv = 0x10,
                   kTrk = 0x20, kSnat = 0x40, kDnat = 0x80;
}

// Every reason the core drops a packet. Parser reasons come first. Keep `kCount` last;
// drop_reason_name() gives the operator-facing name (snake case, stable).
enum class DropReason : uint16_t {
  kNone = 0,
  // parser (RFC citations in parser.cc)
  kEthTruncated,
  kVlanTruncated,
  kIp4Truncated,
  kIp4BadVersion,
  kIp4BadIhl,
  kIp4BadTotalLen,
  kIp6Truncated,
  kIp6BadVersion,
  kIp6BadPayloadLen,
  kIp6ExtTruncated,
  kIp6ExtTooMany,
  kArpTruncated,
  kArpBadFormat,
  kTcpTruncated,
  kTcpBadOffset,
  kUdpTruncated,
  kUdpBadLen,
  kIcmpTruncated,
  kNdBadOption,
  // executor
  kNoOutput,         // the pipeline finished without output (OVN's implicit drop)
  kExplicitDrop,     // a `drop` action
  kTableMiss,        // a table miss whose miss action is drop
  kLoopLimit,        // too many resubmits / recirculations
  kTtlExpired,       // dec_ttl on ttl <= 1 with on_error = drop
  kNotIp,            // an IP-only action on a non-IP packet
  kNoRoom,           // encap/push without enough headroom
  kDecapMalformed,   // decap on a packet that is not the expected tunnel
  kCtInvalid,        // conntrack said invalid and the action asked to drop invalid
  kCtTableFull,      // conntrack could not commit: table full
  kCtNatExhausted,   // conntrack could not find a free NAT tuple
  kCloneDepth,       // groups nested deeper than kMaxCloneDepth
  kTooBig,           // a frame larger than kMaxFrame where a copy was needed
  kCount
};

const char* drop_reason_name(DropReason r) noexcept;

// A packet as the core sees it: a window over the shell's buffer.
struct Packet {
  uint8_t* data = nullptr;
  uint32_t len = 0;
  uint32_t headroom = 0;  // bytes writable before data
  uint32_t tailroom = 0;  // bytes writable after data + len
  void* opaque = nullptr; // the shell's rte_mbuf; never touched by the core
  Metadata md;
};

// Implemented by the shell. Ownership: the shell owns the buffer. emit(..., last_use=true)
// hands the buffer over (the shell syncs its mbuf from data/len/headroom and sends it);
// with last_use=false the shell must copy data[0..len) before returning — the bytes may
// change or live in the executor's scratch space. When run() returns without a
// last_use=true emit, the shell frees the buffer. drop() is called exactly once for a
// packet that produced no emit and no packet_in, for per-reason counting.
// emit_md: whether emit() reads pkt.md. A sink that only forwards bytes (the DPDK shell)
// clears it so the executor skips writing the metadata back for every output
// (packet_in always gets it).
class Sink {
 public:
  virtual ~Sink() = default;
  bool emit_md = true;
  virtual void emit(uint32_t port, const Packet& pkt, bool last_use) = 0;
  virtual void packet_in(const Packet& pkt, uint16_t reason) = 0;  // copy pkt.data; md has pin_*
  virtual void drop(const Packet& pkt, DropReason reason) = 0;
};

}  // namespace loom
