// datapath/addon/pipeline_binding.h — which pipeline the shell runs, seen from JS.
//
// Owns: the interface between the addon's JS entry points and a pipeline implementation:
//   turning a validated JS batch into the next published table version, reporting
//   per-entry counters and the pipeline's own drop reasons.
// Reads: JS batch arrays (normalised by datapath/js/batch.ts: every match field is
//   {value: "0x..", mask: "0x.."}, actions are tagged objects).
// Called by: addon.cc. Implemented by simple_binding.cc (the shell's L2 table) and,
//   when datapath/core is built in, core_binding.cc.
// Never: publishes half a batch: a rejected batch throws and leaves the current version.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "dpdk/datapath.h"

namespace loom::dp {

class PipelineBinding {
 public:
  virtual ~PipelineBinding() = default;
  // Builds and publishes; returns {entries: n, ...}. Throws a LoomError-shaped Napi::Error
  // (code, message, index, field, value) when the batch is rejected.
  virtual Napi::Value apply(Napi::Env env, Napi::Array ops) = 0;
  virtual Napi::Array entry_stats(Napi::Env env) = 0;
  virtual void add_drop_reasons(Napi::Env env, Napi::Object into) = 0;
  virtual const char* name() const = 0;
  // Connection-tracking counters {conns, created, expired, ...}, or null without conntrack.
  virtual Napi::Value conntrack(Napi::Env env) { return env.Null(); }
  // Runs one packet through the current tables on the calling (JS) thread and reports every
  // lookup and step, without transmitting anything. {lookups, steps, outputs, packetIns, drops}
  virtual Napi::Value trace(Napi::Env env, uint16_t in_port, uint16_t table, const uint8_t* data,
                            uint32_t len, const PacketMeta& meta) = 0;
  static std::unique_ptr<PipelineBinding> create(Datapath& dp);
};

// Shared helpers for bindings.
Napi::Error batch_error(Napi::Env env, const std::string& code, const std::string& message,
                        size_t index, const std::string& field, const std::string& value);
// Parses "0x..." (up to 32 hex digits) into hi/lo; false on bad text.
bool parse_hex128(const std::string& s, uint64_t& hi, uint64_t& lo);

}  // namespace loom::dp
