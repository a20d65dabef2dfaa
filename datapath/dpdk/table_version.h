// datapath/dpdk/table_version.h — the contract between the forwarding loop and the tables.
//
// Owns: the small interfaces the burst loop needs from "whatever decides where a packet
//   goes": `WorkerPipeline` (one worker's burst-wise view of the running pipeline),
//   `TableVersion` (one immutable published version of the shell's own L2 table) and
//   `BurstSink` (where a decision lands: a tx buffer, a drop counter, the packet-in queue).
// Reads: nothing. Called by: datapath.cc (worker loop); implemented by simple_table.h/.cc
//   and core_pipeline.h; BurstSink by datapath.cc's WorkerSink.
// Never: a TableVersion is never mutated after publication; process() never allocates,
//   locks, logs, makes syscalls or throws (it runs on a forwarding lcore).
// Invariants: every mbuf handed to process() ends in exactly one emit(last=true) or
//   drop(); emit(last=false) and packet_in() copy and leave the mbuf with the caller.
#pragma once
#include <cstdint>

struct rte_mbuf;

namespace loom::dp {

inline constexpr unsigned kMaxWorkers = 16;  // forwarding lcores per process

// Named drop reasons, counted per lcore. Keep in sync with kDropReasonNames.
enum DropReason : uint8_t {
  kDropNoMatch = 0,     // table miss with a drop miss action
  kDropRule,            // an explicit drop action
  kDropBadPort,         // output to a port that does not exist (any more)
  kDropTxFull,          // the port's tx queue took only part of a burst
  kDropPacketInFull,    // packet-in queue or record pool exhausted
  kDropMalformed,       // parser refused the packet
  kDropCopyFailed,      // no mbuf to copy a multi-output packet
  kDropCore,            // any drop by the core executor (its reasons are reported by name too)
  kDropReasonCount
};
inline constexpr const char* kDropReasonNames[kDropReasonCount] = {
    "table_miss", "explicit_drop", "bad_port", "tx_full", "packet_in_full", "malformed", "copy_failed", "core"};

class BurstSink {
 public:
  // Queue `m` for transmission on `port`. last_use=false: the sink sends a copy and the
  // caller keeps `m`.
  virtual void emit(uint16_t port, rte_mbuf* m, bool last_use) = 0;
  virtual void drop(rte_mbuf* m, DropReason why) = 0;
  // Copies a packet into the packet-in queue (the caller keeps and later frees its buffer).
  virtual void packet_in(const uint8_t* data, uint32_t len, uint16_t in_port, uint32_t reason,
                         uint16_t table, uint64_t cookie) = 0;
  // Counts a drop decided elsewhere (the core) without freeing anything.
  virtual void count_drop(DropReason why) = 0;
  // Allocates an mbuf holding a copy of data (nullptr when the pool is empty).
  virtual rte_mbuf* copy_bytes(const uint8_t* data, uint32_t len) = 0;
 protected:
  ~BurstSink() = default;
};

class TableVersion {
 public:
  virtual ~TableVersion() = default;
  // Decide the fate of one packet received on `in_port` by forwarding worker `worker`.
  virtual void process(rte_mbuf* m, uint16_t in_port, unsigned worker, BurstSink& sink) const = 0;
};

// Logical metadata a packet-out may carry into the pipeline (OVN's packet-out to a
// logical datapath/port). Lives in the mbuf's private area; all zero for received packets.
struct PacketMeta {
  uint32_t metadata = 0, inport = 0, outport = 0, flags = 0;
};

// One forwarding worker's view of the pipeline, created on that worker. Burst protocol:
// begin_burst, process per packet, end_burst (a quiescent state); go_offline before sleeping.
class WorkerPipeline {
 public:
  virtual ~WorkerPipeline() = default;
  virtual void begin_burst(uint64_t now_ns) = 0;
  virtual void process(rte_mbuf* m, uint16_t in_port, BurstSink& sink, uint16_t start_table,
                       const PacketMeta* meta = nullptr) = 0;
  virtual void end_burst() = 0;
  virtual void go_offline() = 0;
  // A received vector from one port, in order: one virtual call per burst rather than per
  // packet. Prefetches each next packet's first line while the current one runs.
  virtual void process_burst(rte_mbuf** pkts, uint16_t n, uint16_t in_port, BurstSink& sink);  // datapath.cc
};

}  // namespace loom::dp
