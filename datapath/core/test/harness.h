// datapath/core/test/harness.h — a recording Sink and a packet buffer with head/tailroom.
#pragma once

#include <cstring>
#include <vector>

#include "core/executor.h"
#include "test/packets.h"

namespace loom::testpkt {

struct Emitted {
  uint32_t port;
  Bytes bytes;
  Metadata md;
  bool last_use;
};

class RecordingSink : public Sink {
 public:
  std::vector<Emitted> out;
  std::vector<Emitted> pins;
  std::vector<DropReason> drops;
  void emit(uint32_t port, const Packet& p, bool last_use) override {
    out.push_back({port, Bytes(p.data, p.data + p.len), p.md, last_use});
  }
  void packet_in(const Packet& p, uint16_t reason) override {
    pins.push_back({reason, Bytes(p.data, p.data + p.len), p.md, false});
  }
  void drop(const Packet&, DropReason r) override { drops.push_back(r); }
  void clear() { out.clear(); pins.clear(); drops.clear(); }
};

// A buffer like an mbuf: 128 bytes of headroom, the frame, 64 bytes of tailroom.
struct Buf {
  std::vector<uint8_t> mem;
  Packet pkt;
  explicit Buf(const Bytes& frame, uint32_t in_port = 1, uint32_t headroom = 128) {
    mem.assign(headroom + frame.size() + 64, 0);
    std::memcpy(mem.data() + headroom, frame.data(), frame.size());
    pkt.data = mem.data() + headroom;
    pkt.len = static_cast<uint32_t>(frame.size());
    pkt.headroom = headroom;
    pkt.tailroom = 64;
    pkt.md.in_port = in_port;
  }
};

inline FieldMatch fexact(Field f, uint64_t v) { return FieldMatch{f, U128{0, v}, field_full_mask(f)}; }
inline FieldMatch fmasked(Field f, uint64_t v, uint64_t m) { return FieldMatch{f, U128{0, v & m}, U128{0, m}}; }
inline FlowMod add(uint16_t table, uint32_t prio, std::vector<FieldMatch> m, Program p, uint64_t cookie = 0) {
  FlowMod f;
  f.op = FlowMod::kAdd;
  f.table = table;
  f.priority = prio;
  f.match = std::move(m);
  f.program = std::move(p);
  f.cookie = cookie;
  return f;
}
inline SetField setf(Field f, uint64_t v) { return SetField{f, U128{0, v}, field_full_mask(f)}; }

// Runs one frame through the executor, in one burst, at virtual time now.
inline RecordingSink run1(Executor& ex, const Bytes& frame, uint32_t in_port = 1, uint64_t now = 1,
                          uint16_t table = 0) {
  RecordingSink s;
  Buf b(frame, in_port);
  ex.begin_burst(now);
  ex.run(b.pkt, s, table);
  ex.end_burst();
  return s;
}

}  // namespace loom::testpkt
