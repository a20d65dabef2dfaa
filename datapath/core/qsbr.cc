// datapath/core/qsbr.cc — see qsbr.h.
#include "core/qsbr.h"

namespace loom {

int Qsbr::register_thread() noexcept {
  for (unsigned i = 0; i < kMaxThreads; ++i) {
    bool expected = false;
    if (slot_[i].used.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      slot_[i].seen.store(0, std::memory_order_release);  // starts offline
      return static_cast<int>(i);
    }
  }
  return -1;
}

void Qsbr::unregister_thread(unsigned id) noexcept {
  slot_[id].seen.store(0, std::memory_order_release);
  slot_[id].used.store(false, std::memory_order_release);
}

bool Qsbr::check(uint64_t token) const noexcept {
  for (const Slot& s : slot_) {
    if (!s.used.load(std::memory_order_acquire)) continue;
    const uint64_t seen = s.seen.load(std::memory_order_acquire);
    if (seen != 0 && seen < token) return false;
  }
  return true;
}

}  // namespace loom
