// datapath/dpdk/vhost_port.h — vhost-user ports driven through the vhost library directly
// (rte_vhost_dequeue_burst / rte_vhost_enqueue_burst), without the net_vhost ethdev PMD.
//
// Owns: `VhostPort` (one socket: server or client mode with reconnect, the device attached
//   to it, its queue-pair count), the process-wide registry the vhost library's callbacks
//   (new_device, destroy_device, vring_state_changed) look ports up in, and the worker-side
//   burst calls vhost_rx()/vhost_tx().
// Reads: the vhost library's device state (through its API only).
// Called by: datapath.cc (vhost_open/vhost_close on the control thread, vhost_rx/vhost_tx
//   on forwarding workers); the callbacks run on the vhost library's event thread (or, for
//   the last destroy_device of a socket, inside vhost_close on the control thread).
// Never: a worker never calls the vhost library with a device id that destroy_device has
//   retired; a callback never waits for a worker while the library holds a queue lock
//   (only destroy_device waits, and the library calls it without queue locks, as the net_vhost
//   PMD relies on too); the control thread never holds the registry lock across a vhost
//   library call (unregister runs destroy_device, which takes it).
// Invariants (the device-state protocol, OVS's RCU scheme on loom's QSBR): a worker reads
//   `vid` once per rx burst or tx flush and passes its quiescent state only between polls;
//   destroy_device stores vid = -1 and then waits for every online worker's quiescent state
//   (Datapath::synchronize_workers), so when it returns no worker is inside a library call
//   for the old device, and the library may free it. new_device publishes vid last
//   (release), after the queue-pair count and guest notifications are set up.
#pragma once
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace loom::dp {

struct VhostPort {
  std::string path;
  bool client = false;
  // The attached device (new_device .. destroy_device), -1 when none: what workers use.
  std::atomic<int> vid{-1};
  std::atomic<uint16_t> qps{1};  // queue pairs of the attached device (>= 1)
  std::atomic<uint64_t> attaches{0}, detaches{0};
  std::atomic<uint64_t> vrings_enabled{0};  // bit per vring (first 64), from vring_state_changed
  // Waits until no worker is inside a burst it began before the call (destroy_device).
  void (*quiesce)(void* ctx) = nullptr;
  void* quiesce_ctx = nullptr;
};

// Registers `path` with the vhost library (server: creates and listens on the socket;
// client: connects, retrying until the peer listens, and reconnects after it goes away),
// with TSO and checksum offload features disabled (loom neither produces nor completes
// partial checksums), and starts it. Throws std::runtime_error("port_probe:...").
std::unique_ptr<VhostPort> vhost_open(const std::string& path, bool client,
                                      void (*quiesce)(void*), void* quiesce_ctx);
// Unregisters the socket: any attached device is destroyed first (destroy_device runs on
// this thread); after return no callback for this port runs any more. Control thread.
void vhost_close(VhostPort& p);

// Worker side: virtqueue ids for queue pair q (vhost numbering: guest rx = 2q, guest tx = 2q+1).
inline uint16_t vhost_rx(const VhostPort& p, rte_mempool* pool, rte_mbuf** pkts, uint16_t n) {
  const int vid = p.vid.load(std::memory_order_acquire);
  if (vid < 0) return 0;
  return rte_vhost_dequeue_burst(vid, 1, pool, pkts, n);  // queue pair 0, the guest's tx ring
}

// Copies up to n packets into the guest's rx ring of queue pair `worker % qps`, retrying
// while the ring takes part of the burst (at most 8 calls). Returns how many were sent; the
// caller still owns (and frees) every mbuf: the library copies, it never takes them.
inline uint16_t vhost_tx(const VhostPort& p, unsigned worker, rte_mbuf** pkts, uint16_t n) {
  const int vid = p.vid.load(std::memory_order_acquire);
  if (vid < 0) return 0;
  const unsigned qps = p.qps.load(std::memory_order_relaxed);
  const uint16_t vq = static_cast<uint16_t>(2 * (qps > 1 ? worker % qps : 0));
  uint16_t sent = 0;
  for (unsigned attempt = 0; attempt < 8 && sent < n; attempt++) {
    const uint16_t k = rte_vhost_enqueue_burst(vid, vq, pkts + sent, static_cast<uint16_t>(n - sent));
    if (k == 0) break;
    sent = static_cast<uint16_t>(sent + k);
  }
  return sent;
}

}  // namespace loom::dp
