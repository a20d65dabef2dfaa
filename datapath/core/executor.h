// datapath/core/executor.h — runs packets through the current pipeline version.
//
// Owns: one forwarding thread's view: its QSBR slot, its multi-table flow cache (paths
// from a start table to the first lookup after ct, keyed on the bits they consulted;
// see executor.cc), its per-table exact-match cache (EMC), its drop/lookup counters and
// scratch space for group copies. One Executor per
// forwarding thread; never shared between threads.
// Reads: Core::current() (pinned for a burst), parser, tables, conntrack, neigh cache.
// Called by: the shell's forwarding loop: begin_burst(now); run() per packet;
// end_burst(); go_offline() before sleeping. Also packet-out and trace from the control
// thread through their own Executor.
// Never: allocate, lock (except conntrack's stripe locks), log, throw, or keep a pointer
// into a pipeline version past end_burst()/go_offline().
// Invariants: a packet sees exactly one pipeline version from table 0 to its last
// action; resubmit depth <= kMaxDepth, total table lookups per packet <= kMaxLookups;
// EMC entries are valid only for the Table generation they were filled from; flow-cache
// segments only for the pipeline version they were recorded in, and a replay gives the
// same outputs, drops, counters and lookups as running the tables (conntrack always runs;
// a replay's entry counters are added by end_burst()/go_offline(), once per burst). A
// second ct of a packet in the same zone, on the unchanged packet, with no NAT/LB and no
// mark/label to commit, returns the first ct's answer (OVS's process_one_fast).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/core.h"
#include "core/parser.h"

namespace loom {

constexpr unsigned kMaxDepth = 16;       // nested resubmits / group buckets
constexpr unsigned kMaxLookups = 1024;   // table lookups per packet (incl. recirculation)
constexpr unsigned kMaxCloneDepth = 4;   // nested groups
constexpr uint32_t kMaxFrame = 9216 + 256;  // largest frame a group copy can hold

// Optional: receives every lookup while tracing (control path only, e.g. `loom trace`).
class Tracer {
 public:
  virtual ~Tracer() = default;
  // hit == nullptr: table miss (then the miss action follows).
  virtual void lookup(uint16_t table, const FlowKey& key, const Entry* hit) = 0;
  // Other steps: "ct", "output", "group", "drop", "packet_in", "dec_ttl", "decap", ...
  virtual void step(const char* what, uint64_t a, uint64_t b) { (void)what; (void)a; (void)b; }
};

struct ExecStats {
  uint64_t packets = 0;
  uint64_t lookups = 0;
  uint64_t emc_hits = 0;
  uint64_t flow_cache_hits = 0;  // segments replayed from the flow cache (see executor.cc)
  uint64_t outputs = 0;
  uint64_t packet_ins = 0;
  uint64_t drops[static_cast<unsigned>(DropReason::kCount)] = {};
};

class Executor {
 public:
  // Registers a QSBR thread slot (throws std::runtime_error if all kMaxThreads are used;
  // construction is not on the fast path). The executor starts offline.
  explicit Executor(Core& core, uint32_t emc_entries = 8192);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Comes online if needed and pins the current version for this burst.
  void begin_burst(uint64_t now_ns) noexcept;
  // Runs one packet from start_table. Between begin_burst and end_burst only.
  void run(Packet& pkt, Sink& sink, uint16_t start_table = 0, Tracer* tracer = nullptr) noexcept;
  // Reports a quiescent state; after a burst that ran packets, also expires a bounded
  // number of conntrack slots (none after an empty one: callers run a timer for idle).
  void end_burst() noexcept;
  // Before the thread sleeps: no version is pinned, writers need not wait for us.
  void go_offline() noexcept;

  unsigned thread_index() const noexcept { return tid_; }
  void set_emc_enabled(bool on) noexcept { emc_on_ = on; }
  // The multi-table flow cache (megaflow-like; on by default; traced packets bypass it).
  void set_flow_cache_enabled(bool on) noexcept { mf_on_ = on; }
  // A copy of the counters; safe to call from another thread (relaxed reads).
  ExecStats stats() const noexcept;

  struct Impl;

 private:
  Core& core_;
  unsigned tid_;
  bool online_ = false;
  bool emc_on_ = true;
  bool mf_on_ = true;
  std::unique_ptr<Impl> impl_;
};

}  // namespace loom
