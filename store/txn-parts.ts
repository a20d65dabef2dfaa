// store/txn-parts.ts — a transaction handed over in parts (TxnParts, store/types.ts) for a
// backend that runs whole transactions: the parts are checked as they come and held in
// memory, and commit() runs all of them, in order, as ONE transact().
//
// Owns: the order of calls on one TxnParts (add, add, ..., commit | abort, then nothing),
// the shape checks a part can pass or fail alone (an array of operations, each an object
// naming a known operation, uuid-names well formed and used once over all parts), and the
// numbering of a failing operation over every part (its index in the whole transaction).
// Reads: the schema. Called by SqliteStore.transactParts, the CLI's HttpStore, test
// wrappers of a Store. RemoteStore sends parts to the server instead (store/client.ts).
// Must never: run an operation before commit(), or keep the held parts after commit(),
// abort() or a refused part.
// Invariants: once a part is refused, every later call rejects with that same error and
// nothing is held; commit() hands the operations over exactly once.

import { LoomError } from './types.js';
import type { DatabaseSchema, Operation, TransactResult, TxnParts } from './types.js';

const knownOps: ReadonlySet<string> = new Set(['insert', 'select', 'update', 'mutate', 'delete', 'wait', 'comment', 'assert', 'commit', 'abort']);
const uuidName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks what one part can be judged on alone: numbering starts at `offset` (the operations
 * of the earlier parts), `names` holds the uuid-names of the earlier parts and gets this
 * part's. Throws LoomError with path /ops/<index in the whole transaction>.
 */
export function checkPart(schema: DatabaseSchema, ops: unknown, offset: number, names: Set<string>): asserts ops is readonly Operation[] {
  if (!Array.isArray(ops)) throw new LoomError({ code: 'bad-request', message: 'a transaction part is an array of operations', path: '/ops', value: ops });
  for (let i = 0; i < ops.length; i++) {
    const o: unknown = ops[i];
    const n = offset + i;
    if (typeof o !== 'object' || o === null || Array.isArray(o) || typeof (o as { op?: unknown }).op !== 'string' || !knownOps.has((o as { op: string }).op)) {
      throw new LoomError({ code: 'bad-request', message: 'an operation is an object with an "op" member naming an RFC 7047 operation', op: n, path: `/ops/${n}`, value: o });
    }
    const op = o as Record<string, unknown>;
    if ('table' in op && (typeof op['table'] !== 'string' || !Object.hasOwn(schema.tables, op['table']))) {
      throw new LoomError({ code: 'unknown-table', message: `database ${schema.name} has no table ${JSON.stringify(op['table'])}`, value: op['table'], op: n, path: `/ops/${n}/table`, hint: `tables: ${Object.keys(schema.tables).join(', ')}` });
    }
    if (op['op'] !== 'insert' || op['uuid-name'] === undefined) continue;
    const name = op['uuid-name'];
    if (typeof name !== 'string' || !uuidName.test(name)) {
      throw new LoomError({ code: 'bad-request', message: `uuid-name must be an identifier ([A-Za-z_][A-Za-z0-9_]*), got ${JSON.stringify(name)}`, op: n, path: `/ops/${n}/uuid-name`, value: name });
    }
    if (names.has(name)) throw new LoomError({ code: 'bad-request', message: `uuid-name ${JSON.stringify(name)} is used by two inserts`, op: n, path: `/ops/${n}/uuid-name`, value: name });
    names.add(name);
  }
}

/** TxnParts over a whole-transaction `run`: parts checked as they come, held, run as one at commit(). */
export class HeldParts implements TxnParts {
  private held: Operation[] | undefined = [];
  private failure: unknown;
  private readonly names = new Set<string>();

  constructor(
    private readonly schema: DatabaseSchema,
    private readonly run: (ops: readonly Operation[]) => Promise<TransactResult>,
    /** The store's cap on operations per transaction, refused as soon as the parts pass it. */
    private readonly maxOps?: number,
    /** Told of each part once it passed the checks (numbered from `offset`), commit's last operations too. */
    private readonly onPart?: (ops: readonly Operation[], offset: number) => void,
    /** Told when the transaction ends without a commit (aborted, or a part refused). */
    private readonly onDrop?: () => void,
  ) {}

  /** Operations held now (for a caller's bound or figures). */
  get size(): number {
    return this.held?.length ?? 0;
  }

  async add(ops: readonly Operation[]): Promise<void> {
    this.take(ops);
  }

  async commit(ops: readonly Operation[] = []): Promise<TransactResult> {
    const all = this.take(ops);
    this.held = undefined;
    return this.run(all);
  }

  async abort(): Promise<void> {
    const was = this.held;
    this.held = undefined;
    this.failure ??= new LoomError({ code: 'aborted', message: 'the transaction in parts was aborted' });
    if (was !== undefined) this.onDrop?.();
  }

  private take(ops: readonly Operation[]): Operation[] {
    if (this.failure !== undefined) throw this.failure;
    const held = this.held;
    if (held === undefined) throw new LoomError({ code: 'bad-request', message: 'the transaction in parts was already committed', hint: 'begin another with transactParts()' });
    try {
      checkPart(this.schema, ops, held.length, this.names);
      const n = held.length + ops.length;
      if (this.maxOps !== undefined && n > this.maxOps) {
        throw new LoomError({ code: 'too-large', message: `a transaction may hold at most ${this.maxOps} operations, this one has ${n} so far`, value: n, path: '/ops', hint: 'split it into several transactions' });
      }
    } catch (e) {
      this.held = undefined;
      this.failure = e;
      this.onDrop?.();
      throw e;
    }
    const offset = held.length;
    for (const o of ops) held.push(o);
    this.onPart?.(ops, offset);
    return held;
  }
}
