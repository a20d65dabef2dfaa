// cli/run.ts — one CLI invocation against a store: one read, one write, optional wait.
//
// Owns: the invocation's life: fetch every table the chain reads in ONE transaction of
// selects, run the commands in order on a transaction-local view, send all their edits as
// ONE transaction (plus the nb_cfg bump for --wait), map temporary ids in the output to
// the uuids the store assigned, then wait for northd (sb_cfg) or the hypervisors (hv_cfg)
// to catch up when --wait asks.
// Reads: any Store (store/types.ts): the in-process SqliteStore in tests, RemoteStore in
// the CLI.
// Called by: cli/main.ts, tests, bench/store/replay.ts.
// Must never: retry a write (it may have committed), or print before the write succeeded
// (a failed chain prints only the error).
// Invariants: a failed command or transaction leaves the database untouched; round trips
// per invocation: 1 (read-only), 2 (read + write), plus the wait.

import { LoomError, type Operation, type Row, type Store, type TransactResult } from '../store/types.js';
import type { ParsedInvocation } from './args.js';
import type { CommandContext } from './command.js';
import { TxnView } from './txn-view.js';
import { isUuid } from './values.js';

export interface RunResult {
  /** What the commands printed, temporary ids replaced by real uuids. */
  readonly output: string;
  /** The write transaction's revision, when there was one. */
  readonly revision?: number;
  readonly operations: readonly Operation[];
}

const TEMP_RE = /loomrow\d+/g;

export interface RunOptions {
  /** Where --wait watches NB_Global (default: `store`); the CLI's light HTTP client cannot watch. */
  readonly watchStore?: () => Promise<Store>;
}

export async function runInvocation(store: Store, inv: ParsedInvocation, opts: RunOptions = {}): Promise<RunResult> {
  const schema = store.schema;
  const wait = inv.global.wait !== undefined && inv.global.wait !== 'none' ? inv.global.wait : undefined;
  // Per table: fetched whole, or just the rows the chain names (when every command that
  // touches it only looks rows up by name/uuid).
  const whole = new Set<string>();
  const keyed = new Map<string, Set<string>>();
  for (const c of inv.commands) {
    const keys = c.spec.keys?.(c.args, c.options) ?? {};
    for (const t of c.spec.tables(c.args, c.options, schema)) {
      if (schema.tables[t] === undefined) continue;
      const k = keys[t];
      if (k === undefined) whole.add(t);
      else {
        const set = keyed.get(t) ?? new Set<string>();
        for (const x of k) set.add(x);
        keyed.set(t, set);
      }
    }
  }
  if (wait !== undefined && schema.tables['NB_Global'] !== undefined) whole.add('NB_Global');
  for (const t of whole) keyed.delete(t);

  const view = new TxnView(schema);
  const reads: Operation[] = [];
  const readTable: string[] = [];
  for (const t of whole) {
    reads.push({ op: 'select', table: t, where: [] });
    readTable.push(t);
  }
  for (const [t, names] of keyed) {
    for (const k of names) {
      reads.push({ op: 'select', table: t, where: [isUuid(k) ? ['_uuid', '==', ['uuid', k.toLowerCase()]] : ['name', '==', k]] });
      readTable.push(t);
    }
  }
  if (reads.length > 0) {
    const read = await store.transact(reads);
    const got = new Map<string, Map<string, Row>>();
    readTable.forEach((t, i) => {
      const m = got.get(t) ?? new Map<string, Row>();
      for (const r of (read.results[i] as { rows?: readonly Row[] } | undefined)?.rows ?? []) m.set(r._uuid, r);
      got.set(t, m);
    });
    for (const t of whole) view.load(t, [...(got.get(t)?.values() ?? [])]);
    for (const t of keyed.keys()) view.loadPartial(t, [...(got.get(t)?.values() ?? [])]);
  }

  const symbols = new Map<string, string>();
  let output = '';
  inv.commands.forEach((c, i) => {
    const ctx: CommandContext = { view, args: c.args, options: c.options, global: inv.global, symbols, out: '' };
    try {
      c.spec.run(ctx);
    } catch (e) {
      if (e instanceof LoomError && inv.commands.length > 1 && e.op === undefined) {
        throw new LoomError({ ...e.toJSON(), message: e.message, op: i });
      }
      throw e;
    }
    output += ctx.out;
  });

  const ops = view.operations();
  let waitIndex = -1;
  if (wait !== undefined) {
    if (view.rows('NB_Global').length === 0) {
      throw new LoomError({ code: 'not-found', message: 'no NB_Global row: cannot wait', table: 'NB_Global', hint: 'run `loom init` once on a fresh database' });
    }
    ops.push({ op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] });
    waitIndex = ops.length;
    ops.push({ op: 'select', table: 'NB_Global', where: [], columns: ['nb_cfg'] });
  }
  if (ops.length === 0) return { output, operations: ops };

  const result: TransactResult = await store.transact(ops);
  const ids = new Map<string, string>();
  ops.forEach((op, i) => {
    if (op.op === 'insert' && op['uuid-name'] !== undefined) {
      const r = result.results[i] as { uuid?: string } | undefined;
      if (r?.uuid !== undefined) ids.set(op['uuid-name'], r.uuid);
    }
  });
  output = output.replace(TEMP_RE, (m) => ids.get(m) ?? m);

  if (wait !== undefined) {
    const sel = result.results[waitIndex] as { rows?: readonly Row[] } | undefined;
    const target = Number(sel?.rows?.[0]?.['nb_cfg'] ?? 0);
    const watcher = opts.watchStore !== undefined ? await opts.watchStore() : store;
    try {
      await waitForCfg(watcher, wait === 'sb' ? 'sb_cfg' : 'hv_cfg', target, inv.global.timeout);
    } finally {
      if (watcher !== store) await watcher.close();
    }
  }
  return { output, revision: result.revision, operations: ops };
}

/** Waits until NB_Global.<column> >= target (northd / the controllers report progress there). */
export async function waitForCfg(store: Store, column: 'sb_cfg' | 'hv_cfg', target: number, timeoutSeconds: number): Promise<void> {
  // rxjs is loaded only here: it costs ~130 ms per process, which a plain command must not pay.
  const { filter, firstValueFrom, map, timeout: rxTimeout } = await import('rxjs');
  const seen = (rows: readonly Row[] | undefined) => rows !== undefined && rows.some((r) => Number(r[column] ?? 0) >= target);
  let obs = store.watch({ tables: { NB_Global: { columns: ['nb_cfg', 'sb_cfg', 'hv_cfg'] } } }).pipe(
    map((ev) => {
      if (ev.type === 'snapshot') return seen(ev.tables['NB_Global']);
      if (ev.type === 'change') return seen(ev.changes.filter((c) => c.table === 'NB_Global' && c.new !== null).map((c) => c.new as Row));
      return false;
    }),
    filter((ok) => ok),
  );
  if (timeoutSeconds > 0) obs = obs.pipe(rxTimeout({ first: timeoutSeconds * 1000 }));
  try {
    await firstValueFrom(obs);
  } catch (e) {
    if (e instanceof LoomError) throw e;
    const name = (e as { name?: string }).name;
    if (name === 'TimeoutError') {
      throw new LoomError({
        code: 'timed-out',
        message: `timed out after ${timeoutSeconds} s waiting for ${column === 'sb_cfg' ? 'northd (sb_cfg)' : 'the hypervisors (hv_cfg)'} to reach nb_cfg ${target}`,
        table: 'NB_Global',
        column,
        hint: column === 'sb_cfg' ? 'is `loom northd` (or `loom up`) running against this database?' : 'are the controllers running and connected?',
      });
    }
    if (name === 'EmptyError') throw new LoomError({ code: 'unavailable', message: 'the database closed while waiting', table: 'NB_Global' });
    throw e;
  }
}
