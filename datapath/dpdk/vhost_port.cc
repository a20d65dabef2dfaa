// datapath/dpdk/vhost_port.cc — see vhost_port.h. The callbacks follow the shape of the
// net_vhost PMD and of OVS's netdev-dpdk (find the port by socket path, disable guest
// kicks, publish the device; on destroy, retire it and wait for the forwarding threads).
#include "vhost_port.h"

#include <rte_errno.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace loom::dp {

namespace {

// Every open VhostPort, by socket path. Guarded by g_mu; the callbacks hold it only to
// look a port up (a VhostPort outlives its registration: vhost_close unregisters the
// socket, which waits for running callbacks, before it leaves the registry).
std::mutex g_mu;
std::vector<VhostPort*> g_ports;

VhostPort* find(int vid) {
  char ifname[PATH_MAX];
  if (rte_vhost_get_ifname(vid, ifname, sizeof ifname) != 0) return nullptr;
  std::lock_guard<std::mutex> lock(g_mu);
  for (VhostPort* p : g_ports)
    if (p->path == ifname) return p;
  return nullptr;
}

int new_device(int vid) {
  VhostPort* p = find(vid);
  if (!p) return -1;
  const uint16_t vrings = rte_vhost_get_vring_num(vid);
  // The workers poll: a guest need not kick us (an eventfd write per burst in the guest).
  for (uint16_t i = 0; i < vrings; i++) rte_vhost_enable_guest_notification(vid, i, 0);
  p->qps.store(static_cast<uint16_t>(std::max<uint16_t>(1, vrings / 2)), std::memory_order_relaxed);
  p->attaches.fetch_add(1, std::memory_order_relaxed);
  p->vid.store(vid, std::memory_order_release);
  return 0;
}

void destroy_device(int vid) {
  VhostPort* p = find(vid);
  if (!p) return;
  int expected = vid;
  if (p->vid.compare_exchange_strong(expected, -1, std::memory_order_acq_rel))
    p->detaches.fetch_add(1, std::memory_order_relaxed);
  // No worker may still be inside a dequeue/enqueue on `vid` when we return: the library
  // frees the device (and unmaps guest memory) after this callback. Also when `vid` was no
  // longer the port's (a second connection on a server socket replaced it): a worker may
  // have read it just before.
  if (p->quiesce) p->quiesce(p->quiesce_ctx);
}

// Called with the device's queue locks held (SET_VRING_ENABLE): must not wait for workers.
// The library itself skips disabled rings in dequeue/enqueue; this only records the state.
int vring_state_changed(int vid, uint16_t vring, int enable) {
  VhostPort* p = find(vid);
  if (!p) return -1;
  if (vring < 64) {
    const uint64_t bit = uint64_t{1} << vring;
    if (enable) p->vrings_enabled.fetch_or(bit, std::memory_order_relaxed);
    else p->vrings_enabled.fetch_and(~bit, std::memory_order_relaxed);
  }
  return 0;
}

const rte_vhost_device_ops kOps = [] {
  rte_vhost_device_ops o{};
  o.new_device = new_device;
  o.destroy_device = destroy_device;
  o.vring_state_changed = vring_state_changed;
  return o;
}();

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error("port_probe:vhost-user " + what + " failed for " + path +
                           (rte_errno ? std::string(": ") + rte_strerror(rte_errno) : std::string()));
}

}  // namespace

std::unique_ptr<VhostPort> vhost_open(const std::string& path, bool client,
                                      void (*quiesce)(void*), void* quiesce_ctx) {
  auto p = std::make_unique<VhostPort>();
  p->path = path;
  p->client = client;
  p->quiesce = quiesce;
  p->quiesce_ctx = quiesce_ctx;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    for (const VhostPort* q : g_ports)
      if (q->path == path) throw std::runtime_error("port_probe:vhost-user socket " + path + " is already a port");
    g_ports.push_back(p.get());
  }
  auto unlist = [&] {
    std::lock_guard<std::mutex> lock(g_mu);
    g_ports.erase(std::remove(g_ports.begin(), g_ports.end(), p.get()), g_ports.end());
  };
  // Client mode reconnects by default (RTE_VHOST_USER_NO_RECONNECT not set).
  const uint64_t flags = (client ? RTE_VHOST_USER_CLIENT : 0) | RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS;
  rte_errno = 0;
  if (rte_vhost_driver_register(path.c_str(), flags) != 0) { unlist(); fail("register", path); }
  // As OVS without userspace TSO: no segmentation offload and no partial checksums either way.
  // Feature bits of the virtio spec (5.1.3); linux/virtio_net.h does not compile as C++.
  enum : unsigned { kCsum = 0, kGuestCsum = 1, kGuestTso4 = 7, kGuestTso6 = 8, kHostTso4 = 11, kHostTso6 = 12 };
  const uint64_t off = (1ULL << kHostTso4) | (1ULL << kHostTso6) | (1ULL << kCsum) |
                       (1ULL << kGuestCsum) | (1ULL << kGuestTso4) | (1ULL << kGuestTso6);
  const char* step = nullptr;
  if (rte_vhost_driver_disable_features(path.c_str(), off) != 0) step = "disable_features";
  else if (rte_vhost_driver_callback_register(path.c_str(), &kOps) != 0) step = "callback_register";
  else if (rte_vhost_driver_start(path.c_str()) != 0) step = "start";
  if (step) {
    const int err = rte_errno;
    rte_vhost_driver_unregister(path.c_str());
    unlist();
    rte_errno = err;
    fail(step, path);
  }
  return p;
}

void vhost_close(VhostPort& p) {
  // Waits (inside the library) for a callback of this socket running on the event thread,
  // then destroys an attached device: destroy_device runs on this thread and quiesces the
  // workers. Fails only for a path that is not registered.
  rte_vhost_driver_unregister(p.path.c_str());
  p.vid.store(-1, std::memory_order_release);
  std::lock_guard<std::mutex> lock(g_mu);
  g_ports.erase(std::remove(g_ports.begin(), g_ports.end(), &p), g_ports.end());
}

}  // namespace loom::dp
