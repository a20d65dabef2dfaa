// datapath/core/classifier.h — one table: tuple-space search over masked flow keys.
//
// Owns: `Match` (value + mask over a FlowKey), `Entry` (priority, match, program, cookie,
// counters) and `Table` (immutable once built: one hash subtable per distinct mask,
// subtables sorted by their highest priority so a lookup stops as soon as no remaining
// subtable can beat the best hit).
// Reads: FlowKey. Called by: PipelineBuilder (build), Executor (lookup), tests/bench.
// Never: modify a built Table (new versions build new Tables); allocate/lock in lookup().
// Invariants (checked by Table::build, which returns an error instead of a table):
// no two entries with the same priority can match the same key (same-priority overlap
// is rejected, so the result never depends on insertion order); value & ~mask == 0.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/actions.h"
#include "core/flow.h"

namespace loom {

constexpr unsigned kMaxThreads = 8;  // forwarding threads that can count per entry

struct Match {
  FlowKey value;  // value & ~mask == 0
  FlowKey mask;
  bool matches(const FlowKey& k) const noexcept {
    for (unsigned i = 0; i < kKeyWords; ++i)
      if ((k.w[i] & mask.w[i]) != value.w[i]) return false;
    return true;
  }
};

// Per-thread counters: thread i only writes slot i (relaxed), readers sum.
struct EntryStats {
  struct alignas(64) Slot {
    std::atomic<uint64_t> packets{0};
    std::atomic<uint64_t> bytes{0};
  };
  Slot slot[kMaxThreads];
  void add(unsigned thread, uint32_t bytes) noexcept {
    Slot& s = slot[thread];
    s.packets.store(s.packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    s.bytes.store(s.bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
  }
  // n packets of `bytes` bytes in all (the flow cache's per-burst counts).
  void add_n(unsigned thread, uint64_t n, uint64_t bytes) noexcept {
    Slot& s = slot[thread];
    s.packets.store(s.packets.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    s.bytes.store(s.bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
  }
  uint64_t packets() const noexcept;
  uint64_t bytes() const noexcept;
};

struct Entry {
  uint16_t table = 0;
  uint32_t priority = 0;
  Match match;
  Program program;
  uint64_t cookie = 0;
  // The program never leads to another lookup (no goto, resubmit, group, ct, dec_ttl
  // with a goto): a path that hits this entry ends with it. Set by build_pipeline;
  // false (unknown) for entries made elsewhere. The flow cache skips such one-step paths.
  bool ends_path = false;
  // The program is exactly one goto_table (OVN's many "next;" entries): its table, else -1.
  // Set by build_pipeline; lets the executor skip interpreting it.
  int32_t goto_only = -1;
  // The program has only output, ct and goto_table actions (the executor's replay runs it
  // without the general interpreter). Set by build_pipeline; false elsewhere.
  bool simple = false;
  // Shared with later versions of the same entry (modify keeps counters).
  std::shared_ptr<EntryStats> stats = std::make_shared<EntryStats>();
};

struct ClassifierError {
  std::string code;     // "overlap", "duplicate", "bad_mask"
  std::string message;  // names both entries (priority, cookie)
  const Entry* entry = nullptr;  // the offending entry
  const Entry* other = nullptr;  // the entry it clashes with
};

class Table {
 public:
  // Builds from entries (shared with other versions). On error returns nullptr and
  // fills err.
  static std::shared_ptr<const Table> build(std::vector<std::shared_ptr<const Entry>> entries,
                                            ClassifierError& err);
  // `prev` plus `added` (entries that only add to it): unchanged subtables are shared,
  // the ones that grow are copied and extended, and only the added entries are checked
  // for overlaps — O(added + size of the touched subtables' slot arrays), not a rebuild.
  // Same result and same errors as build(prev.entries() + added).
  static std::shared_ptr<const Table> extend(const Table& prev, std::vector<std::shared_ptr<const Entry>> added,
                                             ClassifierError& err);
  // The general incremental form: `removed` (entries of prev) go, `added` come; only the
  // subtables they touch are copied. Same result and errors as a full build.
  static std::shared_ptr<const Table> update(const Table& prev, const std::unordered_set<const Entry*>& removed,
                                             std::vector<std::shared_ptr<const Entry>> added, ClassifierError& err);
  // The entry with exactly this priority and match, or nullptr (control path).
  const Entry* find_exact(uint32_t priority, const Match& m) const noexcept;
  // Highest-priority entry matching k, or nullptr. Lock-free, allocation-free.
  const Entry* lookup(const FlowKey& k) const noexcept;

  const std::vector<std::shared_ptr<const Entry>>& entries() const noexcept { return entries_; }
  // Unique per built table (never reused in the process): flow caches key on it.
  uint64_t generation() const noexcept { return generation_; }
  size_t subtable_count() const noexcept { return subtables_.size(); }
  // Words in which any entry's mask is non-zero; lookup depends only on these.
  const std::vector<uint8_t>& used_words() const noexcept { return used_words_; }
  const FlowKey& union_mask() const noexcept { return union_mask_; }
  // Every entry's program ends the path (Entry::ends_path): a hit here is the last lookup.
  bool all_end_path() const noexcept { return all_end_path_; }

  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

 private:
  Table() = default;
  void finish();  // sorts subtables, computes union mask and used words
  void note_paths();  // all_end_path_ from entries_
  struct Subtable;
  std::vector<std::shared_ptr<const Entry>> entries_;
  std::vector<std::shared_ptr<const Subtable>> subtables_;  // shared between versions
  std::vector<uint8_t> used_words_;
  FlowKey union_mask_;
  // Non-empty when the table's one subtable matches exactly in_port (all ports below
  // kDirectInPorts): entry per in_port value, nullptr where none matches.
  static constexpr uint64_t kDirectInPorts = 4096;
  std::vector<const Entry*> by_in_port_;
  uint64_t direct_n_ = 0;  // by_in_port_.size() when in use, else 0 (one load on lookup)
  uint64_t generation_ = 0;
  bool all_end_path_ = true;
};

}  // namespace loom
