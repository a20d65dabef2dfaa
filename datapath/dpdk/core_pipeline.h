// datapath/dpdk/core_pipeline.h — the core's Executor on a DPDK forwarding worker.
//
// Owns: `CoreWorkerPipeline` (one loom::Executor per worker, driven burst-wise), the
//   "simple match" shortcut `InPortForward` (OVS's name for it: when every entry of table
//   0 matches exactly in_port and does a single output, a packet's fate depends on its
//   in_port alone; the worker then forwards it after parse_check() accepted it, without running
//   the executor, counting it on the entry as the executor would) and the
//   adapter from the core's Sink (packet.h) to the shell's BurstSink: a last-use emit
//   syncs the rte_mbuf from the Packet view (the executor may have prepended or stripped
//   headers) and hands it over; other emits copy into a new mbuf; packet-ins are copied
//   to the packet-in queue; drops are counted (the executor counts the reason itself).
// Reads: datapath/core (executor.h, packet.h). Called by: datapath.cc's worker loop via
//   WorkerPipeline; addon/core_binding.cc creates one per worker.
// Never: allocates except the mbuf copies the core asks for; frees an mbuf twice (an mbuf
//   handed over by a last-use emit is never freed here).
// Invariants: after process() the rx mbuf is either handed to the sink or freed. A
//   published InPortForward describes one whole pipeline version: the binding withdraws it
//   (and waits for the workers' grace period) before applying a batch and publishes the
//   one computed from the new version afterwards, so a packet sees the old or the new
//   version, never a mix. A frame parse() refuses always goes to the executor (which
//   counts and drops it by reason), so the shortcut never forwards a malformed packet.
#pragma once
#include <rte_mbuf.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <variant>

#include "core/executor.h"
#include "core/parser.h"
#include "core/pipeline.h"
#include "dpdk/table_version.h"
#include "dpdk/worker_sink.h"

namespace loom::dp {

// Zeroes the 144-byte Metadata with a few vector stores. A local `loom::Packet p;` made
// GCC emit `rep stos` (19 iterations, and a slow start on real CPUs) and `md = {}` a memset
// call: either cost as much as the rest of the per-packet set-up.
inline void clear_md(loom::Metadata& md) {
  static_assert(sizeof(loom::Metadata) == 144, "clear_md stores exactly 144 bytes");
  auto* b = reinterpret_cast<char*>(&md);
#if defined(__AVX__)
  const __m256i z = _mm256_setzero_si256();
  for (int i = 0; i < 4; i++) _mm256_storeu_si256(reinterpret_cast<__m256i*>(b + 32 * i), z);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 128), _mm_setzero_si128());
#elif defined(__SSE2__)
  for (int i = 0; i < 9; i++) _mm_storeu_si128(reinterpret_cast<__m128i*>(b + 16 * i), _mm_setzero_si128());
#else
  std::memset(b, 0, sizeof md);
#endif
}

class CoreSinkAdapter final : public loom::Sink {
 public:
  CoreSinkAdapter() { emit_md = false; }  // emit() only hands over bytes
  void reset(rte_mbuf* m, WorkerSink* sink) { m_ = m; sink_ = sink; consumed_ = false; }
  bool consumed() const { return consumed_; }

  void emit(uint32_t port, const loom::Packet& pkt, bool last_use) override {
    if (last_use && pkt.opaque == m_ && !consumed_) {
      auto* base = static_cast<uint8_t*>(m_->buf_addr);
      m_->data_off = static_cast<uint16_t>(pkt.data - base);
      m_->data_len = static_cast<uint16_t>(pkt.len);
      m_->pkt_len = pkt.len;
      consumed_ = true;
      sink_->emit(static_cast<uint16_t>(port), m_, true);
      return;
    }
    rte_mbuf* copy = sink_->copy_bytes(pkt.data, pkt.len);
    if (!copy) { sink_->count_drop(kDropCopyFailed); return; }
    sink_->emit(static_cast<uint16_t>(port), copy, true);
  }
  void packet_in(const loom::Packet& pkt, uint16_t reason) override {
    sink_->packet_in(pkt.data, pkt.len, static_cast<uint16_t>(pkt.md.in_port), reason,
                     pkt.md.pin_table, pkt.md.pin_cookie);
  }
  void drop(const loom::Packet&, loom::DropReason) override { sink_->count_drop(kDropCore); }

 private:
  rte_mbuf* m_ = nullptr;
  WorkerSink* sink_ = nullptr;  // final class: the calls below are direct
  bool consumed_ = false;
};

// Table 0 reduced to "in_port -> output port", or nothing when it is not that simple.
struct InPortForward {
  struct Slot {
    std::shared_ptr<loom::EntryStats> stats;  // the entry's counters (shared across versions)
    uint32_t out = 0;
    bool on = false;
  };
  std::array<Slot, kMaxPorts> by_port{};

  // nullptr unless every table-0 entry matches exactly in_port (< kMaxPorts) and its
  // program is one output to a port < kMaxPorts. In_ports without an entry keep going
  // through the executor (the table-miss action applies there).
  static std::unique_ptr<InPortForward> from(const loom::Pipeline& p) {
    const auto& entries = p.table(0).entries();
    if (entries.empty()) return nullptr;
    loom::FlowKey in_port_only;
    in_port_only.w[0] = 0xffffffffull;  // in_port: word 0, bits 0..31 (flow.h)
    static_assert(loom::kFieldTable[static_cast<unsigned>(loom::Field::kInPort)].word == 0 &&
                  loom::kFieldTable[static_cast<unsigned>(loom::Field::kInPort)].shift == 0 &&
                  loom::kFieldTable[static_cast<unsigned>(loom::Field::kInPort)].bits == 32,
                  "in_port is the low half of key word 0");
    auto f = std::make_unique<InPortForward>();
    for (const auto& e : entries) {
      if (e->match.mask != in_port_only || e->program.size() != 1) return nullptr;
      const auto* out = std::get_if<loom::Output>(&e->program[0]);
      const uint64_t in = e->match.value.w[0];
      if (!out || out->port >= kMaxPorts || in >= kMaxPorts) return nullptr;
      f->by_port[in] = Slot{e->stats, out->port, true};
    }
    return f;
  }
};

class CoreWorkerPipeline final : public WorkerPipeline {
 public:
  // `fwd`: where the binding publishes the current InPortForward (nullptr: never use one).
  explicit CoreWorkerPipeline(loom::Core& core, const std::atomic<const InPortForward*>* fwd = nullptr)
      : ex_(core), fwd_slot_(fwd) {}
  void begin_burst(uint64_t now_ns) override {
    ex_.begin_burst(now_ns);
    // Once per burst; the datapath's RCU keeps it alive until this worker's next quiescent state.
    fwd_ = fwd_slot_ ? fwd_slot_->load(std::memory_order_acquire) : nullptr;
  }
  void process(rte_mbuf* m, uint16_t in_port, BurstSink& sink, uint16_t start_table,
               const PacketMeta* meta) override {
    if (m->nb_segs > 1 && rte_pktmbuf_linearize(m) != 0) {
      sink.drop(m, kDropMalformed);
      return;
    }
    loom::Packet& p = pkt_;  // every field is set here: no per-packet constructor
    clear_md(p.md);
    p.data = rte_pktmbuf_mtod(m, uint8_t*);
    p.len = rte_pktmbuf_data_len(m);
    p.headroom = rte_pktmbuf_headroom(m);
    p.tailroom = rte_pktmbuf_tailroom(m);
    p.opaque = m;
    p.md.in_port = in_port;
    if (meta) {
      p.md.metadata = meta->metadata;
      p.md.inport = meta->inport;
      p.md.outport = meta->outport;
      p.md.flags = meta->flags;
    }
    // The worker loop's only BurstSink is its WorkerSink (worker_sink.h invariant).
    adapter_.reset(m, static_cast<WorkerSink*>(&sink));
    ex_.run(p, adapter_, start_table);
    if (!adapter_.consumed()) rte_pktmbuf_free(m);
  }
  // Same as the base, but process() is a direct (inlinable) call here.
  void process_burst(rte_mbuf** pkts, uint16_t n, uint16_t in_port, BurstSink& sink) override {
    const InPortForward::Slot* fast = fwd_ && in_port < kMaxPorts && fwd_->by_port[in_port].on ? &fwd_->by_port[in_port] : nullptr;
    if (fast) {
      auto& ws = static_cast<WorkerSink&>(sink);  // the worker loop's only BurstSink
      const uint16_t out = static_cast<uint16_t>(fast->out);
      rte_mbuf* ok[kBurst];
      unsigned nok = 0;
      uint64_t pkts_n = 0, bytes = 0;
      for (uint16_t i = 0; i < n; i++) {
        rte_mbuf* m = pkts[i];
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
        m->port = in_port;
        const uint32_t len = rte_pktmbuf_data_len(m);
        // The verdict parse() would give the executor; no key is needed here.
        if (m->nb_segs == 1 && loom::parse_check(rte_pktmbuf_mtod(m, const uint8_t*), len) == loom::DropReason::kNone) {
          ++pkts_n;
          bytes += len;
          ok[nok++] = m;
          if (nok == kBurst) { ws.emit_n(out, ok, nok); nok = 0; }
        } else {
          ws.emit_n(out, ok, nok);  // keep the order of what is forwarded
          nok = 0;
          CoreWorkerPipeline::process(m, in_port, sink, 0, nullptr);
        }
      }
      ws.emit_n(out, ok, nok);
      // The entry's counters once per burst (this thread's slot, as EntryStats::add does).
      auto& slot = fast->stats->slot[ex_.thread_index()];
      slot.packets.store(slot.packets.load(std::memory_order_relaxed) + pkts_n, std::memory_order_relaxed);
      slot.bytes.store(slot.bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
      return;
    }
    for (uint16_t i = 0; i < n; i++) {
      if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
      pkts[i]->port = in_port;
      CoreWorkerPipeline::process(pkts[i], in_port, sink, 0, nullptr);
    }
  }
  void end_burst() override { ex_.end_burst(); fwd_ = nullptr; }
  void go_offline() override { ex_.go_offline(); fwd_ = nullptr; }
  loom::ExecStats stats() const { return ex_.stats(); }

 private:
  loom::Executor ex_;
  CoreSinkAdapter adapter_;
  loom::Packet pkt_;
  const std::atomic<const InPortForward*>* fwd_slot_;
  const InPortForward* fwd_ = nullptr;
};

}  // namespace loom::dp
