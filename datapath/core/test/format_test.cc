// datapath/core/test/format_test.cc — the dump-flows text operators read.
#include <gtest/gtest.h>

#include "core/format.h"
#include "test/harness.h"

using namespace loom;
using namespace loom::testpkt;

TEST(Format, EntriesReadLikeDumpFlows) {
  Core core;
  Ct c;
  c.zone = 5;
  c.commit = true;
  c.nat = NatKind::kSrc;
  c.addr_min = ip(192, 0, 2, 1);
  c.addr_max = ip(192, 0, 2, 1);
  c.port_min = 1000;
  c.port_max = 2000;
  c.table = 3;
  Batch b;
  b.flows.push_back(add(0, 100,
                        {fexact(Field::kInPort, 1), fexact(Field::kEthType, 0x800), fmasked(Field::kIp4Dst, ip(10, 0, 0, 0), 0xff000000),
                         fexact(Field::kIpProto, 6), fexact(Field::kL4Dst, 80),
                         fmasked(Field::kCtState, ct_state::kTrk, ct_state::kTrk | ct_state::kNew)},
                        {c}, 0x2a));
  b.flows.push_back(add(0, 90, {fexact(Field::kEthType, 0x806), fexact(Field::kArpTpa, ip(10, 0, 0, 1))},
                        {setf(Field::kEthDst, 0x0200000000ffull), Move{Field::kReg0, 0, Field::kOutport, 0, 16}, Output{2}}));
  b.tables.push_back(TableMod{0, MissAction{MissAction::kGoto, 7, 0}});
  BuildError err;
  auto p = core.apply(b, err);
  ASSERT_TRUE(p) << err.message;
  const std::string dump = format_pipeline(*p);
  EXPECT_NE(dump.find("cookie=0x2a, table=0, n_packets=0, n_bytes=0, priority=100,in_port=1,ct_state=-new+trk,"
                      "eth_type=0x800,ip_proto=6,ip4_dst=10.0.0.0/255.0.0.0,l4_dst=80 "
                      "actions=ct(commit,zone=5,nat(src=192.0.2.1:1000-2000),table=3)"),
            std::string::npos)
      << dump;
  EXPECT_NE(dump.find("priority=90,eth_type=0x806,arp_tpa=10.0.0.1 actions=set_field:02:00:00:00:00:ff->eth_dst,"
                      "move:reg0[0..15]->outport[0..15],output:2"),
            std::string::npos)
      << dump;
  EXPECT_NE(dump.find("table=0 miss: goto_table:7"), std::string::npos) << dump;
  EXPECT_EQ(format_value(Field::kIp6Src, U128{0x20010db800000000ull, 1}), "2001:db8:0:0:0:0:0:1");
}

TEST(Format, TextTracerTellsTheStory) {
  Core core;
  Executor ex(core);
  Ct c;
  c.zone = 2;
  c.table = 1;
  Batch b;
  b.flows.push_back(add(0, 10, {fexact(Field::kEthType, 0x800)}, {c}, 0x1));
  b.flows.push_back(add(1, 10, {fmasked(Field::kCtState, ct_state::kNew, ct_state::kNew)}, {Output{4}}, 0x2));
  BuildError err;
  ASSERT_TRUE(core.apply(b, err));
  TextTracer tr;
  RecordingSink s;
  Buf pkt(udp4(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 1, 2));
  ex.begin_burst(1);
  ex.run(pkt.pkt, s, 0, &tr);
  ex.end_burst();
  ASSERT_EQ(tr.lines.size(), 4u);
  EXPECT_EQ(tr.lines[0], "0. table=0 priority=10 cookie=0x1 eth_type=0x800 -> ct(zone=2,table=1)");
  EXPECT_EQ(tr.lines[1], "   ct: ct_state=+new+trk zone=2");
  EXPECT_EQ(tr.lines[2], "1. table=1 priority=10 cookie=0x2 ct_state=+new -> output:4");
  EXPECT_EQ(tr.lines[3], "   output: port 4");
}
