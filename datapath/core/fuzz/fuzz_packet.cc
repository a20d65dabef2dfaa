// datapath/core/fuzz/fuzz_packet.cc — libFuzzer target: arbitrary bytes through parse(),
// the classifier and the executor with a fixed pipeline that uses every action.
//
// Input: byte 0 picks the in_port (and so the pipeline branch), the rest is the frame.
// The frame sits in a buffer with exactly 64 bytes of headroom and 16 of tailroom; ASan
// catches any access outside it, the sink checks every emitted window is inside it.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "core/executor.h"

using namespace loom;

namespace {

FieldMatch ex(Field f, uint64_t v) { return FieldMatch{f, U128{0, v}, field_full_mask(f)}; }
FlowMod add(uint16_t t, uint32_t prio, std::vector<FieldMatch> m, Program p) {
  FlowMod f;
  f.table = t;
  f.priority = prio;
  f.match = std::move(m);
  f.program = std::move(p);
  return f;
}

struct World {
  Core core;
  std::unique_ptr<Executor> exec;
  World() {
    Batch b;
    Group g;
    g.id = 1;
    g.buckets = {{Output{1}}, {PushVlan{0x8100, 7}, Output{2}}, {PopVlan{}, DecTtl{}, Output{3}}};
    b.groups.push_back(GroupMod{GroupMod::kAdd, g});
    Encap vx;
    vx.ip_src = 1;
    vx.ip_dst = 2;
    vx.use_vni_field = true;
    Encap gv = vx;
    gv.kind = TunnelKind::kGeneve;
    Ct ct;
    ct.zone = 1;
    ct.table = 2;
    Ct snat;
    snat.commit = true;
    snat.nat = NatKind::kSrc;
    snat.addr_min = 0x0a000001;
    snat.addr_max = 0x0a000003;
    snat.port_min = 1000;
    snat.port_max = 1100;
    Ct commit;
    commit.zone = 1;
    commit.commit = true;
    Ct lb;
    lb.backends = {{0x0a010001, 80}, {0x0a010002, 0}};
    b.tables.push_back(TableMod{4, MissAction{MissAction::kPacketIn, 0, 3}});
    b.flows = {
        add(0, 100, {ex(Field::kInPort, 0), ex(Field::kEthType, 0x800), ex(Field::kIpProto, 17)}, {Decap{}, GotoTable{1}}),
        add(0, 90, {ex(Field::kInPort, 0)}, {ct}),
        add(0, 90, {ex(Field::kInPort, 1)}, {snat, DecTtl{DecTtl::kGoto, 4, 0}, vx, Output{5}}),
        add(0, 90, {ex(Field::kInPort, 2)}, {lb, SetField{Field::kIp4Src, U128{0, 5}, U128{0, 0xff}}, gv, Output{6}, Decap{}, Output{7}}),
        add(0, 90, {ex(Field::kInPort, 3)}, {GroupOut{1}, NeighStore{Field::kArpSpa, Field::kArpSha},
                                              NeighLookup{Field::kIp4Dst, Field::kEthDst, Field::kReg9, 1}, Resubmit{3}, Output{8}}),
        add(0, 1, {}, {PushVlan{0x88a8, 1}, PushVlan{0x8100, 2}, PopVlan{}, SetField{Field::kL4Dst, U128{0, 9}, U128{0, 0xffff}},
                       SetField{Field::kIp6Dst, U128{1, 2}, U128{~0ull, ~0ull}}, SetField{Field::kIpTos, U128{0, 4}, U128{0, 0xfc}},
                       SetField{Field::kVlanTci, U128{0, 3}, U128{0, 0xfff}}, SetField{Field::kArpSha, U128{0, 7}, U128{0, 0xff}},
                       SetField{Field::kArpTpa, U128{0, 7}, U128{0, 0xff}}, SetField{Field::kIcmpType, U128{0, 0}, U128{0, 0xff}},
                       SetField{Field::kNdTll, U128{0, 9}, U128{0, 0xffff}}, SetField{Field::kNdTarget, U128{1, 1}, U128{~0ull, ~0ull}},
                       Output{9}}),
        add(1, 1, {}, {Move{Field::kTunOpt, 0, Field::kOutport, 0, 16}, Resubmit{3}, Output{10}}),
        add(2, 10, {FieldMatch{Field::kCtState, U128{0, 0x21}, U128{0, 0x21}}}, {commit, Output{11}}),
        add(2, 5, {}, {PacketIn{1}}),
        add(3, 5, {ex(Field::kEthType, 0x86dd)}, {DecTtl{DecTtl::kPacketIn, 0, 2}, Output{12}}),
    };
    BuildError err;
    if (!core.apply(b, err)) std::abort();
    exec.reset(new Executor(core));
  }
};

struct CheckSink : Sink {
  const uint8_t* lo;
  const uint8_t* hi;
  void check(const Packet& p) {
    if (p.data < lo || p.data + p.len > hi) std::abort();
    volatile uint8_t x = 0;
    for (uint32_t i = 0; i < p.len; ++i) x ^= p.data[i];  // every byte must be readable
    (void)x;
  }
  void emit(uint32_t, const Packet& p, bool) override { check(p); }
  void packet_in(const Packet& p, uint16_t) override { check(p); }
  void drop(const Packet&, DropReason r) override {
    if (r == DropReason::kNone || r >= DropReason::kCount) std::abort();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World w;
  static uint64_t now = 1;
  if (size < 1 || size > 4096) return 0;
  FlowKey k, kr;
  const ParseResult pr = parse(data + 1, static_cast<uint32_t>(size - 1), k);
  // The straight-line path must agree with the general parser on every input.
  const ParseResult rr = parse_reference(data + 1, static_cast<uint32_t>(size - 1), kr);
  if (pr.drop != rr.drop || pr.layout.l3 != rr.layout.l3 || pr.layout.l4 != rr.layout.l4 ||
      pr.layout.l3_len != rr.layout.l3_len || pr.layout.ip_end != rr.layout.ip_end ||
      pr.layout.vlans != rr.layout.vlans || pr.layout.l3_kind != rr.layout.l3_kind ||
      pr.layout.l4_kind != rr.layout.l4_kind || k != kr ||
      parse_check(data + 1, static_cast<uint32_t>(size - 1)) != rr.drop)
    std::abort();
  const uint32_t head = 64, tail = 16;
  const size_t n = size - 1;
  std::unique_ptr<uint8_t[]> buf(new uint8_t[head + n + tail]);
  std::memcpy(buf.get() + head, data + 1, n);
  Packet p;
  p.data = buf.get() + head;
  p.len = static_cast<uint32_t>(n);
  p.headroom = head;
  p.tailroom = tail;
  p.md.in_port = data[0] % 5;
  CheckSink s;
  s.lo = buf.get();
  s.hi = buf.get() + head + n + tail;
  now += 1000000;
  w.exec->begin_burst(now);
  w.exec->run(p, s);
  w.exec->end_burst();
  if (p.data < s.lo || p.data + p.len + p.tailroom > s.hi || p.headroom != static_cast<uint32_t>(p.data - s.lo)) std::abort();
  return 0;
}
