// expr/references.ts — the database names and symbols a match refers to.
//
// Owns: matchReferences(expr): the address sets, port groups, ports (string constants and
// is_chassis_resident) and symbols a parsed match names, so incremental users (northd's
// engine, nbdb's reference checks, the controller's address-set handling) know which
// matches to revisit when an Address_Set or Port_Group changes.
// Reads: the tree only. Called by: index.ts. Never: resolve or expand anything.
// Invariant: each list is sorted and duplicate-free.

import type { MatchExpr } from './ast.js';

export interface MatchReferences {
  readonly addressSets: readonly string[];
  readonly portGroups: readonly string[];
  /** Port names compared with inport/outport or given to is_chassis_resident. */
  readonly ports: readonly string[];
  /** Symbols named (fields, subfields, predicates), not their expansions. */
  readonly symbols: readonly string[];
}

export function matchReferences(expr: MatchExpr): MatchReferences {
  const sets = new Set<string>();
  const groups = new Set<string>();
  const ports = new Set<string>();
  const symbols = new Set<string>();
  const walk = (e: MatchExpr): void => {
    switch (e.type) {
      case 'const': return;
      case 'resident': ports.add(e.port); return;
      case 'not': walk(e.expr); return;
      case 'and': case 'or': for (const t of e.terms) walk(t); return;
      case 'bool': symbols.add(e.field.name); return;
      case 'range': symbols.add(e.field.name); return;
      case 'cmp':
        symbols.add(e.field.name);
        for (const c of e.values) {
          if (c.kind === 'addrset') sets.add(c.name);
          else if (c.kind === 'portgroup') groups.add(c.name);
          else if (c.kind === 'string') ports.add(c.value);
        }
        return;
    }
  };
  walk(expr);
  const sorted = (s: Set<string>): string[] => [...s].sort();
  return { addressSets: sorted(sets), portGroups: sorted(groups), ports: sorted(ports), symbols: sorted(symbols) };
}
