// cli/warm-up.ts — runs typical command chains against a stand-in store, so that the
// functions a real `loom` command calls are compiled when cli/bundle.ts records the
// bundle's V8 code cache (bin/loom.js then starts from that bytecode instead of parsing
// and compiling them again in every process).
//
// Owns: the chains (the reference topology's per-tenant shape, the read commands, the
// database commands) and the stand-in store (selects find nothing, inserts get uuids).
// Reads: the schema it is given (cli/bundle.ts passes the northbound one).
// Called by: cli/bundle.ts at build time, through the bundle's export.
// Must never: do I/O, or be called by a command (it exists only to be compiled).
// Invariants: deterministic: the same chains every build.

import type { DatabaseSchema, Operation, OperationResult, Store, TransactResult } from '../store/types.js';
import { HeldParts } from '../store/txn-parts.js';
import { parseArgs } from './args.js';
import { nbCommands } from './nbctl.js';
import { runInvocation } from './run.js';

const CHAINS: readonly (readonly string[])[] = [
  [
    '--', 'ls-add', 'ls1', '--', 'lr-add', 'lr1', '--', 'lrp-add', 'lr1', 'lrp1', '00:00:01:00:00:01', '10.0.1.254/24',
    '--', 'lsp-add', 'ls1', 'ls1-lr', '--', 'lsp-set-type', 'ls1-lr', 'router', '--', 'lsp-set-addresses', 'ls1-lr', 'router', '--', 'lsp-set-options', 'ls1-lr', 'router-port=lrp1',
    ...[1, 2, 3].flatMap((p) => {
      const a = `0a:00:01:00:00:0${p} 10.0.1.${p + 1}`;
      return ['--', 'lsp-add', 'ls1', `p1-${p}`, '--', 'lsp-set-addresses', `p1-${p}`, a, '--', 'lsp-set-port-security', `p1-${p}`, a];
    }),
    '--', 'pg-add', 'pg1', 'p1-1', 'p1-2', 'p1-3',
    '--', '--type=port-group', 'acl-add', 'pg1', 'to-lport', '1002', 'outport == @pg1 && ip4 && tcp.dst == 22', 'allow-related',
    '--', '--type=port-group', 'acl-add', 'pg1', 'to-lport', '1002', 'outport == @pg1 && ip4 && ip4.src == $pg1_ip4', 'allow-related',
    '--', '--type=port-group', 'acl-add', 'pg1', 'to-lport', '1001', 'outport == @pg1 && ip', 'drop',
  ],
  ['--may-exist', 'ls-add', 'sw0', '--', 'lsp-add', 'sw0', 'vm1', '--', 'lsp-set-addresses', 'vm1', '0a:00:00:00:00:01 10.0.0.11'],
  ['lr-add', 'lr2', '--', 'lr-route-add', 'lr2', '0.0.0.0/0', '10.0.1.1', '--', 'lr-nat-add', 'lr2', 'snat', '172.16.0.1', '10.0.1.0/24'],
  ['show'],
  ['ls-list'],
  ['--format=json', 'list', 'Logical_Switch'],
  ['find', 'Logical_Switch_Port', 'type=router'],
  ['--', '--id=@p', 'create', 'Logical_Switch_Port', 'name=p9', '--', 'set', 'Logical_Switch_Port', 'p9', 'external_ids:owner=cms'],
];

/** A store where nothing exists yet: selects find no rows, inserts get fresh uuids. */
function standIn(schema: DatabaseSchema): Store {
  let n = 0;
  const result = (op: Operation): OperationResult =>
    op.op === 'select' ? { rows: [] } : op.op === 'insert' ? { uuid: `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}` } : { count: 1 };
  const transact = async (ops: readonly Operation[]): Promise<TransactResult> => ({ revision: 1, results: ops.map(result) });
  return {
    schema,
    transact,
    transactParts: () => new HeldParts(schema, transact),
    select: async () => [],
    revision: async () => 1,
    watch: () => {
      throw new Error('the warm-up store does not watch');
    },
    close: async () => undefined,
  };
}

/**
 * Runs every chain (several times, as V8 compiles some functions only once they are warm);
 * returns how many chains of a round ran to the end (the test expects all of them).
 */
export async function warmUp(schema: DatabaseSchema): Promise<number> {
  const store = standIn(schema);
  let whole = 0;
  for (let round = 0; round < 3; round++) {
    whole = 0;
    for (const argv of CHAINS) {
      try {
        await runInvocation(store, parseArgs(argv, nbCommands));
        whole++;
      } catch {
        // A chain the stand-in store cannot satisfy still compiled what it ran.
      }
    }
  }
  return whole;
}

export const WARM_UP_CHAINS = CHAINS.length;
