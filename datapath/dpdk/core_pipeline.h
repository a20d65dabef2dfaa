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

#include "core/executor.h"
#include "dpdk/table_version.h"

namespace loom::dp {

class CoreSinkAdapter final : public loom::Sink {
 public:
  CoreSinkAdapter() { emit_md = false; }  // emit() only hands over bytes
  void reset(rte_mbuf* m, BurstSink* sink) { m_ = m; sink_ = sink; consumed_ = false; }
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
  BurstSink* sink_ = nullptr;
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
    loom::Packet p;
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
    adapter_.reset(m, &sink);
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
};

}  // namespace loom::dp
