// datapath/core/classifier.cc — tuple-space search (see classifier.h).
//
// Build: entries are grouped by mask into subtables; each subtable is an immutable
// open-addressed hash of masked keys holding, per key, the highest-priority entry (a
// lower-priority entry with the same mask and value can never win). Subtables are sorted
// by their highest priority so lookup() stops once the best hit outranks the rest.
// Overlap check: within a priority, same-mask entries overlap iff their values are
// equal; entries of two different masks overlap iff they agree on the bits both masks
// cover — found with one hash join per pair of masks, not per pair of entries.
#include "core/classifier.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <unordered_map>

namespace loom {

namespace {

std::atomic<uint64_t> g_generation{1};

uint64_t mask_hash(const FlowKey& m) noexcept {
  uint8_t all[kKeyWords];
  for (unsigned i = 0; i < kKeyWords; ++i) all[i] = static_cast<uint8_t>(i);
  return hash_words(m.w, all, kKeyWords);
}

// Hash of (k & mask) over the listed words.
inline uint64_t masked_hash(const FlowKey& k, const FlowKey& mask, const uint8_t* words,
                            unsigned n) noexcept {
  uint64_t tmp[kKeyWords];
  for (unsigned i = 0; i < n; ++i) tmp[words[i]] = k.w[words[i]] & mask.w[words[i]];
  return hash_words(tmp, words, n);
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
};

Table::~Table() {
  for (Subtable* s : subtables_) delete s;
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
    auto* st = new Subtable();
    t->subtables_.push_back(st);
    st->mask = entries[g[0]]->match.mask;
    for (unsigned w = 0; w < kKeyWords; ++w) {
      if (st->mask.w[w]) st->words[st->nwords++] = static_cast<uint8_t>(w);
      t->union_mask_.w[w] |= st->mask.w[w];
    }
    size_t cap = 8;
    while (cap < g.size() * 2) cap <<= 1;
    st->slots.assign(cap, Subtable::Slot{0, nullptr});
    st->cap_mask = cap - 1;
    // Entries with the same mask and value: the highest priority is the one a lookup
    // can return; all of them are kept aside to check for same-priority duplicates.
    std::unordered_map<uint64_t, std::vector<const Entry*>> same_key;
    for (size_t i : g) {
      const Entry* e = entries[i].get();
      st->max_priority = std::max(st->max_priority, e->priority);
      const uint64_t h = masked_hash(e->match.value, st->mask, st->words, st->nwords);
      for (uint64_t s = h & st->cap_mask;; s = (s + 1) & st->cap_mask) {
        auto& slot = st->slots[s];
        if (slot.e == nullptr) {
          slot = {h, e};
          break;
        }
        if (slot.hash == h && slot.e->match.value == e->match.value) {
          auto& v = same_key[h];
          if (std::find(v.begin(), v.end(), slot.e) == v.end()) v.push_back(slot.e);
          v.push_back(e);
          if (e->priority > slot.e->priority) slot.e = e;  // the lower one is shadowed
          break;
        }
      }
    }
    for (auto& [h, v] : same_key) {
      for (size_t a = 0; a < v.size(); ++a)
        for (size_t b = a + 1; b < v.size(); ++b)
          if (v[a]->priority == v[b]->priority && v[a]->match.value == v[b]->match.value) {
            clash(*v[b], *v[a], "duplicate");
            return nullptr;
          }
    }
  }
  std::stable_sort(t->subtables_.begin(), t->subtables_.end(),
                   [](const Subtable* a, const Subtable* b) { return a->max_priority > b->max_priority; });
  for (unsigned w = 0; w < kKeyWords; ++w)
    if (t->union_mask_.w[w]) t->used_words_.push_back(static_cast<uint8_t>(w));
  t->entries_ = std::move(entries);
  return t;
}

const Entry* Table::lookup(const FlowKey& k) const noexcept {
  const Entry* best = nullptr;
  for (const Subtable* st : subtables_) {
    if (best != nullptr && best->priority >= st->max_priority) break;
    const uint64_t h = masked_hash(k, st->mask, st->words, st->nwords);
    const Entry* e = st->find(k, h);
    if (e != nullptr && (best == nullptr || e->priority > best->priority)) best = e;
  }
  return best;
}

}  // namespace loom
