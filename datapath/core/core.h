// datapath/core/core.h — the shared state of one datapath: published pipeline, QSBR,
// conntrack and neighbour cache.
//
// Owns: the pointer to the current Pipeline (one atomic store publishes a version),
// retired versions waiting for their grace period, and the process-wide tables that
// outlive versions (conntrack, neighbour cache).
// Reads: build_pipeline (pipeline.h). Called by: the addon's control thread (apply,
// snapshot, reclaim), Executors (current, qsbr, conntrack, neigh).
// Never: free a version a forwarding thread may still read (only after qsbr.check()).
// Invariants: current() is never null; apply() is all or nothing and serialised by an
// internal mutex (control path only, never taken by forwarding threads).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>

#include "core/conntrack.h"
#include "core/neigh.h"
#include "core/pipeline.h"
#include "core/qsbr.h"

namespace loom {

struct CoreConfig {
  CtConfig ct;
  uint32_t neigh_capacity = 4096;
};

class Core {
 public:
  explicit Core(const CoreConfig& cfg = {});
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Control thread. Builds the next version from the current one + batch and publishes
  // it; returns it, or nullptr with err filled (nothing changed). Also reclaims.
  std::shared_ptr<const Pipeline> apply(const Batch& batch, BuildError& err);
  // The current version, kept alive by the caller (stats, dumps, trace).
  std::shared_ptr<const Pipeline> snapshot() const;
  // Frees retired versions whose grace period passed; returns how many are still waiting.
  size_t reclaim();
  // Waits (sleeping, bounded by timeout_ms) until every retired version is freed.
  bool synchronize(uint32_t timeout_ms);

  // Forwarding threads: valid between Qsbr online/quiescent reports.
  const Pipeline* current() const noexcept { return current_.load(std::memory_order_acquire); }
  Qsbr& qsbr() noexcept { return qsbr_; }
  Conntrack& conntrack() noexcept { return ct_; }
  NeighCache& neigh() noexcept { return neigh_; }

 private:
  mutable std::mutex mu_;  // control path only
  std::shared_ptr<const Pipeline> owned_;  // the current version's owner
  std::atomic<const Pipeline*> current_{nullptr};
  struct Retired { uint64_t token; std::shared_ptr<const Pipeline> p; };
  std::deque<Retired> retired_;
  Qsbr qsbr_;
  Conntrack ct_;
  NeighCache neigh_;
};

}  // namespace loom
