// cli/http-store.ts — a small Store client for one CLI invocation: schema, transact,
// select and revision over one keep-alive HTTP connection.
//
// Owns: the request/response handling of the store server's HTTP API for the calls a
// command chain makes (GET /v1/schema, POST /v1/transact, GET /v1/health), and turning
// error bodies back into LoomError.
// Reads: the wire format of store/server.ts (paths and the `{ error: {...} }` body, as
// store/watch-protocol.ts defines them).
// Called by: cli/main.ts for every nbctl/sbctl invocation.
// Must never: retry a transaction (it may have committed), or load rxjs/ws/ajv: loading
// those costs ~150 ms per process, more than the whole invocation should take (the
// reference replay runs one process per ~300-command file). Watching (--wait) goes
// through store/client.ts RemoteStore, imported only then.
// Invariants: one connection per invocation, closed by close(). node:http is loaded on the
// first connect, not at module load: the CLI's V8 start-up snapshot (cli/snapshot.ts) holds
// this module, and node 20 cannot put node:http into a snapshot.

import type * as Http from 'node:http';
import type { Observable } from 'rxjs';
import { LoomError, type Condition, type DatabaseSchema, type ErrorCode, type Operation, type Row, type Store, type TransactResult, type TxnParts, type WatchEvent } from '../store/types.js';
import { HeldParts } from '../store/txn-parts.js';

const CODES: readonly ErrorCode[] = [
  'bad-request', 'too-large', 'unknown-table', 'unknown-column', 'type-error', 'constraint-violation', 'referential-integrity',
  'duplicate', 'not-found', 'invalid-match', 'invalid-value', 'timed-out', 'aborted', 'not-owner', 'unavailable', 'internal',
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

let httpModule: typeof Http | undefined;
async function http(): Promise<typeof Http> {
  // getBuiltinModule (node >= 20.16) is synchronous and works inside the start-up snapshot,
  // where import() has no loader to call.
  httpModule ??= typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:http') : await import('node:http');
  return httpModule;
}

export class HttpStore implements Store {
  private constructor(
    readonly url: string,
    readonly schema: DatabaseSchema,
    private readonly http: typeof Http,
    private readonly agent: Http.Agent,
    private readonly timeoutMs: number,
  ) {}

  /** `schema`: one this process already fetched from url (the resident daemon, cli/daemon.ts, keeps them). */
  static async connect(url: string, timeoutMs = 60_000, schema?: DatabaseSchema): Promise<HttpStore> {
    const base = url.replace(/\/+$/, '');
    if (!/^http:\/\//.test(base)) {
      throw new LoomError({ code: 'bad-request', message: `${url}: expected an http://HOST:PORT database URL`, value: url, hint: 'example: --db=http://127.0.0.1:6641' });
    }
    const h = await http();
    const agent = new h.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const got = schema ?? (await call<DatabaseSchema>(h, agent, `${base}/v1/schema`, 'GET', undefined, timeoutMs));
      return new HttpStore(base, got, h, agent, timeoutMs);
    } catch (e) {
      agent.destroy();
      throw e;
    }
  }

  /** Held here and sent as one transaction at commit (a CLI chain is never that big). */
  transactParts(): TxnParts {
    return new HeldParts(this.schema, (ops) => this.transact(ops));
  }

  transact(ops: readonly Operation[]): Promise<TransactResult> {
    return call<TransactResult>(this.http, this.agent, `${this.url}/v1/transact`, 'POST', JSON.stringify({ ops }), this.timeoutMs);
  }

  async select(table: string, where: readonly Condition[] = []): Promise<readonly Row[]> {
    const r = await this.transact([{ op: 'select', table, where }]);
    return (r.results[0] as { rows: readonly Row[] }).rows;
  }

  async revision(): Promise<number> {
    return (await call<{ revision: number }>(this.http, this.agent, `${this.url}/v1/health`, 'GET', undefined, this.timeoutMs)).revision;
  }

  watch(): Observable<WatchEvent> {
    throw new LoomError({ code: 'internal', message: 'HttpStore does not watch; use RemoteStore (store/client.ts)' });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

function call<T>(h: typeof Http, agent: Http.Agent, url: string, method: string, body: string | undefined, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = h.request(url, { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text === '' ? undefined : JSON.parse(text);
        } catch {
          parsed = text;
        }
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve(parsed as T);
        else reject(errorFrom(parsed, status));
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new LoomError({ code: 'timed-out', message: `${url}: no answer within ${timeoutMs / 1000} s`, hint: 'raise --timeout, or check the database server' })));
    req.on('error', (e: Error & { code?: string }) => {
      if (e instanceof LoomError) return reject(e);
      reject(
        new LoomError({
          code: 'unavailable',
          message: `cannot reach ${url}: ${e.code ?? e.message}`,
          hint: method === 'POST' ? 'is the database server running? (a write that failed this way may or may not have committed)' : 'is the database server running? start it with `loom up` (or loom nbdb / loom sbdb), or point --db / LOOM_NB / LOOM_SB at it',
        }),
      );
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}
