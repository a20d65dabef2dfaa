// datapath/dpdk/datapath.h — the DPDK shell: EAL, ports, forwarding lcores, table publication.
//
// Owns: EAL initialisation (once per process), the port registry (vhost-user sockets driven
//   through the vhost library directly, vhost_port.h; other types as vdevs probed and
//   removed at run time; loom's port ids, lowest free first, are not ethdev ids), the
//   forwarding workers (rx burst -> TableVersion -> tx, adaptive idle
//   sleep), the RCU (rte_rcu_qsbr) that lets a writer free an old table or port set only
//   after every worker has passed a quiescent state, per-lcore counters, the packet-in queue
//   (worker -> JS) and the packet-out queue (JS -> worker 0).
// Reads: options from the addon; packets from ports.
// Called by: addon/addon.cc (the JS thread: every method except the worker loop).
// Never: blocks a worker on the JS thread, or the JS thread on traffic; a worker never
//   mallocs, logs or makes a syscall except its idle nanosleep (taken offline); its one
//   lock is node's TSFN queue, taken at most once per packet-in drain (notify_armed).
// Invariants: a published PortSet/TableVersion is immutable; it is deleted only after
//   rte_rcu_qsbr_synchronize; all control methods run on the one thread that started EAL.
#pragma once
#include <array>
#include <functional>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "table_version.h"

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

namespace loom::dp {

struct VhostPort;  // vhost_port.h

inline constexpr unsigned kMaxPorts = 32;   // RTE_MAX_ETHPORTS in Debian's DPDK 22.11
inline constexpr unsigned kBurst = 32;
inline constexpr uint32_t kPacketInMax = 2048;  // bytes kept of a packet-in

struct Options {
  std::vector<std::string> eal_args;  // full argv after argv[0]
  unsigned workers = 1;               // forwarding lcores (EAL lcores 1..workers)
  unsigned idle_sleep_cap_us = 200;
  unsigned idle_spin_polls = 16;  // empty polls before the first sleep (a few µs of spinning)
  unsigned mbufs = 16383;
  unsigned packet_in_queue = 1024;
  // Conntrack (core pipeline only): per-state timeout overrides in seconds by CtTimeouts
  // field name, and the period of the control thread's expiry sweep.
  std::vector<std::pair<std::string, uint32_t>> ct_timeouts;
  unsigned ct_expire_ms = 100;
};

// kRing: a pair of rte_rings (add_ring_port), for the shell's instruction-count bench only.
enum class PortType : uint8_t { kVhostUser, kVhostUserClient, kAfPacket, kTap, kRing };

struct PortInfo {
  uint16_t id = 0;
  std::string name;     // loom's name (e.g. the logical port)
  PortType type = PortType::kVhostUser;
  std::string path;     // socket path (vhost) or host interface (af_packet, tap)
  std::string devname;  // the vdev name, e.g. net_af_packet_loom3 (vhost: vhost_loom3, no vdev)
  uint16_t rx_queues = 1;  // af_packet: one per worker (its fanout spreads rx over all)
  uint16_t eth_id = UINT16_MAX;  // the ethdev port id; UINT16_MAX for vhost-user (no ethdev)
};

// One packet on its way to JS.
struct PacketInRecord {
  uint16_t in_port;
  uint32_t port_gen;  // generation of in_port when it arrived (see Datapath::port_current)
  uint16_t table;
  uint32_t reason;
  uint64_t cookie;
  uint32_t len;       // bytes kept in data
  uint32_t orig_len;  // bytes on the wire
  uint8_t data[kPacketInMax];
};

struct alignas(64) WorkerCounters {
  std::array<uint64_t, kMaxPorts> rx{}, tx{}, tx_drop{};
  std::array<uint64_t, kDropReasonCount> drops{};
  uint64_t busy_cycles = 0, idle_cycles = 0, sleeps = 0, polls = 0, bursts = 0;
};

struct PortStats {
  bool link_up = false;                              // vhost: a peer has the rings ready
  uint64_t rx = 0, tx = 0, tx_drop = 0;              // counted by loom's workers
  uint64_t pmd_ipackets = 0, pmd_opackets = 0, pmd_imissed = 0, pmd_ierrors = 0, pmd_oerrors = 0;
};
struct WorkerStats {
  unsigned lcore = 0;
  uint64_t busy_cycles = 0, idle_cycles = 0, sleeps = 0, polls = 0, bursts = 0;
  uint64_t rx = 0, tx = 0;  // all ports, including ones removed since
};
struct Stats {
  std::vector<std::pair<PortInfo, PortStats>> ports;
  std::vector<WorkerStats> workers;
  std::array<uint64_t, kDropReasonCount> drops{};
  uint64_t packet_in_dropped = 0, packet_out_dropped = 0, tsc_hz = 0;
};

// The set of ports the workers poll; immutable once published.
struct PortSet {
  std::array<bool, kMaxPorts> up{};                      // may transmit to this port
  std::array<uint32_t, kMaxPorts> gen{};                 // Datapath::port_gen_ when published
  // How to transmit on a port: the vhost library (vhost != nullptr) or ethdev `eth`. A
  // VhostPort outlives every PortSet naming it (freed after the set without it is published).
  struct Backend { const VhostPort* vhost = nullptr; uint16_t eth = 0; };
  std::array<Backend, kMaxPorts> backend{};
  struct RxQ { const VhostPort* vhost; uint16_t port, eth, queue; };
  std::vector<std::vector<RxQ>> rx_by_worker;            // queues each worker polls
};

class Datapath {
 public:
  using PipelineFactory = std::function<std::unique_ptr<WorkerPipeline>(unsigned worker)>;
  // Initialises EAL (once per process) and the pools. Throws std::runtime_error (message
  // starts with a code and ':').
  explicit Datapath(const Options& o);
  // Launches the workers; each calls `factory` once on its own thread.
  void start_workers(PipelineFactory factory);
  ~Datapath();
  Datapath(const Datapath&) = delete;
  Datapath& operator=(const Datapath&) = delete;

  PortInfo add_port(const std::string& name, PortType type, const std::string& path);
  // A port over two rte_rings (rx, tx) — the shell bench's loop, not a JS port type.
  // DPDK reuses a removed port's id for the next port. Each add_port gives the id a new
  // generation; a queued packet-out or packet-in carries the generation it was made
  // under and is dropped (never delivered to the new holder of the id) when it changed.
  // True when `gen` is still the id's generation (the id was not re-added since).
  bool port_current(uint16_t id, uint32_t gen) const;
  PortInfo add_ring_port(const std::string& name, rte_ring* rx, rte_ring* tx);
  void remove_port(const std::string& name);
  std::vector<PortInfo> ports() const;

  // Publishes `next` (ownership) and frees the previous version after a grace period.
  void publish(std::unique_ptr<TableVersion> next);
  const std::atomic<const TableVersion*>& table_slot() const { return table_; }
  // Returns once every worker has passed a quiescent state (or is offline): anything it
  // loaded from a shared slot before the call is no longer in use. Control thread.
  void synchronize_workers() { synchronize(); }
  rte_mempool* pool() const { return pool_; }
  unsigned workers() const { return opts_.workers; }
  const Options& options() const { return opts_; }
  // The datapath's clock (ns from the TSC): what workers pass to begin_burst, so every
  // thread that compares against conntrack deadlines must use it too.
  static uint64_t now_ns();

  Stats stats() const;
  // Queues bytes for transmission on `port` (start_table < 0) or for the pipeline from
  // table `start_table` as if received on `port`. False when the queue or pool is full.
  bool packet_out(uint16_t port, int start_table, const uint8_t* data, uint32_t len,
                  const PacketMeta& meta = {});
  // Dequeues up to `max` packet-ins; the caller copies them and calls release().
  unsigned take_packet_ins(PacketInRecord** out, unsigned max);
  void release_packet_ins(PacketInRecord** recs, unsigned n);
  // Set by the addon: called on a worker when the packet-in queue goes non-empty while
  // `notify_armed` is set (then cleared); the addon re-arms after draining.
  void (*on_packet_in)(void* ctx) = nullptr;
  void* on_packet_in_ctx = nullptr;
  std::atomic<bool> notify_armed{true};

  void stop();

 private:
  friend class WorkerSink;
  static int worker_main(void* arg);
  void worker_loop(unsigned idx);
  void publish_ports();
  void release_port(const PortInfo& p);
  PortInfo setup_port(const std::string& name, PortType type, const std::string& path,
                      const std::string& dev, uint16_t pid);
  PortInfo register_port(PortInfo info);
  uint16_t free_id() const;
  void synchronize();
  // A vhost device is going away (destroy_device, any thread): wait for every online
  // worker even while stop() is winding them down (running_ already false).
  static void quiesce(void* self);

  Options opts_;
  rte_mempool* pool_ = nullptr;
  rte_mempool* pin_pool_ = nullptr;   // PacketInRecord objects
  rte_ring* pin_ring_ = nullptr;      // worker -> JS
  rte_ring* pout_ring_ = nullptr;     // JS -> worker 0
  rte_rcu_qsbr* qs_ = nullptr;
  std::atomic<const TableVersion*> table_{nullptr};
  std::atomic<const PortSet*> portset_{nullptr};
  std::vector<PortInfo> ports_;  // control thread only
  std::array<std::unique_ptr<VhostPort>, kMaxPorts> vhost_;  // by port id; control thread only
  std::array<uint32_t, kMaxPorts> port_gen_{};  // control thread only; bumped by setup_port
  std::vector<unsigned> worker_lcores_;
  PipelineFactory factory_;
  std::unique_ptr<WorkerCounters[]> counters_;
  std::atomic<uint64_t> pin_dropped_{0}, pout_dropped_{0};
  // The private area of a packet-out mbuf.
  struct PacketOutPriv { PacketMeta meta; uint32_t port_gen; };
  std::atomic<bool> running_{false};
  bool stopped_ = false;
  unsigned next_vdev_ = 0;
};

}  // namespace loom::dp
