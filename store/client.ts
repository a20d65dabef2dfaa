// store/client.ts — `RemoteStore`: the Store interface over a loom store server's HTTP API.
//
// Owns: turning Store calls into requests (HTTP for transact/select/revision, a WebSocket
// for watch), turning error bodies back into LoomError, and keeping a watch alive across
// dropped connections and server restarts by reconnecting with backoff and resuming from the
// last revision it delivered.
// Reads: the wire format in store/watch-protocol.ts; a server from store/server.ts.
// Called by: northd, the controller, the CLI, tests and bench — anything that talks to a
// running nbdb/sbdb.
// Must never: retry a transaction by itself (it may have committed before the connection
// died; the caller decides), deliver a change twice or out of order, or move its resume
// cursor before the subscriber has been handed the event.
// Invariants: per watch(), revisions handed to the subscriber strictly increase except that
// a snapshot may repeat the cursor's revision (it replaces the subscriber's state anyway);
// after a reconnect the request carries fromRevision = the last delivered revision.
// Locks (lock/steal/unlock, RFC 7047 §4.1.8): held by one /v1/session WebSocket per
// RemoteStore, opened on first use; transact() names that session (header Loom-Session)
// so `assert` sees its locks. When the session socket drops, every lock it held is lost on
// the server at once: lockEvents() says 'lost' for each, and after reconnecting the client
// asks again (lock, never steal) for every lock it still wants ('locked' when granted).
// holds() is true only between 'locked' and 'lost'/'stolen'/unlock.
// Transactions of any size: a body over the server's limit (8 MiB assumed until the
// server's too-large refusal says its limit) is sent in parts (header Loom-Txn, see
// store/server.ts) that the server runs as ONE transaction on the last part. A body refused
// as too large committed nothing, so it is the one case sent again (in parts).

import { Observable, Subject, catchError, defer, retry, throwError, timer, type Subscriber } from 'rxjs';
import http from 'node:http';
import { WebSocket } from 'ws';
import { LoomError, type Condition, type DatabaseSchema, type Operation, type Row, type Store, type TransactResult, type TxnParts, type WatchEvent, type WatchRequest } from './types.js';
import { randomUUID } from 'node:crypto';
import { CloseCode, HEALTH_PATH, SCHEMA_PATH, TABLES_PATH, TRANSACT_PATH, TXN_HEADER, WATCH_PATH, errorFromBody, isRetriableClose, parseWatchMessage } from './watch-protocol.js';
import { SESSION_HEADER, SESSION_PATH, type LockMethod } from './locks.js';

export interface RemoteStoreOptions {
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs (default 50 ms). */
  readonly backoffMs?: number;
  /** Largest reconnect delay (default 2 s). */
  readonly maxBackoffMs?: number;
  /** Give up a watch after this many reconnects in a row without a message (default: never). */
  readonly maxRetries?: number;
  /** Per-request timeout for HTTP calls in ms (default 60 s). */
  readonly requestTimeoutMs?: number;
  /**
   * A watch socket silent this long (no event, no heartbeat ping) is presumed dead — a
   * server host gone without closing TCP — and replaced (default 60 s, three of the
   * server's 20 s pings; 0 = never).
   */
  readonly watchIdleTimeoutMs?: number;
  /** connect() keeps trying an unreachable server this long before failing (default 0: once). */
  readonly waitForServerMs?: number;
  /**
   * Largest request body sent in one piece; bigger transactions go in parts (default 8 MiB,
   * lowered to the server's limit when a too-large refusal names it).
   */
  readonly maxBodyBytes?: number;
}

/** Room left in a part for the wrapper and header slack. */
const PART_SLACK_BYTES = 1024;

/** Why a watch connection ended, when reconnecting may help. */
class Disconnected extends Error {
  constructor(readonly code: number, reason: string) {
    super(`watch connection closed (${code}${reason ? `: ${reason}` : ''})`);
  }
}

/** What happened to a lock of this client's session. */
export interface LockEvent {
  /** locked: granted (after waiting, or again after a reconnect); stolen: another session took it; lost: the session dropped. */
  readonly type: 'locked' | 'stolen' | 'lost';
  readonly lock: string;
}

export class RemoteStore implements Store {
  private closed = false;
  private readonly sockets = new Set<WebSocket>();
  private readonly watchers = new Set<Subscriber<WatchEvent>>();
  private session: LockSession | undefined;
  private readonly lockSubject = new Subject<LockEvent>();
  private maxBody: number;
  private limitKnown = false;

  private constructor(
    readonly url: string,
    readonly schema: DatabaseSchema,
    private readonly options: RemoteStoreOptions,
  ) {
    this.maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  }

  /** Fetches the schema from `url` (http://host:port) and returns a store bound to it. */
  static async connect(url: string, options: RemoteStoreOptions = {}): Promise<RemoteStore> {
    const base = url.replace(/\/+$/, '');
    const deadline = Date.now() + (options.waitForServerMs ?? 0);
    // Daemons often start together: wait for the database to come up, with backoff.
    for (let attempt = 0; ; attempt++) {
      try {
        const schema = await request<DatabaseSchema>(`${base}${SCHEMA_PATH}`, { method: 'GET' }, options.requestTimeoutMs);
        return new RemoteStore(base, schema, options);
      } catch (e) {
        const pause = Math.min(options.maxBackoffMs ?? 2000, (options.backoffMs ?? 50) * 2 ** attempt);
        if (!(e instanceof LoomError && e.code === 'unavailable') || Date.now() + pause > deadline) throw e;
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  async transact(ops: readonly Operation[]): Promise<TransactResult> {
    const sid = this.session?.id;
    const session = sid !== undefined ? { session: sid } : {};
    // Each operation encoded once, whether it goes in one body or in parts.
    const encoded = ops.map((o) => JSON.stringify(o));
    const bytes = encoded.reduce((n, e) => n + Buffer.byteLength(e) + 1, 10);
    if (bytes <= this.maxBody) {
      try {
        return await this.call<TransactResult>(TRANSACT_PATH, { method: 'POST', body: `{"ops":[${encoded.join(',')}]}`, ...session });
      } catch (e) {
        // The server's body limit (not the engine's operation cap, which names /ops): nothing
        // was written, so sending it again in parts is safe.
        const limit = e instanceof LoomError && e.code === 'too-large' && e.path === undefined && typeof e.value === 'number' ? e.value : undefined;
        if (limit === undefined || limit >= bytes || limit <= PART_SLACK_BYTES) throw e;
        this.maxBody = limit;
      }
    }
    return this.transactInParts(encoded, session);
  }

  /**
   * The operations' contents of transact bodies: all in one when they fit (one native
   * JSON.stringify: half the CPU of one per operation for northd's 5000-key parts), else
   * each operation encoded and packed (pack).
   */
  private bodies(ops: readonly Operation[]): string[][] {
    const whole = JSON.stringify(ops);
    const room = this.maxBody - PART_SLACK_BYTES;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most parts need no byte count at all
    if (whole.length * 3 <= room || Buffer.byteLength(whole) <= room) return [[whole.slice(1, -1)]];
    return this.pack(ops.map((o) => JSON.stringify(o)));
  }

  /** Encoded operations in bodies under the body limit (at least one, maybe empty). */
  private pack(encoded: readonly string[]): string[][] {
    const room = this.maxBody - PART_SLACK_BYTES;
    const parts: string[][] = [];
    let cur: string[] = [];
    let size = 0;
    for (const e of encoded) {
      const n = Buffer.byteLength(e) + 1;
      // one operation alone over the limit is sent anyway: the server's refusal says why
      if (cur.length > 0 && size + n > room) {
        parts.push(cur);
        cur = [];
        size = 0;
      }
      cur.push(e);
      size += n;
    }
    parts.push(cur);
    return parts;
  }

  /** Sends encoded operations as consecutive parts of one multi-part transaction. */
  private async transactInParts(encoded: readonly string[], session: { session?: string }): Promise<TransactResult> {
    const parts = this.pack(encoded);
    const id = randomUUID();
    let result: TransactResult | undefined;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const r = await this.call<TransactResult>(TRANSACT_PATH, {
        method: 'POST',
        body: `{"ops":[${(parts[i] ?? []).join(',')}]}`,
        txn: `id=${id}; part=${i}; last=${last ? 1 : 0}`,
        ...session,
      });
      if (last) result = r;
    }
    if (result === undefined) throw new LoomError({ code: 'internal', message: 'multi-part transaction sent no last part' });
    return result;
  }

  /**
   * One transaction in parts over HTTP: each add() is sent at once as the next Loom-Txn
   * part (several when over the body limit), so the caller may drop its operations once
   * add() resolves and the server checks them while the caller builds the next; commit()
   * sends the last part (a plain transact when nothing was added); abort() asks the
   * server to drop the held parts (DELETE /v1/transact/<id>). Calls run in the order made.
   */
  transactParts(): TxnParts {
    const id = randomUUID();
    let sent = 0;
    let failure: unknown;
    let ended = false;
    let queue: Promise<unknown> = Promise.resolve();
    const inOrder = <T>(f: () => Promise<T>): Promise<T> => {
      const p = queue.then(f);
      queue = p.catch(() => undefined);
      return p;
    };
    const send = async (ops: readonly Operation[], last: boolean): Promise<TransactResult | undefined> => {
      if (failure !== undefined) throw failure;
      if (ended) throw new LoomError({ code: 'bad-request', message: 'the transaction in parts has ended', hint: 'begin another with transactParts()' });
      await this.learnBodyLimit();
      const bodies = this.bodies(ops);
      let result: TransactResult | undefined;
      try {
        for (let i = 0; i < bodies.length; i++) {
          const final = last && i === bodies.length - 1;
          const sid = this.session?.id;
          result = await this.call<TransactResult>(TRANSACT_PATH, {
            method: 'POST',
            body: `{"ops":[${(bodies[i] ?? []).join(',')}]}`,
            txn: `id=${id}; part=${sent++}; last=${final ? 1 : 0}`,
            ...(final && sid !== undefined ? { session: sid } : {}),
          });
        }
      } catch (e) {
        // refused parts were dropped by the server; a lost connection may have left some held
        failure = e;
        if (!(e instanceof LoomError) || e.code === 'unavailable') void this.dropParts(id);
        throw e;
      }
      return last ? result : undefined;
    };
    return {
      add: (ops) => inOrder(async () => void (await send(ops, false))),
      commit: (ops = []) =>
        inOrder(async () => {
          if (sent === 0 && failure === undefined && !ended) {
            ended = true;
            return this.transact(ops);
          }
          const r = await send(ops, true);
          ended = true;
          if (r === undefined) throw new LoomError({ code: 'internal', message: 'multi-part transaction sent no last part' });
          return r;
        }),
      abort: () => {
        // later calls fail at once; the part on its way (if any) lands before the drop
        const held = !ended && failure === undefined;
        failure ??= new LoomError({ code: 'aborted', message: 'the transaction in parts was aborted' });
        return inOrder(async () => {
          if (held && sent > 0) await this.dropParts(id);
          ended = true;
        });
      },
    };
  }

  /** Asks the server to drop a multi-part transaction's held parts; never fails (they expire anyway). */
  private async dropParts(id: string): Promise<void> {
    try {
      await this.call(`${TRANSACT_PATH}/${encodeURIComponent(id)}`, { method: 'DELETE' });
    } catch {
      // the server drops them after its timeout
    }
  }

  /** The server's body limit, asked once before the first part (a part refused as too large ends its transaction). */
  private async learnBodyLimit(): Promise<void> {
    if (this.limitKnown) return;
    const h = await this.call<{ max_body_bytes?: unknown }>(HEALTH_PATH, { method: 'GET' });
    if (typeof h.max_body_bytes === 'number' && h.max_body_bytes > PART_SLACK_BYTES * 2) this.maxBody = Math.min(this.maxBody, h.max_body_bytes);
    this.limitKnown = true;
  }

  /**
   * Asks for a lock: true when granted now, false when queued behind its owner (a 'locked'
   * event follows when it is granted). Wanted until unlock(): re-asked after a reconnect.
   */
  async lock(name: string): Promise<boolean> {
    return (await this.lockSession().request('lock', name)) === true;
  }

  /** Takes a lock from whoever holds it (they get 'stolen'); wanted until unlock(). */
  async steal(name: string): Promise<void> {
    await this.lockSession().request('steal', name);
  }

  /** Gives a lock up (or stops waiting for it). */
  async unlock(name: string): Promise<void> {
    await this.lockSession().request('unlock', name);
  }

  /** Whether this client's session holds the lock now (as far as it has been told). */
  holds(name: string): boolean {
    return this.session?.held.has(name) ?? false;
  }

  /** locked / stolen / lost notices for this client's locks (hot: only what happens after subscribing). */
  lockEvents(): Observable<LockEvent> {
    return this.lockSubject.asObservable();
  }

  private lockSession(): LockSession {
    if (this.closed) throw new LoomError({ code: 'unavailable', message: 'RemoteStore is closed' });
    this.session ??= new LockSession(this.url, this.options, (e) => this.lockSubject.next(e));
    return this.session;
  }

  async select(table: string, where: readonly Condition[] = []): Promise<readonly Row[]> {
    const q = where.length > 0 ? `?where=${encodeURIComponent(JSON.stringify(where))}` : '';
    // Past a few KiB a URL risks the server's header limit: ask with a read-only transaction.
    if (q.length > 4096) {
      const r = await this.transact([{ op: 'select', table, where }]);
      const first = r.results[0];
      return first !== undefined && 'rows' in first ? first.rows : [];
    }
    const r = await this.call<{ rows: Row[] }>(`${TABLES_PATH}/${encodeURIComponent(table)}${q}`, { method: 'GET' });
    return r.rows;
  }

  async revision(): Promise<number> {
    const r = await this.call<{ revision: number }>(HEALTH_PATH, { method: 'GET' });
    return r.revision;
  }

  /**
   * Changes per `request`, surviving disconnects: each reconnect asks for changes after the
   * last revision delivered. Errors only on a refusal that reconnecting cannot fix (bad
   * request, unknown table) or after maxRetries; completes on close().
   */
  watch(request: WatchRequest = {}): Observable<WatchEvent> {
    let cursor = request.fromRevision;
    const base = this.options.backoffMs ?? 50;
    const cap = this.options.maxBackoffMs ?? 2000;
    const once = defer(
      () =>
        new Observable<WatchEvent>((subscriber) => {
          if (this.closed) {
            subscriber.complete();
            return;
          }
          this.watchers.add(subscriber);
          // maxPayload 0 (no limit): a snapshot of a big database is one message, and refusing
          // it would only make every reconnect fail the same way.
          const ws = new WebSocket(this.url.replace(/^http/, 'ws') + WATCH_PATH, { perMessageDeflate: false, maxPayload: 0, handshakeTimeout: 10_000 });
          this.sockets.add(ws);
          let failure: LoomError | undefined;
          const idleMs = this.options.watchIdleTimeoutMs ?? 60_000;
          let idle: NodeJS.Timeout | undefined;
          const alive = (): void => {
            if (idleMs <= 0) return;
            if (idle) clearTimeout(idle);
            idle = setTimeout(() => ws.terminate(), idleMs);
          };
          ws.on('ping', alive);
          ws.on('open', () => {
            alive();
            const req: WatchRequest = cursor === undefined ? { ...request, fromRevision: undefined } : { ...request, fromRevision: cursor };
            ws.send(JSON.stringify(req));
          });
          ws.on('message', (data) => {
            alive();
            const msg = parseWatchMessage(data.toString());
            if (msg instanceof LoomError) {
              failure = msg;
              ws.terminate();
              return;
            }
            if (msg.type === 'error') {
              failure = new LoomError(msg.error);
              return;
            }
            // A change or progress at or below the cursor was already delivered (a server
            // that resent it would otherwise make us deliver it twice).
            if (msg.type !== 'snapshot' && cursor !== undefined && msg.revision <= cursor) return;
            subscriber.next(msg);
            cursor = msg.revision;
          });
          ws.on('error', () => {
            // 'close' follows and decides.
          });
          ws.on('close', (code, reason) => {
            if (idle) clearTimeout(idle);
            this.sockets.delete(ws);
            this.watchers.delete(subscriber);
            if (this.closed || code === CloseCode.normal) return subscriber.complete();
            if (failure && !isRetriableClose(code)) return subscriber.error(failure);
            subscriber.error(new Disconnected(code, reason.toString()));
          });
          return () => {
            if (idle) clearTimeout(idle);
            this.sockets.delete(ws);
            this.watchers.delete(subscriber);
            if (ws.readyState === ws.CONNECTING) ws.terminate();
            else if (ws.readyState === ws.OPEN) ws.close(CloseCode.normal, 'unsubscribed');
          };
        }),
    );
    return once.pipe(
      retry({
        count: this.options.maxRetries ?? Infinity,
        resetOnSuccess: true,
        delay: (err: unknown, attempt: number) => (err instanceof Disconnected ? timer(Math.min(cap, base * 2 ** (attempt - 1))) : throwError(() => err)),
      }),
      catchError((err: unknown) => {
        if (!(err instanceof Disconnected)) return throwError(() => err);
        const e = new LoomError({ code: 'unavailable', message: `watch of ${this.url} gave up: ${err.message}`, hint: `no connection after ${this.options.maxRetries ?? 0} retries; is the database server running?` });
        return throwError(() => e);
      }),
    );
  }

  /** Ends every watch (they complete) and refuses further calls. Does not touch the server. */
  async close(): Promise<void> {
    this.closed = true;
    this.session?.close();
    this.lockSubject.complete();
    for (const s of [...this.watchers]) s.complete();
    this.watchers.clear();
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
  }

  private call<T>(path: string, call: Call): Promise<T> {
    if (this.closed) return Promise.reject(new LoomError({ code: 'unavailable', message: 'RemoteStore is closed' }));
    return request<T>(this.url + path, call, this.options.requestTimeoutMs);
  }
}

// node:http with a keep-alive agent rather than fetch: about half the per-request cost
// here (measured ~0.8 vs ~1.8 ms per small transaction on loopback), which is what northd
// and the CLI pay per commit.
// Idle sockets are dropped after 30 s, before the server's 65 s keep-alive timeout, so a
// request never races the server closing the socket it was sent on.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 30_000 });

interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly body?: string;
  /** Lock session id the transaction belongs to. */
  readonly session?: string;
  /** Loom-Txn header value of one part of a multi-part transaction. */
  readonly txn?: string;
}

async function request<T>(url: string, call: Call, timeoutMs = 60_000): Promise<T> {
  try {
    return await requestOnce<T>(url, call, timeoutMs);
  } catch (e) {
    // A reused socket the server closed meanwhile (a restart): a read is safe to send again.
    if (call.method === 'GET' && e instanceof LoomError && e.code === 'unavailable' && /ECONNRESET|EPIPE/.test(e.message)) return requestOnce<T>(url, call, timeoutMs);
    throw e;
  }
}

function requestOnce<T>(url: string, call: Call, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const unavailable = (why: string): LoomError =>
      new LoomError({
        code: 'unavailable',
        message: `cannot reach ${url}: ${why}`,
        hint: 'is the database server running? (loom nbdb / loom sbdb); a transaction that failed this way may or may not have committed',
      });
    let req: http.ClientRequest;
    try {
      req = http.request(url, {
        method: call.method,
        agent,
        headers: {
          ...(call.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(call.body) }),
          ...(call.session === undefined ? {} : { [SESSION_HEADER]: call.session }),
          ...(call.txn === undefined ? {} : { [TXN_HEADER]: call.txn }),
        },
      });
    } catch (e) {
      reject(unavailable((e as Error).message));
      return;
    }
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', (e: Error & { code?: string }) => reject(unavailable(e.code ?? e.message)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (e: Error & { code?: string }) => reject(unavailable(e.code ?? e.message)));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = text;
        }
        const status = res.statusCode ?? 500;
        if (status < 200 || status >= 300) reject(errorFromBody(body, status));
        else resolve(body as T);
      });
    });
    req.end(call.body);
  });
}

// ---------------------------------------------------------------- lock session

interface Pending {
  resolve(locked: boolean | undefined): void;
  reject(e: LoomError): void;
}

/** One /v1/session WebSocket, reconnected with backoff until close(). */
class LockSession {
  id: string | undefined;
  readonly held = new Set<string>();
  /** Locks asked for (lock or steal) and not unlocked or stolen: asked again after a reconnect. */
  private readonly wanted = new Set<string>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private ws: WebSocket | undefined;
  private ready: Promise<void> | undefined;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly options: RemoteStoreOptions,
    private readonly emit: (e: LockEvent) => void,
  ) {}

  async request(method: LockMethod, lock: string): Promise<boolean | undefined> {
    await this.connect();
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== ws.OPEN) throw this.unavailable('the session socket is not open');
    const id = ++this.nextId;
    const got = new Promise<boolean | undefined>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    ws.send(JSON.stringify({ id, method, lock }));
    const locked = await got;
    if (method === 'unlock') {
      this.wanted.delete(lock);
      this.held.delete(lock);
    } else {
      this.wanted.add(lock);
      if (locked === true) this.held.add(lock);
    }
    return locked;
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.close(CloseCode.normal, 'client closed');
    this.failPending(this.unavailable('the store client was closed'));
  }

  private unavailable(why: string): LoomError {
    return new LoomError({ code: 'unavailable', message: `lock session with ${this.url}: ${why}`, hint: 'is the database server running? locks are re-requested after a reconnect' });
  }

  private failPending(e: LoomError): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** Opens the socket if needed; resolves once the server named the session. */
  private connect(): Promise<void> {
    if (this.closed) return Promise.reject(this.unavailable('closed'));
    this.ready ??= new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.url.replace(/^http/, 'ws') + SESSION_PATH, { perMessageDeflate: false, handshakeTimeout: 10_000 });
      this.ws = ws;
      let named = false;
      ws.on('message', (data) => {
        let m: unknown;
        try {
          m = JSON.parse(data.toString());
        } catch {
          return;
        }
        if (typeof m !== 'object' || m === null) return;
        const o = m as { type?: unknown; id?: unknown; lock?: unknown; result?: { locked?: unknown }; error?: unknown };
        if (o.type === 'session' && typeof o.id === 'string') {
          this.id = o.id;
          named = true;
          this.attempt = 0;
          resolve();
          return;
        }
        if ((o.type === 'locked' || o.type === 'stolen') && typeof o.lock === 'string') {
          if (o.type === 'locked') this.held.add(o.lock);
          else {
            this.held.delete(o.lock);
            this.wanted.delete(o.lock);
          }
          this.emit({ type: o.type, lock: o.lock });
          return;
        }
        if (typeof o.id === 'number') {
          const p = this.pending.get(o.id);
          if (p === undefined) return;
          this.pending.delete(o.id);
          if (o.error !== undefined) p.reject(errorFromBody({ error: o.error }, 400));
          else p.resolve(typeof o.result?.locked === 'boolean' ? o.result.locked : undefined);
        }
      });
      ws.on('error', () => {
        // 'close' follows.
      });
      ws.on('close', () => {
        this.ws = undefined;
        this.id = undefined;
        this.ready = undefined;
        this.failPending(this.unavailable('the connection dropped'));
        // The server released everything this session held the moment the socket closed.
        for (const lock of [...this.held]) {
          this.held.delete(lock);
          this.emit({ type: 'lost', lock });
        }
        if (!named) reject(this.unavailable('cannot open it'));
        if (!this.closed && this.wanted.size > 0) this.scheduleReconnect();
      });
    });
    return this.ready;
  }

  private scheduleReconnect(): void {
    if (this.retryTimer) return;
    const pause = Math.min(this.options.maxBackoffMs ?? 2000, (this.options.backoffMs ?? 50) * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.connect().then(
        () => {
          for (const lock of [...this.wanted]) {
            this.request('lock', lock).then(
              (locked) => {
                if (locked === true) this.emit({ type: 'locked', lock });
              },
              () => undefined, // the socket dropped again: that close schedules the next try
            );
          }
        },
        () => this.scheduleReconnect(),
      );
    }, pause);
  }
}
