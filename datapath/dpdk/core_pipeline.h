// datapath/dpdk/core_pipeline.h — the core's Executor on a DPDK forwarding worker.
//
// Owns: `CoreWorkerPipeline` (one loom::Executor per worker, driven burst-wise) and the
//   adapter from the core's Sink (packet.h) to the shell's BurstSink: a last-use emit
//   syncs the rte_mbuf from the Packet view (the executor may have prepended or stripped
//   headers) and hands it over; other emits copy into a new mbuf; packet-ins are copied
//   to the packet-in queue; drops are counted (the executor counts the reason itself).
// Reads: datapath/core (executor.h, packet.h). Called by: datapath.cc's worker loop via
//   WorkerPipeline; addon/core_binding.cc creates one per worker.
// Never: allocates except the mbuf copies the core asks for; frees an mbuf twice (an mbuf
//   handed over by a last-use emit is never freed here).
// Invariants: after process() the rx mbuf is either handed to the sink or freed.
#pragma once
#include <rte_mbuf.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include <cstring>

#include "core/executor.h"
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

class CoreWorkerPipeline final : public WorkerPipeline {
 public:
  explicit CoreWorkerPipeline(loom::Core& core) : ex_(core) {}
  void begin_burst(uint64_t now_ns) override { ex_.begin_burst(now_ns); }
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
    for (uint16_t i = 0; i < n; i++) {
      if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
      pkts[i]->port = in_port;
      CoreWorkerPipeline::process(pkts[i], in_port, sink, 0, nullptr);
    }
  }
  void end_burst() override { ex_.end_burst(); }
  void go_offline() override { ex_.go_offline(); }
  loom::ExecStats stats() const { return ex_.stats(); }

 private:
  loom::Executor ex_;
  CoreSinkAdapter adapter_;
  loom::Packet pkt_;
};

}  // namespace loom::dp
