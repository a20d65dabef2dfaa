// datapath/core/test/pipeline_test.cc — batches (all or nothing, errors), versions, QSBR.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <thread>
#include <tuple>

#include "core/executor.h"
#include "test/harness.h"

using namespace loom;
using namespace loom::testpkt;

TEST(Pipeline, InvalidEntryRejectsWholeBatch) {
  Core core;
  Batch b;
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 1)}, {Output{2}}, 0x11));
  b.flows.push_back(add(0, 20, {fexact(Field::kInPort, 2)}, {SetField{Field::kEthType, U128{0, 1}, U128{0, 0xffff}}}, 0x12));
  BuildError err;
  EXPECT_FALSE(core.apply(b, err));
  EXPECT_EQ(err.code, "not_writable");
  EXPECT_EQ(err.where, "flows");
  EXPECT_EQ(err.index, 1);
  EXPECT_EQ(err.action, 0);
  EXPECT_EQ(err.field, "eth_type");
  EXPECT_EQ(core.snapshot()->version(), 0u);
  EXPECT_EQ(core.snapshot()->entry_count(), 0u);  // the valid first op was not applied either

  Batch m;
  m.flows.push_back(add(0, 10, {FieldMatch{Field::kIpProto, U128{0, 0x1ff}, U128{0, 0x1ff}}}, {}));
  EXPECT_FALSE(core.apply(m, err));
  EXPECT_EQ(err.code, "bad_mask");
  EXPECT_EQ(err.field, "ip_proto");

  Batch g;
  g.flows.push_back(add(0, 10, {}, {GroupOut{7}}));
  EXPECT_FALSE(core.apply(g, err));
  EXPECT_EQ(err.code, "bad_group");

  Batch go;
  go.flows.push_back(add(3, 10, {}, {GotoTable{2}}));
  EXPECT_FALSE(core.apply(go, err));
  EXPECT_EQ(err.code, "bad_table");

  Batch ov;
  ov.flows.push_back(add(0, 10, {fexact(Field::kInPort, 1)}, {}, 1));
  ov.flows.push_back(add(0, 10, {fexact(Field::kEthType, 0x800)}, {}, 2));
  EXPECT_FALSE(core.apply(ov, err));
  EXPECT_EQ(err.code, "overlap");
  EXPECT_GE(err.index, 0);
}

TEST(Pipeline, ModifyDeleteCookiesGroupsAndCounters) {
  Core core;
  Executor ex(core);
  BuildError err;
  Batch b;
  Group g;
  g.id = 1;
  g.buckets = {{Output{5}}, {Output{6}}};
  b.groups.push_back(GroupMod{GroupMod::kAdd, g});
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 1)}, {Output{2}}, 0xaa));
  b.flows.push_back(add(0, 10, {fexact(Field::kInPort, 2)}, {GroupOut{1}}, 0xbb));
  ASSERT_TRUE(core.apply(b, err)) << err.message;
  const Bytes f = udp4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 1, 2);
  EXPECT_EQ(run1(ex, f, 1).out.at(0).port, 2u);
  auto two = run1(ex, f, 2);
  ASSERT_EQ(two.out.size(), 2u);
  EXPECT_EQ(two.out[0].port, 5u);
  EXPECT_EQ(two.out[1].port, 6u);

  // Modify keeps the entry's counters.
  Batch mod;
  FlowMod fm = add(0, 10, {fexact(Field::kInPort, 1)}, {Output{3}}, 0xaa);
  fm.op = FlowMod::kModify;
  mod.flows.push_back(fm);
  ASSERT_TRUE(core.apply(mod, err)) << err.message;
  EXPECT_EQ(run1(ex, f, 1).out.at(0).port, 3u);
  auto snap = core.snapshot();
  uint64_t pk = 0;
  for (auto& e : snap->table(0).entries())
    if (e->cookie == 0xaa) pk = e->stats->packets();
  EXPECT_EQ(pk, 2u);

  // A group in use cannot be deleted; with its users gone it can.
  Batch del;
  del.groups.push_back(GroupMod{GroupMod::kDelete, g});
  EXPECT_FALSE(core.apply(del, err));
  EXPECT_EQ(err.code, "in_use");
  FlowMod dc;
  dc.op = FlowMod::kDeleteByCookie;
  dc.all_tables = true;
  dc.cookie = 0xbb;
  del.flows.push_back(dc);
  ASSERT_TRUE(core.apply(del, err)) << err.message;
  EXPECT_EQ(core.snapshot()->entry_count(), 1u);
  auto miss = run1(ex, f, 2);
  EXPECT_TRUE(miss.out.empty());
  EXPECT_EQ(miss.drops.at(0), DropReason::kTableMiss);

  // Adding what already exists is a duplicate, named by its op index.
  Batch dup;
  dup.flows.push_back(add(5, 1, {}, {Drop{}}));
  dup.flows.push_back(add(0, 10, {fexact(Field::kInPort, 1)}, {Output{9}}, 0xcc));
  EXPECT_FALSE(core.apply(dup, err));
  EXPECT_EQ(err.code, "duplicate");
  EXPECT_EQ(err.index, 1);

  // Strict delete of something absent is an error naming it.
  Batch nf;
  FlowMod d = add(0, 99, {}, {});
  d.op = FlowMod::kDelete;
  nf.flows.push_back(d);
  EXPECT_FALSE(core.apply(nf, err));
  EXPECT_EQ(err.code, "not_found");

  // Unchanged tables are shared between versions.
  Batch t1;
  t1.flows.push_back(add(1, 1, {}, {Drop{}}));
  auto before = core.snapshot();
  auto after = core.apply(t1, err);
  ASSERT_TRUE(after);
  EXPECT_EQ(before->table(0).generation(), after->table(0).generation());
  EXPECT_NE(before->table(1).generation(), after->table(1).generation());
}

TEST(Pipeline, MissActions) {
  Core core;
  Executor ex(core);
  BuildError err;
  Batch b;
  b.tables.push_back(TableMod{0, MissAction{MissAction::kGoto, 4, 0}});
  b.tables.push_back(TableMod{4, MissAction{MissAction::kPacketIn, 0, 9}});
  ASSERT_TRUE(core.apply(b, err)) << err.message;
  auto s = run1(ex, udp4(1, 2, 3, 4));
  ASSERT_EQ(s.pins.size(), 1u);
  EXPECT_EQ(s.pins[0].port, 9u);  // reason
  EXPECT_EQ(s.pins[0].md.pin_table, 4u);
  EXPECT_TRUE(s.drops.empty());
}

// A reader thread forwards packets while the writer publishes batches that change a
// "generation" value in two tables at once; every packet must see both from one batch.
TEST(Pipeline, ReaderNeverSeesHalfABatch) {
  Core core;
  BuildError err;
  auto batch_for = [](uint32_t gen, bool first) {
    Batch b;
    FlowMod a = add(0, 10, {}, {setf(Field::kReg0, gen), GotoTable{1}}, 1);
    FlowMod c = add(1, 10, {}, {setf(Field::kReg1, gen), Output{1}}, 1);
    if (!first) a.op = c.op = FlowMod::kModify;
    b.flows = {a, c};
    return b;
  };
  ASSERT_TRUE(core.apply(batch_for(0, true), err));
  std::atomic<bool> done{false};
  std::atomic<uint64_t> seen{0}, torn{0};
  std::thread reader([&] {
    Executor ex(core);
    const Bytes f = udp4(ip(1, 1, 1, 1), ip(2, 2, 2, 2), 1, 2);
    RecordingSink s;
    for (int i = 0; i < 2000000 && !done.load(std::memory_order_acquire); ++i) {
      ex.begin_burst(1);
      for (int j = 0; j < 8; ++j) {
        Buf b(f);
        s.clear();
        ex.run(b.pkt, s);
        if (s.out.size() != 1 || s.out[0].md.reg[0] != s.out[0].md.reg[1]) torn.fetch_add(1);
        seen.fetch_add(1);
      }
      ex.end_burst();
      if (i % 16 == 0) {
        ex.go_offline();
        std::this_thread::yield();
      }
    }
    ex.go_offline();
  });
  for (uint32_t g = 1; g <= 300; ++g) {
    ASSERT_TRUE(core.apply(batch_for(g, false), err)) << err.message;
    if (g % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Let the reader run against the final version for a moment, bounded.
  for (int i = 0; i < 1000 && seen.load() < 1000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_GT(seen.load(), 0u);
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_TRUE(core.synchronize(1000));
}

TEST(Qsbr, GracePeriods) {
  Qsbr q;
  const int a = q.register_thread();
  const int b = q.register_thread();
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  q.online(static_cast<unsigned>(a));
  // b is offline: it never holds anything, so it never delays a grace period.
  const uint64_t t = q.start();
  EXPECT_FALSE(q.check(t));  // a has not reported since
  q.quiescent(static_cast<unsigned>(a));
  EXPECT_TRUE(q.check(t));
  const uint64_t t2 = q.start();
  q.offline(static_cast<unsigned>(a));
  EXPECT_TRUE(q.check(t2));  // offline threads do not count
  q.unregister_thread(static_cast<unsigned>(a));
  q.unregister_thread(static_cast<unsigned>(b));
}

TEST(Core, RetiredVersionsWaitForOnlineReaders) {
  Core core;
  Executor ex(core);
  BuildError err;
  ex.begin_burst(1);  // online, pinning version 0
  Batch b;
  b.flows.push_back(add(0, 1, {}, {Drop{}}));
  ASSERT_TRUE(core.apply(b, err));
  EXPECT_EQ(core.reclaim(), 1u);  // version 0 must stay: the executor may still read it
  ex.end_burst();                 // quiescent
  EXPECT_EQ(core.reclaim(), 0u);
  ex.go_offline();
}

// Random batches of add / modify / delete / delete-by-cookie against a model of the
// tables: a batch is applied exactly when every op in it is valid in order, and the
// installed entries then equal the model (the incremental table updates included).
TEST(Pipeline, RandomBatchesMatchAModel) {
  Core core;
  std::mt19937 rng(5);
  using Key = std::tuple<uint16_t, uint32_t, uint32_t>;  // table, priority, ip4_dst value
  std::map<Key, uint64_t> model;                         // -> cookie
  auto match_of = [](uint32_t v) { return std::vector<FieldMatch>{fexact(Field::kIp4Dst, 0x0a000000 | v)}; };
  for (int b = 0; b < 300; ++b) {
    Batch batch;
    std::map<Key, uint64_t> next = model;
    bool valid = true;
    const int nops = 1 + static_cast<int>(rng() % 6);
    for (int i = 0; i < nops; ++i) {
      const uint16_t t = static_cast<uint16_t>(rng() % 2);
      const uint32_t v = rng() % 12;
      const uint32_t prio = 100 + v;  // one priority per match: no overlaps, only duplicates
      const uint64_t cookie = 1 + rng() % 3;
      const Key k{t, prio, v};
      FlowMod fm = add(t, prio, match_of(v), {Output{v}}, cookie);
      switch (rng() % 4) {
        case 0:
          fm.op = FlowMod::kAdd;
          if (next.count(k)) valid = false;
          next[k] = cookie;
          break;
        case 1:
          fm.op = FlowMod::kModify;
          if (!next.count(k)) valid = false;
          next[k] = cookie;
          break;
        case 2:
          fm.op = FlowMod::kDelete;
          if (!next.count(k)) valid = false;
          next.erase(k);
          break;
        default:
          fm.op = FlowMod::kDeleteByCookie;
          fm.all_tables = rng() % 2 == 0;
          for (auto it = next.begin(); it != next.end();)
            it = (std::get<0>(it->first) == t || fm.all_tables) && it->second == cookie ? next.erase(it) : std::next(it);
          break;
      }
      batch.flows.push_back(fm);
    }
    BuildError err;
    const bool ok = core.apply(batch, err) != nullptr;
    ASSERT_EQ(ok, valid) << "batch " << b << ": " << err.code << " " << err.message;
    if (ok) model = next;
    std::map<Key, uint64_t> got;
    auto snap = core.snapshot();
    for (uint16_t t = 0; t < 2; ++t)
      for (const auto& e : snap->table(t).entries())
        got[Key{t, e->priority, static_cast<uint32_t>(key_get(e->match.value, Field::kIp4Dst).lo & 0xff)}] = e->cookie;
    ASSERT_EQ(got, model) << "batch " << b;
    // And lookups agree: the entry for each modelled match is found by a packet.
    for (const auto& [k, c] : model) {
      FlowKey key;
      key_set(key, Field::kIp4Dst, U128{0, 0x0a000000u | std::get<2>(k)}, U128{0, 0xffffffff});
      const Entry* e = snap->table(std::get<0>(k)).lookup(key);
      ASSERT_TRUE(e);
      EXPECT_EQ(e->cookie, c);
    }
  }
}
