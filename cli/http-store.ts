// cli/http-store.ts — a small Store client for one CLI invocation: schema, transact,
// select and revision over one keep-alive HTTP/1.1 connection.
//
// Owns: the request/response handling of the store server's HTTP API for the calls a
// command chain makes (GET /v1/schema, POST /v1/transact, GET /v1/health), spoken directly
// on a TCP socket (node:http's client costs ~5-10 ms of cold CPU per process for machinery
// one sequential request at a time does not need: agents, parsers, outgoing streams), and
// turning error bodies back into LoomError.
// Reads: the wire format of store/server.ts (paths and the `{ error: {...} }` body, as
// store/watch-protocol.ts defines them).
// Called by: cli/main.ts for every nbctl/sbctl invocation.
// Must never: retry a transaction (it may have committed), or load rxjs/ws/ajv: loading
// those costs ~150 ms per process, more than the whole invocation should take (the
// reference replay runs one process per ~300-command file). Watching (--wait) goes
// through store/client.ts RemoteStore, imported only then.
// Invariants: one connection per invocation (re-opened only when the server closed it
// between requests, never in the middle of one), closed by close(); one request at a time.

import { connect, type Socket } from 'node:net';
import type { Observable } from 'rxjs';
import { LoomError, type Condition, type DatabaseSchema, type ErrorCode, type Operation, type Row, type Store, type TransactResult, type WatchEvent } from '../store/types.js';

const CODES: readonly ErrorCode[] = [
  'bad-request', 'too-large', 'unknown-table', 'unknown-column', 'type-error', 'constraint-violation', 'referential-integrity',
  'duplicate', 'not-found', 'invalid-match', 'invalid-value', 'timed-out', 'aborted', 'unavailable', 'internal',
];

function errorFrom(body: unknown, status: number): LoomError {
  const e = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof e !== 'object' || e === null) {
    return new LoomError({ code: status === 503 ? 'unavailable' : 'internal', message: `server answered HTTP ${status} without a loom error body`, value: body });
  }
  const o = e as Record<string, unknown>;
  const code = CODES.includes(o['code'] as ErrorCode) ? (o['code'] as ErrorCode) : 'internal';
  return new LoomError({
    code,
    message: typeof o['message'] === 'string' ? o['message'] : `HTTP ${status}`,
    ...(typeof o['table'] === 'string' ? { table: o['table'] } : {}),
    ...(typeof o['column'] === 'string' ? { column: o['column'] } : {}),
    ...(typeof o['row'] === 'string' ? { row: o['row'] } : {}),
    ...(o['value'] !== undefined ? { value: o['value'] } : {}),
    ...(typeof o['hint'] === 'string' ? { hint: o['hint'] } : {}),
    ...(typeof o['path'] === 'string' ? { path: o['path'] } : {}),
    ...(typeof o['op'] === 'number' ? { op: o['op'] } : {}),
  });
}

export class HttpStore implements Store {
  private constructor(
    readonly url: string,
    readonly schema: DatabaseSchema,
    private readonly conn: Conn,
  ) {}

  static async connect(url: string, timeoutMs = 60_000): Promise<HttpStore> {
    const base = url.replace(/\/+$/, '');
    const m = /^http:\/\/(\[[^\]]+\]|[^/:]+)(?::(\d+))?$/.exec(base);
    if (m === null) {
      throw new LoomError({ code: 'bad-request', message: `${url}: expected an http://HOST:PORT database URL`, value: url, hint: 'example: --db=http://127.0.0.1:6641' });
    }
    const host = (m[1] as string).replace(/^\[|\]$/g, '');
    const conn = new Conn(base, host, Number(m[2] ?? 80), (m[1] as string) + (m[2] !== undefined ? `:${m[2]}` : ''), timeoutMs);
    try {
      const schema = await conn.call<DatabaseSchema>('/v1/schema', 'GET', undefined);
      return new HttpStore(base, schema, conn);
    } catch (e) {
      conn.close();
      throw e;
    }
  }

  transact(ops: readonly Operation[]): Promise<TransactResult> {
    return this.conn.call<TransactResult>('/v1/transact', 'POST', JSON.stringify({ ops }));
  }

  async select(table: string, where: readonly Condition[] = []): Promise<readonly Row[]> {
    const r = await this.transact([{ op: 'select', table, where }]);
    return (r.results[0] as { rows: readonly Row[] }).rows;
  }

  async revision(): Promise<number> {
    return (await this.conn.call<{ revision: number }>('/v1/health', 'GET', undefined)).revision;
  }

  watch(): Observable<WatchEvent> {
    throw new LoomError({ code: 'internal', message: 'HttpStore does not watch; use RemoteStore (store/client.ts)' });
  }

  async close(): Promise<void> {
    this.conn.close();
  }
}

interface Response {
  readonly status: number;
  readonly body: Buffer;
}

/** One keep-alive HTTP/1.1 connection; requests strictly one after another. */
class Conn {
  private sock: Socket | undefined;
  private closed = false;

  constructor(
    private readonly base: string,
    private readonly host: string,
    private readonly port: number,
    private readonly hostHeader: string,
    private readonly timeoutMs: number,
  ) {}

  close(): void {
    this.closed = true;
    this.sock?.destroy();
    this.sock = undefined;
  }

  async call<T>(path: string, method: string, body: string | undefined): Promise<T> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await this.exchange(path, method, body);
    } catch (e) {
      if (e instanceof LoomError) throw e;
      const err = e as Error & { code?: string };
      throw new LoomError({
        code: 'unavailable',
        message: `cannot reach ${url}: ${err.code ?? err.message}`,
        hint: method === 'POST' ? 'is the database server running? (a write that failed this way may or may not have committed)' : 'is the database server running? start it with `loom up` (or loom nbdb / loom sbdb), or point --db / LOOM_NB / LOOM_SB at it',
      });
    }
    const text = res.body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    if (res.status >= 200 && res.status < 300) return parsed as T;
    throw errorFrom(parsed, res.status);
  }

  private exchange(path: string, method: string, body: string | undefined): Promise<Response> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    const url = `${this.base}${path}`;
    return new Promise<Response>((resolve, reject) => {
      let sock = this.sock;
      if (sock === undefined || sock.destroyed || !sock.writable) {
        sock = connect({ host: this.host, port: this.port });
        sock.setNoDelay(true);
        this.sock = sock;
      }
      const s = sock;
      let buf: Buffer = Buffer.alloc(0);
      let settled = false;
      const done = (err: Error | undefined, res?: Response) => {
        if (settled) return;
        settled = true;
        s.off('data', onData);
        s.off('error', onError);
        s.off('close', onClose);
        s.setTimeout(0);
        if (err !== undefined) {
          s.destroy();
          if (this.sock === s) this.sock = undefined;
          reject(err);
        } else resolve(res as Response);
      };
      const onData = (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        let r: ParsedResponse | undefined;
        try {
          r = parseResponse(buf, false);
        } catch (e) {
          return done(e as Error);
        }
        if (r === undefined) return;
        if (r.close) {
          s.destroy();
          if (this.sock === s) this.sock = undefined;
        }
        done(undefined, r);
      };
      const onClose = () => {
        // A response without a length ends with the connection.
        let r: ParsedResponse | undefined;
        try {
          r = parseResponse(buf, true);
        } catch (e) {
          return done(e as Error);
        }
        if (this.sock === s) this.sock = undefined;
        if (r !== undefined) done(undefined, r);
        else done(Object.assign(new Error('ECONNRESET'), { code: buf.length === 0 ? 'ECONNRESET' : 'EPROTO' }));
      };
      const onError = (e: Error) => done(e);
      s.on('data', onData);
      s.on('error', onError);
      s.on('close', onClose);
      s.setTimeout(this.timeoutMs, () =>
        done(new LoomError({ code: 'timed-out', message: `${url}: no answer within ${this.timeoutMs / 1000} s`, hint: 'raise --timeout, or check the database server' })),
      );
      const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nConnection: keep-alive\r\nAccept: application/json\r\n`;
      if (payload !== undefined) head += `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n`;
      head += '\r\n';
      s.write(payload === undefined ? head : Buffer.concat([Buffer.from(head, 'latin1'), payload]));
    });
  }
}

interface ParsedResponse extends Response {
  /** The server will close (or closed) the connection after this response. */
  readonly close: boolean;
}

/**
 * One HTTP/1.1 response from the start of buf: undefined while incomplete. Bodies by
 * Content-Length, chunked transfer coding, or (ended = true) up to the end of the stream.
 * Exported for its test.
 */
export function parseResponse(buf: Buffer, ended: boolean): ParsedResponse | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (ended && buf.length > 0) throw Object.assign(new Error('EPROTO'), { code: 'EPROTO' });
    return undefined;
  }
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const sm = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (sm === null) throw Object.assign(new Error('EPROTO'), { code: 'EPROTO' });
  const status = Number(sm[1]);
  let length: number | undefined;
  let chunked = false;
  let close = /^HTTP\/1\.0/.test(lines[0] ?? '');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const c = line.indexOf(':');
    if (c < 0) continue;
    const name = line.slice(0, c).trim().toLowerCase();
    const value = line.slice(c + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding') chunked = /chunked/i.test(value);
    else if (name === 'connection') close = /close/i.test(value) ? true : /keep-alive/i.test(value) ? false : close;
  }
  const start = end + 4;
  if (status === 204 || status === 304) return { status, body: Buffer.alloc(0), close };
  if (chunked) {
    const parts: Buffer[] = [];
    let at = start;
    for (;;) {
      const le = buf.indexOf('\r\n', at);
      if (le < 0) return undefined;
      const size = parseInt(buf.subarray(at, le).toString('latin1'), 16);
      if (!Number.isFinite(size)) throw Object.assign(new Error('EPROTO'), { code: 'EPROTO' });
      if (size === 0) {
        // Trailers (none expected) end with an empty line.
        const te = buf.indexOf('\r\n\r\n', le);
        if (te < 0) return undefined;
        return { status, body: Buffer.concat(parts), close };
      }
      if (buf.length < le + 2 + size + 2) return undefined;
      parts.push(buf.subarray(le + 2, le + 2 + size));
      at = le + 2 + size + 2;
    }
  }
  if (length !== undefined) {
    if (!Number.isFinite(length) || length < 0) throw Object.assign(new Error('EPROTO'), { code: 'EPROTO' });
    if (buf.length < start + length) return undefined;
    return { status, body: buf.subarray(start, start + length), close };
  }
  if (!ended) return undefined;
  return { status, body: buf.subarray(start), close: true };
}
