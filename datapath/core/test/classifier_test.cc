// datapath/core/test/classifier_test.cc — tuple-space classifier against a linear reference.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <unordered_set>

#include "core/classifier.h"
#include "core/pipeline.h"

using namespace loom;

namespace {

std::shared_ptr<const Entry> mk(uint32_t prio, std::vector<FieldMatch> fm, uint64_t cookie = 0) {
  auto e = std::make_shared<Entry>();
  e->priority = prio;
  e->cookie = cookie;
  BuildError err;
  EXPECT_TRUE(build_match(fm, e->match, err)) << err.message;
  return e;
}
FieldMatch exact(Field f, uint64_t v) { return FieldMatch{f, U128{0, v}, field_full_mask(f)}; }
FieldMatch masked(Field f, uint64_t v, uint64_t m) { return FieldMatch{f, U128{0, v & m}, U128{0, m}}; }
FlowKey key(std::initializer_list<std::pair<Field, uint64_t>> kv) {
  FlowKey k;
  for (auto& [f, v] : kv) key_set(k, f, U128{0, v}, field_full_mask(f));
  return k;
}

// The reference: highest priority among all matching entries (unique by construction).
const Entry* linear(const std::vector<std::shared_ptr<const Entry>>& es, const FlowKey& k) {
  const Entry* best = nullptr;
  for (auto& e : es)
    if (e->match.matches(k) && (best == nullptr || e->priority > best->priority)) best = e.get();
  return best;
}

bool overlap(const Entry& a, const Entry& b) {
  for (unsigned w = 0; w < kKeyWords; ++w)
    if ((a.match.value.w[w] ^ b.match.value.w[w]) & a.match.mask.w[w] & b.match.mask.w[w]) return false;
  return true;
}

}  // namespace

TEST(Classifier, PriorityAndMasks) {
  ClassifierError err;
  auto t = Table::build({mk(10, {exact(Field::kEthType, 0x800)}, 1),
                         mk(20, {exact(Field::kEthType, 0x800), masked(Field::kIp4Dst, 0x0a000000, 0xff000000)}, 2),
                         mk(30, {exact(Field::kEthType, 0x800), exact(Field::kIp4Dst, 0x0a000005)}, 3),
                         mk(0, {}, 4)},
                        err);
  ASSERT_TRUE(t) << err.message;
  EXPECT_EQ(t->subtable_count(), 4u);
  auto hit = [&](FlowKey k) { const Entry* e = t->lookup(k); return e ? e->cookie : 0; };
  EXPECT_EQ(hit(key({{Field::kEthType, 0x800}, {Field::kIp4Dst, 0x0a000005}})), 3u);
  EXPECT_EQ(hit(key({{Field::kEthType, 0x800}, {Field::kIp4Dst, 0x0a000006}})), 2u);
  EXPECT_EQ(hit(key({{Field::kEthType, 0x800}, {Field::kIp4Dst, 0x0b000006}})), 1u);
  EXPECT_EQ(hit(key({{Field::kEthType, 0x806}})), 4u);
}

TEST(Classifier, SamePriorityOverlapIsRejected) {
  ClassifierError err;
  // Different masks that can match one packet (eth_type=0x800 and ip4_dst=1 both hold).
  auto t = Table::build({mk(5, {exact(Field::kEthType, 0x800)}, 1), mk(5, {exact(Field::kIp4Dst, 1)}, 2)}, err);
  EXPECT_FALSE(t);
  EXPECT_EQ(err.code, "overlap");
  EXPECT_NE(err.message.find("cookie 0x1"), std::string::npos);
  EXPECT_NE(err.message.find("cookie 0x2"), std::string::npos);
  // Same match twice.
  err = {};
  EXPECT_FALSE(Table::build({mk(5, {exact(Field::kIp4Dst, 1)}, 1), mk(5, {exact(Field::kIp4Dst, 1)}, 2)}, err));
  EXPECT_EQ(err.code, "duplicate");
  // Disjoint at the same priority: fine (differ on a commonly masked bit).
  err = {};
  EXPECT_TRUE(Table::build({mk(5, {exact(Field::kEthType, 0x800), exact(Field::kIpProto, 6)}, 1),
                            mk(5, {exact(Field::kEthType, 0x86dd)}, 2),
                            mk(5, {exact(Field::kEthType, 0x800), exact(Field::kIpProto, 17)}, 3)},
                           err))
      << err.message;
  // Overlap at different priorities: fine.
  EXPECT_TRUE(Table::build({mk(5, {exact(Field::kEthType, 0x800)}, 1), mk(6, {exact(Field::kIp4Dst, 1)}, 2)}, err));
}

TEST(Classifier, RandomAgainstLinearReference) {
  std::mt19937_64 rng(42);
  // ~12 masks over a few fields with small value domains so packets hit often.
  struct Shape { std::vector<std::pair<Field, uint64_t>> fields; };  // field, mask
  const std::vector<Shape> shapes = {
      {{{Field::kEthType, 0xffff}}},
      {{{Field::kEthType, 0xffff}, {Field::kIpProto, 0xff}}},
      {{{Field::kEthType, 0xffff}, {Field::kIpProto, 0xff}, {Field::kL4Dst, 0xffff}}},
      {{{Field::kIp4Dst, 0xffffff00}}},
      {{{Field::kIp4Dst, 0xffffffff}}},
      {{{Field::kIp4Src, 0xfffffff0}, {Field::kL4Dst, 0xffff}}},
      {{{Field::kMetadata, 0xffffffff}, {Field::kInport, 0xffffffff}}},
      {{{Field::kMetadata, 0xffffffff}, {Field::kEthDst, 0xffffffffffffull}}},
      {{{Field::kReg0, 0x1}}},
      {{{Field::kCtState, 0x21}}},
      {{{Field::kCtState, 0x22}, {Field::kIpProto, 0xff}}},
      {{{Field::kL4Src, 0xff00}, {Field::kL4Dst, 0x00ff}}},
  };
  auto rv = [&](Field f) -> uint64_t {
    switch (f) {
      case Field::kEthType: return rng() % 2 ? 0x800 : 0x86dd;
      case Field::kIpProto: return rng() % 2 ? 6 : 17;
      case Field::kIp4Dst: case Field::kIp4Src: return 0x0a000000 | (rng() % 64);
      case Field::kEthDst: return 0x020000000000ull | (rng() % 8);
      default: return rng() % 8;
    }
  };
  for (int round = 0; round < 30; ++round) {
    std::vector<std::shared_ptr<const Entry>> es;
    const int n = 50 + static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) {
      const Shape& sh = shapes[rng() % shapes.size()];
      std::vector<FieldMatch> fm;
      for (auto& [f, m] : sh.fields) fm.push_back(masked(f, rv(f), m));
      // Mostly distinct priorities; some shared so overlap checks are exercised.
      const uint32_t prio = rng() % 4 == 0 ? 100 + static_cast<uint32_t>(rng() % 4) : 1000 + static_cast<uint32_t>(i);
      es.push_back(mk(prio, fm, static_cast<uint64_t>(i) + 1));
    }
    ClassifierError err;
    auto t = Table::build(es, err);
    if (!t) {
      ASSERT_TRUE(err.entry && err.other) << err.message;
      EXPECT_EQ(err.entry->priority, err.other->priority);
      EXPECT_TRUE(overlap(*err.entry, *err.other)) << err.message;
      // Drop every entry at shared priorities and build again: must succeed.
      std::vector<std::shared_ptr<const Entry>> kept;
      for (auto& e : es)
        if (e->priority >= 1000) kept.push_back(e);
      es = kept;
      t = Table::build(es, err);
      ASSERT_TRUE(t) << err.message;
    } else {
      for (size_t a = 0; a < es.size(); ++a)
        for (size_t b = a + 1; b < es.size(); ++b)
          if (es[a]->priority == es[b]->priority) EXPECT_FALSE(overlap(*es[a], *es[b]));
    }
    for (int q = 0; q < 2000; ++q) {
      FlowKey k;
      for (Field f : {Field::kEthType, Field::kIpProto, Field::kL4Dst, Field::kL4Src, Field::kIp4Dst, Field::kIp4Src,
                      Field::kMetadata, Field::kInport, Field::kEthDst, Field::kReg0, Field::kCtState})
        key_set(k, f, U128{0, rv(f)}, field_full_mask(f));
      if (rng() % 3 == 0) key_set(k, Field::kCtState, U128{0, rng() % 256}, U128{0, 0xffff});
      const Entry* want = linear(es, k);
      const Entry* got = t->lookup(k);
      ASSERT_EQ(got, want) << "round " << round << " query " << q;
    }
  }
}

TEST(Classifier, ManySubtables) {
  // One subtable per prefix length of ip4_dst (33 masks), longest prefix wins by priority.
  std::vector<std::shared_ptr<const Entry>> es;
  for (unsigned len = 0; len <= 32; ++len) {
    const uint64_t m = len == 0 ? 0 : (0xffffffffull << (32 - len)) & 0xffffffffull;
    es.push_back(mk(len, {masked(Field::kIp4Dst, 0xc0a80101, m)}, len + 1));
  }
  ClassifierError err;
  auto t = Table::build(es, err);
  ASSERT_TRUE(t) << err.message;
  EXPECT_EQ(t->subtable_count(), 33u);
  for (unsigned diff_bit = 0; diff_bit < 32; ++diff_bit) {
    FlowKey k;
    key_set(k, Field::kIp4Dst, U128{0, 0xc0a80101 ^ (1ull << diff_bit)}, U128{0, 0xffffffff});
    const Entry* e = t->lookup(k);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->priority, 31 - diff_bit);  // the longest prefix that still covers it
    EXPECT_EQ(e, linear(es, k));
  }
}

TEST(Fields, NamesRoundTripAndLayoutIsDisjoint) {
  FlowKey used;
  for (unsigned i = 0; i < kNumFields; ++i) {
    const Field f = static_cast<Field>(i);
    Field back;
    ASSERT_TRUE(field_by_name(field_info(f).name, back)) << field_info(f).name;
    EXPECT_EQ(field_info(back).word, field_info(f).word);
    FlowKey k;
    key_set(k, f, field_full_mask(f), field_full_mask(f));
    EXPECT_EQ(key_get(k, f), field_full_mask(f)) << field_info(f).name;
    // Aliases (arp_spa/ip4_src, nd_sll/arp_sha, ...) share bits on purpose; others must not.
    const bool alias = f == Field::kArpSpa || f == Field::kArpTpa || f == Field::kNdSll || f == Field::kNdTll;
    for (unsigned w = 0; w < kKeyWords; ++w) {
      if (!alias) EXPECT_EQ(used.w[w] & k.w[w], 0u) << field_info(f).name;
      used.w[w] |= k.w[w];
    }
  }
  Field f;
  EXPECT_TRUE(field_by_name("ip4.dst", f));
  EXPECT_EQ(f, Field::kIp4Dst);
  EXPECT_FALSE(field_by_name("ip5.dst", f));
}

// Table::extend (the incremental path for batches that only add) must agree with a full
// build: same lookups, and an error exactly when the full build has one.
TEST(Classifier, ExtendAgreesWithFullBuild) {
  std::mt19937_64 rng(99);
  const std::vector<std::vector<std::pair<Field, uint64_t>>> shapes = {
      {{Field::kEthType, 0xffff}},
      {{Field::kEthType, 0xffff}, {Field::kIpProto, 0xff}},
      {{Field::kIp4Dst, 0xffffff00}},
      {{Field::kIp4Dst, 0xffffffff}},
      {{Field::kIpProto, 0xff}, {Field::kL4Dst, 0xffff}},
      {{Field::kMetadata, 0xffffffff}, {Field::kEthDst, 0xffffffffffffull}},
  };
  auto rv = [&](Field f) -> uint64_t {
    switch (f) {
      case Field::kEthType: return rng() % 2 ? 0x800 : 0x86dd;
      case Field::kIpProto: return rng() % 2 ? 6 : 17;
      case Field::kIp4Dst: return 0x0a000000 | (rng() % 64);
      case Field::kEthDst: return 0x020000000000ull | (rng() % 16);
      default: return rng() % 8;
    }
  };
  int failures = 0, successes = 0;
  for (int round = 0; round < 60; ++round) {
    std::vector<std::shared_ptr<const Entry>> es;
    const int n = 20 + static_cast<int>(rng() % 200);
    const bool shared_prios = round % 2 == 0;
    for (int i = 0; i < n; ++i) {
      std::vector<FieldMatch> fm;
      for (auto& [f, m] : shapes[rng() % shapes.size()]) fm.push_back(masked(f, rv(f), m));
      const uint32_t prio = shared_prios ? 100 + static_cast<uint32_t>(rng() % 3) : 1000 + static_cast<uint32_t>(rng() % 100000);
      es.push_back(mk(prio, fm, static_cast<uint64_t>(i) + 1));
    }
    ClassifierError ef, ei;
    auto full = Table::build(es, ef);
    auto cur = Table::build({}, ei);
    bool failed = false;
    for (size_t i = 0; i < es.size();) {
      const size_t chunk = std::min<size_t>(es.size() - i, 1 + rng() % 16);
      std::vector<std::shared_ptr<const Entry>> added(es.begin() + static_cast<long>(i), es.begin() + static_cast<long>(i + chunk));
      auto next = Table::extend(*cur, added, ei);
      if (!next) {
        failed = true;
        break;
      }
      cur = next;
      i += chunk;
    }
    ASSERT_EQ(failed, full == nullptr) << "round " << round << ": " << ef.message << " / " << ei.message;
    if (failed) {
      ++failures;
      ASSERT_TRUE(ei.entry && ei.other);
      EXPECT_EQ(ei.entry->priority, ei.other->priority);
      EXPECT_TRUE(overlap(*ei.entry, *ei.other));
      continue;
    }
    ++successes;
    EXPECT_EQ(cur->subtable_count(), full->subtable_count());
    EXPECT_EQ(cur->entries().size(), es.size());
    for (int q = 0; q < 500; ++q) {
      FlowKey k;
      for (Field f : {Field::kEthType, Field::kIpProto, Field::kL4Dst, Field::kIp4Dst, Field::kMetadata, Field::kEthDst})
        key_set(k, f, U128{0, rv(f)}, field_full_mask(f));
      const Entry* want = linear(es, k);
      ASSERT_EQ(cur->lookup(k), want);
      ASSERT_EQ(full->lookup(k), want);
    }
  }
  EXPECT_GT(failures, 0);   // both outcomes were exercised
  EXPECT_GT(successes, 0);
}

// Table::update with removals and additions, batch after batch, against a full build of
// the same live set: identical lookups, and an error exactly when the full build fails.
TEST(Classifier, UpdateWithRemovalsAgreesWithFullBuild) {
  std::mt19937_64 rng(7);
  const std::vector<std::vector<std::pair<Field, uint64_t>>> shapes = {
      {{Field::kEthType, 0xffff}},
      {{Field::kIp4Dst, 0xffffff00}},
      {{Field::kIp4Dst, 0xffffffff}},
      {{Field::kIpProto, 0xff}, {Field::kL4Dst, 0xffff}},
      {{Field::kMetadata, 0xffffffff}, {Field::kEthDst, 0xffffffffffffull}},
  };
  auto rv = [&](Field f) -> uint64_t {
    switch (f) {
      case Field::kEthType: return rng() % 2 ? 0x800 : 0x86dd;
      case Field::kIpProto: return rng() % 2 ? 6 : 17;
      case Field::kIp4Dst: return 0x0a000000 | (rng() % 32);
      case Field::kEthDst: return 0x020000000000ull | (rng() % 8);
      default: return rng() % 4;
    }
  };
  int rejected = 0, accepted = 0;
  for (int round = 0; round < 20; ++round) {
    ClassifierError err;
    std::shared_ptr<const Table> cur = Table::build({}, err);
    std::vector<std::shared_ptr<const Entry>> live;
    uint64_t cookie = 1;
    for (int step = 0; step < 40; ++step) {
      std::unordered_set<const Entry*> removed;
      std::vector<std::shared_ptr<const Entry>> added;
      for (const auto& e : live)
        if (rng() % 5 == 0) removed.insert(e.get());
      const int nadd = static_cast<int>(rng() % 8);
      for (int i = 0; i < nadd; ++i) {
        std::vector<FieldMatch> fm;
        for (auto& [f, m] : shapes[rng() % shapes.size()]) fm.push_back(masked(f, rv(f), m));
        // Mostly unique priorities, sometimes a shared one (to provoke overlaps/duplicates).
        const uint32_t prio = rng() % 6 == 0 ? 50 : 1000 + static_cast<uint32_t>(rng() % 1000000);
        added.push_back(mk(prio, fm, cookie++));
      }
      std::vector<std::shared_ptr<const Entry>> next_live;
      for (const auto& e : live)
        if (!removed.count(e.get())) next_live.push_back(e);
      next_live.insert(next_live.end(), added.begin(), added.end());
      ClassifierError ef, ei;
      auto full = Table::build(next_live, ef);
      auto inc = Table::update(*cur, removed, added, ei);
      ASSERT_EQ(inc == nullptr, full == nullptr) << "round " << round << " step " << step << ": " << ef.message << " / " << ei.message;
      if (!inc) {
        ++rejected;
        EXPECT_TRUE(ei.entry && ei.other && overlap(*ei.entry, *ei.other));
        continue;  // the batch is refused: the table stays as it was
      }
      ++accepted;
      cur = inc;
      live = next_live;
      ASSERT_EQ(cur->entries().size(), live.size());
      EXPECT_EQ(cur->subtable_count(), full->subtable_count());
      for (int q = 0; q < 200; ++q) {
        FlowKey k;
        for (Field f : {Field::kEthType, Field::kIpProto, Field::kL4Dst, Field::kIp4Dst, Field::kMetadata, Field::kEthDst})
          key_set(k, f, U128{0, rv(f)}, field_full_mask(f));
        const Entry* want = linear(live, k);
        ASSERT_EQ(cur->lookup(k), want) << "round " << round << " step " << step;
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(accepted, 0);
}

// A table matching only in_port takes the direct-index path; it must answer exactly as the
// hashed subtables do (also after incremental updates that add, shadow and remove entries,
// and once a port beyond the index or a second mask turns the index off).
TEST(Classifier, InPortOnlyTableMatchesReference) {
  std::mt19937 rng(11);
  std::vector<std::shared_ptr<const Entry>> es;
  for (uint32_t p = 0; p < 40; p += 3) es.push_back(mk(100, {exact(Field::kInPort, p)}, p));
  ClassifierError err;
  auto t = Table::build(es, err);
  ASSERT_TRUE(t) << err.message;
  auto check = [&](const Table& tb, const std::vector<std::shared_ptr<const Entry>>& ref) {
    for (uint32_t p = 0; p < 5000; p += (p < 64 ? 1 : 97)) {
      FlowKey k = key({{Field::kInPort, p}, {Field::kEthDst, rng()}, {Field::kMetadata, rng() & 7}});
      ASSERT_EQ(tb.lookup(k), linear(ref, k)) << "in_port " << p;
    }
  };
  check(*t, es);
  // A higher-priority entry for an existing port shadows it; a new port extends the index.
  std::vector<std::shared_ptr<const Entry>> add = {mk(200, {exact(Field::kInPort, 3)}, 1003), mk(100, {exact(Field::kInPort, 41)}, 41)};
  auto t2 = Table::extend(*t, add, err);
  ASSERT_TRUE(t2) << err.message;
  std::vector<std::shared_ptr<const Entry>> es2 = es;
  es2.insert(es2.end(), add.begin(), add.end());
  check(*t2, es2);
  EXPECT_EQ(t2->lookup(key({{Field::kInPort, 3}}))->cookie, 1003u);
  // Removing the shadowing entry brings the lower one back.
  std::unordered_set<const Entry*> gone = {add[0].get()};
  auto t3 = Table::update(*t2, gone, {}, err);
  ASSERT_TRUE(t3) << err.message;
  std::vector<std::shared_ptr<const Entry>> es3 = es;
  es3.push_back(add[1]);
  check(*t3, es3);
  EXPECT_EQ(t3->lookup(key({{Field::kInPort, 3}}))->cookie, 3u);
  // A port beyond the index, and a second mask: both fall back to the hashed lookup.
  auto t4 = Table::extend(*t3, {mk(100, {exact(Field::kInPort, 70000)}, 70000)}, err);
  ASSERT_TRUE(t4) << err.message;
  es3.push_back(t4->entries().back());
  EXPECT_EQ(t4->lookup(key({{Field::kInPort, 70000}}))->cookie, 70000u);
  check(*t4, es3);
  auto t5 = Table::extend(*t3, {mk(50, {exact(Field::kEthType, 0x800)}, 5)}, err);
  ASSERT_TRUE(t5) << err.message;
  EXPECT_EQ(t5->lookup(key({{Field::kInPort, 2}, {Field::kEthType, 0x800}}))->cookie, 5u);
  EXPECT_EQ(t5->lookup(key({{Field::kInPort, 3}, {Field::kEthType, 0x800}}))->cookie, 3u);
}
