// datapath/dpdk/simple_table.h — the shell's own minimal table: an L2 classifier.
//
// Owns: `SimpleTable` (one immutable version: entries sorted by priority, linear match on
//   in_port / eth.src / eth.dst / eth.type with masks; actions output, drop, packet_in)
//   and `SimpleTableBuilder` (next version = previous + a batch, all or nothing).
// Reads: packet bytes (Ethernet header only, bounded by data_len).
// Called by: datapath.cc (build/publish), forwarder.cc through TableVersion::process.
// Why it exists: the shell must forward real packets before (and independently of) the
//   core's classifier; it is the fallback pipeline and the "plain L2" baseline in bench.
// Never: mutates a published version; allocates on the fast path.
// Invariants: entries are sorted by descending priority, cookies are unique, no two
//   entries of the same priority overlap (rejected at build).
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "table_version.h"

namespace loom::dp {

struct alignas(64) EntryCounter {
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};
};
// Per-entry counters, one cache line per worker; shared by every version holding the entry
// so that a modify keeps its counts.
struct EntryCounters {
  std::array<EntryCounter, kMaxWorkers> per_worker;
  uint64_t packets() const;
  uint64_t bytes() const;
};

struct SimpleAction {
  enum Kind : uint8_t { kOutput, kDrop, kPacketIn, kInPort } kind = kDrop;
  uint16_t port = 0;      // kOutput
  uint32_t reason = 0;    // kPacketIn
};

struct SimpleMatch {
  bool has_in_port = false;
  uint16_t in_port = 0;
  std::array<uint8_t, 6> eth_dst{}, eth_dst_mask{};  // all-zero mask: wildcard
  std::array<uint8_t, 6> eth_src{}, eth_src_mask{};
  uint16_t eth_type = 0, eth_type_mask = 0;
  bool overlaps(const SimpleMatch& o) const;
  bool operator==(const SimpleMatch& o) const {
    return has_in_port == o.has_in_port && (!has_in_port || in_port == o.in_port) &&
           eth_dst == o.eth_dst && eth_dst_mask == o.eth_dst_mask && eth_src == o.eth_src &&
           eth_src_mask == o.eth_src_mask && eth_type == o.eth_type && eth_type_mask == o.eth_type_mask;
  }
  bool matches(uint16_t port, const uint8_t* eth, uint32_t len) const;
};

struct SimpleEntry {
  uint64_t cookie = 0;
  uint32_t priority = 0;
  SimpleMatch match;
  std::vector<SimpleAction> actions;  // empty = drop
  std::shared_ptr<EntryCounters> counters;
};

struct SimpleOp {
  // kAdd: new (priority, match); kModify/kDelete: the entry with that (priority, match);
  // kDeleteCookie: every entry with the cookie; kClear: everything.
  enum Kind : uint8_t { kAdd, kModify, kDelete, kDeleteCookie, kClear } kind = kAdd;
  SimpleEntry entry;
};

struct BuildError {
  std::string code;      // LoomError code, e.g. "duplicate_cookie"
  std::string message;
  size_t index = 0;      // index of the offending op in the batch
  std::string field;
  std::string value;
};

class SimpleTable final : public TableVersion {
 public:
  void process(rte_mbuf* m, uint16_t in_port, unsigned worker, BurstSink& sink) const override;
  const std::vector<SimpleEntry>& entries() const { return entries_; }
  // Next version from this one plus `ops`; nullopt result with `err` set on rejection.
  std::unique_ptr<SimpleTable> apply(const std::vector<SimpleOp>& ops, BuildError& err) const;

 private:
  std::vector<SimpleEntry> entries_;
};

// A worker's view of the shell's table: loads the published version once per burst. The
// shell's own RCU (Datapath) protects it, so end_burst/go_offline have nothing to do.
class SimpleWorkerPipeline final : public WorkerPipeline {
 public:
  SimpleWorkerPipeline(const std::atomic<const TableVersion*>& slot, unsigned worker)
      : slot_(slot), worker_(worker) {}
  void begin_burst(uint64_t) override { tv_ = slot_.load(std::memory_order_acquire); }
  void process(rte_mbuf* m, uint16_t in_port, BurstSink& sink, uint16_t, const PacketMeta*) override {
    if (tv_) tv_->process(m, in_port, worker_, sink);
    else sink.drop(m, kDropNoMatch);
  }
  void end_burst() override { tv_ = nullptr; }
  void go_offline() override { tv_ = nullptr; }

 private:
  const std::atomic<const TableVersion*>& slot_;
  const TableVersion* tv_ = nullptr;
  unsigned worker_;
};

}  // namespace loom::dp
