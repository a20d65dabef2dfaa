// datapath/core/classifier.cc — tuple-space search (see classifier.h).
//
// Build: entries are grouped by mask into subtables; each subtable is an immutable
// open-addressed hash of masked keys holding, per key, the highest-priority entry (a
// lower-priority entry with the same mask and value can never win). Subtables are sorted
// by their highest priority so lookup() stops once the best hit outranks the rest.
// Overlap check: within a priority, same-mask entries overlap iff their values are
// equal; entries of two different masks overlap iff they agree on the bits both masks
// cover — found with one hash join per pair of masks, not per pair of entries.
// Update: a new version shares the subtables a batch does not touch; touched ones are
// copied, then entries are erased (linear probing with backward shift; a shadowed twin
// takes over) and inserted, and only the new entries are checked for overlaps, through
// each subtable's per-priority lists. Property tests compare it with full builds.
#include "core/classifier.h"

#include "core/hash.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace loom {

namespace {

std::atomic<uint64_t> g_generation{1};

uint64_t mask_hash(const FlowKey& m) noexcept {
  uint8_t all[kKeyWords];
  for (unsigned i = 0; i < kKeyWords; ++i) all[i] = static_cast<uint8_t>(i);
  return hash_words(m.w, all, kKeyWords);
}

// Hash of (k & mask) over the listed words (the same function for build and lookup).
inline uint64_t masked_hash(const FlowKey& k, const FlowKey& mask, const uint8_t* words,
                            unsigned n) noexcept {
  uint64_t h = kHashSeed;
  for (unsigned i = 0; i < n; ++i) h = fast_hash_add(h, k.w[words[i]] & mask.w[words[i]]);
  return fast_hash_finish(h);
}

std::string describe(const Entry& e) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "table %u priority %u cookie 0x%llx", unsigned{e.table},
                e.priority, static_cast<unsigned long long>(e.cookie));
  return buf;
}

}  // namespace

uint64_t EntryStats::packets() const noexcept {
  uint64_t s = 0;
  for (const Slot& x : slot) s += x.packets.load(std::memory_order_relaxed);
  return s;
}
uint64_t EntryStats::bytes() const noexcept {
  uint64_t s = 0;
  for (const Slot& x : slot) s += x.bytes.load(std::memory_order_relaxed);
  return s;
}

struct Table::Subtable {
  FlowKey mask;
  uint8_t words[kKeyWords];
  unsigned nwords = 0;
  uint32_t max_priority = 0;
  struct Slot {
    uint64_t hash;
    const Entry* e;
  };
  std::vector<Slot> slots;  // power of two, e == nullptr is empty
  uint64_t cap_mask = 0;
  size_t used = 0;
  // Every entry by priority (overlap checks of later additions), and the entries that
  // share a mask and value (the highest is in `slots`; the rest can never win a lookup
  // but are kept to find same-priority duplicates).
  std::unordered_map<uint32_t, std::vector<const Entry*>> by_prio;
  std::unordered_map<uint64_t, std::vector<const Entry*>> same_key;

  explicit Subtable(const FlowKey& m) : mask(m) {
    for (unsigned w = 0; w < kKeyWords; ++w)
      if (mask.w[w]) words[nwords++] = static_cast<uint8_t>(w);
    slots.assign(8, Slot{0, nullptr});
    cap_mask = 7;
  }

  const Entry* find(const FlowKey& k, uint64_t h) const noexcept {
    for (uint64_t i = h & cap_mask;; i = (i + 1) & cap_mask) {
      const Slot& s = slots[i];
      if (s.e == nullptr) return nullptr;
      if (s.hash != h) continue;
      bool eq = true;
      for (unsigned j = 0; j < nwords; ++j) {
        const unsigned w = words[j];
        if ((k.w[w] & mask.w[w]) != s.e->match.value.w[w]) {
          eq = false;
          break;
        }
      }
      if (eq) return s.e;
    }
  }

  void rehash(size_t cap) {
    std::vector<Slot> old = std::move(slots);
    slots.assign(cap, Slot{0, nullptr});
    cap_mask = cap - 1;
    for (const Slot& o : old) {
      if (o.e == nullptr) continue;
      for (uint64_t i = o.hash & cap_mask;; i = (i + 1) & cap_mask)
        if (slots[i].e == nullptr) {
          slots[i] = o;
          break;
        }
    }
  }

  // Removes e (which is in this subtable). Linear probing with backward-shift deletion,
  // so no tombstones; a shadowed twin with the same value takes over e's slot.
  void erase(const Entry* e) {
    const uint64_t h = masked_hash(e->match.value, mask, words, nwords);
    auto bp = by_prio.find(e->priority);
    if (bp != by_prio.end()) {
      auto& v = bp->second;
      auto it = std::find(v.begin(), v.end(), e);
      if (it != v.end()) v.erase(it);
      if (v.empty()) by_prio.erase(bp);
    }
    const Entry* heir = nullptr;  // best remaining entry with e's value
    auto sk = same_key.find(h);
    if (sk != same_key.end()) {
      auto& v = sk->second;
      auto it = std::find(v.begin(), v.end(), e);
      if (it != v.end()) v.erase(it);
      for (const Entry* x : v)
        if (x->match.value == e->match.value && (heir == nullptr || x->priority > heir->priority)) heir = x;
      if (v.empty()) same_key.erase(sk);
    }
    uint64_t i = h & cap_mask;
    for (;; i = (i + 1) & cap_mask) {
      if (slots[i].e == nullptr) return;  // not present (cannot happen for a member)
      if (slots[i].hash == h && slots[i].e->match.value == e->match.value) break;
    }
    if (slots[i].e != e) return;  // e was shadowed: the slot's entry stays
    if (heir != nullptr) {
      slots[i].e = heir;
      return;
    }
    --used;
    for (uint64_t j = i;;) {
      j = (j + 1) & cap_mask;
      if (slots[j].e == nullptr) break;
      const uint64_t k = slots[j].hash & cap_mask;  // home slot of the entry at j
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) continue;
      slots[i] = slots[j];
      i = j;
    }
    slots[i] = Slot{0, nullptr};
  }

  void recompute_max_priority() {
    max_priority = 0;
    for (const auto& [p, v] : by_prio) max_priority = std::max(max_priority, p);
  }

  // Adds e; returns the entry it duplicates (same value and priority), or nullptr.
  const Entry* insert(const Entry* e) {
    if ((used + 1) * 2 > slots.size()) rehash(slots.size() * 2);
    const uint64_t h = masked_hash(e->match.value, mask, words, nwords);
    for (uint64_t i = h & cap_mask;; i = (i + 1) & cap_mask) {
      Slot& slot = slots[i];
      if (slot.e == nullptr) {
        slot = {h, e};
        ++used;
        break;
      }
      if (slot.hash == h && slot.e->match.value == e->match.value) {
        auto& v = same_key[h];
        if (std::find(v.begin(), v.end(), slot.e) == v.end()) v.push_back(slot.e);
        for (const Entry* x : v)
          if (x->priority == e->priority && x->match.value == e->match.value) return x;
        v.push_back(e);
        if (e->priority > slot.e->priority) slot.e = e;  // the lower one is shadowed
        break;
      }
    }
    max_priority = std::max(max_priority, e->priority);
    by_prio[e->priority].push_back(e);
    return nullptr;
  }
};

Table::~Table() = default;

void Table::note_paths() {
  all_end_path_ = std::all_of(entries_.begin(), entries_.end(), [](const auto& e) { return e->ends_path; });
}

void Table::finish() {
  std::stable_sort(subtables_.begin(), subtables_.end(),
                   [](const auto& a, const auto& b) { return a->max_priority > b->max_priority; });
  union_mask_ = FlowKey{};
  used_words_.clear();
  for (const auto& st : subtables_)
    for (unsigned w = 0; w < kKeyWords; ++w) union_mask_.w[w] |= st->mask.w[w];
  for (unsigned w = 0; w < kKeyWords; ++w)
    if (union_mask_.w[w]) used_words_.push_back(static_cast<uint8_t>(w));
  // OVS's "simple match" case: a table whose only mask is exactly in_port (plain L2
  // `in_port -> output`) is looked up by direct index, no hash and no probe. The array
  // holds what the subtable's slots hold (the winner per value), so results are equal.
  by_in_port_.clear();
  direct_n_ = 0;
  if (subtables_.size() == 1) {
    const Subtable& st = *subtables_[0];
    bool only_in_port = st.mask.w[0] == 0xffffffffull;
    for (unsigned w = 1; w < kKeyWords && only_in_port; ++w) only_in_port = st.mask.w[w] == 0;
    uint64_t top = 0;
    for (const auto& sl : st.slots)
      if (sl.e) top = std::max(top, sl.e->match.value.w[0]);
    if (only_in_port && top < kDirectInPorts) {
      by_in_port_.assign(top + 1, nullptr);
      for (const auto& sl : st.slots)
        if (sl.e) by_in_port_[sl.e->match.value.w[0]] = sl.e;
      direct_n_ = by_in_port_.size();
    }
  }
}

std::shared_ptr<const Table> Table::build(std::vector<std::shared_ptr<const Entry>> entries,
                                          ClassifierError& err) {
  // Validate masks and group by mask.
  std::unordered_map<uint64_t, std::vector<size_t>> by_mask_hash;
  std::vector<std::vector<size_t>> groups;  // entry indexes per distinct mask
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = *entries[i];
    for (unsigned w = 0; w < kKeyWords; ++w) {
      if (e.match.value.w[w] & ~e.match.mask.w[w]) {
        err = {"bad_mask", describe(e) + ": match value has bits outside its mask", &e, nullptr};
        return nullptr;
      }
    }
    auto& cand = by_mask_hash[mask_hash(e.match.mask)];
    bool placed = false;
    for (size_t g : cand) {
      if (entries[groups[g][0]]->match.mask == e.match.mask) {
        groups[g].push_back(i);
        placed = true;
        break;
      }
    }
    if (!placed) {
      cand.push_back(groups.size());
      groups.push_back({i});
    }
  }

  auto clash = [&](const Entry& e, const Entry& o, const char* code) {
    err = {code,
           describe(e) + " and " + describe(o) +
               " have the same priority and can match the same packet; give one"
               " a different priority or make their matches disjoint",
           &e, &o};
  };

  // Same-priority overlap between different masks: entries of masks m1, m2 overlap iff
  // they agree on m1 & m2, found by one hash join per pair of masks sharing a priority.
  // (Same-mask duplicates are found while filling the subtables below.)
  {
    std::unordered_map<uint32_t, std::vector<size_t>> prio_groups;  // priority -> groups
    for (size_t g = 0; g < groups.size(); ++g) {
      std::vector<uint32_t> ps;
      ps.reserve(groups[g].size());
      for (size_t i : groups[g]) ps.push_back(entries[i]->priority);
      std::sort(ps.begin(), ps.end());
      ps.erase(std::unique(ps.begin(), ps.end()), ps.end());
      for (uint32_t p : ps) prio_groups[p].push_back(g);
    }
    uint8_t all[kKeyWords];
    for (unsigned i = 0; i < kKeyWords; ++i) all[i] = static_cast<uint8_t>(i);
    for (auto& [prio, gs] : prio_groups) {
      if (gs.size() < 2) continue;
      std::vector<std::vector<size_t>> lists(gs.size());
      for (size_t k = 0; k < gs.size(); ++k)
        for (size_t i : groups[gs[k]])
          if (entries[i]->priority == prio) lists[k].push_back(i);
      for (size_t a = 0; a < gs.size(); ++a) {
        for (size_t b = a + 1; b < gs.size(); ++b) {
          FlowKey common;
          const FlowKey& ma = entries[groups[gs[a]][0]]->match.mask;
          const FlowKey& mb = entries[groups[gs[b]][0]]->match.mask;
          for (unsigned w = 0; w < kKeyWords; ++w) common.w[w] = ma.w[w] & mb.w[w];
          auto proj = [&](size_t idx) {
            FlowKey p;
            for (unsigned w = 0; w < kKeyWords; ++w) p.w[w] = entries[idx]->match.value.w[w] & common.w[w];
            return p;
          };
          std::unordered_multimap<uint64_t, size_t> seen;
          for (size_t j : lists[b]) {
            FlowKey p = proj(j);
            seen.emplace(hash_words(p.w, all, kKeyWords), j);
          }
          for (size_t i : lists[a]) {
            FlowKey p = proj(i);
            auto range = seen.equal_range(hash_words(p.w, all, kKeyWords));
            for (auto it = range.first; it != range.second; ++it) {
              if (proj(it->second) == p) {
                clash(*entries[i], *entries[it->second], "overlap");
                return nullptr;
              }
            }
          }
        }
      }
    }
  }

  std::shared_ptr<Table> t(new Table());
  t->generation_ = g_generation.fetch_add(1, std::memory_order_relaxed);
  for (auto& g : groups) {
    auto st = std::make_shared<Subtable>(entries[g[0]]->match.mask);
    size_t cap = 8;
    while (cap < g.size() * 2) cap <<= 1;
    st->rehash(cap);
    for (size_t i : g) {
      const Entry* e = entries[i].get();
      if (const Entry* dup = st->insert(e)) {
        clash(*e, *dup, "duplicate");
        return nullptr;
      }
    }
    t->subtables_.push_back(std::move(st));
  }
  t->finish();
  t->entries_ = std::move(entries);
  t->note_paths();
  return t;
}

namespace {
bool overlaps(const Entry& a, const Entry& b) noexcept {
  for (unsigned w = 0; w < kKeyWords; ++w)
    if ((a.match.value.w[w] ^ b.match.value.w[w]) & a.match.mask.w[w] & b.match.mask.w[w]) return false;
  return true;
}
}  // namespace

std::shared_ptr<const Table> Table::extend(const Table& prev, std::vector<std::shared_ptr<const Entry>> added,
                                           ClassifierError& err) {
  return update(prev, {}, std::move(added), err);
}

std::shared_ptr<const Table> Table::update(const Table& prev, const std::unordered_set<const Entry*>& removed,
                                           std::vector<std::shared_ptr<const Entry>> added, ClassifierError& err) {
  std::vector<std::shared_ptr<const Subtable>> subs = prev.subtables_;
  std::vector<std::shared_ptr<Subtable>> copies(subs.size());  // subtables being changed
  for (const Entry* r : removed) {
    for (size_t j = 0; j < subs.size(); ++j) {
      if (subs[j]->mask != r->match.mask) continue;
      if (!copies[j]) copies[j] = std::make_shared<Subtable>(*subs[j]);
      copies[j]->erase(r);
      break;
    }
  }
  for (auto& c : copies)
    if (c) c->recompute_max_priority();
  for (const auto& ep : added) {
    const Entry& e = *ep;
    for (unsigned w = 0; w < kKeyWords; ++w) {
      if (e.match.value.w[w] & ~e.match.mask.w[w]) {
        err = {"bad_mask", describe(e) + ": match value has bits outside its mask", &e, nullptr};
        return nullptr;
      }
    }
    size_t k = subs.size();
    for (size_t j = 0; j < subs.size(); ++j) {
      const Subtable& st = copies[j] ? *copies[j] : *subs[j];
      if (st.mask == e.match.mask) {
        k = j;
        continue;
      }
      // Other masks: anything at the same priority that agrees on the shared bits clashes.
      auto it = st.by_prio.find(e.priority);
      if (it == st.by_prio.end()) continue;
      for (const Entry* x : it->second) {
        if (overlaps(e, *x)) {
          err = {"overlap",
                 describe(e) + " and " + describe(*x) +
                     " have the same priority and can match the same packet; give one"
                     " a different priority or make their matches disjoint",
                 &e, x};
          return nullptr;
        }
      }
    }
    if (k == subs.size()) {
      subs.push_back(nullptr);
      copies.push_back(std::make_shared<Subtable>(e.match.mask));
    } else if (!copies[k]) {
      copies[k] = std::make_shared<Subtable>(*subs[k]);
    }
    if (const Entry* dup = copies[k]->insert(&e)) {
      err = {"duplicate",
             describe(e) + " and " + describe(*dup) +
                 " have the same priority and can match the same packet; give one"
                 " a different priority or make their matches disjoint",
             &e, dup};
      return nullptr;
    }
  }
  std::shared_ptr<Table> t(new Table());
  t->generation_ = g_generation.fetch_add(1, std::memory_order_relaxed);
  for (size_t j = 0; j < subs.size(); ++j) {
    if (copies[j] && copies[j]->by_prio.empty()) continue;  // emptied by removals
    t->subtables_.push_back(copies[j] ? copies[j] : subs[j]);
  }
  t->finish();
  t->entries_.reserve(prev.entries_.size() - std::min(prev.entries_.size(), removed.size()) + added.size());
  for (const auto& e : prev.entries_)
    if (removed.empty() || removed.count(e.get()) == 0) t->entries_.push_back(e);
  for (auto& e : added) t->entries_.push_back(std::move(e));
  t->note_paths();
  return t;
}

const Entry* Table::find_exact(uint32_t priority, const Match& m) const noexcept {
  for (const auto& st : subtables_) {
    if (st->mask != m.mask) continue;
    const uint64_t h = masked_hash(m.value, st->mask, st->words, st->nwords);
    for (uint64_t i = h & st->cap_mask;; i = (i + 1) & st->cap_mask) {
      const auto& slot = st->slots[i];
      if (slot.e == nullptr) return nullptr;
      if (slot.hash != h || slot.e->match.value != m.value) continue;
      if (slot.e->priority == priority) return slot.e;
      auto sk = st->same_key.find(h);
      if (sk == st->same_key.end()) return nullptr;
      for (const Entry* x : sk->second)
        if (x->priority == priority && x->match.value == m.value) return x;
      return nullptr;
    }
  }
  return nullptr;
}

const Entry* Table::lookup(const FlowKey& k) const noexcept {
  if (__builtin_expect(direct_n_ != 0, 0)) {
    const uint64_t p = k.w[0] & 0xffffffffull;
    return p < direct_n_ ? by_in_port_[p] : nullptr;
  }
  const Entry* best = nullptr;
  for (const auto& st : subtables_) {
    if (best != nullptr && best->priority >= st->max_priority) break;
    const uint64_t h = masked_hash(k, st->mask, st->words, st->nwords);
    const Entry* e = st->find(k, h);
    if (e != nullptr && (best == nullptr || e->priority > best->priority)) best = e;
  }
  return best;
}

}  // namespace loom
