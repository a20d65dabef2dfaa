// datapath/addon/addon.cc — the N-API face of the DPDK shell (loom_datapath.node).
//
// Owns: conversion between JS values and the shell's C++ types, the one Datapath of the
//   process, the thread-safe function that wakes JS when packet-ins are queued.
// Reads: JS arguments (already validated by datapath/js; re-checked here because a bad
//   value past this point would be a crash, not an error).
// Called by: datapath/js/index.ts only (createRequire).
// Never: lets a C++ exception cross into node (every entry point converts to a JS Error
//   with a LoomError code); blocks the JS thread on traffic.
// Invariants: at most one Datapath per process (EAL is once per process); every call
//   comes from the JS main thread, which is also the EAL main lcore.
#define NAPI_VERSION 8
#include <napi.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

#include "dpdk/datapath.h"
#include "addon/pipeline_binding.h"

using loom::dp::Datapath;
using loom::dp::PortType;

namespace {

std::unique_ptr<Datapath> g_dp;
std::unique_ptr<loom::dp::PipelineBinding> g_pipe;
Napi::ThreadSafeFunction g_tsfn;
bool g_tsfn_live = false;

Napi::Error loom_error(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", code);
  e.Set("name", "LoomError");
  return e;
}

// C++ errors carry "code:message".
Napi::Error from_exception(Napi::Env env, const std::exception& ex) {
  const std::string w = ex.what();
  const auto colon = w.find(':');
  if (colon == std::string::npos || colon > 40) return loom_error(env, "internal", w);
  return loom_error(env, w.substr(0, colon), w.substr(colon + 1));
}

Datapath& need_dp(Napi::Env env) {
  if (!g_dp) throw loom_error(env, "not_started", "call Datapath.start() first");
  return *g_dp;
}

const char* type_name(PortType t) {
  switch (t) {
    case PortType::kVhostUser: return "vhost-user";
    case PortType::kVhostUserClient: return "vhost-user-client";
    case PortType::kAfPacket: return "af_packet";
    case PortType::kTap: return "tap";
    case PortType::kRing: return "ring";
  }
  return "?";
}

Napi::Object port_object(Napi::Env env, const loom::dp::PortInfo& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", p.id);
  o.Set("name", p.name);
  o.Set("type", type_name(p.type));
  o.Set("path", p.path);
  o.Set("device", p.devname);
  return o;
}

void packet_in_notify(void*) {
  // Runs on a worker; NonBlockingCall takes node's queue lock, which is why the worker
  // calls it at most once per drain (notify_armed), never per packet.
  if (g_tsfn_live) g_tsfn.NonBlockingCall();
}

// start({eal: string[], workers, idleSleepCapUs, mbufs, packetInQueue, ctExpireMs?,
//        ctTimeouts?: {udp_first: seconds, ...}}, onPacketIn)
Napi::Value Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (g_dp) throw loom_error(env, "already_started", "the datapath of this process is running");
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw loom_error(env, "bad_argument", "start(options, onPacketIn)");
  Napi::Object o = info[0].As<Napi::Object>();
  loom::dp::Options opts;
  Napi::Array eal = o.Get("eal").As<Napi::Array>();
  for (uint32_t i = 0; i < eal.Length(); i++) opts.eal_args.push_back(eal.Get(i).As<Napi::String>());
  opts.workers = o.Get("workers").As<Napi::Number>().Uint32Value();
  opts.idle_sleep_cap_us = o.Get("idleSleepCapUs").As<Napi::Number>().Uint32Value();
  opts.mbufs = o.Get("mbufs").As<Napi::Number>().Uint32Value();
  opts.idle_spin_polls = o.Get("idleSpinPolls").As<Napi::Number>().Uint32Value();
  opts.packet_in_queue = o.Get("packetInQueue").As<Napi::Number>().Uint32Value();
  if (o.Has("ctExpireMs") && o.Get("ctExpireMs").IsNumber())
    opts.ct_expire_ms = o.Get("ctExpireMs").As<Napi::Number>().Uint32Value();
  if (o.Has("ctTimeouts") && o.Get("ctTimeouts").IsObject()) {
    Napi::Object to = o.Get("ctTimeouts").As<Napi::Object>();
    Napi::Array keys = to.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); i++) {
      const std::string k = keys.Get(i).ToString();
      opts.ct_timeouts.emplace_back(k, to.Get(k).ToNumber().Uint32Value());
    }
  }
  try {
    g_dp = std::make_unique<Datapath>(opts);
    g_pipe = loom::dp::PipelineBinding::create(*g_dp);
  } catch (const std::exception& ex) {
    g_dp.reset();
    throw from_exception(env, ex);
  }
  g_tsfn = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "loom-packet-in", 0, 1);
  g_tsfn.Unref(env);
  g_tsfn_live = true;
  g_dp->on_packet_in = packet_in_notify;
  return env.Undefined();
}

PortType parse_type(Napi::Env env, const std::string& t) {
  if (t == "vhost-user") return PortType::kVhostUser;
  if (t == "vhost-user-client") return PortType::kVhostUserClient;
  if (t == "af_packet") return PortType::kAfPacket;
  if (t == "tap") return PortType::kTap;
  throw loom_error(env, "bad_port_type", "unknown port type '" + t + "'");
}

Napi::Value AddPort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath& dp = need_dp(env);
  try {
    auto p = dp.add_port(info[0].As<Napi::String>(), parse_type(env, info[1].As<Napi::String>()),
                         info[2].As<Napi::String>());
    return port_object(env, p);
  } catch (const std::exception& ex) {
    throw from_exception(env, ex);
  }
}

Napi::Value RemovePort(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath& dp = need_dp(env);
  try {
    dp.remove_port(info[0].As<Napi::String>());
  } catch (const std::exception& ex) {
    throw from_exception(env, ex);
  }
  return env.Undefined();
}

Napi::Value Ports(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath& dp = need_dp(env);
  auto ps = dp.ports();
  Napi::Array a = Napi::Array::New(env, ps.size());
  for (size_t i = 0; i < ps.size(); i++) a.Set(static_cast<uint32_t>(i), port_object(env, ps[i]));
  return a;
}

Napi::Value ApplyBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_dp(env);
  if (!info[0].IsArray()) throw loom_error(env, "bad_argument", "applyBatch(ops: array)");
  return g_pipe->apply(env, info[0].As<Napi::Array>());
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath& dp = need_dp(env);
  const loom::dp::Stats s = dp.stats();
  Napi::Object o = Napi::Object::New(env);
  Napi::Array ports = Napi::Array::New(env, s.ports.size());
  for (size_t i = 0; i < s.ports.size(); i++) {
    const auto& [p, c] = s.ports[i];
    Napi::Object po = port_object(env, p);
    po.Set("linkUp", c.link_up);
    po.Set("rx", static_cast<double>(c.rx));
    po.Set("tx", static_cast<double>(c.tx));
    po.Set("txDropped", static_cast<double>(c.tx_drop));
    Napi::Object pmd = Napi::Object::New(env);
    pmd.Set("ipackets", static_cast<double>(c.pmd_ipackets));
    pmd.Set("opackets", static_cast<double>(c.pmd_opackets));
    pmd.Set("imissed", static_cast<double>(c.pmd_imissed));
    pmd.Set("ierrors", static_cast<double>(c.pmd_ierrors));
    pmd.Set("oerrors", static_cast<double>(c.pmd_oerrors));
    po.Set("pmd", pmd);
    ports.Set(static_cast<uint32_t>(i), po);
  }
  o.Set("ports", ports);
  Napi::Array workers = Napi::Array::New(env, s.workers.size());
  for (size_t i = 0; i < s.workers.size(); i++) {
    const auto& w = s.workers[i];
    Napi::Object wo = Napi::Object::New(env);
    wo.Set("lcore", w.lcore);
    wo.Set("busyCycles", static_cast<double>(w.busy_cycles));
    wo.Set("idleCycles", static_cast<double>(w.idle_cycles));
    wo.Set("sleeps", static_cast<double>(w.sleeps));
    wo.Set("polls", static_cast<double>(w.polls));
    wo.Set("bursts", static_cast<double>(w.bursts));
    workers.Set(static_cast<uint32_t>(i), wo);
  }
  o.Set("workers", workers);
  Napi::Object drops = Napi::Object::New(env);
  for (unsigned r = 0; r < loom::dp::kDropReasonCount; r++)
    drops.Set(loom::dp::kDropReasonNames[r], static_cast<double>(s.drops[r]));
  g_pipe->add_drop_reasons(env, drops);
  o.Set("drops", drops);
  o.Set("packetInDropped", static_cast<double>(s.packet_in_dropped));
  o.Set("packetOutDropped", static_cast<double>(s.packet_out_dropped));
  o.Set("tscHz", static_cast<double>(s.tsc_hz));
  o.Set("entries", g_pipe->entry_stats(env));
  o.Set("pipeline", g_pipe->name());
  o.Set("conntrack", g_pipe->conntrack(env));
  return o;
}

// The optional {metadata, inport, outport, flags} argument of packetOut and trace (absent
// fields are 0).
static loom::dp::PacketMeta meta_arg(const Napi::CallbackInfo& info, size_t i) {
  loom::dp::PacketMeta meta;
  if (info.Length() > i && info[i].IsObject()) {
    Napi::Object mo = info[i].As<Napi::Object>();
    const auto get = [&mo](const char* k) { return mo.Has(k) ? mo.Get(k).ToNumber().Uint32Value() : 0u; };
    meta.metadata = get("metadata");
    meta.inport = get("inport");
    meta.outport = get("outport");
    meta.flags = get("flags");
  }
  return meta;
}

// packetOut(port, startTable (-1: straight to the port), bytes, {metadata, inport, outport, flags}?)
//   -> boolean (false: queue full)
Napi::Value PacketOut(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath& dp = need_dp(env);
  const uint32_t port = info[0].As<Napi::Number>().Uint32Value();
  const int start_table = info[1].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> b = info[2].As<Napi::Buffer<uint8_t>>();
  const loom::dp::PacketMeta meta = meta_arg(info, 3);
  try {
    return Napi::Boolean::New(env, dp.packet_out(static_cast<uint16_t>(port), start_table, b.Data(),
                                                 static_cast<uint32_t>(b.Length()), meta));
  } catch (const std::exception& ex) {
    throw from_exception(env, ex);
  }
}

// drainPacketIns() -> [{inPort, reason, cookie, origLen, data}]
Napi::Value DrainPacketIns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Datapath& dp = need_dp(env);
  // Re-arm first: a packet-in queued after this point wakes us again.
  dp.notify_armed.store(true);
  Napi::Array out = Napi::Array::New(env);
  loom::dp::PacketInRecord* recs[64];
  uint32_t k = 0;
  for (unsigned round = 0; round < 64; round++) {  // bounded: at most 4096 per call
    const unsigned n = dp.take_packet_ins(recs, 64);
    for (unsigned i = 0; i < n; i++) {
      const auto* r = recs[i];
      // From a port removed since (the id may now name another port): not delivered.
      if (!dp.port_current(r->in_port, r->port_gen)) continue;
      Napi::Object o = Napi::Object::New(env);
      o.Set("inPort", r->in_port);
      o.Set("reason", r->reason);
      o.Set("table", r->table);
      o.Set("cookie", static_cast<double>(r->cookie));
      o.Set("origLen", r->orig_len);
      o.Set("data", Napi::Buffer<uint8_t>::Copy(env, r->data, r->len));
      out.Set(k++, o);
    }
    dp.release_packet_ins(recs, n);
    if (n < 64) break;
  }
  return out;
}

// trace(inPort, table, bytes, {metadata, inport, outport, flags}?) -> what the tables do with it
Napi::Value Trace(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  need_dp(env);
  Napi::Buffer<uint8_t> b = info[2].As<Napi::Buffer<uint8_t>>();
  const loom::dp::PacketMeta meta = meta_arg(info, 3);
  return g_pipe->trace(env, static_cast<uint16_t>(info[0].As<Napi::Number>().Uint32Value()),
                       static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value()), b.Data(),
                       static_cast<uint32_t>(b.Length()), meta);
}

Napi::Value Stop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!g_dp) return env.Undefined();
  g_dp->on_packet_in = nullptr;
  g_dp->stop();
  g_pipe.reset();
  g_dp.reset();
  if (g_tsfn_live) {
    g_tsfn_live = false;
    g_tsfn.Release();
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("start", Napi::Function::New(env, Start));
  exports.Set("addPort", Napi::Function::New(env, AddPort));
  exports.Set("removePort", Napi::Function::New(env, RemovePort));
  exports.Set("ports", Napi::Function::New(env, Ports));
  exports.Set("applyBatch", Napi::Function::New(env, ApplyBatch));
  exports.Set("stats", Napi::Function::New(env, Stats));
  exports.Set("packetOut", Napi::Function::New(env, PacketOut));
  exports.Set("drainPacketIns", Napi::Function::New(env, DrainPacketIns));
  exports.Set("trace", Napi::Function::New(env, Trace));
  exports.Set("stop", Napi::Function::New(env, Stop));
  return exports;
}

}  // namespace

NODE_API_MODULE(loom_datapath, Init)
