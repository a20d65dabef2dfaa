// store/server.ts — serves any `Store` over HTTP (REST) and a WebSocket watch.
//
// Owns: the HTTP routes (POST /v1/transact, DELETE /v1/transact/:id, GET /v1/tables/:table, GET /v1/health,
// GET /v1/schema, GET /v1/metrics), the WebSocket /v1/watch endpoint (first message = WatchRequest, then a
// stream of WatchEvent JSON messages), per-watcher backpressure and heartbeat, error
// rendering (LoomError → HTTP status + `{error}` body), and an orderly shutdown; the
// WebSocket /v1/session endpoint: a session that holds OVSDB locks (store/locks.ts) for as
// long as its socket lives, and whose id a transaction names (header Loom-Session) so its
// `assert` operations see that session's locks.
// Multi-part transactions: a transaction bigger than the body limit is sent as several
// POST /v1/transact requests carrying the header `Loom-Txn: id=<token>; part=<i>; last=<0|1>`
// (token: client-chosen, [A-Za-z0-9_.-]{1,64}; parts numbered from 0, in order, one at a
// time). Parts before the last are shape-checked and held (answer 202 {txn, part, ops});
// the last runs the operations of every part, in order, as ONE transaction (uuid-names may
// refer across parts) and answers as a plain transact. Held parts are bounded per server
// (maxTxnBytes, default 512 MiB) and dropped when no next part comes within
// multipartTimeoutMs (default 30 s). A part out of order, an unknown or expired id, or a
// part over the bound → structured 4xx, and the held parts are dropped. Nothing is written
// before the last part; the Loom-Session header is read on the last part. Each part is
// handed to the store's own transaction in parts (Store.transactParts) right after its 202
// answer, so the store works on it while the client builds the next; a part the store
// refuses fails the transaction: the next part (or the last) is answered with that error. DELETE /v1/transact/<id> drops a transaction's held parts at once (a
// client that gave up: answer {txn, aborted: true|false (none held)}). How multi-part
// transactions ended (committed, failed, expired, aborted) and what is held now are in
// /v1/health (multipart; an embedded store's pending_rows and rehearsals) and /v1/metrics (loom_multipart_*).
// Reads: a Store (store/types.ts); the wire format from store/watch-protocol.ts.
// Called by: nbdb/index.ts and sbdb/index.ts (startNbdb/startSbdb), tests, bench/store.
// Must never: interpret the data beyond shape checks and schema names (the engine owns types,
// references and indexes; nbdb/validate.ts owns NB rules), buffer an unbounded amount for a
// slow watcher, or leave a socket, timer or subscription alive after close().
// Invariants: a refused request changes nothing (the request is checked before the engine
// runs, and the engine itself is all or nothing); every error response has the same
// `{error:{code,message,...}}` body; a watcher closed for being slow or for shutdown is told
// with a retriable close code so it resumes from the last revision it received.

import { performance } from 'node:perf_hooks';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { LoomError, type Condition, type Operation, type LoomErrorData, type Scalar, type Store, type TableSchema, type TxnParts, type WatchEvent, type WatchRequest } from './types.js';
import {
  CloseCode,
  DEFAULT_MAX_BODY_BYTES,
  HEALTH_PATH,
  METRICS_PATH,
  SCHEMA_PATH,
  TABLES_PATH,
  TRANSACT_PATH,
  TXN_HEADER,
  WATCH_PATH,
  errorBody,
  httpStatusOf,
  parseTransactBody,
  parseWatchRequest,
  type WatchMessage,
} from './watch-protocol.js';
import { LockManager, SESSION_HEADER, SESSION_PATH, parseLockRequest, type SessionMessage } from './locks.js';

export interface StoreServerOptions {
  /** Largest accepted request body in bytes (default 16 MiB). */
  readonly maxBodyBytes?: number;
  /** A watcher whose unsent bytes exceed this is closed with 4001 and resumes later (default 8 MiB). */
  readonly watchHighWaterBytes?: number;
  /** Ping period; a watcher silent for a whole period is dropped (default 20 s; 0 = off). */
  readonly heartbeatMs?: number;
  /** How long a new watch socket may take to send its WatchRequest (default 10 s). */
  readonly watchRequestTimeoutMs?: number;
  /** Name reported by /v1/health (default: the schema's name). */
  readonly database?: string;
  /** Where to say what happened (default: nowhere). */
  readonly log?: (line: string) => void;
  /** Bytes of multi-part transaction parts held at once, over all transactions (default 512 MiB). */
  readonly maxTxnBytes?: number;
  /** Held parts of a multi-part transaction are dropped when no next part comes this soon (default 30 s). */
  readonly multipartTimeoutMs?: number;
}

export interface StoreServer {
  /** http://host:port, with the port actually bound. */
  readonly url: string;
  readonly http: Server;
  /** Number of open watch sockets. */
  watchers(): number;
  /** The lock table of this server's sessions. */
  readonly locks: LockManager;
  /** Stops accepting, closes every watcher (1001), waits for in-flight requests; does not close the store. */
  close(): Promise<void>;
}

/**
 * Counters an operator scrapes at GET /v1/metrics (Prometheus text format). Monotonic except
 * the gauges rendered from live state (revision, watchers).
 */
export class ServerStats {
  /** "METHOD route status" → count. */
  readonly requests = new Map<string, number>();
  /** "ok" or the refusal's error code → count. */
  readonly transactions = new Map<string, number>();
  /** Why watch sockets closed (normal, going-away, too-slow, heartbeat, ...) → count. */
  readonly watchCloses = new Map<string, number>();
  watchConnections = 0;
  /** Lock sessions opened (/v1/session). */
  sessionConnections = 0;
  /** "method result" (lock granted/queued, steal, unlock, or the error code) → count. */
  readonly lockRequests = new Map<string, number>();
  eventsSent = 0;
  bytesSent = 0;

  static inc(map: Map<string, number>, key: string, by = 1): void {
    map.set(key, (map.get(key) ?? 0) + by);
  }

  render(database: string, revision: number, watchers: number, multipart?: MultipartCounts): string {
    const db = `database="${database}"`;
    const lines: string[] = [
      '# HELP loom_db_revision Latest committed revision.',
      '# TYPE loom_db_revision gauge',
      `loom_db_revision{${db}} ${revision}`,
      '# HELP loom_watchers Open watch sockets.',
      '# TYPE loom_watchers gauge',
      `loom_watchers{${db}} ${watchers}`,
      '# TYPE loom_http_requests_total counter',
    ];
    for (const [k, v] of [...this.requests].sort()) {
      const [method, route, status] = k.split(' ');
      lines.push(`loom_http_requests_total{${db},method="${method}",route="${route}",status="${status}"} ${v}`);
    }
    lines.push('# TYPE loom_transactions_total counter');
    for (const [k, v] of [...this.transactions].sort()) lines.push(`loom_transactions_total{${db},result="${k}"} ${v}`);
    lines.push('# TYPE loom_watch_connections_total counter', `loom_watch_connections_total{${db}} ${this.watchConnections}`);
    lines.push('# TYPE loom_lock_sessions_total counter', `loom_lock_sessions_total{${db}} ${this.sessionConnections}`);
    lines.push('# TYPE loom_lock_requests_total counter');
    for (const [k, v] of [...this.lockRequests].sort()) {
      const [method, result] = k.split(' ');
      lines.push(`loom_lock_requests_total{${db},method="${method}",result="${result}"} ${v}`);
    }
    lines.push('# TYPE loom_watch_closes_total counter');
    for (const [k, v] of [...this.watchCloses].sort()) lines.push(`loom_watch_closes_total{${db},reason="${k}"} ${v}`);
    lines.push('# TYPE loom_watch_events_sent_total counter', `loom_watch_events_sent_total{${db}} ${this.eventsSent}`);
    lines.push('# TYPE loom_watch_bytes_sent_total counter', `loom_watch_bytes_sent_total{${db}} ${this.bytesSent}`);
    if (multipart !== undefined) {
      lines.push('# HELP loom_multipart_held Multi-part transactions with parts held now, and their bytes.', '# TYPE loom_multipart_held gauge', `loom_multipart_held{${db}} ${multipart.held}`);
      lines.push('# TYPE loom_multipart_held_bytes gauge', `loom_multipart_held_bytes{${db}} ${multipart.held_bytes}`);
      lines.push('# TYPE loom_multipart_transactions_total counter');
      for (const k of ['committed', 'failed', 'expired', 'aborted'] as const) lines.push(`loom_multipart_transactions_total{${db},result="${k}"} ${multipart[k]}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

const closeReason: { readonly [code: number]: string } = {
  [CloseCode.normal]: 'normal',
  [CloseCode.goingAway]: 'going-away',
  1006: 'abnormal',
  [CloseCode.internal]: 'internal',
  [CloseCode.tooSlow]: 'too-slow',
  [CloseCode.heartbeat]: 'heartbeat',
  [CloseCode.badRequest]: 'bad-request',
  [CloseCode.unknownName]: 'unknown-name',
};

/** Listens on host:port (port 0 = any) and serves `store` until close(). */
export async function serveStore(store: Store, host: string, port: number, options: StoreServerOptions = {}): Promise<StoreServer> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const sockets = new Set<WebSocket>();
  const sessions = new Set<WebSocket>();
  const locks = new LockManager();
  const stats = new ServerStats();
  const multipart = new MultipartTxns(options.maxTxnBytes ?? DEFAULT_MAX_TXN_BYTES, options.multipartTimeoutMs ?? 30_000);
  const app = createStoreApp(store, {
    ...options,
    stats,
    locks,
    multipart,
    watchers: () => sockets.size,
    health: async () => ({
      status: 'ok',
      database: options.database ?? store.schema.name,
      revision: await store.revision(),
      uptime_s: Math.round((Date.now() - started) / 100) / 10,
      watchers: sockets.size,
      max_body_bytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      multipart: multipart.counts(),
      event_loop_active_ms: Math.round(performance.eventLoopUtilization().active),
      ...embeddedHealth(store),
    }),
  });
  const http = createServer(app);
  // Longer than RemoteStore's 30 s idle drop: the client, not the server, ends idle sockets.
  http.keepAliveTimeout = 65_000;
  // Keep-alive sockets would hold close() open; track them to end idle ones on shutdown.
  const conns = new Set<Socket>();
  http.on('connection', (s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES });
  http.on('upgrade', (req: IncomingMessage, socket, head) => {
    if (pathOf(req) === SESSION_PATH) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        sessions.add(ws);
        ws.on('close', () => sessions.delete(ws));
        stats.sessionConnections++;
        serveSession(locks, ws, options, log, stats);
      });
      return;
    }
    if (pathOf(req) !== WATCH_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      stats.watchConnections++;
      ws.on('close', (code) => {
        sockets.delete(ws);
        ServerStats.inc(stats.watchCloses, closeReason[code] ?? 'other');
      });
      serveWatch(store, ws, options, log, stats);
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const addr = http.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log(`serving ${store.schema.name} on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    http,
    watchers: () => sockets.size,
    locks,
    close() {
      closing ??= (async () => {
        const done = new Promise<void>((resolve) => http.close(() => resolve()));
        for (const ws of sockets) ws.close(CloseCode.goingAway, 'server shutting down; resume from your last revision');
        for (const ws of sessions) ws.close(CloseCode.goingAway, 'server shutting down; your locks are released');
        http.closeIdleConnections();
        // Watchers that do not answer the close handshake promptly are cut.
        const cut = setTimeout(() => {
          for (const ws of sessions) ws.terminate();
          for (const ws of sockets) ws.terminate();
          for (const s of conns) s.destroy();
        }, 2000);
        await done;
        clearTimeout(cut);
        multipart.clear();
        wss.close();
        log(`stopped serving ${store.schema.name}`);
      })();
      return closing;
    },
  };
}

// ---------------------------------------------------------------- REST

interface Health {
  readonly status: 'ok';
  readonly database: string;
  readonly revision: number;
  readonly uptime_s: number;
  readonly watchers: number;
  /** The request body limit, so a client knows when to send a transaction in parts. */
  readonly max_body_bytes: number;
  /** Multi-part transactions held now and how they ended. */
  readonly multipart: MultipartCounts;
  /** ms the event loop was busy since the process started (two readings give its utilization between them). */
  readonly event_loop_active_ms: number;
  /** An embedded store's rows of bulk commits still in their pending record (store/sqlite-store.ts). */
  readonly pending_rows?: number;
  /** An embedded store's rehearsals after bulk commits (store/rehearsal.ts): runs, transactions that reached the file, the last one's ms. */
  readonly rehearsals?: { readonly runs: number; readonly transactions: number; readonly lastMs: number };
}

/** What an embedded store (SqliteStore) adds to /v1/health: its bulk bookkeeping. */
function embeddedHealth(store: Store): Pick<Health, 'pending_rows' | 'rehearsals'> {
  const s = store as Partial<{ pendingRows(): number; rehearsals(): NonNullable<Health['rehearsals']> }>;
  return typeof s.pendingRows === 'function' && typeof s.rehearsals === 'function' ? { pending_rows: s.pendingRows(), rehearsals: s.rehearsals() } : {};
}

/** Default bound on held multi-part transaction parts, per server. */
export const DEFAULT_MAX_TXN_BYTES = 512 * 1024 * 1024;

interface HeldTxn {
  /** The store's own transaction in parts: each part is handed to it on arrival. */
  readonly parts: TxnParts;
  /** Read by the store at commit: the Loom-Session of the last part. */
  readonly options: { locks?: ReadonlySet<string> };
  /** The part number expected next. */
  next: number;
  ops: number;
  bytes: number;
  timer: NodeJS.Timeout;
  /** The store's work on the parts so far: after each part's 202 answer, one part after another. */
  work: Promise<void>;
  /** What the store refused a part with: the next part (or the last) is answered with it. */
  failure: unknown;
}

/** How multi-part transactions ended, since the server started (health and metrics). */
export interface MultipartCounts {
  /** Transactions with parts held now, and their bytes. */
  readonly held: number;
  readonly held_bytes: number;
  readonly committed: number;
  /** Refused: a bad part or sequence, over the bound, or the last part's transaction failed. */
  readonly failed: number;
  /** Dropped for want of a next part within the timeout. */
  readonly expired: number;
  /** Dropped at the client's request (DELETE /v1/transact/<id>). */
  readonly aborted: number;
}

/** One part's `Loom-Txn` header. */
export interface TxnPart {
  readonly id: string;
  readonly part: number;
  readonly last: boolean;
}

/** `id=<token>; part=<i>; last=<0|1>` → its fields, or a bad-request LoomError. */
export function parseTxnHeader(value: string): TxnPart | LoomError {
  const fields = new Map<string, string>();
  for (const f of value.split(';')) {
    const m = /^\s*([a-z]+)=([^\s;]*)\s*$/.exec(f);
    if (m === null || m[1] === undefined || m[2] === undefined || fields.has(m[1])) return badTxnHeader(value);
    fields.set(m[1], m[2]);
  }
  const id = fields.get('id');
  const part = fields.get('part');
  const last = fields.get('last');
  if (fields.size !== 3 || id === undefined || !/^[A-Za-z0-9_.-]{1,64}$/.test(id) || part === undefined || !/^\d{1,9}$/.test(part) || (last !== '0' && last !== '1')) return badTxnHeader(value);
  return { id, part: Number(part), last: last === '1' };
}

function badTxnHeader(value: string): LoomError {
  return new LoomError({ code: 'bad-request', message: `cannot read ${TXN_HEADER} header`, value, hint: `${TXN_HEADER}: id=<token [A-Za-z0-9_.-]{1,64}>; part=<0,1,...>; last=<0|1>` });
}

/**
 * The parts of multi-part transactions not yet complete. Bounded in bytes over all of them;
 * a transaction whose next part does not come in time is dropped, so a client gone midway
 * leaves nothing behind.
 */
export class MultipartTxns {
  private readonly held = new Map<string, HeldTxn>();
  private total = 0;
  private committed = 0;
  private failed = 0;
  private expired = 0;
  private aborted = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly timeoutMs: number,
  ) {}

  /** Bytes held now, over all transactions. */
  heldBytes(): number {
    return this.total;
  }

  /** Transactions with parts held now. */
  size(): number {
    return this.held.size;
  }

  counts(): MultipartCounts {
    return { held: this.held.size, held_bytes: this.total, committed: this.committed, failed: this.failed, expired: this.expired, aborted: this.aborted };
  }

  /**
   * Hands a part to the store's transaction in parts (begun with `store` at part 0).
   * Returns the count held so far; for the last part, the transaction to commit with its
   * last operations and the options to fill (forgotten here: the caller commits it and
   * reports with ended()); or a LoomError (the transaction's held parts are dropped).
   */
  async add(store: Store, p: TxnPart, ops: readonly Operation[], bytes: number): Promise<{ held: number } | { commit: TxnParts; options: { locks?: ReadonlySet<string> } } | LoomError> {
    let t = this.held.get(p.id);
    if (p.part === 0 && t !== undefined) {
      this.drop(p.id, 'failed');
      return new LoomError({ code: 'bad-request', message: `multi-part transaction ${p.id} was already begun; its held parts are dropped`, value: p.id, hint: 'use a fresh id for each transaction' });
    }
    if (p.part > 0 && t === undefined) {
      this.failed++;
      return new LoomError({ code: 'not-found', message: `no multi-part transaction ${p.id} is held`, value: p.id, hint: `it never began (part 0), failed, was aborted, or its parts were dropped after ${this.timeoutMs} ms without a next part; send it again from part 0` });
    }
    if (t !== undefined && p.part !== t.next) {
      const expected = t.next;
      this.drop(p.id, 'failed');
      return new LoomError({ code: 'bad-request', message: `multi-part transaction ${p.id}: part ${p.part} came where part ${expected} was expected; its held parts are dropped`, value: p.part, hint: 'send parts in order, one at a time, from part 0' });
    }
    if (this.total + bytes > this.maxBytes) {
      this.drop(p.id, 'failed');
      return new LoomError({ code: 'too-large', message: `multi-part transaction ${p.id} would hold more than the server's ${this.maxBytes} bytes for transactions in parts; its held parts are dropped`, value: this.maxBytes, hint: "send a smaller transaction, or raise the server's limit (maxTxnBytes)" });
    }
    if (t === undefined) {
      const options: { locks?: ReadonlySet<string> } = {};
      t = { parts: store.transactParts(options), options, next: 0, ops: 0, bytes: 0, timer: setTimeout(() => this.drop(p.id, 'expired'), this.timeoutMs).unref(), work: Promise.resolve(), failure: undefined };
      this.held.set(p.id, t);
    } else {
      t.timer.refresh();
    }
    // counted before the store looks at it: the next part (sent after our answer) finds it in order
    t.next++;
    t.bytes += bytes;
    this.total += bytes;
    const held = t;
    if (p.last) {
      this.forget(p.id);
      await held.work;
      if (held.failure !== undefined) {
        this.failed++;
        void held.parts.abort().catch(() => undefined);
        return toLoomError(held.failure);
      }
      return { commit: held.parts, options: held.options };
    }
    if (held.failure !== undefined) {
      this.drop(p.id, 'failed');
      return toLoomError(held.failure);
    }
    // Answered (202) before the store works on the part, so the client builds its next part
    // while the store runs this one (SqliteStore executes each part as it comes).
    held.work = held.work
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => held.parts.add(ops))
      .catch((e: unknown) => {
        held.failure ??= e;
      });
    t.ops += ops.length;
    return { held: t.ops };
  }

  /** Counts how a last part's commit ended. */
  ended(ok: boolean): void {
    if (ok) this.committed++;
    else this.failed++;
  }

  /** Drops a transaction's held parts (the store's too); false when none were held. */
  drop(id: string, why: 'failed' | 'expired' | 'aborted'): boolean {
    const t = this.forget(id);
    if (t === undefined) return false;
    this[why]++;
    // a store's abort frees at once and does not fail; nothing waits on it
    void t.parts.abort().catch(() => undefined);
    return true;
  }

  private forget(id: string): HeldTxn | undefined {
    const t = this.held.get(id);
    if (t === undefined) return undefined;
    clearTimeout(t.timer);
    this.total -= t.bytes;
    this.held.delete(id);
    return t;
  }

  /** Forgets everything (server shutdown). */
  clear(): void {
    for (const id of [...this.held.keys()]) this.drop(id, 'aborted');
  }
}

/** The express app alone (routes and error rendering), for embedding in another server. */
export function createStoreApp(
  store: Store,
  options: StoreServerOptions & { health?: () => Promise<Health>; stats?: ServerStats; watchers?: () => number; locks?: LockManager; multipart?: MultipartTxns },
): express.Express {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Without a server's sessions nobody holds a lock: every assert is refused.
  const locks = options.locks ?? new LockManager();
  const stats = options.stats ?? new ServerStats();
  const multipart = options.multipart ?? new MultipartTxns(options.maxTxnBytes ?? DEFAULT_MAX_TXN_BYTES, options.multipartTimeoutMs ?? 30_000);
  const app = express();
  app.disable('x-powered-by');
  // No ETag: express hashed every answer for one (SHA-1 of a big commit's 55k results: ≈25 ms
  // between the commit and its answer), and nobody sends If-None-Match to a transact.
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.locals['t0'] = performance.now();
    res.on('finish', () => {
      // The matched route pattern, not the URL: table names would make unbounded labels.
      const route = (req.route as { path?: unknown } | undefined)?.path;
      ServerStats.inc(stats.requests, `${req.method} ${typeof route === 'string' ? route : 'other'} ${res.statusCode}`);
    });
    next();
  });
  // type: any — a client that forgets the content type still means JSON.
  const json = express.json({ limit: maxBody, type: () => true, strict: true });

  app.post(TRANSACT_PATH, json, async (req: Request, res: Response) => {
    const header = req.get(TXN_HEADER);
    const part = header === undefined ? undefined : parseTxnHeader(header);
    if (part instanceof LoomError) {
      ServerStats.inc(stats.transactions, part.code);
      return sendError(res, part);
    }
    // after the body was read and parsed (express.json ran before this handler)
    const t1 = performance.now();
    const ops = parseTransactBody(req.body);
    if (ops instanceof LoomError) {
      if (part !== undefined) multipart.drop(part.id, 'failed');
      ServerStats.inc(stats.transactions, ops.code);
      return sendError(res, ops);
    }
    if (part === undefined) {
      let result;
      try {
        // The session's live lock set: a steal that lands before an assert runs is seen by it.
        result = await store.transact(ops, { locks: locks.held(req.get(SESSION_HEADER)) });
      } catch (e) {
        ServerStats.inc(stats.transactions, toLoomError(e, maxBody).code);
        res.locals['counted'] = true;
        throw e;
      }
      ServerStats.inc(stats.transactions, 'ok');
      serverTiming(res, t1);
      return void res.json(result);
    }
    const length = Number(req.get('content-length'));
    const r = await multipart.add(store, part, ops, Number.isFinite(length) && length > 0 ? length : Buffer.byteLength(JSON.stringify(req.body)));
    if (r instanceof LoomError) {
      ServerStats.inc(stats.transactions, r.code);
      return sendError(res, r);
    }
    if ('held' in r) return void res.status(202).json({ txn: part.id, part: part.part, ops: r.held });
    let result;
    try {
      r.options.locks = locks.held(req.get(SESSION_HEADER));
      result = await r.commit.commit(ops);
    } catch (e) {
      multipart.ended(false);
      ServerStats.inc(stats.transactions, toLoomError(e, maxBody).code);
      res.locals['counted'] = true;
      throw e;
    }
    multipart.ended(true);
    ServerStats.inc(stats.transactions, 'ok');
    serverTiming(res, t1);
    res.json(result);
  });

  // Explicit end of a multi-part transaction the client gave up: its held parts are freed now.
  app.delete(`${TRANSACT_PATH}/:id`, (req: Request, res: Response) => {
    const id = String(req.params['id']);
    res.json({ txn: id, aborted: multipart.drop(id, 'aborted') });
  });

  app.get(`${TABLES_PATH}/:table`, async (req: Request, res: Response) => {
    const name = String(req.params['table']);
    const table = own(store.schema.tables, name);
    if (table === undefined) return sendError(res, unknownTable(store, name));
    const q = parseQuery(name, table, req.query);
    if (q instanceof LoomError) return sendError(res, q);
    // One read-only transaction, so rows and revision belong together.
    const r = await store.transact([{ op: 'select', table: name, where: q.where, ...(q.columns ? { columns: q.columns } : {}) }]);
    const first = r.results[0];
    const rows = first !== undefined && 'rows' in first ? first.rows : [];
    res.json({ revision: r.revision, rows });
  });

  app.get(SCHEMA_PATH, (_req: Request, res: Response) => {
    res.json(store.schema);
  });

  app.get(HEALTH_PATH, async (_req: Request, res: Response) => {
    if (options.health) return void res.json(await options.health());
    res.json({ status: 'ok', database: options.database ?? store.schema.name, revision: await store.revision(), uptime_s: Math.round(process.uptime()), watchers: 0, max_body_bytes: maxBody, multipart: multipart.counts(), event_loop_active_ms: Math.round(performance.eventLoopUtilization().active) });
  });

  app.get(METRICS_PATH, async (_req: Request, res: Response) => {
    res.type('text/plain; version=0.0.4').send(stats.render(options.database ?? store.schema.name, await store.revision(), options.watchers?.() ?? 0, multipart.counts()));
  });

  app.use((req: Request, res: Response) => {
    sendError(res, new LoomError({ code: 'not-found', message: `no route ${req.method} ${req.path}`, hint: `routes: POST ${TRANSACT_PATH}, GET ${TABLES_PATH}/:table, GET ${HEALTH_PATH}, GET ${SCHEMA_PATH}, GET ${METRICS_PATH}, WebSocket ${WATCH_PATH}` }));
  });

  // Express 5 forwards rejected async handlers here, as well as body-parser's errors.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = toLoomError(err, maxBody);
    // Bodies refused before the handler ran (not JSON, too large) count as refused transactions.
    if (req.path === TRANSACT_PATH && res.locals['counted'] !== true) ServerStats.inc(stats.transactions, e.code);
    // A part refused before its handler ran (too large, not JSON) ends its transaction.
    const header = req.path === TRANSACT_PATH ? req.get(TXN_HEADER) : undefined;
    const part = header === undefined ? undefined : parseTxnHeader(header);
    if (part !== undefined && !(part instanceof LoomError)) multipart.drop(part.id, 'failed');
    sendError(res, e);
  });
  return app;
}

/**
 * Server-Timing of a committed transaction: `body` (from the request's arrival to its body
 * read and parsed) and `txn` (the store's work), in ms, so a client can tell the server's
 * share of a slow answer from the wire's and its own.
 */
function serverTiming(res: Response, handlerStart: number): void {
  const t0 = res.locals['t0'];
  const now = performance.now();
  const body = typeof t0 === 'number' ? handlerStart - t0 : 0;
  res.setHeader('Server-Timing', `body;dur=${body.toFixed(2)}, txn;dur=${(now - handlerStart).toFixed(2)}`);
}

function sendError(res: Response, err: LoomErrorData): void {
  if (res.headersSent) return;
  res.status(httpStatusOf(err.code)).json(errorBody(err));
}

function unknownTable(store: Store, name: string): LoomError {
  return new LoomError({
    code: 'unknown-table',
    message: `no table ${JSON.stringify(name)} in ${store.schema.name}`,
    table: name,
    value: name,
    hint: `tables: ${Object.keys(store.schema.tables).sort().join(', ')}`,
  });
}

/** What body-parser, the engine or a bug threw, as the one error shape clients see. */
export function toLoomError(err: unknown, maxBody: number = DEFAULT_MAX_BODY_BYTES): LoomError {
  if (err instanceof LoomError) return err;
  if (typeof err === 'object' && err !== null) {
    const e = err as { type?: unknown; message?: unknown; body?: unknown; status?: unknown };
    if (e.type === 'entity.too.large') {
      return new LoomError({ code: 'too-large', message: 'request body is larger than the server accepts', value: maxBody, hint: `the limit is ${maxBody} bytes (${(maxBody / 1048576).toFixed(0)} MiB); split the transaction or raise the server's body limit` });
    }
    if (e.type === 'entity.parse.failed') {
      return new LoomError({ code: 'bad-request', message: `request body is not valid JSON: ${String(e.message)}`, value: typeof e.body === 'string' ? e.body.slice(0, 200) : undefined, hint: 'send {"ops":[...]} as JSON' });
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return new LoomError({ code: 'bad-request', message: `request refused: ${String(e.message)}` });
    }
    if (e instanceof Error) return new LoomError({ code: 'internal', message: e.message });
  }
  return new LoomError({ code: 'internal', message: String(err) });
}

/**
 * Query conditions of GET /v1/tables/:table: `where=<JSON conditions>`, `columns=a,b`, and
 * `col=value` (== on a scalar column, includes on a set) or `col:key=value` (a map entry).
 */
function parseQuery(name: string, table: TableSchema, query: unknown): { where: Condition[]; columns?: string[] } | LoomError {
  const where: Condition[] = [];
  let columns: string[] | undefined;
  const entries = typeof query === 'object' && query !== null ? Object.entries(query as Record<string, unknown>) : [];
  for (const [key, raw] of entries) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (typeof v !== 'string') return new LoomError({ code: 'bad-request', message: `query parameter ${key} must be a plain string`, path: `?${key}`, value: v });
      if (key === 'where') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(v);
        } catch {
          return new LoomError({ code: 'bad-request', message: 'where is not JSON', path: '?where', value: v, hint: 'where=[["name","==","ls1"]] (URL-encoded)' });
        }
        const ok = Array.isArray(parsed) && parsed.every((c) => Array.isArray(c) && c.length === 3 && typeof c[0] === 'string' && typeof c[1] === 'string');
        if (!ok) return new LoomError({ code: 'bad-request', message: 'where must be a list of [column, function, value]', path: '?where', value: parsed, hint: 'where=[["name","==","ls1"]] (URL-encoded)' });
        for (const c of parsed as Condition[]) {
          if (c[0] !== '_uuid' && own(table.columns, c[0]) === undefined) return unknownColumn(name, table, c[0]);
          where.push(c);
        }
      } else if (key === 'columns') {
        columns = v.split(',').filter((c) => c !== '');
        for (const c of columns) if (c !== '_uuid' && own(table.columns, c) === undefined) return unknownColumn(name, table, c);
      } else {
        const colon = key.indexOf(':');
        const col = colon < 0 ? key : key.slice(0, colon);
        const schema = col === '_uuid' ? { key: { type: 'uuid' as const }, min: 1, max: 1 } : own(table.columns, col);
        if (schema === undefined) return unknownColumn(name, table, col);
        if (colon >= 0) {
          if (schema.value === undefined) return new LoomError({ code: 'bad-request', message: `${name}.${col} is not a map; ${key}= needs one`, table: name, column: col, path: `?${key}` });
          const mv = scalarOf(v, schema.value.type);
          if (mv instanceof Error) return typeErr(name, col, key, v, mv.message);
          where.push([col, 'includes', { [key.slice(colon + 1)]: mv }]);
          continue;
        }
        const sv = scalarOf(v, schema.key.type);
        if (sv instanceof Error) return typeErr(name, col, key, v, sv.message);
        const isSet = schema.max === 'unlimited' || schema.max > 1;
        where.push(isSet ? [col, 'includes', [sv]] : [col, '==', sv]);
      }
    }
  }
  return columns ? { where, columns } : { where };
}

function unknownColumn(name: string, table: TableSchema, col: string): LoomError {
  return new LoomError({ code: 'unknown-column', message: `no column ${JSON.stringify(col)} in table ${name}`, table: name, column: col, value: col, hint: `columns: _uuid, ${Object.keys(table.columns).sort().join(', ')}` });
}

function typeErr(table: string, column: string, key: string, v: string, why: string): LoomError {
  return new LoomError({ code: 'type-error', message: `${table}.${column}: ${why}`, table, column, value: v, path: `?${key}` });
}

function scalarOf(v: string, type: string): Scalar | Error {
  switch (type) {
    case 'integer':
      return /^-?\d+$/.test(v) ? Number(v) : new Error(`${JSON.stringify(v)} is not an integer`);
    case 'real':
      return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : new Error(`${JSON.stringify(v)} is not a number`);
    case 'boolean':
      return v === 'true' ? true : v === 'false' ? false : new Error(`${JSON.stringify(v)} is not true or false`);
    default:
      return v;
  }
}

// ---------------------------------------------------------------- WebSocket watch

function serveWatch(store: Store, ws: WebSocket, options: StoreServerOptions, log: (line: string) => void, stats: ServerStats): void {
  const highWater = options.watchHighWaterBytes ?? 8 * 1024 * 1024;
  const heartbeatMs = options.heartbeatMs ?? 20_000;
  let sub: Subscription | undefined;
  /** The turn that encodes and sends the queued events (see the watch request handler). */
  let flushing: NodeJS.Immediate | undefined;
  let alive = true;
  let heartbeat: NodeJS.Timeout | undefined;

  const fail = (code: number, err: LoomErrorData): void => {
    const msg: WatchMessage = { type: 'error', error: errorBody(err).error };
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    ws.close(code, err.message.slice(0, 120));
  };

  const requestTimer = setTimeout(() => {
    fail(CloseCode.badRequest, new LoomError({ code: 'bad-request', message: 'no watch request received in time', hint: 'send a WatchRequest as the first message' }));
  }, options.watchRequestTimeoutMs ?? 10_000);

  ws.once('message', (data, isBinary) => {
    clearTimeout(requestTimer);
    const req = parseWatchRequest(isBinary ? '' : data.toString());
    if (req instanceof LoomError) return fail(CloseCode.badRequest, req);
    const bad = checkNames(store, req);
    if (bad) return fail(CloseCode.unknownName, bad);
    if (heartbeatMs > 0) {
      ws.on('pong', () => (alive = true));
      heartbeat = setInterval(() => {
        if (!alive) {
          log('watcher missed a heartbeat; dropping it');
          ws.close(CloseCode.heartbeat, 'no pong to heartbeat; resume from your last revision');
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, heartbeatMs);
    }
    // A snapshot (or a 10k-row commit) is one big message: the limit allows for the largest
    // one while it drains, so a large database does not make every watcher "too slow" at
    // the next commit. Each (re)connect sends at least one event, so resuming progresses.
    let allowance = 0;
    // An event is encoded and sent on the next turn of the event loop: a commit's answer
    // (written in the turn that committed) goes out before its watchers' copies are encoded
    // (a 55k-row commit's event is tens of ms of JSON per watcher). One event waits at most:
    // a second one in the same turn (commits in a loop in process) sends both at once, so
    // the slow-watcher bound sees every event as it comes, as before.
    const queue: WatchEvent[] = [];
    const flush = (): void => {
      flushing = undefined;
      for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
        if (ws.readyState !== ws.OPEN) {
          queue.length = 0;
          return;
        }
        if (ws.bufferedAmount > highWater + allowance) {
          queue.length = 0;
          log(`watcher is ${ws.bufferedAmount} bytes behind; closing it`);
          sub?.unsubscribe();
          ws.close(CloseCode.tooSlow, `too slow: over ${highWater} bytes unsent; resume from your last revision`);
          return;
        }
        const text = JSON.stringify(event);
        const bytes = Buffer.byteLength(text);
        if (bytes > allowance) allowance = bytes;
        stats.eventsSent++;
        stats.bytesSent += bytes;
        ws.send(text);
      }
    };
    const flushNow = (): void => {
      if (flushing !== undefined) clearImmediate(flushing);
      flush();
    };
    sub = store.watch(req).subscribe({
      next: (event) => {
        if (ws.readyState !== ws.OPEN) return;
        queue.push(event);
        if (flushing === undefined) flushing = setImmediate(flush);
        else flushNow();
      },
      // The engine refusing the request (a bad condition value) will refuse it again: say
      // so with a code the client does not retry; anything else is worth a reconnect.
      error: (e: unknown) => {
        flushNow();
        const err = toLoomError(e);
        const status = httpStatusOf(err.code);
        fail(status >= 400 && status < 500 && status !== 408 ? CloseCode.badRequest : CloseCode.internal, err);
      },
      complete: () => {
        flushNow();
        ws.close(CloseCode.goingAway, 'store closed; resume from your last revision');
      },
    });
  });

  ws.on('close', () => {
    clearTimeout(requestTimer);
    if (heartbeat) clearInterval(heartbeat);
    sub?.unsubscribe();
    if (flushing !== undefined) clearImmediate(flushing);
  });
  ws.on('error', (e) => log(`watch socket error: ${e.message}`));
}

// ---------------------------------------------------------------- WebSocket session (locks)

function serveSession(locks: LockManager, ws: WebSocket, options: StoreServerOptions, log: (line: string) => void, stats: ServerStats): void {
  const send = (m: SessionMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  const id = locks.open(send);
  send({ type: 'session', id });
  // A peer gone without closing TCP would hold its locks for ever: ping, and drop a session
  // that misses a whole period (its locks pass to the next waiters).
  const heartbeatMs = options.heartbeatMs ?? 20_000;
  let alive = true;
  const heartbeat =
    heartbeatMs > 0
      ? setInterval(() => {
          if (!alive) {
            log(`session ${id} missed a heartbeat; dropping it and its locks`);
            ws.terminate();
            return;
          }
          alive = false;
          ws.ping();
        }, heartbeatMs)
      : undefined;
  ws.on('pong', () => (alive = true));
  ws.on('message', (data, isBinary) => {
    alive = true;
    const req = parseLockRequest(isBinary ? '' : data.toString());
    if ('error' in req) {
      if (req.id === undefined) {
        ws.close(CloseCode.badRequest, req.error.message.slice(0, 120));
        return;
      }
      return send({ id: req.id, error: errorBody(req.error).error });
    }
    try {
      const result = locks.request(id, req);
      ServerStats.inc(stats.lockRequests, `${req.method} ${result.locked === false ? 'queued' : 'ok'}`);
      send({ id: req.id, result });
    } catch (e) {
      const err = toLoomError(e);
      ServerStats.inc(stats.lockRequests, `${req.method} ${err.code}`);
      send({ id: req.id, error: errorBody(err).error });
    }
  });
  ws.on('close', () => {
    if (heartbeat) clearInterval(heartbeat);
    locks.close(id);
  });
  ws.on('error', (e) => log(`session socket error: ${e.message}`));
}

function checkNames(store: Store, req: WatchRequest): LoomError | undefined {
  for (const [name, spec] of Object.entries(req.tables ?? {})) {
    const table = own(store.schema.tables, name);
    if (table === undefined) return unknownTable(store, name);
    for (const c of [...(spec.columns ?? []), ...(spec.where ?? []).map((w) => w[0])]) {
      if (c !== '_uuid' && own(table.columns, c) === undefined) return unknownColumn(name, table, c);
    }
  }
  return undefined;
}

/** A schema entry by name, never an inherited property ("__proto__", "constructor"). */
function own<T>(map: { readonly [k: string]: T }, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

// ---------------------------------------------------------------- running as a service

/** "host:port", "[v6]:port" or ":port" (all addresses) → host and port; port 0 = any free one. */
export function parseListen(listen: string): { host: string; port: number } | LoomError {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen.trim());
  const port = m?.[3] === undefined ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) {
    return new LoomError({ code: 'bad-request', message: `cannot read listen address ${JSON.stringify(listen)}`, value: listen, hint: 'use HOST:PORT, e.g. 127.0.0.1:6641, [::1]:6641 or :6641 (port 0 picks a free one)' });
  }
  const host = m[1] ?? (m[2] === '' || m[2] === undefined ? '0.0.0.0' : m[2]);
  return { host, port };
}

export interface RunningService {
  readonly url: string;
  /** The served store, for a component in the same process (loom up's northd) to use directly. */
  readonly store: Store;
  close(): Promise<void>;
}

/**
 * Serves `store` on `listen` and owns it: close() stops the server, then closes the store.
 * With handleSignals, SIGTERM/SIGINT close it; once closed, if nobody else listens for that
 * signal, it is raised again so the process ends as it would have without us.
 */
export async function runStoreService(store: Store, listen: string, options: StoreServerOptions & { handleSignals?: boolean } = {}): Promise<RunningService> {
  const where = parseListen(listen);
  if (where instanceof LoomError) {
    await store.close();
    throw where;
  }
  let server: StoreServer;
  try {
    server = await serveStore(store, where.host, where.port, options);
  } catch (e) {
    await store.close();
    const code = (e as { code?: string }).code;
    throw new LoomError({ code: 'unavailable', message: `cannot listen on ${listen}: ${code ?? (e as Error).message}`, value: listen, hint: code === 'EADDRINUSE' ? 'another process has that port; pick another with --listen' : 'check the address' });
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await server.close();
      await store.close();
    })();
    return closing;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    options.log?.(`${signal}: shutting down`);
    void close().finally(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  if (options.handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return { url: server.url, store, close };
}
