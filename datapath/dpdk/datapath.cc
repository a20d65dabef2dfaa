// datapath/dpdk/datapath.cc — see datapath.h. The worker loop follows DPDK's l2fwd shape
// (rx burst, process the vector, tx, free what tx refused) and grout's idle policy (sleep
// one microsecond longer after each empty poll, up to a cap; offline while asleep).
#include "datapath.h"
#include "vhost_port.h"
#include "worker_sink.h"

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace loom::dp {

namespace {
bool g_eal_started = false;

[[noreturn]] void fail(const std::string& code, const std::string& msg) {
  throw std::runtime_error(code + ":" + msg);
}

unsigned pow2_at_least(unsigned n) {
  unsigned p = 1;
  while (p < n) p <<= 1;
  return p;
}

const char* type_driver(PortType t) {
  switch (t) {
    case PortType::kVhostUser:
    case PortType::kVhostUserClient: return "net_vhost";
    case PortType::kAfPacket: return "net_af_packet";
    case PortType::kTap: return "net_tap";
    case PortType::kRing: return "net_ring";
  }
  return "net_unknown";
}

// DPDK's af_packet PMD joins every queue socket to the PACKET_FANOUT group
// (getpid() ^ ifindex) & 0xffff. Fanout ids are per network namespace, so a second
// process (another datapath, a test's second chassis) whose pid ^ ifindex lands on the
// same id for a different interface makes the kernel refuse the join with EINVAL and the
// probe fails with nothing but "could not create port". When a probe fails, this
// replays the join on a socket of our own to tell that case apart; returns the id
// if it is the cause, -1 otherwise. Only on failure: a probe socket in a live group
// would take a share of its packets.
int fanout_conflict(const std::string& iface) {
  const unsigned idx = if_nametoindex(iface.c_str());
  if (idx == 0) return -1;
  const int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) return -1;
  sockaddr_ll sa{};
  sa.sll_family = AF_PACKET;
  sa.sll_protocol = htons(ETH_P_ALL);
  sa.sll_ifindex = static_cast<int>(idx);
  const int id = static_cast<int>((static_cast<unsigned>(getpid()) ^ idx) & 0xffff);
  int arg = id | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG | PACKET_FANOUT_FLAG_ROLLOVER) << 16);
  int conflict = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0 && errno == EINVAL)
    conflict = id;
  close(fd);
  return conflict;
}

template <typename T>
T load_relaxed(const T& v) { return __atomic_load_n(&v, __ATOMIC_RELAXED); }
template <typename T>
void add_relaxed(T& v, T d) { __atomic_store_n(&v, load_relaxed(v) + d, __ATOMIC_RELAXED); }
}  // namespace

void WorkerPipeline::process_burst(rte_mbuf** pkts, uint16_t n, uint16_t in_port, BurstSink& sink) {
  for (uint16_t i = 0; i < n; i++) {
    if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void*));
    pkts[i]->port = in_port;
    process(pkts[i], in_port, sink, 0);
  }
}

uint64_t Datapath::now_ns() {
  static const double ns_per_tick = 1e9 / static_cast<double>(rte_get_tsc_hz());
  return static_cast<uint64_t>(static_cast<double>(rte_rdtsc()) * ns_per_tick);
}

Datapath::Datapath(const Options& o) : opts_(o) {
  if (g_eal_started) fail("eal_once", "EAL is initialised once per process; start a new process");
  if (opts_.workers == 0 || opts_.workers > kMaxWorkers)
    fail("bad_option", "workers must be 1.." + std::to_string(kMaxWorkers));
  std::vector<std::string> args = {"loom-datapath"};
  args.insert(args.end(), opts_.eal_args.begin(), opts_.eal_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  g_eal_started = true;
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0)
    fail("eal_init", std::string("rte_eal_init failed: ") + rte_strerror(rte_errno));
  unsigned lc;
  RTE_LCORE_FOREACH_WORKER(lc) {
    if (worker_lcores_.size() < opts_.workers) worker_lcores_.push_back(lc);
  }
  if (worker_lcores_.size() < opts_.workers)
    fail("bad_option", "EAL has " + std::to_string(worker_lcores_.size()) +
                           " worker lcores, " + std::to_string(opts_.workers) + " asked");
  // Private area: the PacketMeta and port generation of packet-outs.
  const uint16_t priv = static_cast<uint16_t>(RTE_ALIGN(sizeof(PacketOutPriv), RTE_MBUF_PRIV_ALIGN));
  pool_ = rte_pktmbuf_pool_create("loom_mbufs", opts_.mbufs, 256, priv, RTE_MBUF_DEFAULT_BUF_SIZE,
                                  static_cast<int>(rte_socket_id()));
  if (!pool_) fail("no_memory", std::string("mbuf pool: ") + rte_strerror(rte_errno));
  pin_pool_ = rte_mempool_create("loom_pin", opts_.packet_in_queue, sizeof(PacketInRecord), 0, 0,
                                 nullptr, nullptr, nullptr, nullptr,
                                 static_cast<int>(rte_socket_id()), 0);
  pin_ring_ = rte_ring_create("loom_pin_ring", pow2_at_least(opts_.packet_in_queue + 1),
                              static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
  pout_ring_ = rte_ring_create("loom_pout_ring", 1024, static_cast<int>(rte_socket_id()),
                               RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (!pin_pool_ || !pin_ring_ || !pout_ring_) fail("no_memory", "packet-in/out queues");
  const size_t qsz = rte_rcu_qsbr_get_memsize(opts_.workers);
  qs_ = static_cast<rte_rcu_qsbr*>(rte_zmalloc("loom_qsbr", qsz, RTE_CACHE_LINE_SIZE));
  if (!qs_ || rte_rcu_qsbr_init(qs_, opts_.workers) != 0) fail("no_memory", "rcu qsbr");
  counters_.reset(new WorkerCounters[opts_.workers]);
  auto* ps = new PortSet();
  ps->rx_by_worker.resize(opts_.workers);
  portset_.store(ps, std::memory_order_release);
}

void Datapath::start_workers(PipelineFactory factory) {
  if (running_.load()) fail("already_started", "workers are running");
  factory_ = std::move(factory);
  running_.store(true);
  for (unsigned i = 0; i < opts_.workers; i++) {
    // Registered here, before launch, so that a synchronize() never misses a worker.
    rte_rcu_qsbr_thread_register(qs_, i);
    auto* arg = new std::pair<Datapath*, unsigned>(this, i);
    if (rte_eal_remote_launch(&Datapath::worker_main, arg, worker_lcores_[i]) != 0)
      fail("eal_launch", "could not launch worker on lcore " + std::to_string(worker_lcores_[i]));
  }
}

Datapath::~Datapath() { stop(); }

int Datapath::worker_main(void* arg) {
  auto* p = static_cast<std::pair<Datapath*, unsigned>*>(arg);
  Datapath* dp = p->first;
  const unsigned idx = p->second;
  delete p;
  dp->worker_loop(idx);
  return 0;
}

void Datapath::worker_loop(unsigned idx) {
  // Without this, a 1 µs nanosleep takes the default 50 µs timer slack.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  WorkerCounters& c = counters_[idx];
  WorkerSink sink(this, idx);
  std::unique_ptr<WorkerPipeline> pipe = factory_(idx);
  const double ns_per_tick = 1e9 / static_cast<double>(rte_get_tsc_hz());
  rte_mbuf* pkts[kBurst];
  unsigned sleep_us = 0;
  unsigned empty = 0;
  rte_rcu_qsbr_thread_online(qs_, idx);
  while (running_.load(std::memory_order_relaxed)) {
    const uint64_t t0 = rte_rdtsc();
    const PortSet* ps = portset_.load(std::memory_order_acquire);
    pipe->begin_burst(static_cast<uint64_t>(static_cast<double>(t0) * ns_per_tick));
    sink.begin(ps);
    unsigned total = 0;
    for (const PortSet::RxQ& q : ps->rx_by_worker[idx]) {
      const uint16_t port = q.port;
      const uint16_t n = q.vhost ? vhost_rx(*q.vhost, pool_, pkts, kBurst)
                                 : rte_eth_rx_burst(q.eth, q.queue, pkts, kBurst);
      if (n == 0) continue;
      total += n;
      add_relaxed(c.rx[port], uint64_t{n});
      pipe->process_burst(pkts, n, port, sink);
      sink.flush();
    }
    if (idx == 0) {
      const unsigned n = rte_ring_sc_dequeue_burst(pout_ring_, reinterpret_cast<void**>(pkts),
                                                   kBurst, nullptr);
      for (unsigned i = 0; i < n; i++) {
        rte_mbuf* m = pkts[i];
        const auto* po = static_cast<const PacketOutPriv*>(rte_mbuf_to_priv(m));
        // Queued for a port that was removed since (its id may now be another port's).
        if (m->port >= kMaxPorts || ps->gen[m->port] != po->port_gen) {
          sink.drop(m, kDropBadPort);
          continue;
        }
        const bool to_table = m->hash.usr != 0;
        if (to_table)
          pipe->process(m, m->port, sink, static_cast<uint16_t>(m->hash.usr - 1), &po->meta);
        else sink.emit(m->port, m, true);
      }
      if (n) { sink.flush(); total += n; }
    }
    if (sink.take_pin_queued() && on_packet_in && notify_armed.exchange(false)) {
      on_packet_in(on_packet_in_ctx);
    }
    pipe->end_burst();
    rte_rcu_qsbr_quiescent(qs_, idx);
    const uint64_t t1 = rte_rdtsc();
    add_relaxed(c.polls, uint64_t{1});
    if (total) {
      add_relaxed(c.busy_cycles, t1 - t0);
      add_relaxed(c.bursts, uint64_t{1});
      sleep_us = 0;
      empty = 0;
      continue;
    }
    add_relaxed(c.idle_cycles, t1 - t0);
    // A short run of empty polls spins (a loop that is merely waiting for its peer does
    // not pay a wake-up per gap); after that every empty poll sleeps a little longer.
    if (++empty <= opts_.idle_spin_polls) { rte_pause(); continue; }
    sleep_us = std::min(sleep_us + 1, opts_.idle_sleep_cap_us);
    pipe->go_offline();
    rte_rcu_qsbr_thread_offline(qs_, idx);
    timespec ts{0, static_cast<long>(sleep_us) * 1000L};
    nanosleep(&ts, nullptr);
    rte_rcu_qsbr_thread_online(qs_, idx);
    add_relaxed(c.sleeps, uint64_t{1});
    add_relaxed(c.idle_cycles, rte_rdtsc() - t1);
  }
  pipe->go_offline();
  rte_rcu_qsbr_thread_offline(qs_, idx);
  pipe.reset();  // on this thread: an executor unregisters its own slot
}

void Datapath::synchronize() {
  if (running_.load()) rte_rcu_qsbr_synchronize(qs_, RTE_QSBR_THRID_INVALID);
}

void Datapath::quiesce(void* self) {
  // Offline and never-started workers do not hold it up; stop() closes every vhost port
  // (so no callback comes later) before EAL, and qs_ with it, is cleaned up.
  rte_rcu_qsbr_synchronize(static_cast<Datapath*>(self)->qs_, RTE_QSBR_THRID_INVALID);
}

void Datapath::publish(std::unique_ptr<TableVersion> next) {
  const TableVersion* old = table_.exchange(next.release(), std::memory_order_acq_rel);
  synchronize();
  delete old;
}

void Datapath::publish_ports() {
  auto* ps = new PortSet();
  ps->rx_by_worker.resize(opts_.workers);
  ps->gen = port_gen_;  // every id, present or not: only a re-added id changes generation
  unsigned i = 0;
  for (const PortInfo& p : ports_) {
    ps->up[p.id] = true;
    const VhostPort* vp = vhost_[p.id].get();
    ps->backend[p.id] = PortSet::Backend{vp, p.eth_id};
    auto& mine = ps->rx_by_worker[i++ % opts_.workers];
    for (uint16_t q = 0; q < p.rx_queues; q++) mine.push_back({vp, p.id, p.eth_id, q});
  }
  const PortSet* old = portset_.exchange(ps, std::memory_order_acq_rel);
  synchronize();
  delete old;
}

PortInfo Datapath::add_port(const std::string& name, PortType type, const std::string& path) {
  if (stopped_) fail("stopped", "the datapath is stopped");
  for (const PortInfo& p : ports_)
    if (p.name == name) fail("duplicate_port", "a port named '" + name + "' exists (id " +
                                                   std::to_string(p.id) + ")");
  if (path.empty() || path.find(',') != std::string::npos)
    fail("bad_path", "path/iface must be non-empty and contain no ','");
  if (type == PortType::kVhostUser || type == PortType::kVhostUserClient) {
    // The vhost library directly (vhost_port.h): no ethdev, no PMD wrapper per burst.
    const uint16_t id = free_id();
    if (id >= kMaxPorts) fail("port_setup", "no free port id (" + std::to_string(kMaxPorts) + " ports)");
    vhost_[id] = vhost_open(path, type == PortType::kVhostUserClient, &Datapath::quiesce, this);
    return register_port(PortInfo{id, name, type, path, "vhost_loom" + std::to_string(next_vdev_++), 1, UINT16_MAX});
  }
  const std::string dev = std::string(type_driver(type)) + "_loom" + std::to_string(next_vdev_++);
  std::string args = dev;
  const std::string q = std::to_string(opts_.workers);
  switch (type) {
    case PortType::kVhostUser:
    case PortType::kVhostUserClient: break;  // above
    case PortType::kAfPacket: args += ",iface=" + path + ",qpairs=" + q; break;
    case PortType::kTap: args += ",iface=" + path; break;
    case PortType::kRing: fail("bad_type", "ring ports are made with add_ring_port");
  }
  if (rte_dev_probe(args.c_str()) != 0) {
    const int id = type == PortType::kAfPacket ? fanout_conflict(path) : -1;
    if (id >= 0)
      fail("fanout_conflict", "could not create port: " + args + ": another process holds af_packet fanout group " +
                                  std::to_string(id) + " (this process's pid xor the ifindex of " + path +
                                  ", chosen by DPDK's af_packet driver) on a different interface; run one "
                                  "datapath per network namespace, or restart this one to get another pid");
    fail("port_probe", "could not create port: " + args + " (the datapath's log says why)");
  }
  uint16_t pid = 0;
  if (rte_eth_dev_get_port_by_name(dev.c_str(), &pid) != 0) {
    rte_eal_hotplug_remove("vdev", dev.c_str());
    fail("port_probe", "probed " + dev + " but found no ethdev");
  }
  return setup_port(name, type, path, dev, pid);
}

PortInfo Datapath::add_ring_port(const std::string& name, rte_ring* rx, rte_ring* tx) {
  if (stopped_) fail("stopped", "the datapath is stopped");
  for (const PortInfo& p : ports_)
    if (p.name == name) fail("duplicate_port", "a port named '" + name + "' exists");
  if (opts_.workers != 1) fail("bad_option", "ring ports take one worker");
  const std::string dev = "net_ring_loom" + std::to_string(next_vdev_++);
  const int pid = rte_eth_from_rings(dev.c_str(), &rx, 1, &tx, 1, rte_socket_id());
  if (pid < 0) fail("port_probe", "rte_eth_from_rings failed: " + std::string(rte_strerror(rte_errno)));
  return setup_port(name, PortType::kRing, "", dev, static_cast<uint16_t>(pid));
}

PortInfo Datapath::setup_port(const std::string& name, PortType type, const std::string& path,
                              const std::string& dev, uint16_t pid) {
  auto undo = [&](const std::string& what, int rc) {
    if (type == PortType::kRing) rte_eth_dev_close(pid);
    else rte_eal_hotplug_remove("vdev", dev.c_str());
    fail("port_setup", what + " failed on " + dev + ": " + rte_strerror(-rc));
  };
  const uint16_t id = free_id();
  if (id >= kMaxPorts) undo("port id range", -ERANGE);
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof conf);
  const uint16_t nrx = type == PortType::kAfPacket ? static_cast<uint16_t>(opts_.workers) : 1;
  int rc = rte_eth_dev_configure(pid, nrx, static_cast<uint16_t>(opts_.workers), &conf);
  if (rc < 0) undo("configure", rc);
  const int sock = rte_eth_dev_socket_id(pid) < 0 ? 0 : rte_eth_dev_socket_id(pid);
  for (uint16_t qi = 0; qi < nrx; qi++) {
    rc = rte_eth_rx_queue_setup(pid, qi, 1024, static_cast<unsigned>(sock), nullptr, pool_);
    if (rc < 0) undo("rx queue setup", rc);
  }
  for (uint16_t qi = 0; qi < opts_.workers; qi++) {
    rc = rte_eth_tx_queue_setup(pid, qi, 1024, static_cast<unsigned>(sock), nullptr);
    if (rc < 0) undo("tx queue setup", rc);
  }
  rc = rte_eth_dev_start(pid);
  if (rc < 0) undo("start", rc);
  rte_eth_promiscuous_enable(pid);  // af_packet/tap: see frames for other MACs
  rte_eth_stats_reset(pid);
  return register_port(PortInfo{id, name, type, path, dev, nrx, pid});
}

// Lowest id no port holds (DPDK's own rule for ethdev ids), kMaxPorts when all are taken.
uint16_t Datapath::free_id() const {
  for (uint16_t id = 0; id < kMaxPorts; id++)
    if (std::none_of(ports_.begin(), ports_.end(), [id](const PortInfo& p) { return p.id == id; })) return id;
  return kMaxPorts;
}

PortInfo Datapath::register_port(PortInfo info) {
  const uint16_t id = info.id;
  // Port ids are reused after removal: forget the previous holder's counts (and see port_gen_).
  for (unsigned w = 0; w < opts_.workers; w++) {
    __atomic_store_n(&counters_[w].rx[id], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&counters_[w].tx[id], 0, __ATOMIC_RELAXED);
    __atomic_store_n(&counters_[w].tx_drop[id], 0, __ATOMIC_RELAXED);
  }
  ++port_gen_[id];  // queued packet-outs/packet-ins of the id's previous holder go stale
  ports_.push_back(info);
  publish_ports();
  return info;
}

// Ring ports are not hot-plugged vdevs; closing releases them. A vhost-user port's socket
// is unregistered (its device destroyed, the workers quiesced) before it is freed.
void Datapath::release_port(const PortInfo& p) {
  if (auto& vp = vhost_[p.id]) {
    vhost_close(*vp);
    vp.reset();
    return;
  }
  rte_eth_dev_stop(p.eth_id);
  if (p.type == PortType::kRing) rte_eth_dev_close(p.eth_id);
  else rte_eal_hotplug_remove("vdev", p.devname.c_str());
}

void Datapath::remove_port(const std::string& name) {
  auto it = std::find_if(ports_.begin(), ports_.end(), [&](const PortInfo& p) { return p.name == name; });
  if (it == ports_.end()) fail("no_such_port", "no port named '" + name + "'");
  const PortInfo info = *it;
  ports_.erase(it);
  publish_ports();  // after this no worker touches the port
  release_port(info);
}

std::vector<PortInfo> Datapath::ports() const { return ports_; }

bool Datapath::port_current(uint16_t id, uint32_t gen) const {
  // Ids that never were a port (packet-outs into a table name any in_port) have generation 0.
  return id >= kMaxPorts || port_gen_[id] == gen;
}

Stats Datapath::stats() const {
  Stats s;
  s.tsc_hz = rte_get_tsc_hz();
  for (const PortInfo& p : ports_) {
    PortStats ps;
    for (unsigned w = 0; w < opts_.workers; w++) {
      ps.rx += load_relaxed(counters_[w].rx[p.id]);
      ps.tx += load_relaxed(counters_[w].tx[p.id]);
      ps.tx_drop += load_relaxed(counters_[w].tx_drop[p.id]);
    }
    if (const VhostPort* vp = vhost_[p.id].get()) {
      // No PMD: the device's presence is the link, loom's own counts are the port's.
      ps.link_up = vp->vid.load(std::memory_order_acquire) >= 0;
      ps.pmd_ipackets = ps.rx;
      ps.pmd_opackets = ps.tx;
      ps.pmd_oerrors = ps.tx_drop;
      s.ports.emplace_back(p, ps);
      continue;
    }
    rte_eth_link link;
    std::memset(&link, 0, sizeof link);
    if (rte_eth_link_get_nowait(p.eth_id, &link) == 0) ps.link_up = link.link_status == RTE_ETH_LINK_UP;
    rte_eth_stats es;
    if (rte_eth_stats_get(p.eth_id, &es) == 0) {
      ps.pmd_ipackets = es.ipackets;
      ps.pmd_opackets = es.opackets;
      ps.pmd_imissed = es.imissed;
      ps.pmd_ierrors = es.ierrors;
      ps.pmd_oerrors = es.oerrors;
    }
    s.ports.emplace_back(p, ps);
  }
  for (unsigned w = 0; w < opts_.workers; w++) {
    const WorkerCounters& c = counters_[w];
    WorkerStats ws{worker_lcores_[w], load_relaxed(c.busy_cycles), load_relaxed(c.idle_cycles),
                   load_relaxed(c.sleeps), load_relaxed(c.polls), load_relaxed(c.bursts), 0, 0};
    for (unsigned p = 0; p < kMaxPorts; p++) {
      ws.rx += load_relaxed(c.rx[p]);
      ws.tx += load_relaxed(c.tx[p]);
    }
    s.workers.push_back(ws);
    for (unsigned r = 0; r < kDropReasonCount; r++) s.drops[r] += load_relaxed(c.drops[r]);
  }
  s.packet_in_dropped = pin_dropped_.load();
  s.packet_out_dropped = pout_dropped_.load();
  return s;
}

bool Datapath::packet_out(uint16_t port, int start_table, const uint8_t* data, uint32_t len,
                          const PacketMeta& meta) {
  if (stopped_) fail("stopped", "the datapath is stopped");
  rte_mbuf* m = rte_pktmbuf_alloc(pool_);
  if (!m) { pout_dropped_.fetch_add(1); return false; }
  char* dst = rte_pktmbuf_append(m, static_cast<uint16_t>(len));
  if (!dst || len > UINT16_MAX) { rte_pktmbuf_free(m); fail("too_long", "packet does not fit one mbuf"); }
  std::memcpy(dst, data, len);
  m->port = port;
  m->hash.usr = start_table < 0 ? 0 : static_cast<uint32_t>(start_table) + 1;
  auto* po = static_cast<PacketOutPriv*>(rte_mbuf_to_priv(m));
  po->meta = meta;
  po->port_gen = port < kMaxPorts ? port_gen_[port] : 0;
  if (rte_ring_sp_enqueue(pout_ring_, m) != 0) {
    rte_pktmbuf_free(m);
    pout_dropped_.fetch_add(1);
    return false;
  }
  return true;
}

unsigned Datapath::take_packet_ins(PacketInRecord** out, unsigned max) {
  return rte_ring_sc_dequeue_burst(pin_ring_, reinterpret_cast<void**>(out), max, nullptr);
}

void Datapath::release_packet_ins(PacketInRecord** recs, unsigned n) {
  rte_mempool_put_bulk(pin_pool_, reinterpret_cast<void**>(recs), n);
}

void Datapath::stop() {
  if (stopped_) return;
  stopped_ = true;
  running_.store(false);
  for (unsigned lc : worker_lcores_) rte_eal_wait_lcore(lc);
  for (const PortInfo& p : ports_) release_port(p);
  ports_.clear();
  delete table_.exchange(nullptr);
  delete portset_.exchange(nullptr);
  // Leftover packet-ins and packet-outs go back to their pools.
  PacketInRecord* recs[64];
  unsigned n;
  while ((n = take_packet_ins(recs, 64)) > 0) release_packet_ins(recs, n);
  rte_mbuf* ms[64];
  while ((n = rte_ring_sc_dequeue_burst(pout_ring_, reinterpret_cast<void**>(ms), 64, nullptr)) > 0)
    rte_pktmbuf_free_bulk(ms, n);
  rte_eal_cleanup();
}

}  // namespace loom::dp
