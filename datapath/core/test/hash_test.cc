// datapath/core/test/hash_test.cc — the per-packet hash spreads keys over power-of-two
// tables (its low bits index the classifier's slots, the flow caches and conntrack's
// buckets). A finish step that left the low bits constant once quartered every table.
#include <gtest/gtest.h>

#include <set>

#include "core/hash.h"

using namespace loom;

TEST(Hash, LowBitsSpreadKeysThatDifferInFewBits) {
  // Keys like a subtable's: fixed words, one word varying in a few low bits (addresses).
  std::set<uint64_t> slots;
  unsigned low2[4] = {0, 0, 0, 0};
  for (uint64_t i = 0; i < 4096; ++i) {
    uint64_t h = fast_hash_add(kHashSeed, 0x0800000000000000ull);
    h = fast_hash_add(h, 0x0a000000ull | i << 8);
    h = fast_hash_finish(h);
    slots.insert(h & 4095);
    ++low2[h & 3];
  }
  // 4,096 random keys into 4,096 slots fill about 63% of them.
  EXPECT_GT(slots.size(), 2400u);
  for (unsigned v : low2) EXPECT_GT(v, 800u) << "every value of the two lowest bits occurs";
}
