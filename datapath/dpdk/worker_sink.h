// datapath/dpdk/worker_sink.h — the BurstSink of a forwarding worker: per-port tx buffers
// flushed after each rx burst, drop counters, the packet-in queue.
//
// Owns: `WorkerSink` (one per worker, created by Datapath::worker_loop).
// Reads: the Datapath's pools, rings and the worker's counters (friend of Datapath).
// Called by: datapath.cc's worker loop, and — through a static type, so every call is
//   direct and inlinable — core_pipeline.h's sink adapter on the per-packet path.
// Never: mallocs, logs, blocks or makes a syscall (runs on a forwarding lcore); frees an
//   mbuf it did not take (emit last_use=false copies).
// Invariants: every mbuf queued by emit() is either transmitted or freed by flush(); the
//   worker loop only ever passes a WorkerSink as the BurstSink of process()/process_burst().
#pragma once
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "datapath.h"
#include "vhost_port.h"

namespace loom::dp {

namespace relaxed {
template <typename T>
inline T load(const T& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
// Single writer (the worker): a plain load + store, no locked add.
template <typename T>
inline void add(T& v, T d) { __atomic_store_n(&v, load(v) + d, __ATOMIC_RELAXED); }
}  // namespace relaxed

// The sink a worker hands to the table: per-port tx buffers flushed after each rx burst.
class WorkerSink final : public BurstSink {
 public:
  WorkerSink(Datapath* dp, unsigned idx) : dp_(dp), idx_(idx), c_(dp->counters_[idx]) {}

  void begin(const PortSet* ps) { ps_ = ps; }

  void emit(uint16_t port, rte_mbuf* m, bool last_use) override {
    if (port >= kMaxPorts || !ps_->up[port]) {
      if (last_use) drop(m, kDropBadPort);
      else relaxed::add(c_.drops[kDropBadPort], uint64_t{1});
      return;
    }
    rte_mbuf* out = m;
    if (!last_use) {
      out = rte_pktmbuf_copy(m, dp_->pool_, 0, UINT32_MAX);
      if (!out) { relaxed::add(c_.drops[kDropCopyFailed], uint64_t{1}); return; }
    }
    auto& q = tx_[port];
    if (q.n == 0) dirty_[ndirty_++] = port;
    q.pkts[q.n++] = out;
    if (q.n == kBurst) flush_port(port);
  }

  // emit(port, m, true) for n packets at once (the simple-match shortcut's burst).
  void emit_n(uint16_t port, rte_mbuf* const* ms, unsigned n) {
    if (n == 0) return;
    if (port >= kMaxPorts || !ps_->up[port]) {
      relaxed::add(c_.drops[kDropBadPort], uint64_t{n});
      rte_pktmbuf_free_bulk(const_cast<rte_mbuf**>(ms), n);
      return;
    }
    auto& q = tx_[port];
    while (n > 0) {
      if (q.n == 0) dirty_[ndirty_++] = port;
      const unsigned k = std::min<unsigned>(n, kBurst - q.n);
      std::memcpy(q.pkts + q.n, ms, k * sizeof(rte_mbuf*));
      q.n = static_cast<uint16_t>(q.n + k);
      ms += k;
      n -= k;
      if (q.n == kBurst) flush_port(port);
    }
  }

  void drop(rte_mbuf* m, DropReason why) override {
    relaxed::add(c_.drops[why], uint64_t{1});
    rte_pktmbuf_free(m);
  }

  void packet_in(const uint8_t* data, uint32_t len, uint16_t in_port, uint32_t reason,
                 uint16_t table, uint64_t cookie) override {
    void* obj = nullptr;
    if (rte_mempool_get(dp_->pin_pool_, &obj) != 0) {
      dp_->pin_dropped_.fetch_add(1, std::memory_order_relaxed);
      relaxed::add(c_.drops[kDropPacketInFull], uint64_t{1});
      return;
    }
    auto* r = static_cast<PacketInRecord*>(obj);
    r->in_port = in_port;
    r->port_gen = in_port < kMaxPorts ? ps_->gen[in_port] : 0;
    r->table = table;
    r->reason = reason;
    r->cookie = cookie;
    r->orig_len = len;
    r->len = std::min<uint32_t>(len, kPacketInMax);
    std::memcpy(r->data, data, r->len);
    if (rte_ring_mp_enqueue(dp_->pin_ring_, r) != 0) {
      rte_mempool_put(dp_->pin_pool_, r);
      dp_->pin_dropped_.fetch_add(1, std::memory_order_relaxed);
      relaxed::add(c_.drops[kDropPacketInFull], uint64_t{1});
      return;
    }
    pin_queued_ = true;
  }

  void count_drop(DropReason why) override { relaxed::add(c_.drops[why], uint64_t{1}); }

  rte_mbuf* copy_bytes(const uint8_t* data, uint32_t len) override {
    rte_mbuf* m = rte_pktmbuf_alloc(dp_->pool_);
    if (!m) return nullptr;
    char* dst = len <= UINT16_MAX ? rte_pktmbuf_append(m, static_cast<uint16_t>(len)) : nullptr;
    if (!dst) { rte_pktmbuf_free(m); return nullptr; }
    std::memcpy(dst, data, len);
    return m;
  }

  void flush() {
    for (unsigned i = 0; i < ndirty_; i++) flush_port(dirty_[i]);
    ndirty_ = 0;
  }

  bool take_pin_queued() { bool q = pin_queued_; pin_queued_ = false; return q; }

 private:
  void flush_port(uint16_t port) {
    auto& q = tx_[port];
    if (q.n == 0) return;
    if (const VhostPort* vp = ps_->backend[port].vhost) {
      // The library copies into the guest's buffers (retrying while the ring drains) and
      // never takes an mbuf: every one goes back to the pool, sent or not.
      const uint16_t sent = vhost_tx(*vp, idx_, q.pkts, q.n);
      count_tx(port, sent, q.n);
      free_copied(q.pkts, q.n);
      q.n = 0;
      return;
    }
    // A guest ring that takes part of a burst is draining: retry a few times while it
    // makes progress (as OVS does for vhost), then count and free the rest.
    const uint16_t eth = ps_->backend[port].eth;
    uint16_t sent = 0;
    for (unsigned attempt = 0; attempt < 8 && sent < q.n; attempt++) {
      const uint16_t n = rte_eth_tx_burst(eth, static_cast<uint16_t>(idx_), q.pkts + sent,
                                          static_cast<uint16_t>(q.n - sent));
      if (n == 0) break;
      sent = static_cast<uint16_t>(sent + n);
    }
    count_tx(port, sent, q.n);
    if (sent < q.n) rte_pktmbuf_free_bulk(q.pkts + sent, q.n - sent);
    q.n = 0;
  }

  // What the vhost library copied goes back to the pool. Nearly always every mbuf is a
  // plain one (direct, one segment, sole reference, from loom's pool): then one bulk put
  // into the mempool cache instead of rte_pktmbuf_free_bulk's per-mbuf checks (~40
  // instructions per packet, callgrind). Anything else takes the general path.
  void free_copied(rte_mbuf** ms, uint16_t n) {
    rte_mempool* pool = dp_->pool_;
    bool plain = true;
    for (uint16_t i = 0; i < n; i++) {
      const rte_mbuf* m = ms[i];
      plain &= rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m) && m->next == nullptr &&
               m->nb_segs == 1 && m->pool == pool;
    }
    if (plain) rte_mempool_put_bulk(pool, reinterpret_cast<void**>(ms), n);
    else rte_pktmbuf_free_bulk(ms, n);
  }

  void count_tx(uint16_t port, uint16_t sent, uint16_t n) {
    relaxed::add(c_.tx[port], uint64_t{sent});
    if (sent < n) {
      const uint64_t lost = n - sent;
      relaxed::add(c_.tx_drop[port], lost);
      relaxed::add(c_.drops[kDropTxFull], lost);
    }
  }

  struct TxQ { rte_mbuf* pkts[kBurst]; uint16_t n = 0; };
  Datapath* dp_;
  unsigned idx_;
  WorkerCounters& c_;
  const PortSet* ps_ = nullptr;
  std::array<TxQ, kMaxPorts> tx_{};
  std::array<uint16_t, kMaxPorts> dirty_{};
  unsigned ndirty_ = 0;
  bool pin_queued_ = false;
};

}  // namespace loom::dp
