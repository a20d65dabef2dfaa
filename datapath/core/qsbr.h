// datapath/core/qsbr.h — quiescent-state based reclamation for pipeline versions.
//
// Owns: `Qsbr`: forwarding threads register, report a quiescent state between bursts
// (they hold no pointer into a pipeline version then) and go offline before sleeping;
// the control thread takes a token after unpublishing something and may free it once
// every online thread has reported since that token (DPDK rte_rcu_qsbr's idea).
// Reads: nothing. Called by: Executor (quiescent/online/offline), Core (start/check).
// Never: block a forwarding thread; quiescent()/online()/offline() are two atomic ops.
// Invariants: a thread's counter is 0 while offline, else the last token it observed;
// tokens only grow.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/classifier.h"  // kMaxThreads

namespace loom {

class Qsbr {
 public:
  // Returns a thread index in [0, kMaxThreads), or -1 when all slots are taken.
  int register_thread() noexcept;
  void unregister_thread(unsigned id) noexcept;

  void quiescent(unsigned id) noexcept {
    slot_[id].seen.store(token_.load(std::memory_order_acquire), std::memory_order_release);
  }
  void offline(unsigned id) noexcept { slot_[id].seen.store(0, std::memory_order_release); }
  // Going online is a store (seen) followed by loads (the pipeline pointer): without a
  // full fence the loads may pass the store, so a writer could still read seen == 0,
  // free the version, and this thread then use it (DPDK's rte_rcu_qsbr_thread_online
  // fences for the same reason). Pairs with the fence in start().
  void online(unsigned id) noexcept {
    slot_[id].seen.store(token_.load(std::memory_order_acquire), std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
  }

  // Writer side: a token to wait for, after the old pointer was unpublished. The fence
  // orders that unpublishing store before check()'s loads of the readers' states.
  uint64_t start() noexcept {
    const uint64_t t = token_.fetch_add(1, std::memory_order_seq_cst) + 1;
    std::atomic_thread_fence(std::memory_order_seq_cst);
    return t;
  }
  // True when every online registered thread has reported a state at or after `token`.
  bool check(uint64_t token) const noexcept;

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> seen{0};
    std::atomic<bool> used{false};
  };
  std::atomic<uint64_t> token_{1};
  Slot slot_[kMaxThreads];
};

}  // namespace loom
