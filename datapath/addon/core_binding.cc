// datapath/addon/core_binding.cc — PipelineBinding for datapath/core: JS wire batches ->
// loom::Batch -> Core::apply (build + publish + grace period), per-entry counters from the
// current version, the executors' drop reasons, conntrack counters. Built only with
// LOOM_WITH_CORE.
// Also publishes the simple-match shortcut (core_pipeline.h's InPortForward) for each
// version: withdrawn before Core::apply, recomputed from the new snapshot after it.
// Also owns the conntrack expiry timer: a control thread that sweeps the connection table
// every Options::ct_expire_ms. Workers expire only 32 slots after a busy burst and none
// while idle, so without it a quiet datapath would keep dead connections (and their NAT
// tuples) until traffic resumes. The sweep takes only conntrack's stripe/slot locks, the
// same the workers take, one probe at a time; it never touches a pipeline version.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "addon/pipeline_binding.h"
#include "core/core.h"
#include "dpdk/core_pipeline.h"

namespace loom::dp {

std::unique_ptr<PipelineBinding> make_simple_binding(Datapath& dp);
// The CtTimeouts member called `name` (OVS/loom field names), or nullptr.
uint32_t* ct_timeout_field(loom::CtTimeouts& t, const std::string& name);

namespace {

struct Where { size_t op; };  // original op index for each Batch vector element

class CoreBinding final : public PipelineBinding {
 public:
  explicit CoreBinding(Datapath& dp) : core_(core_config(dp.options())), dp_(&dp) {
    const unsigned period_ms = std::max(1u, dp.options().ct_expire_ms);
    // A full sweep of the pool about every 8 periods.
    const unsigned budget = std::max(256u, core_config(dp.options()).ct.max_conns / 8);
    expirer_ = std::thread([this, period_ms, budget] {
      std::unique_lock<std::mutex> lk(expire_mu_);
      while (!expire_stop_) {
        expire_cv_.wait_for(lk, std::chrono::milliseconds(period_ms), [this] { return expire_stop_; });
        if (expire_stop_) break;
        core_.conntrack().expire(Datapath::now_ns(), budget);
      }
    });
    const char* sm = std::getenv("LOOM_SIMPLE_MATCH");
    simple_match_ = sm == nullptr || std::string(sm) != "0";
    dp.start_workers([this](unsigned) -> std::unique_ptr<WorkerPipeline> {
      auto p = std::make_unique<CoreWorkerPipeline>(core_, &fwd_);
      std::lock_guard<std::mutex> g(mu_);  // worker start-up only, never per packet
      workers_.push_back(p.get());
      return p;
    });
  }

  ~CoreBinding() override {
    // Workers are stopped by the Datapath before the binding goes (addon.cc).
    delete fwd_.exchange(nullptr);
    {
      std::lock_guard<std::mutex> g(expire_mu_);
      expire_stop_ = true;
    }
    expire_cv_.notify_all();
    if (expirer_.joinable()) expirer_.join();
  }

  const char* name() const override { return "core"; }

  Napi::Value conntrack(Napi::Env env) override {
    const loom::CtStats ct = core_.conntrack().stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("conns", static_cast<double>(ct.conns));
    o.Set("created", static_cast<double>(ct.created));
    o.Set("expired", static_cast<double>(ct.expired));
    o.Set("tableFull", static_cast<double>(ct.table_full));
    o.Set("natExhausted", static_cast<double>(ct.nat_exhausted));
    o.Set("invalid", static_cast<double>(ct.invalid));
    return o;
  }

  Napi::Value apply(Napi::Env env, Napi::Array ops) override {
    loom::Batch b;
    std::vector<size_t> tab_ix, grp_ix, flow_ix;
    for (uint32_t i = 0; i < ops.Length(); i++) parse_op(env, i, ops.Get(i).As<Napi::Object>(), b, tab_ix, grp_ix, flow_ix);
    loom::BuildError err;
    // The shortcut describes the current version: withdraw it while the version changes.
    set_forward(nullptr);
    auto v = core_.apply(b, err);
    if (simple_match_) set_forward(InPortForward::from(*core_.snapshot()));
    if (!v) {
      size_t op = 0;
      const auto pick = [&](const std::vector<size_t>& ix) {
        if (err.index >= 0 && static_cast<size_t>(err.index) < ix.size()) op = ix[static_cast<size_t>(err.index)];
      };
      if (err.where == "flows") pick(flow_ix);
      else if (err.where == "groups") pick(grp_ix);
      else if (err.where == "tables") pick(tab_ix);
      std::string field = err.field;
      if (err.action >= 0 && field.empty()) field = "actions[" + std::to_string(err.action) + "]";
      throw batch_error(env, err.code, err.message, op, field, "");
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("entries", static_cast<double>(v->entry_count()));
    r.Set("version", static_cast<double>(v->version()));
    return r;
  }

  Napi::Array entry_stats(Napi::Env env) override {
    core_.reclaim();  // versions retired by the last apply are freed once workers moved on
    auto snap = core_.snapshot();
    Napi::Array a = Napi::Array::New(env);
    uint32_t k = 0;
    for (unsigned t = 0; t < loom::kMaxTables; t++) {
      for (const auto& e : snap->table(static_cast<uint16_t>(t)).entries()) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("table", t);
        o.Set("priority", e->priority);
        o.Set("cookie", static_cast<double>(e->cookie));
        o.Set("packets", static_cast<double>(e->stats->packets()));
        o.Set("bytes", static_cast<double>(e->stats->bytes()));
        a.Set(k++, o);
      }
    }
    return a;
  }

  void add_drop_reasons(Napi::Env env, Napi::Object into) override {
    uint64_t sums[static_cast<unsigned>(loom::DropReason::kCount)] = {};
    uint64_t lookups = 0, emc = 0;
    {
      std::lock_guard<std::mutex> g(mu_);
      for (auto* w : workers_) {
        const loom::ExecStats s = w->stats();
        for (unsigned r = 0; r < static_cast<unsigned>(loom::DropReason::kCount); r++) sums[r] += s.drops[r];
        lookups += s.lookups;
        emc += s.emc_hits;
      }
    }
    for (unsigned r = 1; r < static_cast<unsigned>(loom::DropReason::kCount); r++)
      into.Set(loom::drop_reason_name(static_cast<loom::DropReason>(r)), static_cast<double>(sums[r]));
    const loom::CtStats ct = core_.conntrack().stats();
    into.Set("ct_table_full_total", static_cast<double>(ct.table_full));
    (void)env;
    (void)lookups;
    (void)emc;
  }

 private:
  // Names were validated by datapath/js/datapath.ts; an unknown one is ignored here.
  static loom::CoreConfig core_config(const Options& o) {
    loom::CoreConfig c;
    for (const auto& [name, secs] : o.ct_timeouts)
      if (uint32_t* f = ct_timeout_field(c.ct.timeouts, name)) *f = secs;
    return c;
  }

  static loom::Field field(Napi::Env env, size_t i, const std::string& name) {
    loom::Field f;
    if (!loom::field_by_name(name.c_str(), f)) throw batch_error(env, "bad_field", "unknown field '" + name + "'", i, name, name);
    return f;
  }
  static loom::U128 hex(Napi::Env env, size_t i, const std::string& what, Napi::Value v) {
    loom::U128 u;
    if (!parse_hex128(v.ToString().Utf8Value(), u.hi, u.lo))
      throw batch_error(env, "bad_value", what + " must be hex", i, what, v.ToString().Utf8Value());
    return u;
  }
  static uint32_t num(Napi::Object o, const char* k) { return o.Get(k).ToNumber().Uint32Value(); }
  static uint64_t hex64(Napi::Env env, size_t i, const char* k, Napi::Object o) { return hex(env, i, k, o.Get(k)).lo; }

  static loom::Program program(Napi::Env env, size_t i, Napi::Array acts) {
    loom::Program p;
    for (uint32_t k = 0; k < acts.Length(); k++) {
      Napi::Object a = acts.Get(k).As<Napi::Object>();
      const std::string t = a.Get("type").ToString();
      if (t == "output") p.push_back(loom::Output{num(a, "port")});
      else if (t == "drop") p.push_back(loom::Drop{});
      else if (t == "packet_in") p.push_back(loom::PacketIn{static_cast<uint16_t>(num(a, "reason"))});
      else if (t == "goto_table") p.push_back(loom::GotoTable{static_cast<uint16_t>(num(a, "table"))});
      else if (t == "resubmit") p.push_back(loom::Resubmit{static_cast<uint16_t>(num(a, "table"))});
      else if (t == "group") p.push_back(loom::GroupOut{num(a, "group")});
      else if (t == "ct_clear") p.push_back(loom::CtClear{});
      else if (t == "pop_vlan") p.push_back(loom::PopVlan{});
      else if (t == "set_field") {
        p.push_back(loom::SetField{field(env, i, a.Get("field").ToString()), hex(env, i, "value", a.Get("value")), hex(env, i, "mask", a.Get("mask"))});
      } else if (t == "move") {
        p.push_back(loom::Move{field(env, i, a.Get("src").ToString()), static_cast<uint8_t>(num(a, "srcOfs")),
                               field(env, i, a.Get("dst").ToString()), static_cast<uint8_t>(num(a, "dstOfs")),
                               static_cast<uint8_t>(num(a, "nbits"))});
      } else if (t == "ct") {
        loom::Ct c;
        c.zone = static_cast<uint16_t>(num(a, "zone"));
        if (a.Has("zoneField")) { c.use_zone_field = true; c.zone_field = field(env, i, a.Get("zoneField").ToString()); }
        c.commit = a.Get("commit").ToBoolean();
        c.table = static_cast<int16_t>(a.Get("table").ToNumber().Int32Value());
        c.drop_invalid = a.Get("dropInvalid").ToBoolean();
        if (a.Has("nat")) {
          Napi::Object n = a.Get("nat").As<Napi::Object>();
          c.nat = n.Get("kind").ToString().Utf8Value() == "src" ? loom::NatKind::kSrc : loom::NatKind::kDst;
          c.addr_min = static_cast<uint32_t>(hex64(env, i, "addrMin", n));
          c.addr_max = static_cast<uint32_t>(hex64(env, i, "addrMax", n));
          c.port_min = static_cast<uint16_t>(num(n, "portMin"));
          c.port_max = static_cast<uint16_t>(num(n, "portMax"));
        }
        if (a.Has("backends")) {
          Napi::Array bs = a.Get("backends").As<Napi::Array>();
          for (uint32_t j = 0; j < bs.Length(); j++) {
            Napi::Object bo = bs.Get(j).As<Napi::Object>();
            c.backends.push_back({static_cast<uint32_t>(hex64(env, i, "ip", bo)), static_cast<uint16_t>(num(bo, "port"))});
          }
        }
        if (a.Has("mark")) {
          Napi::Object mo = a.Get("mark").As<Napi::Object>();
          c.set_mark = true;
          c.mark = num(mo, "value");
          c.mark_mask = num(mo, "mask");
        }
        if (a.Has("label")) {
          Napi::Object lo = a.Get("label").As<Napi::Object>();
          c.set_label = true;
          c.label = hex(env, i, "label", lo.Get("value"));
          c.label_mask = hex(env, i, "label", lo.Get("mask"));
        }
        p.push_back(c);
      } else if (t == "dec_ttl") {
        loom::DecTtl d;
        const std::string oe = a.Get("onError").ToString();
        d.on_error = oe == "goto" ? loom::DecTtl::kGoto : oe == "packet_in" ? loom::DecTtl::kPacketIn : loom::DecTtl::kDrop;
        d.table = static_cast<uint16_t>(num(a, "table"));
        d.reason = static_cast<uint16_t>(num(a, "reason"));
        p.push_back(d);
      } else if (t == "push_vlan") {
        p.push_back(loom::PushVlan{static_cast<uint16_t>(num(a, "tpid")), static_cast<uint16_t>(num(a, "tci"))});
      } else if (t == "encap") {
        loom::Encap e;
        e.kind = a.Get("kind").ToString().Utf8Value() == "geneve" ? loom::TunnelKind::kGeneve : loom::TunnelKind::kVxlan;
        e.eth_src = hex64(env, i, "ethSrc", a);
        e.eth_dst = hex64(env, i, "ethDst", a);
        e.ip_src = static_cast<uint32_t>(hex64(env, i, "ipSrc", a));
        e.ip_dst = static_cast<uint32_t>(hex64(env, i, "ipDst", a));
        e.ttl = static_cast<uint8_t>(num(a, "ttl"));
        e.dst_port = static_cast<uint16_t>(num(a, "dstPort"));
        e.vni = num(a, "vni");
        if (a.Has("vniField")) { e.use_vni_field = true; e.vni_field = field(env, i, a.Get("vniField").ToString()); }
        p.push_back(e);
      } else if (t == "decap") {
        p.push_back(loom::Decap{static_cast<uint16_t>(num(a, "dstPort"))});
      } else if (t == "neigh_store") {
        p.push_back(loom::NeighStore{field(env, i, a.Get("ip").ToString()), field(env, i, a.Get("mac").ToString())});
      } else if (t == "neigh_lookup") {
        p.push_back(loom::NeighLookup{field(env, i, a.Get("ip").ToString()), field(env, i, a.Get("mac").ToString()),
                                      field(env, i, a.Get("result").ToString()), static_cast<uint8_t>(num(a, "resultBit"))});
      } else {
        throw batch_error(env, "bad_action", "unknown action '" + t + "'", i, "actions[" + std::to_string(k) + "]", t);
      }
    }
    return p;
  }

  static void parse_op(Napi::Env env, size_t i, Napi::Object o, loom::Batch& b, std::vector<size_t>& tab_ix,
                       std::vector<size_t>& grp_ix, std::vector<size_t>& flow_ix) {
    const std::string op = o.Get("op").ToString();
    if (op == "add" || op == "modify" || op == "delete") {
      Napi::Object e = o.Get("entry").As<Napi::Object>();
      loom::FlowMod fm;
      fm.op = op == "add" ? loom::FlowMod::kAdd : op == "modify" ? loom::FlowMod::kModify : loom::FlowMod::kDelete;
      fm.table = static_cast<uint16_t>(num(e, "table"));
      fm.priority = num(e, "priority");
      fm.cookie = std::stoull(e.Get("cookie").ToString().Utf8Value());
      Napi::Object m = e.Get("match").As<Napi::Object>();
      Napi::Array keys = m.GetPropertyNames();
      for (uint32_t k = 0; k < keys.Length(); k++) {
        const std::string f = keys.Get(k).ToString();
        Napi::Object fv = m.Get(f).As<Napi::Object>();
        fm.match.push_back({field(env, i, f), hex(env, i, f, fv.Get("value")), hex(env, i, f, fv.Get("mask"))});
      }
      fm.program = program(env, i, e.Get("actions").As<Napi::Array>());
      b.flows.push_back(std::move(fm));
      flow_ix.push_back(i);
    } else if (op == "delete_cookie") {
      loom::FlowMod fm;
      fm.op = loom::FlowMod::kDeleteByCookie;
      fm.cookie = std::stoull(o.Get("cookie").ToString().Utf8Value());
      const int t = o.Get("table").ToNumber().Int32Value();
      fm.all_tables = t < 0;
      fm.table = static_cast<uint16_t>(t < 0 ? 0 : t);
      b.flows.push_back(std::move(fm));
      flow_ix.push_back(i);
    } else if (op == "set_miss") {
      loom::TableMod tm;
      tm.table = static_cast<uint16_t>(num(o, "table"));
      const std::string miss = o.Get("miss").ToString();
      if (miss == "goto") { tm.miss.kind = loom::MissAction::kGoto; tm.miss.table = static_cast<uint16_t>(num(o, "next")); }
      else if (miss == "packet_in") { tm.miss.kind = loom::MissAction::kPacketIn; tm.miss.reason = static_cast<uint16_t>(num(o, "next")); }
      else tm.miss.kind = loom::MissAction::kDrop;
      b.tables.push_back(tm);
      tab_ix.push_back(i);
    } else if (op == "add_group" || op == "modify_group" || op == "delete_group") {
      loom::GroupMod gm;
      gm.op = op == "add_group" ? loom::GroupMod::kAdd : op == "modify_group" ? loom::GroupMod::kModify : loom::GroupMod::kDelete;
      gm.group.id = num(o, "group");
      if (op != "delete_group") {
        Napi::Array bs = o.Get("buckets").As<Napi::Array>();
        for (uint32_t k = 0; k < bs.Length(); k++) gm.group.buckets.push_back(program(env, i, bs.Get(k).As<Napi::Array>()));
      }
      b.groups.push_back(std::move(gm));
      grp_ix.push_back(i);
    } else {
      throw batch_error(env, "bad_op", "unknown op '" + op + "'", i, "op", op);
    }
  }

  // Records what the executor does with one traced packet; transmits nothing.
  class TraceSink final : public loom::Tracer, public loom::Sink {
   public:
    explicit TraceSink(Napi::Env env)
        : lookups(Napi::Array::New(env)), steps(Napi::Array::New(env)), outputs(Napi::Array::New(env)),
          packet_ins(Napi::Array::New(env)), drops(Napi::Array::New(env)), env_(env) {}
    void lookup(uint16_t table, const loom::FlowKey&, const loom::Entry* hit) override {
      Napi::Object o = Napi::Object::New(env_);
      o.Set("table", table);
      if (hit) {
        o.Set("priority", hit->priority);
        o.Set("cookie", static_cast<double>(hit->cookie));
      } else {
        o.Set("miss", true);
      }
      lookups.Set(lookups.Length(), o);
    }
    void step(const char* what, uint64_t a, uint64_t b) override {
      Napi::Object o = Napi::Object::New(env_);
      o.Set("step", what);
      o.Set("a", static_cast<double>(a));
      o.Set("b", static_cast<double>(b));
      steps.Set(steps.Length(), o);
    }
    void emit(uint32_t port, const loom::Packet& pkt, bool) override {
      Napi::Object o = Napi::Object::New(env_);
      o.Set("port", port);
      o.Set("data", Napi::Buffer<uint8_t>::Copy(env_, pkt.data, pkt.len));
      outputs.Set(outputs.Length(), o);
    }
    void packet_in(const loom::Packet& pkt, uint16_t reason) override {
      Napi::Object o = Napi::Object::New(env_);
      o.Set("reason", reason);
      o.Set("table", pkt.md.pin_table);
      o.Set("cookie", static_cast<double>(pkt.md.pin_cookie));
      packet_ins.Set(packet_ins.Length(), o);
    }
    void drop(const loom::Packet&, loom::DropReason r) override {
      drops.Set(drops.Length(), Napi::String::New(env_, loom::drop_reason_name(r)));
    }
    Napi::Array lookups, steps, outputs, packet_ins, drops;

   private:
    Napi::Env env_;
  };

 public:
  Napi::Value trace(Napi::Env env, uint16_t in_port, uint16_t table, const uint8_t* data, uint32_t len,
                    const PacketMeta& meta) override {
    if (!tracer_) {
      try {
        tracer_ = std::make_unique<loom::Executor>(core_, 64);
      } catch (const std::exception& ex) {
        throw batch_error(env, "unavailable", std::string("no executor slot for trace: ") + ex.what(), 0, "", "");
      }
      tracer_->set_emc_enabled(false);  // every lookup shows in the trace
    }
    // Room to prepend tunnel headers and push tags, as an mbuf would have.
    std::vector<uint8_t> buf(256 + len + 256);
    std::memcpy(buf.data() + 256, data, len);
    loom::Packet p;
    p.data = buf.data() + 256;
    p.len = len;
    p.headroom = 256;
    p.tailroom = 256;
    p.md.in_port = in_port;
    p.md.metadata = meta.metadata;
    p.md.inport = meta.inport;
    p.md.outport = meta.outport;
    p.md.flags = meta.flags;
    TraceSink ts(env);
    // The workers' clock: conntrack deadlines set here are compared against theirs.
    tracer_->begin_burst(Datapath::now_ns());
    tracer_->run(p, ts, table, &ts);
    tracer_->end_burst();
    tracer_->go_offline();
    Napi::Object r = Napi::Object::New(env);
    r.Set("lookups", ts.lookups);
    r.Set("steps", ts.steps);
    r.Set("outputs", ts.outputs);
    r.Set("packetIns", ts.packet_ins);
    r.Set("drops", ts.drops);
    return r;
  }

 private:
  loom::Core core_;
  std::unique_ptr<loom::Executor> tracer_;  // JS thread only; declared after core_
  std::mutex mu_;
  std::vector<CoreWorkerPipeline*> workers_;
  // The simple-match shortcut the workers read once per burst (core_pipeline.h);
  // LOOM_SIMPLE_MATCH=0 turns it off (every packet through the executor).
  std::atomic<const InPortForward*> fwd_{nullptr};
  bool simple_match_ = true;
  Datapath* dp_ = nullptr;
  void set_forward(std::unique_ptr<InPortForward> next) {
    const InPortForward* old = fwd_.exchange(next.release(), std::memory_order_acq_rel);
    if (!old) return;
    dp_->synchronize_workers();  // no worker still forwards by the old one
    delete old;
  }
  std::mutex expire_mu_;
  std::condition_variable expire_cv_;
  bool expire_stop_ = false;
  std::thread expirer_;  // last: started after everything it uses, joined first
};

}  // namespace

uint32_t* ct_timeout_field(loom::CtTimeouts& t, const std::string& name) {
  static const std::pair<const char*, uint32_t loom::CtTimeouts::*> kFields[] = {
      {"tcp_syn_sent", &loom::CtTimeouts::tcp_syn_sent}, {"tcp_syn_recv", &loom::CtTimeouts::tcp_syn_recv},
      {"tcp_established", &loom::CtTimeouts::tcp_established}, {"tcp_fin_wait", &loom::CtTimeouts::tcp_fin_wait},
      {"tcp_time_wait", &loom::CtTimeouts::tcp_time_wait}, {"tcp_closed", &loom::CtTimeouts::tcp_closed},
      {"udp_first", &loom::CtTimeouts::udp_first}, {"udp_single", &loom::CtTimeouts::udp_single},
      {"udp_multiple", &loom::CtTimeouts::udp_multiple}, {"icmp_first", &loom::CtTimeouts::icmp_first},
      {"icmp_reply", &loom::CtTimeouts::icmp_reply}, {"other", &loom::CtTimeouts::other}};
  for (const auto& [n, m] : kFields)
    if (name == n) return &(t.*m);
  return nullptr;
}

std::unique_ptr<PipelineBinding> PipelineBinding::create(Datapath& dp) {
  // LOOM_PIPELINE=simple keeps the shell's own L2 table (bench "plain L2" baseline).
  const char* want = std::getenv("LOOM_PIPELINE");
  if (want && std::string(want) == "simple") return make_simple_binding(dp);
  return std::make_unique<CoreBinding>(dp);
}

}  // namespace loom::dp
