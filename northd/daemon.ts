// northd/daemon.ts — the northd process: watch NB, compile, write SB; mirror status back.
//
// Owns: the NB and SB watches, batching (every NB change that arrived while the previous
// SB transaction was in flight becomes one batch and one SB transaction — or, past
// sbTxnLimit, a few consistent phases: see SbSync.phases; a big transaction is built and
// handed over in parts of sbPartKeys keys, Store.transactParts, so that its operations
// never all exist at once), resync (full
// compile on start, diff against SB rows; after a lost watch history, the snapshot is
// diffed against what northd holds), and the status loop: Port_Binding.up / chassis →
// Logical_Switch_Port.up, NB_Global.nb_cfg → SB_Global.nb_cfg → NB_Global.sb_cfg once SB
// is written, min(Chassis_Private.nb_cfg) → NB_Global.hv_cfg.
// Reads: NB (tables in nb.ts), SB (rows northd owns, Port_Binding status, Chassis_Private,
// Chassis names: an HA_Chassis links to the Chassis row its chassis-name names, re-linked
// when that row comes or goes; Service_Monitor.status, which the controllers' health checks
// set: load balancers leave backends reported offline out of their flows; as ovn-northd,
// a monitor reported online whose port's binding is not up is set offline).
// Writes to SB beyond the rows it owns: only that Service_Monitor.status correction.
// Pause (as ovn-northd's): the watches stay and NB changes are held (merged per row), nothing
// is written to SB or NB until resume, which runs one batch with all of it; cli/appctl.ts is
// the control socket that drives it. A live recompute rebuilds every unit in the next batch.
// After a bulk batch northd runs its incremental path on a scratch topology in memory
// (warm-up.ts), so the CMS's next change finds it compiled, and collects once idle (idle-gc.ts).
// Called by index.ts (startNorthd), the CLI (`loom northd`) and tests. LOOM_NORTHD_TRACE=1
// prints one line per batch on stderr (bench/northd reads a `loom northd` process's).
// Never: writes Port_Binding.chassis; never blocks the event loop on a store call.
// Invariant: the NB cursor moves only after the batch's SB transaction committed.

import type { Subscription } from 'rxjs';
import { RemoteStore } from '../store/client.js';
import { LoomError, type Condition, type Operation, type Row, type RowChange, type Store, type TransactResult, type Uuid, type WatchEvent } from '../store/types.js';
import { NorthdEngine, emptyChanges, type ContentChanges, type KeySeed } from './engine.js';
import type { NbChange } from './model.js';
import { NB_TABLES, bool, int, list, map, str, type NbTable } from './nb.js';
import { SbSync, type SbTxn } from './sb-sync.js';
import { refChassis } from './ref-chassis.js';
import { svcKey } from './sb-tables.js';
import { owe, whileBusy } from './idle-gc.js';

export interface NorthdOptions {
  /** NB store, or the URL of an nbdb service. */
  readonly nb: string | Store;
  /** SB store, or the URL of an sbdb service. */
  readonly sb: string | Store;
  /** Recompute everything on every batch (the reference for the incremental path). */
  readonly recompute?: boolean;
  /**
   * Most keys written per SB transaction; larger batches go in phases. Default 900000, in
   * process and over HTTP alike (the store's own cap is 1M operations per transaction): a
   * 50k-port compile (~275k operations) is one transaction. Halved after a transaction is
   * refused as too large (a store with a lower cap).
   */
  readonly sbTxnLimit?: number;
  /**
   * Keys per part of an SB transaction in parts (Store.transactParts): a batch bigger than
   * this is built and handed over part by part, one transaction still (default 5000).
   */
  readonly sbPartKeys?: number;
  /** Called with errors northd survived (failed SB transaction, ...). */
  readonly onError?: (e: unknown) => void;
  /** Told of every batch that changed something (what LOOM_NORTHD_TRACE=1 prints). */
  readonly onBatch?: (b: NorthdBatch) => void;
  /** Start paused (see Northd.pause): watch and hold NB, write nothing until resume(). */
  readonly paused?: boolean;
  /**
   * After a bulk batch (once its sb_cfg is written), run the incremental path on a scratch
   * topology in memory (northd/warm-up.ts) so that the CMS's next change finds it compiled.
   * Default true.
   */
  readonly warmUp?: boolean;
  /** No batch lines on stderr even with LOOM_NORTHD_TRACE=1 (the warm-up's scratch northd). */
  readonly quiet?: boolean;
}

export interface NorthdBatch {
  readonly nbChanges: number;
  readonly sbOps: number;
  readonly ms: number;
  readonly lflows: number;
  /** the nb_cfg this batch reports once written (-1: none yet) */
  readonly nbCfg: number;
  /** of ms: NB changes in → the SB keys that changed (engine, ref_chassis) */
  readonly compileMs: number;
  /** CPU time of this process during the batch (in process: the stores' share too) */
  readonly cpuMs: number;
}

export interface NorthdStats {
  readonly nbRevision: number;
  readonly batches: number;
  readonly sbTransactions: number;
  readonly lastBatch: { readonly nbChanges: number; readonly sbOps: number; readonly ms: number; readonly recomputed: readonly string[]; readonly units: number } | null;
  readonly logicalFlows: number;
  readonly rssMb: number;
  readonly paused: boolean;
  /** NB changes held for the next batch (while paused: everything since the pause, one per row) */
  readonly heldChanges: number;
  /** scratch runs of the incremental path after bulk batches (northd/warm-up.ts): how many, the last one's ms */
  readonly warmUps: { readonly runs: number; readonly lastMs: number | null };
}

export interface Northd {
  close(): Promise<void>;
  stats(): NorthdStats;
  /** Resolves once every NB revision up to `revision` (default: current) is reflected in SB. */
  synced(revision?: number): Promise<void>;
  /** Resolves once nothing is in flight: no batch, no status write back into NB. */
  idle(): Promise<void>;
  /**
   * As `ovn-appctl -t ovn-northd pause`: the watches stay, NB changes are held (one per row),
   * nothing is written to SB or NB (no batch, no sb_cfg/hv_cfg, no Logical_Switch_Port.up).
   * Resolves once a batch already in flight has finished.
   */
  pause(): Promise<void>;
  /** Ends a pause: one batch with everything that arrived meanwhile, then the status writes. */
  resume(): void;
  isPaused(): boolean;
  /** As `inc-engine/recompute`: the next batch (now, unless paused) rebuilds every unit; SB gets only what differs. */
  recompute(): void;
}

/** Logical_Switch_Port.up writes that wait for a batch already waiting (writeNbStatusNow). */
const BULK_STATUS = 1000;
/** Up to this many ports' up writes go in the progress (sb_cfg) transaction; more follow it in their own. */
const FEW_STATUS = 64;

/** A batch of at least this many changes, and at least half as many as NB has rows, is recomputed. */
const BULK_CHANGES = 1000;
/**
 * A bulk compile is built between the parts of one SB transaction only when NB rows ×
 * this stays under the transaction limit (a flow-heavy NB makes ≈5 SB operations a row),
 * since its size is not known before its flows are built.
 */
const DEFER_OPS_PER_ROW = 10;


/** how long a resume waits for the NB watch to catch up with NB before its batch */
const RESUME_CATCH_UP_MS = 1000;

const SB_OWNED = ['Datapath_Binding', 'Port_Binding', 'Multicast_Group', 'Logical_Flow', 'Logical_DP_Group', 'Address_Set', 'Port_Group', 'SB_Global',
  'HA_Chassis_Group', 'DNS', 'Meter', 'Load_Balancer', 'Service_Monitor', 'IP_Multicast'];

/** NB columns northd writes or does not compile from: a change to only these is not a batch. */
const STATUS_COLUMNS: { readonly [t: string]: readonly string[] } = {
  NB_Global: ['nb_cfg', 'nb_cfg_timestamp', 'sb_cfg', 'sb_cfg_timestamp', 'hv_cfg', 'hv_cfg_timestamp', '_version'],
  Logical_Switch_Port: ['up', '_version'],
};

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => (a as { [k: string]: unknown })[k] === (b as { [k: string]: unknown })[k]);
  }
  return false;
}

/** Equal but for status columns (a change to only those is not a batch). Cheap: no copies. */
function sameCompiled(table: string, a: Row | null, b: Row | null): boolean {
  if (a === null || b === null) return a === b;
  const skip = STATUS_COLUMNS[table] ?? ['_version'];
  for (const k of Object.keys(a)) if (!skip.includes(k) && !sameValue(a[k], b[k])) return false;
  for (const k of Object.keys(b)) if (!skip.includes(k) && !(k in a) && b[k] !== undefined) return false;
  return true;
}

async function connect(s: string | Store): Promise<{ store: Store; owned: boolean }> {
  if (typeof s !== 'string') return { store: s, owned: false };
  return { store: await RemoteStore.connect(s), owned: true };
}

export async function startNorthd(options: NorthdOptions): Promise<Northd> {
  const traceBatches = process.env['LOOM_NORTHD_TRACE'] === '1' && options.quiet !== true;
  const nbc = await connect(options.nb);
  const sbc = await connect(options.sb);
  const nb = nbc.store;
  const sb = sbc.store;
  const onError = options.onError ?? ((e: unknown) => console.error('northd:', e));

  // ---- start: learn SB (keys, row UUIDs), then compile NB from its first snapshot
  const sync = new SbSync();
  const loadSb = async (): Promise<{ [t: string]: readonly Row[] }> => {
    const rows: { [t: string]: readonly Row[] } = {};
    for (const t of SB_OWNED) rows[t] = await sb.select(t);
    // read, not owned: HA_Chassis.chassis links to the Chassis row of the same name
    rows['Chassis'] = await sb.select('Chassis');
    return rows;
  };
  const sbRows = await loadSb();
  const seed: KeySeed = {
    datapaths: new Map((sbRows['Datapath_Binding'] ?? []).flatMap((r) => {
      const ids = map(r, 'external_ids');
      const u = ids['logical-switch'] ?? ids['logical-router'];
      return u === undefined ? [] : [[u, int(r, 'tunnel_key') ?? 0] as const];
    })),
    ports: new Map((sbRows['Port_Binding'] ?? []).map((r) => [str(r, 'logical_port'), int(r, 'tunnel_key') ?? 0] as const)),
  };
  const svcOf = (r: Row): { key: string; status: string | null } => ({
    key: svcKey(str(r, 'logical_port'), str(r, 'ip'), int(r, 'port') ?? 0, str(r, 'protocol') || 'tcp'),
    status: str(r, 'status') === '' ? null : str(r, 'status'),
  });
  const engine = new NorthdEngine(seed, new Map((sbRows['Service_Monitor'] ?? []).map(svcOf).filter((x) => x.status !== null).map((x) => [x.key, x.status ?? ''])));
  sync.load(sbRows);
  let needFullSync = true;

  let closed = false;
  /** resumed, waiting (bounded) for the NB watch to reach the revision NB had at resume */
  let catchingUp = false;
  let caughtUp: { rev: number; resolve: () => void } | null = null;
  let nbRevision = 0;
  let doneRevision = -1;
  let batches = 0;
  let sbTransactions = 0;
  let lastBatch: NorthdStats['lastBatch'] = null;
  let nbCfg: number | null = null;
  let nbGlobal: Row | null = null;
  const waiters: { rev: number; resolve: () => void }[] = [];
  const pending: NbChange[] = [];
  let pendingRevision = 0;
  let pendingSnapshot: WatchEvent | null = null;
  let running: Promise<void> | null = null;
  let failures = 0;
  let paused = options.paused === true;
  let forceRecompute = false;
  /** pending.length past which the held changes are merged per row (grows with them: no quadratic merging) */
  let compactAt = 50000;
  // under the store's own cap (1M operations), over HTTP too (sent in parts, committed as
  // one transaction): a 50k-port compile is one SB transaction, so SB readers never see
  // part of it
  let txnLimit = options.sbTxnLimit ?? 900000;
  const partKeys = options.sbPartKeys ?? 5000;

  const coalesce = (changes: readonly NbChange[]): NbChange[] => {
    const byRow = new Map<string, NbChange>();
    for (const c of changes) {
      const k = `${c.table} ${c.uuid}`;
      const prev = byRow.get(k);
      byRow.set(k, prev === undefined ? c : { ...c, old: prev.old });
    }
    return [...byRow.values()].filter((c) => !(c.old === null && c.new === null) && !sameCompiled(c.table, c.old, c.new));
  };

  /** Merges held changes per row (first old, last new), dropping nothing: nb_cfg and LSP names are read from them. */
  const compactPending = (): void => {
    const byRow = new Map<string, NbChange>();
    for (const c of pending) {
      const k = `${c.table} ${c.uuid}`;
      const prev = byRow.get(k);
      byRow.set(k, prev === undefined ? c : { ...c, old: prev.old });
    }
    pending.length = 0;
    for (const c of byRow.values()) pending.push(c);
    compactAt = Math.max(50000, 2 * pending.length);
  };

  const work = (): boolean => pending.length > 0 || pendingSnapshot !== null || needFullSync || nbRevision > doneRevision || haRelink.size > 0 || svcPending.length > 0 || refDirty || forceRecompute;

  const snapshotChanges = (ev: Extract<WatchEvent, { type: 'snapshot' }>): NbChange[] => {
    const out: NbChange[] = [];
    for (const t of NB_TABLES) {
      const rows = ev.tables[t] ?? [];
      const seen = new Set<Uuid>();
      for (const r of rows) {
        seen.add(r._uuid);
        out.push({ table: t, uuid: r._uuid, old: engine.model.nb[t].get(r._uuid) ?? null, new: r });
      }
      for (const [u, r] of engine.model.nb[t]) if (!seen.has(u)) out.push({ table: t, uuid: u, old: r, new: null });
    }
    return out;
  };

  /**
   * One SB transaction for these keys, built and handed over in parts (SbSync.phases of
   * partKeys keys): a part's operations are let go once added — over HTTP, sent — so a
   * full compile never holds all of its operations at once. Returns the operations written.
   */
  /** Moves the keys of rows gone from the content (datapaths, HA groups) out of `x` into `late`. */
  const holdBackGone = (x: ContentChanges, late: ContentChanges): ContentChanges => {
    for (const k of x.datapaths) if (!engine.datapaths.has(k)) { x.datapaths.delete(k); late.datapaths.add(k); }
    for (const k of x.haChassisGroups) if (!engine.haChassisGroups.has(k)) { x.haChassisGroups.delete(k); late.haChassisGroups.add(k); }
    return x;
  };
  const writeSb = async (keys: ContentChanges, cfg: number | null, more?: () => ContentChanges | null): Promise<number> => {
    const slices = sync.phases(engine, keys, partKeys);
    if (slices.length === 1 && more === undefined) {
      // small (every increment): one plain transaction
      const txn = sync.ops(engine, slices[0] ?? keys, cfg);
      if (txn.ops.length === 0) return 0;
      const res = await sb.transact(txn.ops);
      sync.committed(txn, res);
      checkLost(txn.ops.flatMap((o, i) => (o.op === 'update' ? [i] : [])), res);
      bindingsInserted(txn.ops);
      return txn.ops.length;
    }
    const parts = sb.transactParts();
    const done: { txn: SbTxn; offset: number }[] = [];
    const updates: number[] = [];
    let total = 0;
    // one part on its way while the next is built: over HTTP, sbdb reads part k while
    // northd builds part k+1 (two cores); never more than two parts' operations at once
    let sending: Promise<void> = Promise.resolve();
    // with `more` (the flows of a deferred compile, slice by slice): deleted datapaths and
    // HA groups wait for the last part, after everything that may still refer to them
    const late = more === undefined ? null : emptyChanges();
    const queue: ContentChanges[] = late === null ? slices : slices.map((x) => holdBackGone(x, late));
    let source = more;
    /** the next keys from `more` into the queue; once it has none, the held deletions and a last (nb_cfg) call */
    const pull = (): boolean => {
      if (source === undefined) return false;
      const next = source();
      if (next !== null) {
        for (const x of sync.phases(engine, next, partKeys)) queue.push(late === null ? x : holdBackGone(x, late));
        return true;
      }
      source = undefined;
      if (late !== null) queue.push(late, emptyChanges());
      return true;
    };
    /** the last part sent is still with the store */
    let busy = false;
    try {
      for (;;) {
        const slice = queue.shift();
        if (slice === undefined) {
          if (pull()) continue;
          break;
        }
        const txn = sync.ops(engine, slice, queue.length === 0 && source === undefined ? cfg : null);
        if (txn.ops.length === 0) continue;
        for (let j = 0; j < txn.ops.length; j++) if (txn.ops[j]?.op === 'update') updates.push(total + j);
        // what committed() needs is kept; the operations themselves go with the part
        done.push({ txn: { ops: [], inserted: txn.inserted, holders: txn.holders }, offset: total });
        total += txn.ops.length;
        await sending;
        sending = parts.add(txn.ops);
        busy = true;
        // a refused part: stop building (the rejection is seen at the next await)
        sending.then(() => { busy = false; }, () => undefined);
        // let the part be encoded and written out before the next is built
        await new Promise((r) => setImmediate(r));
        // the store busy with that part (over HTTP, on the other core): the next flows are
        // built meanwhile rather than waited through (one slice per part sent)
        if (busy) pull();
      }
      await sending;
      if (total === 0) {
        await parts.abort();
        return 0;
      }
    } catch (e) {
      await parts.abort().catch(() => undefined);
      throw e;
    }
    const res = await parts.commit();
    for (const d of done) sync.committed(d.txn, res, d.offset);
    checkLost(updates, res);
    return total;
  };
  /**
   * An update that found no row means SB is not what northd thinks (restored, edited by
   * hand): learn it again and rewrite what differs.
   */
  const checkLost = (updates: readonly number[], res: TransactResult): void => {
    if (updates.some((i) => (res.results[i] as { count?: number } | undefined)?.count === 0)) {
      throw new LoomError({ code: 'not-found', message: 'SB rows northd owns changed under it; resyncing' });
    }
  };

  const pump = async (): Promise<void> => {
    while (!closed && !paused && work()) {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const recompute = options.recompute === true || forceRecompute;
      forceRecompute = false;
      const raw = pending.splice(0);
      const snap = pendingSnapshot;
      pendingSnapshot = null;
      const upTo = pendingRevision;
      let changes = snap !== null && snap.type === 'snapshot' ? snapshotChanges(snap) : [];
      // nb_cfg lives in a status column (not compiled): follow it before the filter drops it
      for (const c of [...changes, ...raw]) {
        if (c.table === 'NB_Global') nbGlobal = c.new;
        else if (c.table === 'Logical_Switch_Port' && c.new !== null && (c.old === null || str(c.old, 'name') !== str(c.new, 'name'))) {
          statusDirty.add(str(c.new, 'name'));
        }
      }
      changes = coalesce([...changes, ...raw]);
      // health-check results first: this batch's NB changes then build on them
      if (svcPending.length > 0) engine.setServiceStatus(svcPending.splice(0));
      // a batch that touches much of NB (the first compile, a resume after a bulk load) is
      // cheaper recomputed than walked change by change (10k ports, held after a pause:
      // ≈1.1 s incremental vs ≈0.65 s recomputed, cold); both give the same content
      let rows = 0;
      for (const t of NB_TABLES) rows += engine.model.nb[t].size;
      const bulk = changes.length >= BULK_CHANGES && changes.length * 2 >= rows;
      // a bulk that fits one SB transaction leaves its flows to be built between the parts
      // of that transaction: over HTTP sbdb checks the datapaths, bindings and first flows
      // on the other core while northd builds the rest (writeSb's `more`)
      const defer = bulk && rows * DEFER_OPS_PER_ROW <= txnLimit;
      const report = engine.apply(changes, { recompute: recompute || bulk, deferUnits: defer });
      const global = nbGlobal;
      // reported (sb_cfg) only once every SB transaction of this batch committed: the SB
      // watch's handler writes NB status between the phases of a compile in phases
      const batchCfg = global === null ? null : int(global, 'nb_cfg') ?? 0;
      const ch = needFullSync ? sync.allKeys(engine) : engine.takeChanges();
      if (needFullSync) engine.takeChanges();
      // a full sync with its flows still to build compares every flow key once they all are
      // (a key SB holds is not deleted only to come back in a later slice)
      let fullSyncFlows = needFullSync && defer;
      if (fullSyncFlows) ch.flows.clear();
      // ref_chassis: where the ports reaching each gateway port's HA group are bound
      if (refDirty || changes.length > 0) {
        refDirty = false;
        const refs = refChassis(engine.model, (lport) => pbChassis.get(lport));
        for (const g of sync.refGroups()) if (!refs.has(g) && sync.setRefChassis(g, [])) haRelink.add(g);
        for (const [g, cs] of refs) if (sync.setRefChassis(g, cs)) haRelink.add(g);
      }
      for (const k of haRelink) if (engine.haChassisGroups.has(k)) ch.haChassisGroups.add(k);
      haRelink.clear();
      let sbOps = 0;
      const tSb = performance.now();
      /** ms spent building deferred units (part of compile_ms, though done between SB parts) */
      let unitsMs = 0;
      const more = (): ContentChanges | null => {
        if (engine.buildPending(0) === 0) {
          if (!fullSyncFlows) return null;
          fullSyncFlows = false;
          return { ...emptyChanges(), flows: sync.allKeys(engine).flows };
        }
        const u0 = performance.now();
        engine.buildPending(Math.max(100, Math.floor(partKeys / 5)));
        const next = engine.takeChanges();
        unitsMs += performance.now() - u0;
        return next;
      };
      try {
        if (defer) {
          const n = await writeSb(ch, batchCfg, more);
          if (n > 0) sbTransactions++;
          sbOps += n;
        } else {
          const txns = sync.phases(engine, ch, txnLimit);
          for (let i = 0; i < txns.length; i++) {
            const txnKeys = txns[i];
            if (txnKeys === undefined) continue;
            const cfg = i === txns.length - 1 ? batchCfg : null;
            const n = await writeSb(txnKeys, cfg);
            if (n > 0) sbTransactions++;
            sbOps += n;
          }
        }
        // a bulk compile's garbage is collected once northd is idle (store/idle-gc.ts)
        owe(sbOps + changes.length);
        needFullSync = false;
        failures = 0;
        nbCfg = batchCfg;
      } catch (e) {
        // a deferred compile is finished before anything reads the content again (the
        // resync below rewrites all of it)
        engine.buildPending();
        onError(e);
        if (e instanceof LoomError && e.code === 'too-large') txnLimit = Math.max(100, Math.floor(txnLimit / 2));
        // SB changed under us or refused: learn it again and rewrite what differs, backing
        // off while the failure persists
        try {
          sync.load(await loadSb());
        } catch (e2) {
          onError(e2);
        }
        needFullSync = true;
        failures++;
        if (closed) return;
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(failures, 6))));
        continue;
      }
      batches++;
      // the warm-up starts once this batch's sb_cfg is written (writeNbStatusNow)
      if (bulk) warmUpDue = true;
      if (changes.length > 0 || sbOps > 0) {
        lastBatch = { nbChanges: changes.length, sbOps, ms: performance.now() - t0, recomputed: report.recomputed, units: engine.stats().units.length };
        // benches of a `loom northd` process read its batches from stderr
        const cpu = process.cpuUsage(cpu0);
        const b: NorthdBatch = { nbChanges: lastBatch.nbChanges, sbOps, ms: lastBatch.ms, lflows: engine.flows.size, nbCfg: nbCfg ?? -1,
          compileMs: tSb - t0 + unitsMs, cpuMs: (cpu.user + cpu.system) / 1000 };
        // compile_ms: NB changes → SB keys that changed; the rest is building and writing the SB transaction
        if (traceBatches) process.stderr.write(`loom northd: batch nb_changes=${b.nbChanges} sb_ops=${sbOps} ms=${b.ms.toFixed(2)} lflows=${b.lflows} nb_cfg=${b.nbCfg} compile_ms=${b.compileMs.toFixed(1)} cpu_ms=${b.cpuMs.toFixed(0)}\n`);
        options.onBatch?.(b);
      }
      doneRevision = Math.max(doneRevision, upTo);
      for (let i = waiters.length - 1; i >= 0; i--) {
        const w = waiters[i];
        if (w !== undefined && w.rev <= doneRevision) {
          waiters.splice(i, 1);
          w.resolve();
        }
      }
      await writeNbStatus();
    }
  };
  // An NB event starts the batch on the next turn of the event loop, not inside the
  // commit that announced it: with the stores in this process (loom up), the CMS's commit
  // is answered first, and the commits that arrive meanwhile join the same batch.
  let kickTimer: NodeJS.Immediate | undefined;
  const kickSoon = (): void => {
    if (kickTimer !== undefined || closed) return;
    kickTimer = setImmediate(() => {
      kickTimer = undefined;
      kick();
    });
  };
  const kick = (): void => {
    if (running !== null || closed || catchingUp) return;
    if (paused) return checkIdle();
    running = pump().catch(onError).finally(() => {
      running = null;
      if (!closed && !paused && work()) kick();
      else checkIdle();
    });
  };

  // ---- SB Chassis: HA groups naming a chassis are rewritten when its row comes or goes
  /** HA group names to rewrite in the next batch (a Chassis they name changed) */
  const haRelink = new Set<string>();
  const chassisUuid = new Map<Uuid, string>();
  /** Port_Binding.chassis by logical port (HA_Chassis_Group.ref_chassis is computed from it) */
  const pbChassis = new Map<string, Uuid>();
  let refDirty = false;
  /** Service_Monitor.status reports not yet handed to the engine */
  const svcPending: { key: string; status: string | null }[] = [];
  /** Service_Monitor rows as SB has them: their port and status */
  const svcRows = new Map<Uuid, { lport: string; status: string }>();
  /**
   * As ovn-northd does: a monitor reported online whose port is not up (its binding has no
   * up=true) is set offline — a health check cannot be trusted past a port that is down.
   */
  const markDownBackendsOffline = async (): Promise<void> => {
    if (paused) return;
    const ops: Operation[] = [];
    for (const [u, m] of svcRows) {
      if (m.status !== 'online' || pbStatus.get(m.lport)?.up === true) continue;
      m.status = 'offline'; // what SB will say once this commits (the watch confirms it)
      ops.push({ op: 'update', table: 'Service_Monitor', where: [['_uuid', '==', ['uuid', u]]], row: { status: 'offline' } });
    }
    if (ops.length === 0 || closed) return;
    try {
      await sb.transact(ops);
    } catch (e) {
      onError(e);
    }
  };

  // ---- status mirrored back into NB
  const pbStatus = new Map<string, { up: boolean | null; chassis: boolean }>();
  /** Logical_Switch_Port.up as NB has it (its own watch: status columns never reach the engine) */
  const lspUp = new Map<Uuid, boolean | null>();
  const statusDirty = new Set<string>();
  const chassisCfg = new Map<Uuid, number>();
  let sbCfgWritten = -1;
  /** bulk status writes put off in a row for a waiting batch (writeNbStatusNow) */
  let statusDeferred = 0;
  let hvCfgWritten = -1;
  let statusWrites = 0;
  const idleWaiters: (() => void)[] = [];
  const busy = (): boolean => running !== null || kickTimer !== undefined || statusWrites > 0 || (!paused && (pending.length > 0 || nbRevision > doneRevision));
  const notBusy = whileBusy(() => !closed && busy());
  const checkIdle = (): void => {
    // paused, what is held waits for resume: nothing is in flight
    if (busy()) return;
    for (const w of idleWaiters.splice(0)) w();
  };
  const writeNbStatus = async (): Promise<void> => {
    if (paused) return;
    statusWrites++;
    try {
      await writeNbStatusNow();
    } finally {
      statusWrites--;
      checkIdle();
    }
  };
  /**
   * The status of the bindings an increment just inserted, known without waiting for the SB
   * watch to echo them: no chassis, no up (the controller sets those later, and the watch
   * brings them). So a new port's Logical_Switch_Port.up rides in the NB transaction that
   * reports the batch's sb_cfg, as ovn-northd writes both in one NB transaction, rather than
   * in a second one right behind it.
   */
  const bindingsInserted = (ops: readonly Operation[]): void => {
    for (const o of ops) {
      if (o.op !== 'insert' || o.table !== 'Port_Binding') continue;
      const name = (o.row as { logical_port?: unknown }).logical_port;
      if (typeof name !== 'string' || pbStatus.has(name)) continue;
      pbStatus.set(name, { up: null, chassis: false });
      statusDirty.add(name);
    }
  };
  /** Logical_Switch_Port.up updates for the ports whose status or NB row changed since the last write (drains statusDirty). */
  const upOps = (): Operation[] => {
    const ops: Operation[] = [];
    const names = [...statusDirty];
    statusDirty.clear();
    for (const name of names) {
      const st = pbStatus.get(name);
      if (st === undefined) continue;
      for (const u of engine.model.lspByName.get(name) ?? []) {
        const lsp = engine.model.nb.Logical_Switch_Port.get(u);
        if (lsp === undefined) continue;
        const type = str(lsp, 'type');
        // a router port is up once bound (its binding exists); a VIF when the controller says
        // so (Port_Binding.up) or, for controllers that do not set up, once it is claimed
        const up = type === 'router' ? true : type === '' ? st.up ?? st.chassis : null;
        if (up === null) continue;
        if (lspUp.get(u) === up) continue;
        lspUp.set(u, up); // what NB will say once this commits (the watch confirms it)
        ops.push({ op: 'update', table: 'Logical_Switch_Port', where: [['_uuid', '==', ['uuid', u]] as Condition], row: { up } });
      }
    }
    return ops;
  };
  const writeNbStatusNow = async (): Promise<void> => {
    const ops: Operation[] = [];
    const global = nbGlobal;
    if (global !== null && nbCfg !== null) {
      const row: { [k: string]: unknown } = {};
      if (nbCfg !== sbCfgWritten && (int(global, 'sb_cfg') ?? 0) !== nbCfg) row['sb_cfg'] = nbCfg;
      const hv = chassisCfg.size === 0 ? nbCfg : Math.min(...chassisCfg.values());
      if (hv !== hvCfgWritten && (int(global, 'hv_cfg') ?? 0) !== hv) row['hv_cfg'] = hv;
      if (Object.keys(row).length > 0) {
        ops.push({ op: 'update', table: 'NB_Global', where: [['_uuid', '==', ['uuid', global._uuid]]], row });
        if ('sb_cfg' in row) sbCfgWritten = nbCfg;
        if ('hv_cfg' in row) hvCfgWritten = hv;
      }
    }
    // progress first, in its own small transaction: --wait=sb/hv must not wait behind a
    // bulk of Logical_Switch_Port.up writes (a fresh 50k-port database has 50k of them);
    // an increment's few ride along (one NB commit and one watch event instead of two)
    if (ops.length > 0 && statusDirty.size > 0 && statusDirty.size <= FEW_STATUS) ops.push(...upOps());
    if (ops.length > 0) {
      try {
        await nb.transact(ops.splice(0));
      } catch (e) {
        onError(e);
      }
      // and let whoever waits on it (a --wait=sb client, in this process or on the wire)
      // have its turn of the event loop before the bulk runs
      if (statusDirty.size > 0) await new Promise((r) => setImmediate(r));
    }
    // after a bulk batch, once its progress is reported: the warm-up runs beside the bulk of
    // status writes that follows (the CMS's next change often comes right after those)
    if (warmUpDue) startWarmUp();
    // a batch is waiting (NB changed meanwhile: a --wait=sb bump, the CMS's next commit): it
    // goes first and the bulk of up writes after it (a resume after a bulk load: the bump of
    // `--wait=sb sync` waited behind 10k up writes, ≈0.5 s in process), a few times in a row
    // at most so that the ports' status is not put off for ever
    if (statusDirty.size >= BULK_STATUS && !closed && !paused && work() && statusDeferred < 3) {
      statusDeferred++;
      return;
    }
    statusDeferred = 0;
    ops.push(...upOps());
    owe(ops.length);
    for (let i = 0; i < ops.length; i += 20000) {
      try {
        await nb.transact(ops.slice(i, i + 20000));
      } catch (e) {
        onError(e);
      }
    }
  };

  // ---- the incremental path run on a scratch topology after a bulk batch (northd/warm-up.ts),
  // started once the batch's progress (sb_cfg) is written, beside its status writes: so that
  // the CMS's first change after a compile finds that path compiled. Not "once idle": a
  // CMS that waits for the ports' up states sends its next change as soon as they are
  // written, which left no idle moment for it (in process, 10k ports).
  let warmUps = 0;
  let warmUpMs: number | null = null;
  let warmUpDue = false;
  let warming: Promise<void> | null = null;
  const startWarmUp = (): void => {
    warmUpDue = false;
    if (options.warmUp === false || closed || warming !== null) return;
    warming = import('./warm-up.js')
      .then((m) => m.warmIncremental())
      .then((r) => {
        warmUps++;
        warmUpMs = r.ms;
        if (r.error !== undefined) {
          const why = r.error instanceof Error ? r.error.message : String(r.error);
          onError(new LoomError({ code: 'internal', message: `the warm-up of the incremental path stopped after ${r.steps} steps: ${why} (northd works on; only the next change may be slower)` }));
        }
      }, onError)
      .finally(() => {
        warming = null;
      });
  };

  // ---- watches
  const subs: Subscription[] = [];
  const nbTables: { [t: string]: object } = {};
  for (const t of NB_TABLES) nbTables[t] = {};
  // Logical_Switch_Port.up is northd's own output: it comes back on a watch of its own, so
  // that writing 10k of them brings back 10k {_uuid, up}, not 10k whole ports twice (old
  // and new: a peak of ≈30 MB in a services northd at 10k ports)
  const lspColumns = Object.keys(nb.schema.tables['Logical_Switch_Port']?.columns ?? {}).filter((c) => c !== 'up');
  if (lspColumns.length > 0) nbTables['Logical_Switch_Port'] = { columns: lspColumns };
  subs.push(nb.watch({ tables: { Logical_Switch_Port: { columns: ['up'] } } }).subscribe({
    next: (ev) => {
      if (ev.type === 'snapshot') {
        lspUp.clear();
        for (const r of ev.tables['Logical_Switch_Port'] ?? []) lspUp.set(r._uuid, bool(r, 'up'));
      } else if (ev.type === 'change') {
        for (const c of ev.changes) {
          if (c.new === null) lspUp.delete(c.uuid);
          else lspUp.set(c.uuid, bool(c.new, 'up'));
        }
      }
    },
    error: onError,
  }));
  subs.push(nb.watch({ tables: nbTables }).subscribe({
    next: (ev) => {
      if (ev.type === 'snapshot') {
        pending.length = 0;
        pendingSnapshot = ev;
      } else if (ev.type === 'change') {
        for (const c of ev.changes as readonly RowChange[]) {
          if ((NB_TABLES as readonly string[]).includes(c.table)) pending.push({ table: c.table as NbTable, uuid: c.uuid, old: c.old, new: c.new });
        }
        if (paused && pending.length > compactAt) compactPending();
      }
      nbRevision = Math.max(nbRevision, ev.revision);
      pendingRevision = nbRevision;
      if (caughtUp !== null && nbRevision >= caughtUp.rev) caughtUp.resolve();
      kickSoon();
    },
    error: onError,
  }));
  subs.push(sb.watch({ tables: { Port_Binding: { columns: ['logical_port', 'up', 'chassis'] }, Chassis_Private: { columns: ['name', 'nb_cfg'] }, Chassis: { columns: ['name'] },
    Service_Monitor: { columns: ['logical_port', 'ip', 'port', 'protocol', 'status'] } } }).subscribe({
    next: (ev) => {
      const apply = (table: string, r: Row | null, old: Row | null): void => {
        if (table === 'Port_Binding') {
          if (old !== null && (r === null || str(old, 'logical_port') !== str(r, 'logical_port'))) pbStatus.delete(str(old, 'logical_port'));
          const was = old === null ? undefined : list(old, 'chassis')[0];
          const now = r === null ? undefined : list(r, 'chassis')[0];
          if (old !== null) pbChassis.delete(str(old, 'logical_port'));
          if (r !== null && now !== undefined) pbChassis.set(str(r, 'logical_port'), now);
          if (was !== now || (old !== null && r !== null && str(old, 'logical_port') !== str(r, 'logical_port'))) refDirty = true;
          if (r !== null) {
            pbStatus.set(str(r, 'logical_port'), { up: bool(r, 'up'), chassis: list(r, 'chassis').length > 0 });
            statusDirty.add(str(r, 'logical_port'));
          }
        } else if (table === 'Chassis_Private') {
          if (r === null && old !== null) chassisCfg.delete(old._uuid);
          if (r !== null) chassisCfg.set(r._uuid, int(r, 'nb_cfg') ?? 0);
        } else if (table === 'Service_Monitor') {
          if (old !== null && (r === null || svcOf(old).key !== svcOf(r).key)) svcPending.push({ key: svcOf(old).key, status: null });
          if (r !== null) svcPending.push(svcOf(r));
          if (old !== null) svcRows.delete(old._uuid);
          if (r !== null) svcRows.set(r._uuid, { lport: str(r, 'logical_port'), status: str(r, 'status') });
        } else if (table === 'Chassis') {
          const u = (r ?? old)?._uuid;
          if (u === undefined) return;
          const was = chassisUuid.get(u);
          const now = r === null ? undefined : str(r, 'name');
          if (was === now) return;
          if (was !== undefined) { chassisUuid.delete(u); for (const k of sync.chassisChanged(was, null)) haRelink.add(k); }
          if (now !== undefined) { chassisUuid.set(u, now); for (const k of sync.chassisChanged(now, u)) haRelink.add(k); }
        }
      };
      if (ev.type === 'snapshot') {
        pbStatus.clear();
        chassisCfg.clear();
        svcRows.clear();
        pbChassis.clear();
        refDirty = true;
        for (const [u, name] of chassisUuid) {
          if ((ev.tables['Chassis'] ?? []).some((r) => r._uuid === u)) continue;
          chassisUuid.delete(u);
          for (const k of sync.chassisChanged(name, null)) haRelink.add(k);
        }
        for (const [t, rows] of Object.entries(ev.tables)) for (const r of rows) apply(t, r, null);
      } else if (ev.type === 'change') {
        for (const c of ev.changes) apply(c.table, c.new, c.old);
      } else return;
      if (haRelink.size > 0 || svcPending.length > 0 || refDirty) kickSoon();
      void markDownBackendsOffline();
      if (doneRevision >= 0) void writeNbStatus();
    },
    error: onError,
  }));

  return {
    stats: () => ({
      nbRevision, batches, sbTransactions, lastBatch, logicalFlows: engine.flows.size,
      rssMb: Math.round(process.memoryUsage().rss / 1048576),
      paused, heldChanges: pending.length, warmUps: { runs: warmUps, lastMs: warmUpMs },
    }),
    pause: async () => {
      paused = true;
      if (running !== null) await running;
    },
    resume: () => {
      if (!paused || closed) return;
      paused = false;
      compactAt = 50000;
      void markDownBackendsOffline();
      const go = (): void => {
        catchingUp = false;
        if (closed) return;
        // a batch writes the status after it; with nothing held, the status a pause kept
        // back (sb_cfg of the last batch, ports' up) is written now
        if (work()) kick();
        else if (doneRevision >= 0) void writeNbStatus();
      };
      // What NB holds at resume is one batch: over HTTP the watch events of the last
      // commits before it may still be on their way (they follow the commits' answers), and
      // compiling them as a second batch costs more than the wait. Every commit reaches the
      // watch (empty when it touched no watched table); waiting is bounded.
      catchingUp = true;
      const deadline = performance.now() + RESUME_CATCH_UP_MS;
      void (async () => {
        try {
          const rev = await nb.revision();
          if (nbRevision < rev && !closed) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(() => { caughtUp = null; resolve(); }, Math.max(0, deadline - performance.now()));
              caughtUp = { rev, resolve: () => { clearTimeout(timer); caughtUp = null; resolve(); } };
            });
          }
        } catch {
          // NB unreachable: the batch goes with what arrived, the rest follows as usual
        }
        go();
      })();
    },
    isPaused: () => paused,
    recompute: () => {
      forceRecompute = true;
      kickSoon();
    },
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      checkIdle();
    }),
    synced: async (revision?: number) => {
      const rev = revision ?? (await nb.revision());
      if (doneRevision >= rev) return;
      await new Promise<void>((resolve) => waiters.push({ rev, resolve }));
    },
    close: async () => {
      closed = true;
      caughtUp?.resolve();
      notBusy();
      if (kickTimer !== undefined) clearImmediate(kickTimer);
      if (warming !== null) await warming;
      for (const s of subs) s.unsubscribe();
      if (running !== null) await running;
      for (const w of waiters.splice(0)) w.resolve();
      for (const w of idleWaiters.splice(0)) w();
      if (nbc.owned) await nb.close();
      if (sbc.owned) await sb.close();
    },
  };
}
