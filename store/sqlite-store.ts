// store/sqlite-store.ts — the embedded Store: one SQLite file (better-sqlite3, WAL) per
// database, the committed state mirrored in memory, a durable change log, and the watch.
//
// Owns: durability (rows, change log and revision written in one SQLite transaction
// before a commit is acknowledged or announced), revision numbering, log compaction,
// and the watch stream (replay from the log, snapshot, live). Reads: the file, the
// schema, options.validate for database-specific rules. Called by nbdb, sbdb, the
// services layer (store/server.ts), northd and tests. Never: decides transaction
// semantics (store/transaction.ts does), lets a watcher see an uncommitted change, or
// emits a revision out of order.
// Invariants: revision = previous + 1 per commit that changes something, stored with its
// changes, never reused across close/reopen; the log holds every revision in
// (compactedThrough, revision]; each watcher gets every revision after its start exactly
// once, in order (a change or a progress event), after one snapshot or replay.
//
// Layout: meta(key, value) holds revision, compacted_through, schema name; rows(uuid,
// tbl, data JSON, big) the current rows, their big sets/maps one element per row of
// members(uuid, col, k, v) (store/row-codec.ts); pending(revision, part, data) the new rows of
// a bulk commit (≥ deferFrom changes) as JSON records, durable with the commit, where they
// stay: a later commit that changes or deletes one of them takes it out of its part's
// record (unpend) and writes its new version to rows, and open reads the rest as they are
// (filing a 50k-port compile's 275k rows after it cost sbdb ≈5 s of CPU and every
// increment meanwhile waited behind a slice of it; a row also in rows was written there
// later, and wins); a transaction in
// parts writes its parts' new rows there as they come, as pending(-stage, part), which
// count only once its commit adds adopted(stage, revision) (open deletes the others);
// changes(revision, seq, tbl,
// uuid, old, new JSON) the log, where a delete keeps its old row, an update only what
// it changed (store/change-log.ts), and new rows are rebuilt from the current ones on
// replay.
// synchronous=NORMAL under WAL: a commit is in the WAL (the OS's page cache) when
// transact resolves, which survives the process being killed; FULL (option) also
// survives a power cut at the cost of an fsync per commit. The file is locked
// exclusively while open: a second process opening it gets 'unavailable'. The WAL is
// copied into the file (checkpoint) on the event loop's next turn after the commits that
// grew it by ~4 MB, not inside the commit that crosses SQLite's mark (afterCommit).
// Once idle after a bulk commit the store rehearses a few small transactions on its real rows
// and rolls them back (rehearse, store/rehearsal.ts): the next client commit finds those
// paths compiled.

import Sqlite from 'better-sqlite3';
import type { Database as SqliteDb, Statement } from 'better-sqlite3';
import { Observable, Subject } from 'rxjs';
import type { Subscription } from 'rxjs';
import { LoomError } from './types.js';
import type { Condition, DatabaseSchema, Operation, Row, RowChange, Store, TableSchema, TransactOptions, TransactResult, TxnParts, TxnValidator, Uuid, Value, WatchEvent, WatchRequest } from './types.js';
import { HeldParts } from './txn-parts.js';
import { Database } from './database.js';
import { compileWhere } from './condition.js';
import { executeTransaction, PartialExecution, WaitUnmet } from './transaction.js';
import type { ExecuteOptions, InsertedRow, TxnOutcome } from './transaction.js';
import { WatchFilter } from './watch-filter.js';
import { freezeRow } from './value.js';
import { decodeOld, encodeOld } from './change-log.js';
import { bigColumns, fromMembers, memberDelta, members, rowData, rowFromData } from './row-codec.js';
import { rehearsalOps } from './rehearsal.js';
import type { Member } from './row-codec.js';

export interface SqliteStoreOptions {
  /** Database-specific rules, run after the operations and before commit; throw LoomError to refuse. */
  readonly validate?: TxnValidator;
  /**
   * Once idle after a bulk commit, rehearse a few small transactions on real rows and throw
   * them away (store/rehearsal.ts): the first client commit after a bulk then finds those
   * paths compiled. Default true.
   */
  readonly rehearse?: boolean;
  /** Revisions of history kept in the change log (older ones are compacted away). Default 10000. */
  readonly changeLogLimit?: number;
  /**
   * Most operations one transaction may hold ('too-large' beyond). Default 1,000,000: a
   * northd full compile of 50k ports is ≈275k SB operations and must be ONE transaction
   * (a watcher must never see half of it), as OVSDB, which has no such cap; the bound
   * only keeps one transaction's change set (≈1-2 KB of heap per operation while it runs)
   * well inside the process's heap. Over HTTP the body limit and the held-bytes bound of
   * multi-part transactions (store/server.ts) bound it first.
   */
  readonly maxRequestOps?: number;
  /** SQLite synchronous mode under WAL. NORMAL (default) survives process kills; FULL also power loss. */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** Check every written row against its column schemas (store/row-check.ts). Default true. */
  readonly checkRows?: boolean;
}

/**
 * One part of a bulk commit's pending record (rows pending(revision, part)). Its rows are
 * not held here: every row still in its text is as committed (a change takes it out).
 */
interface PendingPart {
  readonly revision: number;
  readonly part: number;
}

/**
 * A pending record part made while a transaction in parts runs (its text built from the
 * rows a part inserted, right after that part) and written to the file then, as pending
 * (revision -stage, part): the commit adopts it (adopted(stage, revision)) if every one of
 * its rows is still sealed, and deletes it and builds the part afresh otherwise. Not
 * adopted, it counts for nothing (open deletes it).
 */
interface StagedPart {
  readonly rows: readonly InsertedRow[];
  /** '' once stored (the file has it; dropped so a 10k-port compile's 30 MB are not held till the commit). */
  text: string;
  readonly stage: number;
  readonly part: number;
  /** Written to the file (else the commit writes it, when it still holds). */
  stored: boolean;
}

interface Commit {
  readonly revision: number;
  readonly changes: readonly RowChange[];
}

const defaultLogLimit = 10000;
/** About SQLite's own checkpoint mark (1000 pages of 4 KB): text written past it earns a checkpoint. */
const checkpointBytes = 4 << 20;
const backstopPages = 100000;
const defaultMaxOps = 1_000_000;
/** Commits of this many changes or more log their new rows as one pending record (see write). */
const deferFrom = 2000;
/**
 * Rows per pending record part (a big set or map counts its elements): its text stays under
 * the C allocator's mmap threshold (128 KB) when SQLite copies it, and rewriting one part
 * (which a commit changing one of its rows does) takes about a millisecond.
 */
const pendingPart = 200;

/**
 * A pending record part's text: the rows whole (_uuid and defaults included: rowFromData
 * reads either form), by table, in one native JSON.stringify: a fifth of what writing them
 * row by row costs.
 */
function pendingText(rows: readonly { readonly table: string; readonly new: Row | null }[]): string {
  const byTable: Record<string, Row[]> = {};
  for (const c of rows) (byTable[c.table] ??= []).push(c.new as Row);
  return JSON.stringify(byTable);
}

/** A row's weight in a pending part, in rows: 1, plus the elements of its big sets and maps. */
function weight(table: TableSchema | undefined, row: Row): number {
  let w = 1;
  for (const c of bigColumns(table, row)) {
    const v = row[c];
    w += Array.isArray(v) ? v.length : v !== null && typeof v === 'object' ? Object.keys(v).length : 0;
  }
  return w;
}
/** How long no commit must have come after a bulk commit before the store rehearses (rehearse()). */
const rehearseIdleMs = 100;
/** Thrown inside a rehearsal's SQLite transaction to roll it back. */
const rehearsalDone = Symbol('rehearsal done');

/** changes.new of a log entry that stands for several inserts (uuid: their uuids, comma-separated). */
const insertRun = '+';

export class SqliteStore implements Store {
  readonly schema: DatabaseSchema;
  readonly file: string;
  private readonly sql: SqliteDb;
  private readonly mem: Database;
  private readonly exec: ExecuteOptions;
  private readonly logLimit: number;
  private readonly sync: 'NORMAL' | 'FULL';
  private rev: number;
  private compacted: number;
  private closed = false;
  private readonly commits = new Subject<Commit>();
  private readonly pending: Commit[] = [];
  private emitting = false;
  private inTxn = false;
  /** Bytes of row and log text written since the last checkpoint (an estimate of the WAL's growth). */
  private walBytes = 0;
  private checkpointTimer: NodeJS.Immediate | undefined;
  /**
   * The pending record part each row of a bulk commit is in, by uuid, while it is not in
   * the rows table: a commit that changes or deletes one of them takes it out of the part
   * first (so a pending row is always exactly as committed).
   */
  private readonly pendingIn = new Map<Uuid, PendingPart>();
  /** The last transaction in parts' stage number (StagedPart); open removed older ones' leftovers. */
  private stageSeq = 0;
  private readonly rehearseAfterBulk: boolean;
  private rehearsalTimer: NodeJS.Timeout | undefined;
  private rehearsed = { runs: 0, transactions: 0, lastMs: 0 };
  private readonly st: {
    upsert: Statement;
    insert: Statement;
    pendPut: Statement;
    pendDel: Statement;
    pendGet: Statement;
    pendSet: Statement;
    stageDel: Statement;
    adopt: Statement;
    memPut: Statement;
    memDel: Statement;
    memDelCol: Statement;
    memDelRow: Statement;
    del: Statement;
    log: Statement;
    meta: Statement;
    compact: Statement;
    replay: Statement;
  };

  private constructor(file: string, schema: DatabaseSchema, options: SqliteStoreOptions) {
    this.file = file;
    this.schema = schema;
    this.logLimit = Math.max(1, options.changeLogLimit ?? defaultLogLimit);
    this.sync = options.synchronous === 'FULL' ? 'FULL' : 'NORMAL';
    this.rehearseAfterBulk = options.rehearse !== false;
    this.exec = {
      maxOps: options.maxRequestOps ?? defaultMaxOps,
      ...(options.validate !== undefined ? { validate: options.validate } : {}),
      checkRows: options.checkRows !== false,
    };
    this.sql = new Sqlite(file, { timeout: 2000 });
    try {
      // One process owns a database file: the in-memory copy is only true if nobody else
      // writes. EXCLUSIVE before WAL also means no shared-memory index (-shm) is used.
      this.sql.pragma('locking_mode = EXCLUSIVE');
      this.sql.pragma('journal_mode = WAL');
      this.sql.pragma(`synchronous = ${this.sync}`);
      // SQLite's own checkpoint (at 1000 WAL pages) runs inside the commit that crosses the
      // mark: a 55k-row commit paid for copying its whole WAL before returning. The store
      // checkpoints itself after such commits instead (see afterCommit); this is a backstop.
      this.sql.pragma(`wal_autocheckpoint = ${backstopPages}`);
      this.sql.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS rows (uuid TEXT PRIMARY KEY, tbl TEXT NOT NULL, data TEXT NOT NULL, big TEXT);
        CREATE TABLE IF NOT EXISTS members (
          uuid TEXT NOT NULL, col TEXT NOT NULL, k TEXT NOT NULL, v TEXT, PRIMARY KEY (uuid, col, k)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS pending (revision INTEGER NOT NULL, part INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (revision, part));
        CREATE TABLE IF NOT EXISTS adopted (stage INTEGER PRIMARY KEY, revision INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS changes (
          revision INTEGER NOT NULL, seq INTEGER NOT NULL, tbl TEXT NOT NULL, uuid TEXT NOT NULL,
          old TEXT, new TEXT, PRIMARY KEY (revision, seq));
      `);
      // Files from before big columns were split out lack rows.big.
      if (!(this.sql.prepare('PRAGMA table_info(rows)').all() as { name: string }[]).some((c) => c.name === 'big')) this.sql.exec('ALTER TABLE rows ADD COLUMN big TEXT');
      this.st = {
        upsert: this.sql.prepare('INSERT INTO rows (uuid, tbl, data, big) VALUES (?, ?, ?, ?) ON CONFLICT (uuid) DO UPDATE SET tbl = excluded.tbl, data = excluded.data, big = excluded.big'),
        // a row new to the store is new to the file (the memory mirrors it): a plain insert
        // skips the upsert's conflict handling, ≈25% of SQLite's time for a 55k-row commit
        insert: this.sql.prepare('INSERT INTO rows (uuid, tbl, data, big) VALUES (?, ?, ?, ?)'),
        pendPut: this.sql.prepare('INSERT INTO pending (revision, part, data) VALUES (?, ?, ?)'),
        pendDel: this.sql.prepare('DELETE FROM pending WHERE revision = ? AND part = ?'),
        pendGet: this.sql.prepare('SELECT data FROM pending WHERE revision = ? AND part = ?'),
        pendSet: this.sql.prepare('UPDATE pending SET data = ? WHERE revision = ? AND part = ?'),
        stageDel: this.sql.prepare('DELETE FROM pending WHERE revision = ?'),
        adopt: this.sql.prepare('INSERT INTO adopted (stage, revision) VALUES (?, ?)'),
        memPut: this.sql.prepare('INSERT INTO members (uuid, col, k, v) VALUES (?, ?, ?, ?) ON CONFLICT (uuid, col, k) DO UPDATE SET v = excluded.v'),
        memDel: this.sql.prepare('DELETE FROM members WHERE uuid = ? AND col = ? AND k = ?'),
        memDelCol: this.sql.prepare('DELETE FROM members WHERE uuid = ? AND col = ?'),
        memDelRow: this.sql.prepare('DELETE FROM members WHERE uuid = ?'),
        del: this.sql.prepare('DELETE FROM rows WHERE uuid = ?'),
        log: this.sql.prepare('INSERT INTO changes (revision, seq, tbl, uuid, old, new) VALUES (?, ?, ?, ?, ?, ?)'),
        meta: this.sql.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
        compact: this.sql.prepare('DELETE FROM changes WHERE revision <= ?'),
        replay: this.sql.prepare('SELECT revision, tbl, uuid, old, new FROM changes WHERE revision > ? AND revision <= ? ORDER BY revision, seq'),
      };
      // Take the write lock now, not at the first commit.
      this.sql.prepare("INSERT INTO meta (key, value) VALUES ('opened', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(Date.now()));
      const meta = new Map((this.sql.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      const stored = meta.get('schema_name');
      if (stored !== undefined && stored !== schema.name) {
        throw new LoomError({ code: 'unavailable', message: `${file} holds database ${stored}, not ${schema.name}`, value: file, hint: 'open it with its own schema, or use another file' });
      }
      if (stored === undefined) {
        this.sql.transaction(() => {
          this.st.meta.run('schema_name', schema.name);
          this.st.meta.run('schema_version', schema.version);
          this.st.meta.run('revision', '0');
          this.st.meta.run('compacted_through', '0');
        })();
      }
      this.rev = Number(meta.get('revision') ?? '0');
      this.compacted = Number(meta.get('compacted_through') ?? '0');
      this.mem = new Database(schema);
      this.mem.apply(this.load());
    } catch (e) {
      this.sql.close();
      if (e instanceof Error && 'code' in e && String(e.code).startsWith('SQLITE_BUSY')) {
        throw new LoomError({ code: 'unavailable', message: `${file} is open in another process`, value: file, hint: 'one process owns a database file; talk to it through its server instead' });
      }
      if (e instanceof LoomError) throw e;
      throw new LoomError({ code: 'unavailable', message: `cannot open ${file}: ${e instanceof Error ? e.message : String(e)}`, value: file, hint: 'is it a loom database file (SQLite) and readable?' });
    }
  }

  /** Opens (creating if needed) the database in `file` (':memory:' for a throw-away one). */
  static open(file: string, schema: DatabaseSchema, options: SqliteStoreOptions = {}): SqliteStore {
    return new SqliteStore(file, schema, options);
  }

  /** Rows as stored, fitted to the schema in hand (unknown columns dropped, new ones defaulted). */
  private load(): RowChange[] {
    const out: RowChange[] = [];
    const big = new Map<string, Map<string, Member[]>>();
    for (const m of this.sql.prepare('SELECT uuid, col, k, v FROM members').iterate() as IterableIterator<{ uuid: string; col: string; k: string; v: string | null }>) {
      let cols = big.get(m.uuid);
      if (cols === undefined) big.set(m.uuid, (cols = new Map()));
      let list = cols.get(m.col);
      if (list === undefined) cols.set(m.col, (list = []));
      list.push({ k: m.k, v: m.v });
    }
    for (const r of this.sql.prepare('SELECT uuid, tbl, data, big FROM rows').iterate() as IterableIterator<{ uuid: string; tbl: string; data: string; big: string | null }>) {
      const info = this.mem.info.get(r.tbl);
      if (info === undefined) continue;
      const data = JSON.parse(r.data) as Record<string, unknown>;
      if (r.big !== null) {
        for (const c of JSON.parse(r.big) as string[]) {
          const col = info.schema.columns[c];
          if (col !== undefined) data[c] = fromMembers(col, big.get(r.uuid)?.get(c) ?? []);
        }
      }
      out.push({ table: r.tbl, uuid: r.uuid, old: null, new: freezeRow(rowFromData(info.schema, r.uuid, data)) });
    }
    // Bulk inserts: their rows stay in the pending record, read from it (a row also in the
    // table was written there by a later commit: the table's is the newer). Staged parts
    // (revision -stage) count only when their commit adopted them; the others are what a
    // transaction in parts had written when the process ended before its commit: gone now,
    // with the adoptions no part is left of, and new stages are numbered after the kept ones.
    this.sql.exec('DELETE FROM pending WHERE revision < 0 AND -revision NOT IN (SELECT stage FROM adopted); DELETE FROM adopted WHERE -stage NOT IN (SELECT revision FROM pending);');
    this.stageSeq = Number((this.sql.prepare('SELECT coalesce(max(stage), 0) AS n FROM adopted').get() as { n: number }).n);
    const have = new Set(out.map((c) => c.uuid));
    for (const p of this.sql.prepare('SELECT revision, part, data FROM pending ORDER BY revision, part').iterate() as IterableIterator<{ revision: number; part: number; data: string }>) {
      const part: PendingPart = { revision: p.revision, part: p.part };
      for (const [tbl, rows] of Object.entries(JSON.parse(p.data) as Record<string, Record<string, unknown>[]>)) {
        const info = this.mem.info.get(tbl);
        for (const data of rows) {
          const uuid = data['_uuid'];
          if (typeof uuid !== 'string' || have.has(uuid)) continue;
          have.add(uuid);
          if (info === undefined) continue;
          out.push({ table: tbl, uuid, old: null, new: freezeRow(rowFromData(info.schema, uuid, data)) });
          this.pendingIn.set(uuid, part);
        }
      }
    }
    return out;
  }

  private live(): void {
    if (this.closed) throw new LoomError({ code: 'unavailable', message: `store ${this.file} is closed` });
  }

  /** The synchronous core of transact(); a wait that does not hold throws WaitUnmet. */
  transactSync(ops: readonly Operation[] | unknown, options: TransactOptions = {}): TransactResult {
    this.live();
    if (this.inTxn) throw new LoomError({ code: 'internal', message: 'transact called from inside a validate hook' });
    this.inTxn = true;
    let outcome;
    try {
      outcome = executeTransaction(this.mem, ops, options.locks === undefined ? this.exec : { ...this.exec, locks: options.locks });
    } finally {
      this.inTxn = false;
    }
    return this.commitOutcome(outcome);
  }

  /** Persists, applies and announces an executed transaction (nothing on failure). */
  private commitOutcome(outcome: TxnOutcome, staged: readonly StagedPart[] = []): TransactResult {
    if (outcome.changes.length === 0) return { revision: this.rev, results: outcome.results };
    const revision = this.rev + 1;
    try {
      this.persist(revision, outcome.changes, outcome.durable, staged);
    } catch (e) {
      // Nothing was applied in memory and SQLite rolled back: the store is as before.
      throw new LoomError({ code: 'unavailable', message: `could not write ${this.file}: ${e instanceof Error ? e.message : String(e)}`, value: this.file });
    }
    this.rev = revision;
    this.mem.apply(outcome.changes);
    this.afterCommit();
    this.announce({ revision, changes: outcome.changes });
    // a rehearsal waits for a pause in commits; a bulk commit asks for one
    if (this.rehearsalTimer !== undefined) this.rehearsalTimer.refresh();
    else if (this.rehearseAfterBulk && outcome.changes.length >= deferFrom) this.rehearsalTimer = setTimeout(() => this.rehearseAll(), rehearseIdleMs).unref();
    return { revision, results: outcome.results };
  }

  /** Rehearses store/rehearsal.ts's transactions (see rehearse). */
  private rehearseAll(): void {
    this.rehearsalTimer = undefined;
    if (this.closed || this.inTxn) return;
    const t0 = performance.now();
    let n = 0;
    for (const ops of rehearsalOps(this.mem, (u) => this.pendingIn.has(u))) if (this.rehearse(ops)) n++;
    this.rehearsed = { runs: this.rehearsed.runs + 1, transactions: this.rehearsed.transactions + n, lastMs: performance.now() - t0 };
  }

  /**
   * Runs `ops` as a commit would — executed against the committed state, validated, written
   * in a SQLite transaction (rows taken out of pending parts, big sets' members, the log) —
   * and rolls that transaction back: nothing is kept, applied in memory, announced or
   * counted as a revision. True if it got as far as writing.
   */
  private rehearse(ops: readonly Operation[]): boolean {
    let outcome: TxnOutcome;
    this.inTxn = true;
    try {
      outcome = executeTransaction(this.mem, ops, this.exec);
    } catch {
      return false;
    } finally {
      this.inTxn = false;
    }
    if (outcome.changes.length === 0) return false;
    const walBytes = this.walBytes;
    try {
      this.sql.transaction(() => {
        // (pendingIn is left as it is: writeSql only says what a commit would do to it)
        this.writeSql(this.rev + 1, outcome.changes, undefined, []);
        throw rehearsalDone;
      })();
    } catch (e) {
      if (e !== rehearsalDone) return false;
    } finally {
      this.walBytes = walBytes;
    }
    return true;
  }

  /** Rehearsals run (store/rehearsal.ts): how many, the transactions that reached the file, the last one's ms. */
  rehearsals(): { readonly runs: number; readonly transactions: number; readonly lastMs: number } {
    return this.rehearsed;
  }

  private persist(revision: number, changes: readonly RowChange[], durable: boolean, staged: readonly StagedPart[]): void {
    const compactTo = revision - this.logLimit > this.compacted ? revision - this.logLimit : undefined;
    // {"op": "commit", "durable": true}: this one commit waits for the disk (fsync of the WAL).
    const raise = durable && this.sync !== 'FULL';
    if (raise) this.sql.pragma('synchronous = FULL');
    try {
      this.write(revision, changes, compactTo, staged);
    } finally {
      if (raise) this.sql.pragma(`synchronous = ${this.sync}`);
    }
    if (compactTo !== undefined) this.compacted = compactTo;
  }

  private write(revision: number, changes: readonly RowChange[], compactTo: number | undefined, staged: readonly StagedPart[]): void {
    const { taken, made } = this.writeSql(revision, changes, compactTo, staged);
    // SQLite committed (a throw above leaves memory as it was, the file rolled back)
    for (const u of taken) this.pendingIn.delete(u);
    for (const m of made) for (const u of m.uuids) this.pendingIn.set(u, m.part);
  }

  /**
   * The SQLite transaction of a commit. What it does to pendingIn is for the caller to do
   * once SQLite has committed: `taken`, the pending rows it changes or deletes (out of
   * their parts, their new version to rows), and `made`, the parts of its own pending record.
   */
  private writeSql(revision: number, changes: readonly RowChange[], compactTo: number | undefined, staged: readonly StagedPart[]): { taken: Set<Uuid>; made: { part: PendingPart; uuids: Uuid[] }[] } {
    const taken = new Set<Uuid>();
    const made: { part: PendingPart; uuids: Uuid[] }[] = [];
    this.sql.transaction(() => {
      if (this.pendingIn.size > 0) {
        const byPart = new Map<PendingPart, Set<Uuid>>();
        for (const c of changes) {
          const p = c.old === null ? undefined : this.pendingIn.get(c.uuid);
          if (p === undefined) continue;
          let set = byPart.get(p);
          if (set === undefined) byPart.set(p, (set = new Set()));
          set.add(c.uuid);
          taken.add(c.uuid);
        }
        for (const [p, uuids] of byPart) this.unpend(p, uuids);
      }
      // A bulk of new rows (a full compile's 55k) is logged as one record of row texts,
      // durable with this commit, where the rows stay until a change takes them out: a
      // few SQLite inserts instead of one B-tree insert per row (and its big sets' members).
      const defer = changes.length >= deferFrom ? ([] as RowChange[]) : undefined;
      // Parts of that record made as the parts of the transaction ran, still true (every
      // row in them sealed: as inserted, not written since): written as they are.
      // Those already in the file (revision -stage) are adopted; those no longer true go.
      let part = 0;
      let ready: Set<Row> | undefined;
      let adopt: number | undefined;
      for (const sp of staged) {
        if (defer === undefined || !sp.rows.every((r) => r.sealed && r.new !== null)) {
          if (sp.stored) this.st.pendDel.run(-sp.stage, sp.part);
          continue;
        }
        ready ??= new Set();
        for (let j = 0; j < sp.rows.length; j++) ready.add((sp.rows[j] as InsertedRow).new as Row);
        let at: { revision: number; part: number };
        if (sp.stored) {
          adopt = sp.stage;
          at = { revision: -sp.stage, part: sp.part };
        } else {
          at = { revision, part: part++ };
          this.st.pendPut.run(at.revision, at.part, sp.text);
          this.walBytes += sp.text.length;
        }
        const uuids: Uuid[] = [];
        for (let j = 0; j < sp.rows.length; j++) uuids.push((sp.rows[j] as InsertedRow).uuid);
        made.push({ part: at, uuids });
      }
      if (adopt !== undefined) this.st.adopt.run(adopt, revision);
      let seq = 0;
      // The log holds what cannot be rebuilt from the rows walking backwards: a delete's
      // whole old row, an update's changed part; a new row is '' (see replay()), and a run
      // of new rows of one table is one entry, its uuids comma-separated, new = '+': a
      // 55k-row insert logs a few entries, not 55k (each a B-tree insert, half of SQLite's
      // work for such a commit).
      let run: string[] = [];
      let runTable = '';
      const flush = (): void => {
        if (run.length === 0) return;
        if (run.length === 1) this.st.log.run(revision, seq++, runTable, run[0], null, '');
        else this.st.log.run(revision, seq++, runTable, run.join(','), null, insertRun);
        this.walBytes += 40 * run.length;
        run = [];
      };
      // (indexed: this runs once per commit, interpreted, where iterators allocate per step)
      for (let i = 0; i < changes.length; i++) {
        const c = changes[i] as RowChange;
        if (ready !== undefined && c.new !== null && ready.has(c.new)) {
          // staged and written above
        } else if (taken.has(c.uuid)) {
          // never in rows (nor its big sets' members): written whole, as an insert
          if (c.new !== null) this.writeRow({ table: c.table, uuid: c.uuid, old: null, new: c.new });
        } else if (defer === undefined || !this.deferRow(c, defer)) this.writeRow(c);
        if (c.old === null) {
          if (c.table !== runTable) flush();
          runTable = c.table;
          run.push(c.uuid);
          continue;
        }
        flush();
        const old = JSON.stringify(c.new === null ? c.old : encodeOld(this.schema.tables[c.table], c.old, c.new));
        this.st.log.run(revision, seq++, c.table, c.uuid, old, c.new === null ? null : '');
        this.walBytes += 120 + old.length;
      }
      flush();
      if (defer !== undefined && defer.length > 0) {
        // the rest (pendingText) in parts of pendingPart rows: a text of many MB, copied by SQLite's binding into
        // one malloc'd buffer, leaves glibc's mmap threshold raised once freed (≈65 MB more
        // RSS after a 10k compile when it was one 26 MB record)
        // A part is pendingPart rows' worth (a big set or map counts its elements): a commit
        // that changes one row rewrites its part's text
        for (let i = 0; i < defer.length; part++) {
          let j = i;
          let w = 0;
          for (; j < defer.length && w < pendingPart; j++) w += weight(this.schema.tables[(defer[j] as RowChange).table], (defer[j] as RowChange).new as Row);
          const rows = defer.slice(i, j);
          i = j;
          const text = pendingText(rows);
          this.st.pendPut.run(revision, part, text);
          this.walBytes += text.length;
          made.push({ part: { revision, part }, uuids: rows.map((c) => c.uuid) });
        }
      }
      this.st.meta.run('revision', String(revision));
      if (compactTo !== undefined) {
        this.st.compact.run(compactTo);
        this.st.meta.run('compacted_through', String(compactTo));
      }
    })();
    return { taken, made };
  }

  /** Adds an inserted row to the pending record (its big sets/maps too); false: write it now. */
  private deferRow(c: RowChange, into: RowChange[]): boolean {
    if (c.old !== null || c.new === null) return false;
    into.push(c);
    return true;
  }

  /**
   * Takes rows out of a pending part's record (inside the caller's SQLite transaction): the
   * text without them (and without any row the rows table has instead: open saw both), or
   * no record once none is left. A port add rewrites the 200-row parts its changes touch
   * (≈1 ms) rather than filing them into rows.
   */
  private unpend(p: PendingPart, uuids: ReadonlySet<Uuid>): void {
    const rec = this.st.pendGet.get(p.revision, p.part) as { data: string } | undefined;
    if (rec === undefined) return;
    const byTable = JSON.parse(rec.data) as Record<string, Record<string, unknown>[]>;
    let left = 0;
    for (const tbl of Object.keys(byTable)) {
      // a table the schema no longer has keeps its rows as they were
      const known = this.schema.tables[tbl] !== undefined;
      const keep = (byTable[tbl] as Record<string, unknown>[]).filter((d) => {
        const u = d['_uuid'];
        return !known || (typeof u === 'string' && !uuids.has(u) && this.pendingIn.get(u) === p);
      });
      if (keep.length > 0) byTable[tbl] = keep;
      else delete byTable[tbl];
      left += keep.length;
    }
    if (left === 0) {
      this.st.pendDel.run(p.revision, p.part);
      return;
    }
    const text = JSON.stringify(byTable);
    this.st.pendSet.run(text, p.revision, p.part);
    this.walBytes += text.length;
  }

  /** The row's text, and its big sets/maps element by element (store/row-codec.ts). */
  private writeRow(c: RowChange): void {
    const table = this.schema.tables[c.table];
    const bigOld = c.old === null ? [] : bigColumns(table, c.old);
    if (c.new === null) {
      this.st.del.run(c.uuid);
      if (bigOld.length > 0) this.st.memDelRow.run(c.uuid);
      return;
    }
    const bigNew = bigColumns(table, c.new);
    const data = rowData(table as TableSchema, c.new, bigNew);
    this.walBytes += data.length;
    (c.old === null ? this.st.insert : this.st.upsert).run(c.uuid, c.table, data, bigNew.length > 0 ? JSON.stringify(bigNew) : null);
    for (const k of bigOld) if (!bigNew.includes(k)) this.st.memDelCol.run(c.uuid, k);
    for (const k of bigNew) {
      const col = table?.columns[k];
      if (col === undefined) continue;
      if (c.old !== null && bigOld.includes(k)) {
        if (c.old[k] === c.new[k]) continue;
        const d = memberDelta(col, c.old[k] as Value, c.new[k] as Value);
        for (const key of d.del) this.st.memDel.run(c.uuid, k, key);
        for (const m of d.put) this.st.memPut.run(c.uuid, k, m.k, m.v);
        this.walBytes += 80 * (d.put.length + d.del.length);
      } else {
        const ms = members(col, c.new[k] as Value);
        for (const m of ms) this.st.memPut.run(c.uuid, k, m.k, m.v);
        this.walBytes += 80 * ms.length;
      }
    }
  }

  /**
   * Once the WAL has grown by about SQLite's checkpoint mark, copies it into the database
   * file on a later turn of the event loop, after the caller has its answer (and after
   * whatever it does next in the same turn, such as its next commit). A kill before then
   * loses nothing: the commits are in the WAL, which SQLite replays when it opens. (Not
   * on an idle timer: that moved the copy, an fsync included, into whichever small
   * transaction came next.)
   */
  private afterCommit(): void {
    if (this.walBytes < checkpointBytes || this.checkpointTimer !== undefined) return;
    this.checkpointTimer = setImmediate(() => {
      this.checkpointTimer = undefined;
      if (this.closed) return;
      this.walBytes = 0;
      try {
        this.sql.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // Another try after the next large commit; the WAL keeps everything meanwhile.
      }
    });
  }

  /** Delivers commits to watchers in revision order even when a watcher commits from its handler. */
  private announce(c: Commit): void {
    this.pending.push(c);
    if (this.emitting) return;
    this.emitting = true;
    try {
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) this.commits.next(next);
    } finally {
      this.emitting = false;
    }
  }

  async transact(ops: readonly Operation[], options: TransactOptions = {}): Promise<TransactResult> {
    let deadline: number | undefined;
    for (;;) {
      try {
        return this.transactSync(ops, options);
      } catch (e) {
        if (!(e instanceof WaitUnmet) || e.timeout === 0) throw e instanceof WaitUnmet ? new LoomError(e.toJSON()) : e;
        if (e.timeout !== undefined) deadline ??= Date.now() + e.timeout;
        // The condition can only change with a commit: sleep until one, the deadline, or close.
        const ok = await this.nextCommit(deadline === undefined ? undefined : deadline - Date.now());
        this.live();
        if (!ok) throw new LoomError(e.toJSON());
      }
    }
  }

  /**
   * Parts are shape-checked as they are added and held; commit() runs them as one
   * transaction against the state committed by then (other commits may land in between,
   * as between an OVSDB client's reads and its transaction).
   */
  transactParts(options: TransactOptions = {}): TxnParts {
    this.live();
    // Each part also runs as it comes (PartialExecution), so commit() has only the
    // commit-time rules and the write left: over HTTP the server executes a part while
    // northd builds the next. That run is used only if nothing committed meanwhile and
    // every part ran; else commit() runs the held operations afresh, as transact().
    // The rows a part inserts get their pending record text then too (StagedPart), which
    // the commit writes as it is where they did not change since.
    let partial: PartialExecution | undefined;
    let staged: StagedPart[] = [];
    const stage = ++this.stageSeq;
    let usable = true;
    let at = this.rev;
    const drop = (): void => {
      usable = false;
      partial = undefined;
      this.dropStaged(staged);
      staged = [];
    };
    const onPart = (ops: readonly Operation[], offset: number): void => {
      if (!usable) return;
      if (offset === 0) at = this.rev;
      if (this.rev !== at || this.inTxn || this.closed) {
        drop();
        return;
      }
      try {
        const n = staged.length;
        this.stage((partial ??= new PartialExecution(this.mem, this.exec)).add(ops), staged, stage);
        this.storeStaged(staged.slice(n));
      } catch {
        // the whole run at commit says what is wrong (and sees forward uuid-names)
        drop();
      }
    };
    return new HeldParts(
      this.schema,
      async (ops) => {
        const done = usable && partial !== undefined && partial.size === ops.length && this.rev === at ? partial : undefined;
        const ready = staged;
        partial = undefined;
        staged = [];
        usable = false;
        if (done === undefined) {
          this.dropStaged(ready);
          return this.transact(ops, options);
        }
        try {
          this.live();
          if (this.inTxn) throw new LoomError({ code: 'internal', message: 'transact called from inside a validate hook' });
          this.inTxn = true;
          let outcome;
          try {
            outcome = done.finish(options.locks);
          } finally {
            this.inTxn = false;
          }
          return this.commitOutcome(outcome, ready);
        } catch (e) {
          // not adopted (SQLite rolled the commit back, or it never began)
          this.dropStaged(ready);
          throw e;
        }
      },
      this.exec.maxOps,
      onPart,
      drop,
    );
  }

  /** Pending record parts (as write() makes them) for the rows one part inserted. */
  private stage(rows: readonly InsertedRow[], into: StagedPart[], stage: number): void {
    for (let i = 0; i < rows.length; ) {
      let j = i;
      let w = 0;
      for (; j < rows.length && w < pendingPart; j++) w += weight(this.schema.tables[(rows[j] as InsertedRow).table], (rows[j] as InsertedRow).new as Row);
      const part = rows.slice(i, j);
      i = j;
      into.push({ rows: part, text: pendingText(part), stage, part: into.length, stored: false });
    }
  }

  /**
   * Writes staged parts to the file (pending, revision -stage), in a SQLite transaction of
   * their own: the commit then adopts them with one small row instead of writing their
   * megabytes. If this fails they stay in memory only, and the commit writes them.
   */
  private storeStaged(parts: readonly StagedPart[]): void {
    if (parts.length === 0) return;
    try {
      this.sql.transaction(() => {
        for (const sp of parts) this.st.pendPut.run(-sp.stage, sp.part, sp.text);
      })();
    } catch {
      return;
    }
    for (const sp of parts) {
      sp.stored = true;
      this.walBytes += sp.text.length;
      sp.text = '';
    }
    // (no checkpoint between parts: the next part, or the commit, would wait for it; the
    // commit's afterCommit copies the WAL once the commit is answered)
  }

  /** Removes staged parts from the file (their transaction will not adopt them); open removes what this misses. */
  private dropStaged(parts: readonly StagedPart[]): void {
    const first = parts[0];
    if (first === undefined || this.closed || !parts.some((sp) => sp.stored)) return;
    try {
      this.st.stageDel.run(-first.stage);
    } catch {
      // left for open to remove (never adopted)
    }
  }

  private nextCommit(ms: number | undefined): Promise<boolean> {
    if (ms !== undefined && ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const sub: Subscription = this.commits.subscribe({
        next: () => done(true),
        complete: () => done(false),
      });
      function done(v: boolean): void {
        if (timer !== undefined) clearTimeout(timer);
        sub.unsubscribe();
        resolve(v);
      }
      if (ms !== undefined) timer = setTimeout(() => done(false), ms);
    });
  }

  selectSync(table: string, where: readonly Condition[] = []): readonly Row[] {
    this.live();
    const t = this.schema.tables[table];
    if (t === undefined || !Object.prototype.hasOwnProperty.call(this.schema.tables, table)) {
      throw new LoomError({ code: 'unknown-table', message: `database ${this.schema.name} has no table ${JSON.stringify(table)}`, value: table });
    }
    const w = compileWhere(t, where, { path: '/where' });
    if (w.uuidEq !== undefined) {
      const r = this.mem.get(table, w.uuidEq);
      return r !== undefined && w.test(r) ? [r] : [];
    }
    const out: Row[] = [];
    const cands = this.mem.candidates(table, w);
    if (cands !== undefined) {
      for (const u of cands) {
        const r = this.mem.get(table, u);
        if (r !== undefined && w.test(r)) out.push(r);
      }
      return out;
    }
    for (const r of this.mem.rowsOf(table).values()) if (w.test(r)) out.push(r);
    return out;
  }

  async select(table: string, where: readonly Condition[] = []): Promise<readonly Row[]> {
    return this.selectSync(table, where);
  }

  get currentRevision(): number {
    return this.rev;
  }

  /** The oldest revision a watcher may resume from without a snapshot. */
  get compactedThrough(): number {
    return this.compacted;
  }

  async revision(): Promise<number> {
    this.live();
    return this.rev;
  }

  watch(request: WatchRequest = {}): Observable<WatchEvent> {
    return new Observable<WatchEvent>((sub) => {
      if (this.closed) {
        sub.error(new LoomError({ code: 'unavailable', message: `store ${this.file} is closed` }));
        return undefined;
      }
      let filter: WatchFilter;
      try {
        filter = WatchFilter.compile(this.schema, request);
      } catch (e) {
        sub.error(e);
        return undefined;
      }
      let last = -1;
      const deliver = (c: Commit): void => {
        if (c.revision <= last) return;
        last = c.revision;
        const changes = filter.changes(c.changes);
        sub.next(changes.length > 0 ? { type: 'change', revision: c.revision, changes } : { type: 'progress', revision: c.revision });
      };
      // Live first (buffered), then the replay or snapshot, then the buffer: no gap, no repeat.
      const buffer: Commit[] = [];
      let buffering = true;
      const liveSub = this.commits.subscribe({
        next: (c) => (buffering ? buffer.push(c) : deliver(c)),
        complete: () => sub.complete(),
      });
      const start = this.rev;
      const from = request.fromRevision;
      if (from !== undefined && from >= this.compacted && from <= start) {
        last = from;
        // Read the log completely before delivering: a handler may commit, which needs the connection.
        const replay = this.replay(from, start, filter);
        for (const c of replay) deliver(c);
      } else {
        const tables: Record<string, Row[]> = {};
        for (const t of filter.watchedTables()) tables[t] = filter.rows(t, this.mem.rowsOf(t).values());
        sub.next({ type: 'snapshot', revision: start, tables });
        last = start;
      }
      for (const c of buffer) deliver(c);
      buffering = false;
      buffer.length = 0;
      return () => liveSub.unsubscribe();
    });
  }

  /**
   * The commits in (from, to], rebuilt from the log by walking back from the rows as they
   * are at `to` (the current revision: call synchronously): an update's old row is its
   * later state with the logged changed part put back; a delete's old row is logged whole.
   * Commits that touch no watched table come back empty (the watcher gets progress).
   */
  private replay(from: number, to: number, filter: WatchFilter): Commit[] {
    const entries = this.st.replay.all(from, to) as { revision: number; tbl: string; uuid: string; old: string | null; new: string | null }[];
    const commits: { revision: number; changes: RowChange[] }[] = [];
    const state = new Map<string, Row | null>();
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i] as (typeof entries)[number];
      let c = commits[commits.length - 1];
      if (c === undefined || c.revision !== e.revision) commits.push((c = { revision: e.revision, changes: [] }));
      if (!filter.watches(e.tbl)) continue;
      if (e.new === insertRun) {
        // a run of new rows, walked backwards like the rest
        const uuids = e.uuid.split(',');
        for (let j = uuids.length - 1; j >= 0; j--) {
          const u = uuids[j] as string;
          const after = state.has(u) ? (state.get(u) as Row | null) : (this.mem.get(e.tbl, u) ?? null);
          state.set(u, null);
          c.changes.push({ table: e.tbl, uuid: u, old: null, new: after });
        }
        continue;
      }
      const table = this.schema.tables[e.tbl];
      // Files written before rows were rebuilt from the log carry the whole new row.
      const after = e.new === null ? null : e.new !== '' ? (JSON.parse(e.new) as Row) : state.has(e.uuid) ? (state.get(e.uuid) as Row | null) : (this.mem.get(e.tbl, e.uuid) ?? null);
      const logged = e.old === null ? null : (JSON.parse(e.old) as Record<string, unknown>);
      const before = logged === null ? null : after !== null ? decodeOld(table, logged, after) : (logged as Row);
      state.set(e.uuid, before);
      c.changes.push({ table: e.tbl, uuid: e.uuid, old: before, new: after });
    }
    commits.reverse();
    for (const c of commits) c.changes.reverse();
    return commits;
  }

  /** Figures for operators and metrics: revision, log extent and size, rows held. */
  /** Rows of bulk commits still in their pending record (not in the rows table); for tests and stats. */
  pendingRows(): number {
    return this.pendingIn.size;
  }

  stats(): { revision: number; compactedThrough: number; logEntries: number; logBytes: number; rows: number } {
    this.live();
    const log = this.sql.prepare('SELECT count(*) AS n, coalesce(sum(length(old)), 0) + coalesce(sum(length(new)), 0) AS bytes FROM changes').get() as { n: number; bytes: number };
    let rows = 0;
    for (const t of this.mem.info.keys()) rows += this.mem.rowsOf(t).size;
    return { revision: this.rev, compactedThrough: this.compacted, logEntries: log.n, logBytes: log.bytes, rows };
  }

  /** Problems in the in-memory indexes (empty when healthy); for tests. */
  checkInvariants(): string[] {
    return this.mem.checkInvariants();
  }

  /** The equality indexes built on demand for unindexed columns (store/database.ts eqLookup); for tests and stats. */
  eqIndexes(): { readonly on: string; readonly kept: boolean }[] {
    return this.mem.eqIndexes();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.checkpointTimer !== undefined) clearImmediate(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (this.rehearsalTimer !== undefined) clearTimeout(this.rehearsalTimer);
    this.rehearsalTimer = undefined;
    this.commits.complete();
    this.sql.close();
  }
}
