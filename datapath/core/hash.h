// datapath/core/hash.h — the per-packet hash of the core's own hash tables (internal).
//
// Owns: `fast_hash_*`, a word-at-a-time hash for the classifier's subtables, the flow
// caches and conntrack's buckets: one CRC32C instruction per 64-bit word when the build
// targets SSE4.2 (the Release build uses -march=native: it runs on the machine that built
// it), a multiply-xorshift mix otherwise.
// Reads: nothing. Called by: classifier.cc, executor.cc, conntrack.cc only — never from a
// header the DPDK shell includes, so the shell (built with other flags) cannot end up with
// a different definition of a hash that the core stores in its tables.
// Never: depend on anything but its arguments (tables store hashes across versions).
// Invariants: same words in the same order give the same value within one build.
#pragma once

#include <cstdint>

#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

namespace loom {

constexpr uint64_t kHashSeed = 0x9e3779b9u;

inline uint64_t fast_hash_add(uint64_t h, uint64_t x) noexcept {
#if defined(__SSE4_2__)
  return _mm_crc32_u64(h, x);
#else
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 31;
  h = (h ^ x) * 0x94d049bb133111ebull;
  return h ^ (h >> 29);
#endif
}

// Spreads the 32 CRC bits over the word so that `h & mask` and `h >> k` are both usable.
// (The product's high half folds back into the low bits: `h * C ^ h` alone would leave
// the lowest bits always 0 for an odd C ending in binary 01, i.e. a quarter of the slots.)
inline uint64_t fast_hash_finish(uint64_t h) noexcept {
#if defined(__SSE4_2__)
  const uint64_t x = h * 0x9e3779b97f4a7c15ull;
  return x ^ (x >> 32);
#else
  return h;
#endif
}

}  // namespace loom
