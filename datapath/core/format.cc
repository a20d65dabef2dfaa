// datapath/core/format.cc — see format.h.
#include "core/format.h"

#include <algorithm>
#include <cstdio>

namespace loom {

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}
std::string dec(uint64_t v) { return std::to_string(v); }
std::string ip4s(uint64_t v) {
  char b[20];
  std::snprintf(b, sizeof b, "%u.%u.%u.%u", unsigned(v >> 24 & 0xff), unsigned(v >> 16 & 0xff), unsigned(v >> 8 & 0xff),
                unsigned(v & 0xff));
  return b;
}
std::string macs(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", unsigned(v >> 40 & 0xff), unsigned(v >> 32 & 0xff),
                unsigned(v >> 24 & 0xff), unsigned(v >> 16 & 0xff), unsigned(v >> 8 & 0xff), unsigned(v & 0xff));
  return b;
}
std::string ip6s(U128 v) {
  std::string s;
  for (int i = 0; i < 8; ++i) {
    const uint64_t w = i < 4 ? v.hi : v.lo;
    const unsigned g = unsigned(w >> (48 - 16 * (i % 4)) & 0xffff);
    char b[8];
    std::snprintf(b, sizeof b, "%x", g);
    if (i) s += ':';
    s += b;
  }
  return s;
}
bool is_mac(Field f) {
  return f == Field::kEthDst || f == Field::kEthSrc || f == Field::kArpSha || f == Field::kArpTha || f == Field::kNdSll ||
         f == Field::kNdTll;
}
bool is_ip4(Field f) {
  return f == Field::kIp4Src || f == Field::kIp4Dst || f == Field::kArpSpa || f == Field::kArpTpa || f == Field::kTunSrc ||
         f == Field::kTunDst;
}
bool is_ip6(Field f) { return f == Field::kIp6Src || f == Field::kIp6Dst || f == Field::kNdTarget; }
bool is_dec(Field f) {
  return f == Field::kInPort || f == Field::kL4Src || f == Field::kL4Dst || f == Field::kIpProto || f == Field::kIpTtl ||
         f == Field::kIcmpType || f == Field::kIcmpCode || f == Field::kArpOp || f == Field::kCtZone;
}

std::string ct_flags(uint64_t v, uint64_t m) {
  static const char* names[] = {"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"};
  std::string s;
  for (unsigned i = 0; i < 8; ++i) {
    if (!(m >> i & 1)) continue;
    s += (v >> i & 1) ? '+' : '-';
    s += names[i];
  }
  return s;
}

const char* name(Field f) { return field_info(f).name; }

}  // namespace

std::string format_value(Field f, U128 v) {
  if (is_mac(f)) return macs(v.lo);
  if (is_ip4(f)) return ip4s(v.lo);
  if (is_ip6(f)) return ip6s(v);
  if (field_info(f).bits == 128 && v.hi != 0) {
    char b[40];
    std::snprintf(b, sizeof b, "0x%llx%016llx", static_cast<unsigned long long>(v.hi), static_cast<unsigned long long>(v.lo));
    return b;
  }
  if (is_dec(f)) return dec(v.lo);
  return hex(v.lo);
}

std::string format_match(const Match& m) {
  const uint64_t etype = key_get(m.mask, Field::kEthType).lo ? key_get(m.value, Field::kEthType).lo : 0;
  std::string out;
  for (unsigned i = 0; i < kNumFields; ++i) {
    const Field f = static_cast<Field>(i);
    // Aliases: print the name that fits the frame type.
    const bool arp = etype == 0x0806, v6 = etype == 0x86dd;
    if ((f == Field::kArpSpa || f == Field::kArpTpa) && !arp) continue;
    if ((f == Field::kIp4Src || f == Field::kIp4Dst) && arp) continue;
    if ((f == Field::kNdSll || f == Field::kNdTll) && !v6) continue;
    if ((f == Field::kArpSha || f == Field::kArpTha) && v6) continue;
    const U128 mask = key_get(m.mask, f);
    if (mask.hi == 0 && mask.lo == 0) continue;
    const U128 val = key_get(m.value, f);
    if (!out.empty()) out += ',';
    out += name(f);
    out += '=';
    if (f == Field::kCtState) {
      out += ct_flags(val.lo, mask.lo);
      continue;
    }
    out += format_value(f, val);
    if (mask != field_full_mask(f)) {
      out += '/';
      out += is_mac(f) || is_ip4(f) || is_ip6(f) ? format_value(f, mask) : hex(mask.lo);
    }
  }
  return out;
}

std::string format_action(const Action& a) {
  if (auto* s = std::get_if<SetField>(&a)) {
    std::string r = "set_field:" + format_value(s->field, s->value);
    if (s->mask != field_full_mask(s->field)) r += "/" + format_value(s->field, s->mask);
    return r + "->" + name(s->field);
  }
  if (auto* m = std::get_if<Move>(&a))
    return std::string("move:") + name(m->src) + "[" + dec(m->src_ofs) + ".." + dec(m->src_ofs + m->nbits - 1) + "]->" +
           name(m->dst) + "[" + dec(m->dst_ofs) + ".." + dec(m->dst_ofs + m->nbits - 1) + "]";
  if (auto* g = std::get_if<GotoTable>(&a)) return "goto_table:" + dec(g->table);
  if (auto* r = std::get_if<Resubmit>(&a)) return "resubmit(," + dec(r->table) + ")";
  if (auto* o = std::get_if<Output>(&a)) return "output:" + dec(o->port);
  if (auto* go = std::get_if<GroupOut>(&a)) return "group:" + dec(go->group);
  if (std::get_if<Drop>(&a)) return "drop";
  if (auto* c = std::get_if<Ct>(&a)) {
    std::string r = "ct(";
    if (c->commit) r += "commit,";
    r += c->use_zone_field ? std::string("zone=") + name(c->zone_field) : "zone=" + dec(c->zone);
    if (c->nat != NatKind::kNone && c->addr_min != 0) {
      r += std::string(",nat(") + (c->nat == NatKind::kSrc ? "src=" : "dst=") + ip4s(c->addr_min);
      if (c->addr_max != c->addr_min) r += "-" + ip4s(c->addr_max);
      if (c->port_max) r += ":" + dec(c->port_min) + "-" + dec(c->port_max);
      r += ")";
    }
    if (c->nat != NatKind::kNone && (c->addr6_min.hi | c->addr6_min.lo) != 0) {
      r += std::string(",nat6(") + (c->nat == NatKind::kSrc ? "src=" : "dst=") + ip6s(c->addr6_min);
      if (c->addr6_max != c->addr6_min) r += "-" + ip6s(c->addr6_max);
      r += ")";
    }
    if (!c->backends.empty() || !c->backends6.empty()) {
      r += ",lb(";
      bool first = true;
      for (const CtBackend& b : c->backends) {
        if (!first) r += ";";
        first = false;
        r += ip4s(b.ip);
        if (b.port) r += ":" + dec(b.port);
      }
      for (const CtBackend6& b : c->backends6) {
        if (!first) r += ";";
        first = false;
        r += "[" + ip6s(b.ip) + "]";
        if (b.port) r += ":" + dec(b.port);
      }
      r += ")";
    }
    if (c->set_mark) r += ",exec(set_field:" + hex(c->mark) + "/" + hex(c->mark_mask) + "->ct_mark)";
    if (c->set_label) r += ",exec(set_field:" + format_value(Field::kCtLabel, c->label) + "->ct_label)";
    if (c->drop_invalid) r += ",drop_invalid";
    if (c->table >= 0) r += ",table=" + dec(static_cast<uint64_t>(c->table));
    return r + ")";
  }
  if (std::get_if<CtClear>(&a)) return "ct_clear";
  if (auto* d = std::get_if<DecTtl>(&a)) {
    switch (d->on_error) {
      case DecTtl::kGoto: return "dec_ttl(error=goto_table:" + dec(d->table) + ")";
      case DecTtl::kPacketIn: return "dec_ttl(error=controller(reason=" + dec(d->reason) + "))";
      default: return "dec_ttl";
    }
  }
  if (auto* p = std::get_if<PushVlan>(&a)) return "push_vlan:" + hex(p->tpid) + ",set_field:" + hex(p->tci) + "->vlan_tci";
  if (std::get_if<PopVlan>(&a)) return "pop_vlan";
  if (auto* e = std::get_if<Encap>(&a)) {
    std::string r = e->kind == TunnelKind::kGeneve ? "encap(geneve," : "encap(vxlan,";
    r += e->use_vni_field ? std::string("vni=") + name(e->vni_field) : "vni=" + dec(e->vni);
    r += ",src=" + ip4s(e->ip_src) + ",dst=" + ip4s(e->ip_dst) + ",eth_src=" + macs(e->eth_src) + ",eth_dst=" + macs(e->eth_dst);
    if (e->dst_port) r += ",dst_port=" + dec(e->dst_port);
    return r + ")";
  }
  if (auto* d = std::get_if<Decap>(&a)) return d->dst_port ? "decap(dst_port=" + dec(d->dst_port) + ")" : "decap";
  if (auto* n = std::get_if<NeighStore>(&a)) return std::string("neigh_store(") + name(n->ip) + "," + name(n->mac) + ")";
  if (auto* n = std::get_if<NeighLookup>(&a))
    return std::string("neigh_lookup(") + name(n->ip) + "->" + name(n->mac) + "," + name(n->result) + "[" + dec(n->result_bit) + "])";
  if (auto* p = std::get_if<PacketIn>(&a)) return "controller(reason=" + dec(p->reason) + ")";
  return "?";
}

std::string format_program(const Program& p) {
  if (p.empty()) return "drop";
  std::string r;
  for (const Action& a : p) {
    if (!r.empty()) r += ',';
    r += format_action(a);
  }
  return r;
}

std::string format_entry(const Entry& e) {
  std::string r = "cookie=" + hex(e.cookie) + ", table=" + dec(e.table) + ", n_packets=" + dec(e.stats->packets()) +
                  ", n_bytes=" + dec(e.stats->bytes()) + ", priority=" + dec(e.priority);
  const std::string m = format_match(e.match);
  if (!m.empty()) r += "," + m;
  return r + " actions=" + format_program(e.program);
}

std::string format_pipeline(const Pipeline& p) {
  std::string r = "version " + dec(p.version()) + "\n";
  for (unsigned t = 0; t < kMaxTables; ++t) {
    const Table& tb = p.table(static_cast<uint16_t>(t));
    const MissAction& m = p.miss(static_cast<uint16_t>(t));
    if (tb.entries().empty() && m.kind == MissAction::kDrop) continue;
    std::vector<const Entry*> es;
    for (const auto& e : tb.entries()) es.push_back(e.get());
    std::stable_sort(es.begin(), es.end(), [](const Entry* a, const Entry* b) { return a->priority > b->priority; });
    for (const Entry* e : es) r += " " + format_entry(*e) + "\n";
    r += " table=" + dec(t) + " miss: ";
    r += m.kind == MissAction::kGoto ? "goto_table:" + dec(m.table)
         : m.kind == MissAction::kPacketIn ? "controller(reason=" + dec(m.reason) + ")"
                                           : std::string("drop");
    r += "\n";
  }
  for (const auto& [id, g] : p.groups()) {
    r += " group_id=" + dec(id) + ",type=all";
    for (const Program& b : g->buckets) r += ",bucket=" + format_program(b);
    r += "\n";
  }
  return r;
}

void TextTracer::lookup(uint16_t table, const FlowKey&, const Entry* hit) {
  std::string l = std::to_string(lookups++) + ". table=" + dec(table);
  if (hit == nullptr) {
    lines.push_back(l + " no match (table miss)");
    return;
  }
  l += " priority=" + dec(hit->priority) + " cookie=" + hex(hit->cookie);
  const std::string m = format_match(hit->match);
  if (!m.empty()) l += " " + m;
  lines.push_back(l + " -> " + format_program(hit->program));
}

void TextTracer::step(const char* what, uint64_t a, uint64_t b) {
  const std::string w = what;
  std::string l = "   " + w + ":";
  if (w == "ct") l += " ct_state=" + ct_flags(a, a) + " zone=" + dec(b);
  else if (w == "drop") l += std::string(" ") + drop_reason_name(static_cast<DropReason>(a));
  else if (w == "output") l += " port " + dec(a);
  else if (w == "group") l += " group " + dec(a) + ", " + dec(b) + " buckets";
  else if (w == "packet_in") l += " reason " + dec(a) + " from table " + dec(b);
  else if (w == "encap_vxlan" || w == "encap_geneve") l += " vni " + dec(a) + " to " + ip4s(b);
  else if (w == "decap") l += " vni " + dec(a) + " from " + ip4s(b);
  else l += " " + dec(a) + " " + dec(b);
  lines.push_back(l);
}

}  // namespace loom
