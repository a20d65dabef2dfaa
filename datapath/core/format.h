// datapath/core/format.h — OVS-style text for entries, matches and actions.
//
// Owns: the one textual rendering of installed datapath state, used by dumps
// (`loom dp dump-flows`-like output through the addon) and by traces, so operators read
// "table=0, priority=10, n_packets=3, ip4_dst=10.0.0.5,tcp_dst=80 actions=ct(zone=1,table=1)"
// the way they read ovs-ofctl dump-flows.
// Reads: Entry, Match, Action, Pipeline. Called by: the addon, tests. Control path only
// (allocates strings); never on the fast path.
#pragma once

#include <string>
#include <vector>

#include "core/executor.h"
#include "core/pipeline.h"

namespace loom {

std::string format_value(Field f, U128 v);          // 10.0.0.1, 02:00:00:00:00:01, 0x1f, ...
std::string format_match(const Match& m);           // "in_port=1,eth_type=0x800,ip4_dst=10.0.0.0/255.0.0.0"
std::string format_action(const Action& a);         // "output:2", "ct(commit,zone=1,nat(src=...))"
std::string format_program(const Program& p);       // comma-separated; "drop" when empty
std::string format_entry(const Entry& e);           // one dump-flows line (counters included)
std::string format_pipeline(const Pipeline& p);     // every table's entries and miss action, groups

// A Tracer that writes one line per step (for a datapath trace of one packet):
//   "0. table=0 priority=100 cookie=0x2a ip4_dst=10.0.0.0/255.0.0.0 -> ct(zone=5,table=3)"
//   "   ct: ct_state=+new+trk zone=5"
class TextTracer : public Tracer {
 public:
  std::vector<std::string> lines;
  unsigned lookups = 0;
  void lookup(uint16_t table, const FlowKey& key, const Entry* hit) override;
  void step(const char* what, uint64_t a, uint64_t b) override;
};

}  // namespace loom
