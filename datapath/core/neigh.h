// datapath/core/neigh.h — the neighbour cache (IP -> MAC per logical datapath).
//
// Owns: a fixed-size, open-addressed table of (datapath, ip) -> mac that the
// neigh_store action learns into and neigh_lookup reads (OVN's put_arp/get_arp without a
// controller round trip), and that JS can also fill/read/flush (MAC_Binding rows).
// Reads: nothing. Called by: Executor (fast path), the addon (control).
// Never: allocate after construction, block, or hand out torn entries (each slot is a
// seqlock: writers that find it busy give up — learning is best effort).
// Invariants: capacity is a power of two; an entry lives in one of kProbe slots from its
// hash; a full probe window evicts the oldest-written slot.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/flow.h"

namespace loom {

class NeighCache {
 public:
  explicit NeighCache(uint32_t capacity = 4096);
  // ip: IPv4 as {0, addr}, IPv6 as {hi, lo}.
  bool store(uint32_t datapath, U128 ip, uint64_t mac) noexcept;
  bool lookup(uint32_t datapath, U128 ip, uint64_t& mac) const noexcept;
  bool remove(uint32_t datapath, U128 ip) noexcept;
  void clear() noexcept;
  struct Item { uint32_t datapath; U128 ip; uint64_t mac; };
  std::vector<Item> dump() const;  // control thread only
  uint32_t capacity() const noexcept { return cap_; }

 private:
  static constexpr unsigned kProbe = 8;
  struct Slot {
    std::atomic<uint32_t> seq{0};  // odd while being written
    std::atomic<uint32_t> datapath{0};
    std::atomic<uint64_t> ip_hi{0}, ip_lo{0}, mac{0};
    std::atomic<uint32_t> stamp{0};
    std::atomic<bool> used{false};
  };
  uint32_t cap_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<uint32_t> clock_{0};
};

}  // namespace loom
