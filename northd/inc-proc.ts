// northd/inc-proc.ts — a small incremental-processing engine (the idea of OVN's
// lib/inc-proc-eng.h): nodes own their data and declare their inputs in one place; each
// input either has a change handler or, by default, makes the node recompute.
//
// Owns: ordering and the decision "handle or recompute", and the record of what ran.
// Reads: nothing but the node table it is given. Called by engine.ts.
// Never: computes anything itself; never skips a node whose input changed.
// Invariants: nodes run in declaration order, which must be topological (checked in the
// constructor); a node with a changed input runs exactly once per `run`.

export type Handler = () => boolean;

export interface NodeDef {
  readonly name: string;
  /** input node name → change handler, or null: "recompute this node when that input changes" */
  readonly inputs: { readonly [input: string]: Handler | null };
  readonly recompute: () => void;
}

export interface RunReport {
  /** nodes that ran their full recompute */
  readonly recomputed: string[];
  /** nodes whose changes were all handled incrementally */
  readonly handled: string[];
}

export class IncProcEngine {
  private readonly nodes: readonly NodeDef[];

  constructor(nodes: readonly NodeDef[], readonly sources: readonly string[]) {
    const known = new Set(sources);
    for (const n of nodes) {
      for (const i of Object.keys(n.inputs)) {
        if (!known.has(i)) throw new Error(`inc-proc: node ${n.name} reads ${i}, which is not declared before it`);
      }
      known.add(n.name);
    }
    this.nodes = nodes;
  }

  /** Runs every node downstream of the changed sources; `force` recomputes everything. */
  run(changedSources: Iterable<string>, force = false): RunReport {
    const changed = new Set(changedSources);
    const report: RunReport = { recomputed: [], handled: [] };
    for (const n of this.nodes) {
      const inputs = Object.entries(n.inputs).filter(([i]) => changed.has(i));
      if (!force && inputs.length === 0) continue;
      let recompute = force || inputs.some(([, h]) => h === null);
      if (!recompute) {
        for (const [, h] of inputs) {
          if (h !== null && !h()) {
            recompute = true;
            break;
          }
        }
      }
      if (recompute) {
        n.recompute();
        report.recomputed.push(n.name);
      } else report.handled.push(n.name);
      changed.add(n.name);
    }
    return report;
  }
}
