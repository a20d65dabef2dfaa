// datapath/addon/simple_binding.cc — PipelineBinding for the shell's own L2 table
// (dpdk/simple_table.h): fields in_port, eth.src, eth.dst, eth.type; actions output,
// in_port, drop, packet_in. Used when the core is not built in, and as "plain L2".
#include <cstring>

#include "addon/pipeline_binding.h"
#include "dpdk/simple_table.h"

namespace loom::dp {

Napi::Error batch_error(Napi::Env env, const std::string& code, const std::string& message,
                        size_t index, const std::string& field, const std::string& value) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("name", "LoomError");
  e.Set("code", code);
  e.Set("index", static_cast<double>(index));
  if (!field.empty()) e.Set("field", field);
  if (!value.empty()) e.Set("value", value);
  return e;
}

bool parse_hex128(const std::string& s, uint64_t& hi, uint64_t& lo) {
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || s.size() > 34) return false;
  hi = lo = 0;
  for (size_t i = 2; i < s.size(); i++) {
    const char c = s[i];
    uint64_t d;
    if (c >= '0' && c <= '9') d = static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<uint64_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<uint64_t>(c - 'A' + 10);
    else return false;
    hi = (hi << 4) | (lo >> 60);
    lo = (lo << 4) | d;
  }
  return true;
}

namespace {

class SimpleBinding final : public PipelineBinding {
 public:
  explicit SimpleBinding(Datapath& dp) : dp_(dp), current_(std::make_unique<SimpleTable>()) {
    dp.start_workers([&dp](unsigned w) -> std::unique_ptr<WorkerPipeline> {
      return std::make_unique<SimpleWorkerPipeline>(dp.table_slot(), w);
    });
  }

  const char* name() const override { return "simple-l2"; }

  Napi::Value apply(Napi::Env env, Napi::Array ops) override {
    std::vector<SimpleOp> parsed;
    for (uint32_t i = 0; i < ops.Length(); i++) parsed.push_back(parse_op(env, i, ops.Get(i)));
    BuildError err;
    std::unique_ptr<SimpleTable> next = current_->apply(parsed, err);
    if (!next) throw batch_error(env, err.code, err.message, err.index, err.field, err.value);
    const size_t n = next->entries().size();
    // Keep our own copy (the control thread's view) and publish an identical one.
    auto mine = std::make_unique<SimpleTable>(*next);
    dp_.publish(std::move(next));
    current_ = std::move(mine);
    Napi::Object r = Napi::Object::New(env);
    r.Set("entries", static_cast<double>(n));
    return r;
  }

  Napi::Array entry_stats(Napi::Env env) override {
    const auto& es = current_->entries();
    Napi::Array a = Napi::Array::New(env, es.size());
    for (size_t i = 0; i < es.size(); i++) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("cookie", static_cast<double>(es[i].cookie));
      o.Set("table", 0);
      o.Set("priority", es[i].priority);
      o.Set("packets", static_cast<double>(es[i].counters->packets()));
      o.Set("bytes", static_cast<double>(es[i].counters->bytes()));
      a.Set(static_cast<uint32_t>(i), o);
    }
    return a;
  }

  void add_drop_reasons(Napi::Env, Napi::Object) override {}

  Napi::Value trace(Napi::Env env, uint16_t, uint16_t, const uint8_t*, uint32_t, const PacketMeta&) override {
    throw batch_error(env, "unsupported", "trace needs the core pipeline", 0, "", "");
  }

 private:
  SimpleOp parse_op(Napi::Env env, size_t i, Napi::Value v) {
    if (!v.IsObject()) throw batch_error(env, "bad_op", "each op must be an object", i, "", "");
    Napi::Object o = v.As<Napi::Object>();
    const std::string kind = o.Get("op").ToString();
    SimpleOp op;
    if (kind == "clear") { op.kind = SimpleOp::kClear; return op; }
    if (kind == "delete_cookie") {
      op.kind = SimpleOp::kDeleteCookie;
      op.entry.cookie = std::stoull(o.Get("cookie").ToString().Utf8Value());
      return op;
    }
    if (kind == "add") op.kind = SimpleOp::kAdd;
    else if (kind == "modify") op.kind = SimpleOp::kModify;
    else if (kind == "delete") op.kind = SimpleOp::kDelete;
    else throw batch_error(env, "unsupported", "the shell's L2 table supports add, modify, delete, "
                           "delete_cookie (core not built in)", i, "op", kind);
    Napi::Object e = o.Get("entry").As<Napi::Object>();
    SimpleEntry& se = op.entry;
    se.cookie = std::stoull(e.Get("cookie").ToString().Utf8Value());
    se.priority = e.Get("priority").ToNumber().Uint32Value();
    if (e.Get("table").ToNumber().Uint32Value() != 0)
      throw batch_error(env, "unsupported", "the shell's L2 table has only table 0 (core not built in)",
                        i, "table", e.Get("table").ToString());
    Napi::Object m = e.Get("match").As<Napi::Object>();
    Napi::Array keys = m.GetPropertyNames();
    for (uint32_t k = 0; k < keys.Length(); k++) {
      const std::string f = keys.Get(k).ToString();
      Napi::Object fv = m.Get(f).As<Napi::Object>();
      const std::string vs = fv.Get("value").ToString(), ms = fv.Get("mask").ToString();
      uint64_t vh, vl, mh, ml;
      if (!parse_hex128(vs, vh, vl) || !parse_hex128(ms, mh, ml))
        throw batch_error(env, "bad_value", "match values must be hex", i, f, vs);
      if (f == "in_port") {
        if (ml != 0xffff && ml != 0xffffffff)
          throw batch_error(env, "unsupported", "in_port cannot be masked", i, f, ms);
        se.match.has_in_port = true;
        se.match.in_port = static_cast<uint16_t>(vl);
      } else if (f == "eth_dst" || f == "eth_src") {
        auto& val = f == "eth_dst" ? se.match.eth_dst : se.match.eth_src;
        auto& msk = f == "eth_dst" ? se.match.eth_dst_mask : se.match.eth_src_mask;
        for (int b = 0; b < 6; b++) {
          val[static_cast<size_t>(b)] = static_cast<uint8_t>(vl >> (40 - 8 * b));
          msk[static_cast<size_t>(b)] = static_cast<uint8_t>(ml >> (40 - 8 * b));
        }
      } else if (f == "eth_type") {
        se.match.eth_type = static_cast<uint16_t>(vl);
        se.match.eth_type_mask = static_cast<uint16_t>(ml);
      } else {
        throw batch_error(env, "unsupported",
                          "the shell's L2 table matches in_port, eth.src, eth.dst, eth.type only "
                          "(core not built in)", i, f, vs);
      }
    }
    Napi::Array acts = e.Get("actions").As<Napi::Array>();
    for (uint32_t k = 0; k < acts.Length(); k++) {
      Napi::Object a = acts.Get(k).As<Napi::Object>();
      const std::string t = a.Get("type").ToString();
      SimpleAction sa;
      if (t == "output") {
        sa.kind = SimpleAction::kOutput;
        sa.port = static_cast<uint16_t>(a.Get("port").ToNumber().Uint32Value());
      } else if (t == "in_port") {
        sa.kind = SimpleAction::kInPort;
      } else if (t == "drop") {
        sa.kind = SimpleAction::kDrop;
      } else if (t == "packet_in") {
        sa.kind = SimpleAction::kPacketIn;
        sa.reason = a.Get("reason").ToNumber().Uint32Value();
      } else {
        throw batch_error(env, "unsupported", "action not available without the core", i,
                          "actions[" + std::to_string(k) + "]", t);
      }
      se.actions.push_back(sa);
    }
    return op;
  }

  Datapath& dp_;
  std::unique_ptr<SimpleTable> current_;
};

}  // namespace

#ifndef LOOM_WITH_CORE
std::unique_ptr<PipelineBinding> PipelineBinding::create(Datapath& dp) {
  return std::make_unique<SimpleBinding>(dp);
}
#endif
std::unique_ptr<PipelineBinding> make_simple_binding(Datapath& dp) {
  return std::make_unique<SimpleBinding>(dp);
}

}  // namespace loom::dp
