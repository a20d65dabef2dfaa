// datapath/core/pipeline.cc — previous version + Batch -> next version (see pipeline.h).
//
// All checks run before anything is published: the new Pipeline object is private until
// build_pipeline() returns it, so a failing op leaves no trace. Tables the batch does not
// touch are shared with the previous version (same object, same generation), so their
// flow-cache entries stay valid across the update.
#include "core/pipeline.h"

#include <cstdio>
#include <unordered_map>
#include <unordered_set>

namespace loom {

struct PipelineAccess {
  static Pipeline& mut(Pipeline& p) { return p; }
  static uint64_t& version(Pipeline& p) { return p.version_; }
  static std::shared_ptr<const Table>* tables(Pipeline& p) { return p.tables_; }
  static MissAction* miss(Pipeline& p) { return p.miss_; }
  static std::map<uint32_t, std::shared_ptr<const Group>>& groups(Pipeline& p) { return p.groups_; }
};

namespace {

constexpr uint16_t kInBucket = 0xffff;  // validate_program's "table" for group buckets

// Entry::simple: only output, ct and goto_table actions.
bool program_simple(const Program& p) {
  for (const Action& a : p)
    if (!std::holds_alternative<Output>(a) && !std::holds_alternative<Ct>(a) && !std::holds_alternative<GotoTable>(a))
      return false;
  return true;
}

// Ct::tracking_only for every ct action of a program.
void mark_ct_actions(Program& p) {
  for (Action& a : p)
    if (auto* c = std::get_if<Ct>(&a)) c->tracking_only = c->nat == NatKind::kNone && c->backends.empty() && c->backends6.empty();
}

// Entry::goto_only: the program is one goto_table.
int32_t program_goto_only(const Program& p) {
  if (p.size() != 1) return -1;
  const auto* g = std::get_if<GotoTable>(&p[0]);
  return g ? int32_t{g->table} : -1;
}

// Entry::ends_path: nothing in the program can lead to another table lookup.
bool program_ends_path(const Program& p) {
  for (const Action& a : p) {
    if (std::holds_alternative<GotoTable>(a) || std::holds_alternative<Resubmit>(a) ||
        std::holds_alternative<GroupOut>(a) || std::holds_alternative<Ct>(a))
      return false;
    if (const auto* d = std::get_if<DecTtl>(&a); d != nullptr && d->on_error == DecTtl::kGoto) return false;
  }
  return true;
}

// An entry's program, cookie and what the executor derives from the program once.
void set_program(Entry& e, const FlowMod& fm) {
  e.program = fm.program;
  e.cookie = fm.cookie;
  e.ends_path = program_ends_path(fm.program);
  e.goto_only = program_goto_only(fm.program);
  e.simple = program_simple(fm.program);
  mark_ct_actions(e.program);
}

std::shared_ptr<const Table> empty_table() {
  static const std::shared_ptr<const Table> t = [] {
    ClassifierError e;
    return Table::build({}, e);
  }();
  return t;
}

bool fail(BuildError& err, const char* code, std::string msg, const char* field = nullptr) {
  err.code = code;
  err.message = std::move(msg);
  if (field != nullptr) err.field = field;
  return false;
}

bool writable(Field f) {
  switch (f) {
    case Field::kCtState: case Field::kCtZone: case Field::kCtMark: case Field::kCtLabel:
      return false;  // only the ct action sets these
    case Field::kEthSrc: case Field::kEthDst: case Field::kVlanTci: case Field::kIp4Src:
    case Field::kIp4Dst: case Field::kIp6Src: case Field::kIp6Dst: case Field::kIpTtl:
    case Field::kIpTos: case Field::kL4Src: case Field::kL4Dst:
    // ARP/ICMP/ND rewrites let pipelines answer ARP, ping and neighbour solicitations
    // in the datapath the way OVN's logical flows do (arp.op = 2; icmp4.type = 0; ...).
    case Field::kArpOp: case Field::kArpSpa: case Field::kArpTpa: case Field::kArpSha:
    case Field::kArpTha: case Field::kIcmpType: case Field::kIcmpCode: case Field::kNdTarget:
    case Field::kNdSll: case Field::kNdTll:
      return true;
    default:
      return !field_info(f).packet;
  }
}

bool valid_field(Field f) { return static_cast<unsigned>(f) < kNumFields; }

bool mask_in_field(Field f, U128 v) {
  const U128 m = field_full_mask(f);
  return (v.hi & ~m.hi) == 0 && (v.lo & ~m.lo) == 0;
}

uint64_t match_hash(uint32_t prio, const Match& m) {
  uint8_t all[kKeyWords];
  for (unsigned i = 0; i < kKeyWords; ++i) all[i] = static_cast<uint8_t>(i);
  return hash_words(m.value.w, all, kKeyWords) ^ (hash_words(m.mask.w, all, kKeyWords) * 31) ^ prio;
}

}  // namespace

size_t Pipeline::entry_count() const noexcept {
  size_t n = 0;
  for (const auto& t : tables_) n += t->entries().size();
  return n;
}

std::shared_ptr<const Pipeline> Pipeline::empty() {
  auto p = std::make_shared<Pipeline>();
  auto* t = PipelineAccess::tables(*p);
  for (unsigned i = 0; i < kMaxTables; ++i) t[i] = empty_table();
  return p;
}

bool build_match(const std::vector<FieldMatch>& fm, Match& out, BuildError& err) {
  out = Match{};
  for (const FieldMatch& m : fm) {
    if (!valid_field(m.field)) return fail(err, "bad_field", "unknown field");
    const char* name = field_info(m.field).name;
    if (!mask_in_field(m.field, m.mask))
      return fail(err, "bad_mask", std::string("mask is wider than field ") + name, name);
    if ((m.value.hi & ~m.mask.hi) || (m.value.lo & ~m.mask.lo))
      return fail(err, "bad_mask", std::string("value of ") + name + " has bits outside its mask", name);
    FlowKey probe;
    key_set(probe, m.field, m.mask, field_full_mask(m.field));
    // Two matches on the same bits (or aliases such as arp_spa/ip4_src) must agree.
    for (unsigned w = 0; w < kKeyWords; ++w) {
      const uint64_t both = out.mask.w[w] & probe.w[w];
      if (both == 0) continue;
      FlowKey tmp;
      key_set(tmp, m.field, m.value, m.mask);
      if ((out.value.w[w] & both) != (tmp.w[w] & both))
        return fail(err, "bad_match", std::string("field ") + name + " is matched twice with different values", name);
    }
    key_set(out.value, m.field, m.value, m.mask);
    key_set(out.mask, m.field, m.mask, field_full_mask(m.field));
  }
  return true;
}

bool validate_program(const Program& prog, uint16_t table,
                      const std::map<uint32_t, std::shared_ptr<const Group>>& groups,
                      BuildError& err) {
  for (size_t i = 0; i < prog.size(); ++i) {
    err.action = static_cast<int>(i);
    const Action& a = prog[i];
    if (auto* s = std::get_if<SetField>(&a)) {
      if (!valid_field(s->field)) return fail(err, "bad_field", "set_field: unknown field");
      const char* n = field_info(s->field).name;
      if (!writable(s->field)) return fail(err, "not_writable", std::string("set_field: ") + n + " cannot be written", n);
      if (!mask_in_field(s->field, s->mask)) return fail(err, "bad_mask", std::string("set_field: mask wider than ") + n, n);
      if ((s->value.hi & ~s->mask.hi) || (s->value.lo & ~s->mask.lo))
        return fail(err, "bad_mask", std::string("set_field: value of ") + n + " has bits outside its mask", n);
    } else if (auto* m = std::get_if<Move>(&a)) {
      if (!valid_field(m->src) || !valid_field(m->dst)) return fail(err, "bad_field", "move: unknown field");
      const FieldInfo& s = field_info(m->src);
      const FieldInfo& d = field_info(m->dst);
      if (!writable(m->dst)) return fail(err, "not_writable", std::string("move: ") + d.name + " cannot be written", d.name);
      if (m->nbits == 0 || m->nbits > 64 || m->src_ofs + m->nbits > s.bits || m->dst_ofs + m->nbits > d.bits)
        return fail(err, "bad_range", std::string("move: bit range outside ") + s.name + " or " + d.name + " (1..64 bits)", d.name);
    } else if (auto* g = std::get_if<GotoTable>(&a)) {
      if (table == kInBucket) return fail(err, "bad_action", "goto_table is not allowed in a group bucket; use resubmit");
      if (g->table <= table || g->table >= kMaxTables)
        return fail(err, "bad_table", "goto_table must go to a later table (" + std::to_string(table + 1) + ".." +
                                          std::to_string(kMaxTables - 1) + "), got " + std::to_string(g->table));
    } else if (auto* r = std::get_if<Resubmit>(&a)) {
      if (r->table >= kMaxTables) return fail(err, "bad_table", "resubmit table out of range: " + std::to_string(r->table));
    } else if (auto* go = std::get_if<GroupOut>(&a)) {
      if (groups.find(go->group) == groups.end())
        return fail(err, "bad_group", "group " + std::to_string(go->group) + " does not exist");
    } else if (auto* c = std::get_if<Ct>(&a)) {
      if (c->use_zone_field && (!valid_field(c->zone_field) || field_info(c->zone_field).packet))
        return fail(err, "bad_field", "ct: zone must come from a metadata field");
      if (c->table >= static_cast<int>(kMaxTables)) return fail(err, "bad_table", "ct: table out of range");
      if (c->table >= 0 && table == kInBucket) return fail(err, "bad_action", "ct(table=...) is not allowed in a group bucket");
      if (c->nat != NatKind::kNone && (c->addr_min > c->addr_max || c->port_min > c->port_max))
        return fail(err, "bad_range", "ct: nat range min > max");
      if (c->nat != NatKind::kNone && (c->port_min == 0) != (c->port_max == 0))
        return fail(err, "bad_range", "ct: nat port range needs both ends (or 0-0 to keep ports)");
      const bool v6range = (c->addr6_min.hi | c->addr6_min.lo) != 0;
      if (c->nat != NatKind::kNone && c->addr_min == 0 && !v6range)
        return fail(err, "bad_range", "ct: nat needs an address range (IPv4 and/or IPv6)");
      if (v6range && (c->addr6_min.hi != c->addr6_max.hi || c->addr6_min.lo > c->addr6_max.lo))
        return fail(err, "bad_range", "ct: an IPv6 nat range may only vary in its low 64 bits, min <= max");
      if ((!c->backends.empty() || !c->backends6.empty()) && c->nat == NatKind::kSrc)
        return fail(err, "bad_action", "ct: load balancing backends imply dst nat");
    } else if (auto* d = std::get_if<DecTtl>(&a)) {
      if (d->on_error == DecTtl::kGoto && (d->table >= kMaxTables || table == kInBucket || d->table <= table))
        return fail(err, "bad_table", "dec_ttl: error table must be a later table");
    } else if (auto* pv = std::get_if<PushVlan>(&a)) {
      if (pv->tpid != 0x8100 && pv->tpid != 0x88a8) return fail(err, "bad_action", "push_vlan: tpid must be 0x8100 or 0x88a8");
    } else if (auto* e = std::get_if<Encap>(&a)) {
      if (e->vni > 0xffffff) return fail(err, "bad_range", "encap: vni is 24 bits");
      if (e->use_vni_field && (!valid_field(e->vni_field) || field_info(e->vni_field).packet))
        return fail(err, "bad_field", "encap: vni must come from a metadata field");
      if (e->ip_src == 0 || e->ip_dst == 0) return fail(err, "bad_action", "encap: outer ip src and dst are required");
    } else if (auto* ns = std::get_if<NeighStore>(&a)) {
      if (!valid_field(ns->ip) || !valid_field(ns->mac) || field_info(ns->mac).bits != 48 ||
          (field_info(ns->ip).bits != 32 && field_info(ns->ip).bits != 128))
        return fail(err, "bad_field", "neigh_store: ip must be a 32/128-bit field and mac a 48-bit field");
    } else if (auto* nl = std::get_if<NeighLookup>(&a)) {
      if (!valid_field(nl->ip) || !valid_field(nl->mac) || !valid_field(nl->result) ||
          field_info(nl->mac).bits != 48 || (field_info(nl->ip).bits != 32 && field_info(nl->ip).bits != 128))
        return fail(err, "bad_field", "neigh_lookup: ip must be a 32/128-bit field and mac a 48-bit field");
      if (!writable(nl->mac) || !writable(nl->result) || field_info(nl->result).packet ||
          nl->result_bit >= field_info(nl->result).bits)
        return fail(err, "not_writable", "neigh_lookup: mac and result must be writable, result a metadata field with that bit");
    }
  }
  err.action = -1;
  return true;
}

std::shared_ptr<const Pipeline> build_pipeline(const Pipeline& prev, const Batch& batch,
                                               BuildError& err) {
  err = BuildError{};
  auto next = std::make_shared<Pipeline>();
  Pipeline& p = *next;
  PipelineAccess::version(p) = prev.version() + 1;
  auto* tables = PipelineAccess::tables(p);
  auto* miss = PipelineAccess::miss(p);
  auto& groups = PipelineAccess::groups(p);
  for (unsigned t = 0; t < kMaxTables; ++t) {
    tables[t] = prev.table_ptr(static_cast<uint16_t>(t));
    if (!tables[t]) tables[t] = empty_table();
    miss[t] = prev.miss(static_cast<uint16_t>(t));
  }
  groups = prev.groups();

  // 1. tables
  err.where = "tables";
  for (size_t i = 0; i < batch.tables.size(); ++i) {
    err.index = static_cast<int>(i);
    const TableMod& tm = batch.tables[i];
    if (tm.table >= kMaxTables) return fail(err, "bad_table", "table out of range"), nullptr;
    if (tm.miss.kind == MissAction::kGoto && (tm.miss.table <= tm.table || tm.miss.table >= kMaxTables))
      return fail(err, "bad_table", "miss goto must go to a later table"), nullptr;
    miss[tm.table] = tm.miss;
  }

  // 2. groups
  err.where = "groups";
  bool group_deleted = false;
  for (size_t i = 0; i < batch.groups.size(); ++i) {
    err.index = static_cast<int>(i);
    const GroupMod& gm = batch.groups[i];
    const bool exists = groups.count(gm.group.id) != 0;
    const std::string id = std::to_string(gm.group.id);
    switch (gm.op) {
      case GroupMod::kAdd:
        if (exists) return fail(err, "duplicate", "group " + id + " already exists; use modify"), nullptr;
        groups[gm.group.id] = std::make_shared<const Group>(gm.group);
        break;
      case GroupMod::kModify:
        if (!exists) return fail(err, "not_found", "group " + id + " does not exist"), nullptr;
        groups[gm.group.id] = std::make_shared<const Group>(gm.group);
        break;
      case GroupMod::kDelete:
        if (!exists) return fail(err, "not_found", "group " + id + " does not exist"), nullptr;
        groups.erase(gm.group.id);
        group_deleted = true;
        break;
    }
  }
  for (size_t i = 0; i < batch.groups.size(); ++i) {
    const GroupMod& gm = batch.groups[i];
    if (gm.op == GroupMod::kDelete) continue;
    err.index = static_cast<int>(i);
    for (const Program& b : gm.group.buckets)
      if (!validate_program(b, kInBucket, groups, err)) return nullptr;
  }

  // 3. flows. Per touched table: which previous entries were deleted or replaced, and
  // which entries are new; entries are found through the table's own subtables
  // (Table::find_exact), so a change costs O(change), not O(table).
  err.where = "flows";
  struct Work {
    const Table* prev = nullptr;
    std::unordered_map<const Entry*, std::shared_ptr<const Entry>> changed;  // null = deleted
    std::vector<std::shared_ptr<const Entry>> fresh;                          // added by this batch
    std::unordered_map<uint64_t, std::vector<size_t>> fresh_index;            // match_hash -> fresh
  };
  std::map<uint16_t, Work> work;
  std::unordered_map<const Entry*, int> made_by;  // new entry -> flow op index
  auto touch = [&](uint16_t t) -> Work& {
    Work& w = work[t];
    w.prev = tables[t].get();
    return w;
  };
  // The current entry with (priority, match), and where it lives: a pointer into
  // `fresh` or the previous entry it is (or replaces). Both null when absent.
  struct Found {
    std::shared_ptr<const Entry>* fresh = nullptr;
    const Entry* prev = nullptr;
    const Entry* current = nullptr;
  };
  auto find = [](Work& w, uint32_t prio, const Match& m) -> Found {
    Found f;
    auto it = w.fresh_index.find(match_hash(prio, m));
    if (it != w.fresh_index.end()) {
      for (size_t i : it->second) {
        auto& e = w.fresh[i];
        if (e && e->priority == prio && e->match.value == m.value && e->match.mask == m.mask) {
          f.fresh = &e;
          f.current = e.get();
          return f;
        }
      }
    }
    const Entry* p = w.prev->find_exact(prio, m);
    if (p == nullptr) return f;
    auto c = w.changed.find(p);
    if (c != w.changed.end() && !c->second) return f;  // deleted earlier in this batch
    f.prev = p;
    f.current = c != w.changed.end() ? c->second.get() : p;
    return f;
  };
  for (size_t i = 0; i < batch.flows.size(); ++i) {
    err.index = static_cast<int>(i);
    const FlowMod& fm = batch.flows[i];
    if (fm.op == FlowMod::kDeleteByCookie) {
      for (unsigned t = 0; t < kMaxTables; ++t) {
        if (!fm.all_tables && t != fm.table) continue;
        auto wit = work.find(static_cast<uint16_t>(t));
        bool has = false;
        for (const auto& e : tables[t]->entries())
          if (e->cookie == fm.cookie) has = true;
        if (wit != work.end())
          for (const auto& e : wit->second.fresh)
            if (e && e->cookie == fm.cookie) has = true;
        if (!has) continue;
        Work& w = touch(static_cast<uint16_t>(t));
        for (const auto& e : tables[t]->entries()) {
          auto c = w.changed.find(e.get());
          const Entry* cur = c == w.changed.end() ? e.get() : c->second.get();
          if (cur != nullptr && cur->cookie == fm.cookie) w.changed[e.get()] = nullptr;
        }
        for (auto& e : w.fresh)
          if (e && e->cookie == fm.cookie) e.reset();
      }
      continue;
    }
    if (fm.table >= kMaxTables) return fail(err, "bad_table", "table out of range"), nullptr;
    Match m;
    if (!build_match(fm.match, m, err)) return nullptr;
    Work& w = touch(fm.table);
    const Found at = find(w, fm.priority, m);
    const std::string who = "table " + std::to_string(fm.table) + " priority " + std::to_string(fm.priority);
    switch (fm.op) {
      case FlowMod::kAdd: {
        if (at.current) return fail(err, "duplicate", who + ": an entry with this match already exists; use modify"), nullptr;
        if (!validate_program(fm.program, fm.table, groups, err)) return nullptr;
        auto e = std::make_shared<Entry>();
        e->table = fm.table;
        e->priority = fm.priority;
        e->match = m;
        set_program(*e, fm);
        made_by[e.get()] = static_cast<int>(i);
        w.fresh_index[match_hash(fm.priority, m)].push_back(w.fresh.size());
        w.fresh.push_back(std::move(e));
        break;
      }
      case FlowMod::kModify: {
        if (!at.current) return fail(err, "not_found", who + ": no entry with this match"), nullptr;
        if (!validate_program(fm.program, fm.table, groups, err)) return nullptr;
        auto e = std::make_shared<Entry>(*at.current);  // keeps stats
        set_program(*e, fm);
        made_by[e.get()] = static_cast<int>(i);
        if (at.fresh) *at.fresh = std::move(e);
        else w.changed[at.prev] = std::move(e);
        break;
      }
      case FlowMod::kDelete:
        if (!at.current) return fail(err, "not_found", who + ": no entry with this match"), nullptr;
        if (at.fresh) at.fresh->reset();
        else w.changed[at.prev] = nullptr;
        break;
      case FlowMod::kDeleteByCookie:
        break;
    }
  }
  for (auto& [t, w] : work) {
    ClassifierError ce;
    std::shared_ptr<const Table> built;
    const auto& before = tables[t]->entries();
    std::unordered_set<const Entry*> removed;
    std::vector<std::shared_ptr<const Entry>> added;
    for (auto& [p, repl] : w.changed) {
      removed.insert(p);
      if (repl) added.push_back(repl);
    }
    for (auto& e : w.fresh)
      if (e) added.push_back(e);
    // Small changes to a table: update it (copy-on-write of the touched subtables);
    // large ones: rebuild, which is cheaper then.
    if ((removed.size() + added.size()) * 2 <= before.size() || removed.empty()) {
      built = Table::update(*tables[t], removed, std::move(added), ce);
    } else {
      std::vector<std::shared_ptr<const Entry>> live;
      live.reserve(before.size() - removed.size() + added.size());
      for (const auto& e : before)
        if (removed.count(e.get()) == 0) live.push_back(e);
      for (auto& e : added) live.push_back(std::move(e));
      built = Table::build(std::move(live), ce);
    }
    if (!built) {
      err.code = ce.code;
      err.message = ce.message;
      err.action = -1;
      auto it = made_by.find(ce.entry);
      if (it == made_by.end()) it = made_by.find(ce.other);
      err.index = it == made_by.end() ? -1 : it->second;
      return nullptr;
    }
    tables[t] = std::move(built);
  }

  // 4. a deleted group must not be referenced by anything left.
  if (group_deleted) {
    err.where = "groups";
    auto refs_missing = [&](const Program& prog) {
      for (const Action& a : prog)
        if (auto* g = std::get_if<GroupOut>(&a))
          if (groups.count(g->group) == 0) return true;
      return false;
    };
    for (unsigned t = 0; t < kMaxTables; ++t)
      for (const auto& e : tables[t]->entries())
        if (refs_missing(e->program))
          return fail(err, "in_use", "a deleted group is still used by table " + std::to_string(t) +
                                         " priority " + std::to_string(e->priority)), nullptr;
    for (const auto& [id, g] : groups)
      for (const Program& b : g->buckets)
        if (refs_missing(b)) return fail(err, "in_use", "a deleted group is still used by group " + std::to_string(id)), nullptr;
  }
  err = BuildError{};
  return next;
}

}  // namespace loom
