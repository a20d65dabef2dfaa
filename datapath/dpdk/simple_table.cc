// datapath/dpdk/simple_table.cc — see simple_table.h.
#include "simple_table.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstdio>

namespace loom::dp {

uint64_t EntryCounters::packets() const {
  uint64_t s = 0;
  for (const auto& c : per_worker) s += c.packets.load(std::memory_order_relaxed);
  return s;
}
uint64_t EntryCounters::bytes() const {
  uint64_t s = 0;
  for (const auto& c : per_worker) s += c.bytes.load(std::memory_order_relaxed);
  return s;
}

namespace {
// Two masked fields can both match one value iff they agree on the bits both care about.
template <size_t N>
bool bytes_compatible(const std::array<uint8_t, N>& a, const std::array<uint8_t, N>& am,
                      const std::array<uint8_t, N>& b, const std::array<uint8_t, N>& bm) {
  for (size_t i = 0; i < N; i++)
    if (((a[i] ^ b[i]) & am[i] & bm[i]) != 0) return false;
  return true;
}
std::string mac_text(const std::array<uint8_t, 6>& a) {
  char b[18];
  std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
  return b;
}
}  // namespace

bool SimpleMatch::overlaps(const SimpleMatch& o) const {
  if (has_in_port && o.has_in_port && in_port != o.in_port) return false;
  if (((eth_type ^ o.eth_type) & eth_type_mask & o.eth_type_mask) != 0) return false;
  return bytes_compatible(eth_dst, eth_dst_mask, o.eth_dst, o.eth_dst_mask) &&
         bytes_compatible(eth_src, eth_src_mask, o.eth_src, o.eth_src_mask);
}

bool SimpleMatch::matches(uint16_t port, const uint8_t* eth, uint32_t len) const {
  if (has_in_port && port != in_port) return false;
  if (len < 14) return false;  // runt frame: only in_port-only entries may match it
  for (int i = 0; i < 6; i++) {
    if (((eth[i] ^ eth_dst[i]) & eth_dst_mask[i]) != 0) return false;
    if (((eth[6 + i] ^ eth_src[i]) & eth_src_mask[i]) != 0) return false;
  }
  const uint16_t type = static_cast<uint16_t>((eth[12] << 8) | eth[13]);
  return ((type ^ eth_type) & eth_type_mask) == 0;
}

void SimpleTable::process(rte_mbuf* m, uint16_t in_port, unsigned worker, BurstSink& sink) const {
  const uint8_t* eth = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = rte_pktmbuf_data_len(m);
  for (const SimpleEntry& e : entries_) {
    if (!e.match.matches(in_port, eth, len)) continue;
    EntryCounter& c = e.counters->per_worker[worker];
    c.packets.store(c.packets.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    c.bytes.store(c.bytes.load(std::memory_order_relaxed) + rte_pktmbuf_pkt_len(m),
                  std::memory_order_relaxed);
    const size_t n = e.actions.size();
    if (n == 0) { sink.drop(m, kDropRule); return; }
    for (size_t i = 0; i < n; i++) {
      const SimpleAction& a = e.actions[i];
      const bool last = i + 1 == n;
      switch (a.kind) {
        case SimpleAction::kOutput: sink.emit(a.port, m, last); break;
        case SimpleAction::kInPort: sink.emit(in_port, m, last); break;
        case SimpleAction::kDrop:
          if (last) sink.drop(m, kDropRule);
          break;
        case SimpleAction::kPacketIn:
          sink.packet_in(eth, len, in_port, a.reason, 0, e.cookie);
          if (last) rte_pktmbuf_free(m);
          break;
      }
    }
    return;
  }
  sink.drop(m, kDropNoMatch);
}

std::unique_ptr<SimpleTable> SimpleTable::apply(const std::vector<SimpleOp>& ops,
                                                BuildError& err) const {
  std::vector<SimpleEntry> es = entries_;
  auto find = [&es](const SimpleEntry& e) {
    return std::find_if(es.begin(), es.end(), [&e](const SimpleEntry& x) {
      return x.priority == e.priority && x.match == e.match;
    });
  };
  for (size_t i = 0; i < ops.size(); i++) {
    const SimpleOp& op = ops[i];
    auto it = find(op.entry);
    switch (op.kind) {
      case SimpleOp::kClear: es.clear(); break;
      case SimpleOp::kAdd:
        if (it != es.end()) {
          err = {"duplicate", "an entry with this priority and match is installed (cookie " +
                                  std::to_string(it->cookie) + "); use modify",
                 i, "match", std::to_string(op.entry.priority)};
          return nullptr;
        }
        es.push_back(op.entry);
        es.back().counters = std::make_shared<EntryCounters>();
        break;
      case SimpleOp::kModify:
        if (it == es.end()) {
          err = {"not_found", "modify names no installed entry (priority + match)", i, "match",
                 std::to_string(op.entry.priority)};
          return nullptr;
        }
        it->actions = op.entry.actions;
        it->cookie = op.entry.cookie;
        break;
      case SimpleOp::kDelete:
        if (it == es.end()) {
          err = {"not_found", "delete names no installed entry (priority + match)", i, "match",
                 std::to_string(op.entry.priority)};
          return nullptr;
        }
        es.erase(it);
        break;
      case SimpleOp::kDeleteCookie:
        es.erase(std::remove_if(es.begin(), es.end(),
                                [&](const SimpleEntry& x) { return x.cookie == op.entry.cookie; }),
                 es.end());
        break;
    }
  }
  auto next = std::make_unique<SimpleTable>();
  next->entries_ = std::move(es);
  std::stable_sort(next->entries_.begin(), next->entries_.end(),
                   [](const SimpleEntry& a, const SimpleEntry& b) { return a.priority > b.priority; });
  // Same priority + overlapping matches would make the winner depend on install order.
  for (size_t i = 0; i < next->entries_.size(); i++) {
    for (size_t j = i + 1; j < next->entries_.size() &&
                           next->entries_[j].priority == next->entries_[i].priority; j++) {
      const SimpleEntry& a = next->entries_[i];
      const SimpleEntry& b = next->entries_[j];
      if (a.match.overlaps(b.match)) {
        size_t idx = 0;
        for (size_t k = 0; k < ops.size(); k++)
          if (ops[k].entry.cookie == a.cookie || ops[k].entry.cookie == b.cookie) idx = k;
        err = {"overlap", "two entries of priority " + std::to_string(a.priority) +
                              " overlap (cookies " + std::to_string(a.cookie) + " and " +
                              std::to_string(b.cookie) + "); give them different priorities",
               idx, "match", a.match.has_in_port ? std::to_string(a.match.in_port)
                                                 : mac_text(a.match.eth_dst)};
        return nullptr;
      }
    }
  }
  return next;
}

}  // namespace loom::dp
