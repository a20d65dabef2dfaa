// store/watch-protocol.ts — the wire format of loom's store API (REST + WebSocket watch).
//
// Owns: the paths, the WebSocket close codes and what each means for a reconnecting client,
// the shape checks (ajv) of a transaction request and of a watch request, the error message a
// server sends before closing a watch, and the mapping from ErrorCode to HTTP status.
// Reads: store/types.ts only.
// Called by: store/server.ts (checks what clients send) and store/client.ts (parses what the
// server sends, decides whether to reconnect).
// Must never: touch a Store, a socket or a timer — it is pure data and checks, so both ends
// and their tests agree on one definition.
// Invariants: every shape refusal is a LoomError with code bad-request and an ajv-style path
// (/ops/3/where/0); a close code marked retriable means "reconnect and resume from your last
// revision", any other means "reconnecting will fail the same way".

import { Ajv, type ErrorObject } from 'ajv';
import { LoomError, type ErrorCode, type LoomErrorData, type Operation, type WatchEvent, type WatchRequest } from './types.js';

export const API_PREFIX = '/v1';
export const TRANSACT_PATH = '/v1/transact';
export const TABLES_PATH = '/v1/tables';
export const HEALTH_PATH = '/v1/health';
export const SCHEMA_PATH = '/v1/schema';
export const METRICS_PATH = '/v1/metrics';
export const WATCH_PATH = '/v1/watch';

/**
 * Multi-part transaction header on POST /v1/transact: `Loom-Txn: id=<token>; part=<i>; last=<0|1>`
 * (store/server.ts holds parts 0..n-1 and runs all their operations as one transaction on the last).
 */
export const TXN_HEADER = 'Loom-Txn';

/** Default request body limit; said in the too-large error's hint. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * WebSocket close codes. 1000/1001/1011 are RFC 6455's; 4xxx are ours (RFC 6455 §7.4.2
 * leaves 4000-4999 to applications).
 */
export const CloseCode = {
  /** The client asked to stop. */
  normal: 1000,
  /** The server is shutting down (SIGTERM) or its store closed: reconnect later. */
  goingAway: 1001,
  /** The store's watch failed inside the server. */
  internal: 1011,
  /** The watcher fell too far behind (send buffer over the limit): reconnect and resume. */
  tooSlow: 4001,
  /** No pong to a heartbeat ping in time. */
  heartbeat: 4002,
  /** The first message was not a valid WatchRequest (or never came): do not retry. */
  badRequest: 4400,
  /** The request names a table or column the schema does not have: do not retry. */
  unknownName: 4404,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Whether a client should reconnect (and resume) after the server closed with this code. */
export function isRetriableClose(code: number): boolean {
  return code !== CloseCode.badRequest && code !== CloseCode.unknownName && code !== CloseCode.normal;
}

/** What the server sends on the watch socket: events, or one error just before it closes. */
export type WatchMessage = WatchEvent | { readonly type: 'error'; readonly error: LoomErrorData };

// ---------------------------------------------------------------- HTTP status

const statusByCode: { readonly [C in ErrorCode]: number } = {
  'bad-request': 400,
  'type-error': 400,
  'unknown-column': 400,
  'constraint-violation': 400,
  'invalid-match': 400,
  'invalid-value': 400,
  aborted: 400,
  'unknown-table': 404,
  'not-found': 404,
  duplicate: 409,
  'not-owner': 409,
  'referential-integrity': 409,
  'too-large': 413,
  'timed-out': 408,
  unavailable: 503,
  internal: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return statusByCode[code];
}

const errorCodes = new Set<string>(Object.keys(statusByCode));
export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && errorCodes.has(x);
}

/** The error body `{ error: {...} }` rendered back into a LoomError; anything else is `internal`. */
export function errorFromBody(body: unknown, httpStatus: number): LoomError {
  const e = isObject(body) ? body['error'] : undefined;
  if (!isObject(e) || !isErrorCode(e['code']) || typeof e['message'] !== 'string') {
    return new LoomError({ code: httpStatus === 503 ? 'unavailable' : 'internal', message: `server answered HTTP ${httpStatus} without a loom error body`, value: body });
  }
  const data: { -readonly [K in keyof LoomErrorData]: LoomErrorData[K] } = { code: e['code'], message: e['message'] };
  if (typeof e['table'] === 'string') data.table = e['table'];
  if (typeof e['column'] === 'string') data.column = e['column'];
  if (typeof e['row'] === 'string') data.row = e['row'];
  if (e['value'] !== undefined) data.value = e['value'];
  if (typeof e['hint'] === 'string') data.hint = e['hint'];
  if (typeof e['path'] === 'string') data.path = e['path'];
  if (typeof e['op'] === 'number') data.op = e['op'];
  return new LoomError(data);
}

/** The JSON body of an error: every LoomError field that is set, nothing else. */
export function errorBody(err: LoomErrorData): { error: LoomErrorData } {
  const { code, message, table, column, row, value, hint, path, op } = err;
  const out: { -readonly [K in keyof LoomErrorData]: LoomErrorData[K] } = { code, message };
  if (table !== undefined) out.table = table;
  if (column !== undefined) out.column = column;
  if (row !== undefined) out.row = row;
  if (value !== undefined) out.value = value;
  if (hint !== undefined) out.hint = hint;
  if (path !== undefined) out.path = path;
  if (op !== undefined) out.op = op;
  return { error: out };
}

// ---------------------------------------------------------------- shape checks

const condition = {
  type: 'array',
  minItems: 3,
  maxItems: 3,
  items: [{ type: 'string' }, { enum: ['<', '<=', '==', '!=', '>=', '>', 'includes', 'excludes'] }, {}],
} as const;
const where = { type: 'array', items: condition } as const;
const columns = { type: 'array', items: { type: 'string' } } as const;
const row = { type: 'object' } as const;
const table = { type: 'string', minLength: 1 } as const;

function opSchema(op: string, required: readonly string[], properties: Record<string, unknown>): object {
  return {
    type: 'object',
    required: ['op', ...required],
    additionalProperties: false,
    properties: { op: { const: op }, ...properties },
  };
}

const operationSchema = {
  type: 'object',
  required: ['op'],
  discriminator: { propertyName: 'op' },
  oneOf: [
    opSchema('insert', ['table', 'row'], { table, row, 'uuid-name': { type: 'string', minLength: 1 }, uuid: { type: 'string' } }),
    opSchema('select', ['table', 'where'], { table, where, columns }),
    opSchema('update', ['table', 'where', 'row'], { table, where, row }),
    opSchema('mutate', ['table', 'where', 'mutations'], {
      table,
      where,
      mutations: {
        type: 'array',
        items: {
          type: 'array',
          minItems: 3,
          maxItems: 3,
          items: [{ type: 'string' }, { enum: ['+=', '-=', '*=', '/=', '%=', 'insert', 'delete'] }, {}],
        },
      },
    }),
    opSchema('delete', ['table', 'where'], { table, where }),
    opSchema('wait', ['table', 'where', 'columns', 'until', 'rows'], {
      table,
      where,
      columns,
      until: { enum: ['==', '!='] },
      rows: { type: 'array', items: row },
      timeout: { type: 'integer', minimum: 0 },
    }),
    opSchema('comment', ['comment'], { comment: { type: 'string' } }),
    opSchema('assert', ['lock'], { lock: { type: 'string' } }),
    opSchema('commit', ['durable'], { durable: { type: 'boolean' } }),
    opSchema('abort', [], {}),
  ],
} as const;

const transactSchema = {
  type: 'object',
  required: ['ops'],
  additionalProperties: false,
  properties: { ops: { type: 'array', items: operationSchema } },
} as const;

const watchRequestSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fromRevision: { type: 'integer', minimum: 0 },
    tables: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { where, columns },
      },
    },
  },
} as const;

// strictTuples off: conditions are fixed-length tuples with a free third item, which is
// exactly what we mean.
const ajv = new Ajv({ discriminator: true, allErrors: false, strictTuples: false });
const checkTransact = ajv.compile(transactSchema);
const checkWatchRequest = ajv.compile(watchRequestSchema);

function shapeError(what: string, errors: readonly ErrorObject[] | null | undefined, body: unknown): LoomError {
  const e = errors?.[0];
  if (e === undefined) return new LoomError({ code: 'bad-request', message: `${what} is malformed` });
  const path = e.instancePath;
  const opMatch = /^\/ops\/(\d+)/.exec(path);
  const data: { -readonly [K in keyof LoomErrorData]: LoomErrorData[K] } = {
    code: 'bad-request',
    message: `${what}: ${path === '' ? 'the request' : path} ${describeAjv(e)}`,
    path,
    value: pointer(body, path),
  };
  if (opMatch?.[1] !== undefined) {
    data.op = Number(opMatch[1]);
    const op = pointer(body, `/ops/${opMatch[1]}`);
    if (isObject(op) && typeof op['table'] === 'string') data.table = op['table'];
  }
  const hint = hintAjv(e);
  if (hint !== undefined) data.hint = hint;
  return new LoomError(data);
}

function describeAjv(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'discriminator') {
    return p['error'] === 'tag' ? `has no string "op"` : `has unknown op ${JSON.stringify(p['tagValue'])}`;
  }
  if (e.keyword === 'additionalProperties') return `has unexpected field ${JSON.stringify(p['additionalProperty'])}`;
  if (e.keyword === 'required') return `is missing field ${JSON.stringify(p['missingProperty'])}`;
  return e.message ?? `fails ${e.keyword}`;
}

function hintAjv(e: ErrorObject): string | undefined {
  if (e.keyword === 'discriminator') return 'op is one of insert, select, update, mutate, delete, wait, comment, assert, commit, abort (RFC 7047 §5.2)';
  if (e.keyword === 'enum') return `allowed: ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)}`;
  if (e.instancePath === '' && e.keyword === 'type') return 'send {"ops":[...]} or a bare array of operations';
  return undefined;
}

/** The body of POST /v1/transact (`{ops}` or a bare array), shape-checked; the engine checks the rest. */
export function parseTransactBody(body: unknown): readonly Operation[] | LoomError {
  const wrapped = Array.isArray(body) ? { ops: body } : body;
  if (!checkTransact(wrapped)) return shapeError('transaction', checkTransact.errors, wrapped);
  return (wrapped as { ops: Operation[] }).ops;
}

/** The first message on a watch socket. */
export function parseWatchRequest(text: string): WatchRequest | LoomError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return new LoomError({ code: 'bad-request', message: `watch request is not JSON: ${(e as Error).message}`, hint: 'send {"fromRevision":N,"tables":{"Port_Binding":{"where":[["chassis","==","..."]]}}}' });
  }
  if (!checkWatchRequest(json)) return shapeError('watch request', checkWatchRequest.errors, json);
  return json as WatchRequest;
}

/** One message from the server's watch socket; anything unexpected is an `internal` LoomError. */
export function parseWatchMessage(text: string): WatchMessage | LoomError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return new LoomError({ code: 'internal', message: 'watch message is not JSON', value: text.slice(0, 200) });
  }
  if (!isObject(json)) return new LoomError({ code: 'internal', message: 'watch message is not an object', value: json });
  const t = json['type'];
  if (t === 'error') return { type: 'error', error: errorFromBody(json, 500).toJSON() };
  if ((t === 'snapshot' && isObject(json['tables'])) || (t === 'change' && Array.isArray(json['changes'])) || t === 'progress') {
    if (typeof json['revision'] === 'number' && Number.isInteger(json['revision'])) return json as unknown as WatchEvent;
  }
  return new LoomError({ code: 'internal', message: 'watch message has an unknown shape', value: json });
}

// ---------------------------------------------------------------- helpers

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function pointer(root: unknown, path: string): unknown {
  let cur = root;
  for (const seg of path.split('/').slice(1)) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObject(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}
