// datapath/core/pipeline.h — immutable pipeline versions and the batch that makes them.
//
// Owns: `Pipeline` (tables 0..kMaxTables-1 with miss actions, groups, a version number),
// `Batch` (the JS-facing change set: table configs, flow mods, group mods) and
// `build_pipeline()` (previous version + batch -> next version, all or nothing).
// Reads: Table/Entry (classifier.h), actions.h. Called by: Core::apply (control thread),
// tests. Never: mutate a Pipeline after build; partially apply a batch.
// Invariants: every program in a Pipeline is valid (tables in range, groups exist, fields
// writable, masks inside the field); a table unchanged by a batch is shared (same Table
// object, same generation) with the previous version.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/actions.h"
#include "core/classifier.h"
#include "core/flow.h"

namespace loom {

struct MissAction {
  enum Kind : uint8_t { kDrop, kGoto, kPacketIn } kind = kDrop;
  uint16_t table = 0;   // kGoto: next table (> this table)
  uint16_t reason = 0;  // kPacketIn: reason
};

struct Group {
  uint32_t id = 0;
  std::vector<Program> buckets;
};

class Pipeline {
 public:
  uint64_t version() const noexcept { return version_; }
  // Never null: an empty Table when nothing was installed.
  const Table& table(uint16_t t) const noexcept { return *tables_[t]; }
  const std::shared_ptr<const Table>& table_ptr(uint16_t t) const noexcept { return tables_[t]; }
  const MissAction& miss(uint16_t t) const noexcept { return miss_[t]; }
  const Group* group(uint32_t id) const noexcept {
    auto it = groups_.find(id);
    return it == groups_.end() ? nullptr : it->second.get();
  }
  const std::map<uint32_t, std::shared_ptr<const Group>>& groups() const noexcept { return groups_; }
  size_t entry_count() const noexcept;

  static std::shared_ptr<const Pipeline> empty();

 private:
  friend struct PipelineAccess;
  uint64_t version_ = 0;
  std::shared_ptr<const Table> tables_[kMaxTables];
  MissAction miss_[kMaxTables];
  std::map<uint32_t, std::shared_ptr<const Group>> groups_;
};

struct FieldMatch { Field field; U128 value; U128 mask; };

struct FlowMod {
  enum Op : uint8_t {
    kAdd,             // new entry; (table, priority, match) must not exist
    kModify,          // replace program/cookie of the entry with (table, priority, match)
    kDelete,          // delete the entry with (table, priority, match); must exist
    kDeleteByCookie,  // delete every entry with cookie (in `table`, or all tables if all_tables)
  } op = kAdd;
  uint16_t table = 0;
  bool all_tables = false;
  uint32_t priority = 0;
  std::vector<FieldMatch> match;  // fields not listed are wildcards
  Program program;
  uint64_t cookie = 0;
};

struct GroupMod {
  enum Op : uint8_t { kAdd, kModify, kDelete } op = kAdd;
  Group group;
};

struct TableMod { uint16_t table = 0; MissAction miss; };

// Applied in this order: tables, groups, flows. Indexes in errors refer to these vectors.
struct Batch {
  std::vector<TableMod> tables;
  std::vector<GroupMod> groups;
  std::vector<FlowMod> flows;
};

// An error names the op that failed. The addon maps it onto a LoomError-shaped object.
struct BuildError {
  std::string code;     // e.g. "bad_field", "bad_mask", "overlap", "duplicate", "not_found",
                        // "bad_table", "bad_group", "not_writable", "bad_action"
  std::string message;  // human text naming the entry and what to do
  std::string where;    // "flows" | "groups" | "tables"
  int index = -1;       // index into that vector of the Batch
  int action = -1;      // index of the action inside the program, -1 if not about one
  std::string field;    // offending field name, if any
};

// Builds the next version. Returns nullptr and fills err on any invalid op.
std::shared_ptr<const Pipeline> build_pipeline(const Pipeline& prev, const Batch& batch,
                                               BuildError& err);

// Checks one program in the context of a pipeline under construction (groups that exist).
bool validate_program(const Program& p, uint16_t table,
                      const std::map<uint32_t, std::shared_ptr<const Group>>& groups,
                      BuildError& err);

// Builds a Match from field matches; false + err on an unknown/bad mask.
bool build_match(const std::vector<FieldMatch>& fm, Match& out, BuildError& err);

}  // namespace loom
