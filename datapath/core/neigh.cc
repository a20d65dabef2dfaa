// datapath/core/neigh.cc — see neigh.h. Each slot is a seqlock: a writer makes seq odd
// (compare-exchange, giving up if another writer holds it), writes, makes it even;
// readers retry a bounded number of times when they see an odd or changed seq.
#include "core/neigh.h"

namespace loom {

namespace {
uint64_t neigh_hash(uint32_t dp, U128 ip) noexcept {
  uint64_t h = (ip.lo ^ (ip.hi * 0x9e3779b97f4a7c15ull) ^ (uint64_t{dp} << 40)) * 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 31);
}
}  // namespace

NeighCache::NeighCache(uint32_t capacity) {
  uint32_t c = 16;
  while (c < capacity) c <<= 1;
  cap_ = c;
  slots_.reset(new Slot[c]);
}

bool NeighCache::store(uint32_t dp, U128 ip, uint64_t mac) noexcept {
  const uint64_t h = neigh_hash(dp, ip);
  const uint32_t stamp = clock_.fetch_add(1, std::memory_order_relaxed) + 1;
  Slot* victim = nullptr;
  uint32_t oldest = UINT32_MAX;
  for (unsigned i = 0; i < kProbe; ++i) {
    Slot& s = slots_[(h + i) & (cap_ - 1)];
    if (!s.used.load(std::memory_order_acquire)) {
      if (victim == nullptr || oldest != 0) { victim = &s; oldest = 0; }
      continue;
    }
    if (s.datapath.load(std::memory_order_relaxed) == dp && s.ip_hi.load(std::memory_order_relaxed) == ip.hi &&
        s.ip_lo.load(std::memory_order_relaxed) == ip.lo) {
      victim = &s;
      break;
    }
    const uint32_t st = s.stamp.load(std::memory_order_relaxed);
    if (oldest != 0 && st < oldest) { victim = &s; oldest = st; }
  }
  if (victim == nullptr) return false;
  uint32_t seq = victim->seq.load(std::memory_order_acquire);
  if ((seq & 1) || !victim->seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acq_rel))
    return false;  // someone else is writing this slot: learning is best effort
  victim->datapath.store(dp, std::memory_order_relaxed);
  victim->ip_hi.store(ip.hi, std::memory_order_relaxed);
  victim->ip_lo.store(ip.lo, std::memory_order_relaxed);
  victim->mac.store(mac, std::memory_order_relaxed);
  victim->stamp.store(stamp, std::memory_order_relaxed);
  victim->used.store(true, std::memory_order_relaxed);
  victim->seq.store(seq + 2, std::memory_order_release);
  return true;
}

bool NeighCache::lookup(uint32_t dp, U128 ip, uint64_t& mac) const noexcept {
  const uint64_t h = neigh_hash(dp, ip);
  for (unsigned i = 0; i < kProbe; ++i) {
    const Slot& s = slots_[(h + i) & (cap_ - 1)];
    for (unsigned tries = 0; tries < 4; ++tries) {
      const uint32_t s1 = s.seq.load(std::memory_order_acquire);
      if (s1 & 1) continue;
      const bool used = s.used.load(std::memory_order_relaxed);
      const uint32_t d = s.datapath.load(std::memory_order_relaxed);
      const uint64_t hi = s.ip_hi.load(std::memory_order_relaxed);
      const uint64_t lo = s.ip_lo.load(std::memory_order_relaxed);
      const uint64_t m = s.mac.load(std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_acquire);
      if (s.seq.load(std::memory_order_relaxed) != s1) continue;
      if (used && d == dp && hi == ip.hi && lo == ip.lo) {
        mac = m;
        return true;
      }
      break;
    }
  }
  return false;
}

bool NeighCache::remove(uint32_t dp, U128 ip) noexcept {
  const uint64_t h = neigh_hash(dp, ip);
  for (unsigned i = 0; i < kProbe; ++i) {
    Slot& s = slots_[(h + i) & (cap_ - 1)];
    if (!s.used.load(std::memory_order_acquire) || s.datapath.load(std::memory_order_relaxed) != dp ||
        s.ip_hi.load(std::memory_order_relaxed) != ip.hi || s.ip_lo.load(std::memory_order_relaxed) != ip.lo)
      continue;
    uint32_t seq = s.seq.load(std::memory_order_acquire);
    if ((seq & 1) || !s.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acq_rel)) return false;
    s.used.store(false, std::memory_order_relaxed);
    s.seq.store(seq + 2, std::memory_order_release);
    return true;
  }
  return false;
}

void NeighCache::clear() noexcept {
  for (uint32_t i = 0; i < cap_; ++i) {
    Slot& s = slots_[i];
    uint32_t seq = s.seq.load(std::memory_order_acquire);
    if ((seq & 1) || !s.seq.compare_exchange_strong(seq, seq + 1, std::memory_order_acq_rel)) continue;
    s.used.store(false, std::memory_order_relaxed);
    s.seq.store(seq + 2, std::memory_order_release);
  }
}

std::vector<NeighCache::Item> NeighCache::dump() const {
  std::vector<Item> out;
  for (uint32_t i = 0; i < cap_; ++i) {
    const Slot& s = slots_[i];
    if (!s.used.load(std::memory_order_acquire)) continue;
    out.push_back(Item{s.datapath.load(), U128{s.ip_hi.load(), s.ip_lo.load()}, s.mac.load()});
  }
  return out;
}

}  // namespace loom
