// store/locks.ts — OVSDB locks (RFC 7047 §4.1.8-4.1.11) for a loom store server: who holds
// which named lock, who waits for it, and the session protocol clients speak to get one.
//
// Owns: the lock table (per name: one owner session and a FIFO of waiting sessions), the
// lock / steal / unlock semantics and their notifications ("locked" to a waiter that got
// the lock, "stolen" to an owner that lost it), releasing everything a session held or
// waited for when it ends, and the wire format of the /v1/session WebSocket.
// Reads: nothing but calls from store/server.ts (which owns the sockets) and the messages
// clients send (checked here).
// Called by: store/server.ts (sessions and the locks a transaction's session holds),
// store/client.ts (the message shapes).
// Must never: hand one lock to two sessions at once; keep a lock for a session that ended;
// touch a Store (the engine checks `assert` against the set held() returns).
// Invariants: held(id) is a live set: a steal or an ended session is seen by any assert
// evaluated after it, even in a transaction that was already queued.
//
// Wire format (JSON text messages on /v1/session):
//   server → client, first:   {"type":"session","id":"<session id>"}
//   client → server:          {"id":N,"method":"lock"|"steal"|"unlock","lock":"<name>"}
//   server → client, reply:   {"id":N,"result":{"locked":true|false}}  (lock/steal; unlock: {})
//                          or {"id":N,"error":{code,message,...}}
//   server → client, notice:  {"type":"locked","lock":"<name>"}   a queued lock request was granted
//                             {"type":"stolen","lock":"<name>"}   another session stole it
// A transaction names its session with the HTTP header Loom-Session: <id>; `assert` then
// succeeds for the locks that session holds when the assert runs.

import { LoomError, type LoomErrorData } from './types.js';

export const SESSION_PATH = '/v1/session';
export const SESSION_HEADER = 'loom-session';

export type LockMethod = 'lock' | 'steal' | 'unlock';

export interface LockRequest {
  readonly id: number;
  readonly method: LockMethod;
  readonly lock: string;
}

export type SessionMessage =
  | { readonly type: 'session'; readonly id: string }
  | { readonly type: 'locked'; readonly lock: string }
  | { readonly type: 'stolen'; readonly lock: string }
  | { readonly id: number; readonly result: { readonly locked?: boolean } }
  | { readonly id: number; readonly error: LoomErrorData };

/** Lock names as OVSDB allows them: an id (letters, digits, _ - .), at most 256 bytes. */
const LOCK_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;

/** A client message, or why it is refused (the request id when one could be read). */
export function parseLockRequest(text: string): LockRequest | { readonly id?: number; readonly error: LoomError } {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return { error: new LoomError({ code: 'bad-request', message: 'session message is not JSON', hint: '{"id":1,"method":"lock","lock":"NAME"}' }) };
  }
  if (typeof m !== 'object' || m === null) return { error: new LoomError({ code: 'bad-request', message: 'session message must be an object' }) };
  const o = m as Record<string, unknown>;
  const id = typeof o['id'] === 'number' && Number.isInteger(o['id']) ? o['id'] : undefined;
  if (id === undefined) return { error: new LoomError({ code: 'bad-request', message: 'session message needs an integer "id"', path: '/id', value: o['id'] }) };
  const method = o['method'];
  if (method !== 'lock' && method !== 'steal' && method !== 'unlock') {
    return { id, error: new LoomError({ code: 'bad-request', message: `unknown session method ${JSON.stringify(method)}`, path: '/method', value: method, hint: 'methods: lock, steal, unlock' }) };
  }
  const lock = o['lock'];
  if (typeof lock !== 'string' || !LOCK_NAME.test(lock)) {
    return { id, error: new LoomError({ code: 'bad-request', message: 'a lock name is a letter or _ then letters, digits, _ - . (at most 256)', path: '/lock', value: lock }) };
  }
  return { id, method, lock };
}

interface Session {
  readonly id: string;
  /** Locks this session owns now: the very set asserts are checked against. */
  readonly held: Set<string>;
  /** Locks it asked for and waits to get. */
  readonly waiting: Set<string>;
  readonly notify: (m: SessionMessage) => void;
}

interface Lock {
  owner: Session | undefined;
  readonly queue: Session[];
}

export class LockManager {
  private readonly sessions = new Map<string, Session>();
  private readonly locks = new Map<string, Lock>();
  private next = 0;

  /** A new session; `notify` receives its locked/stolen notices. */
  open(notify: (m: SessionMessage) => void): string {
    const id = `s${(++this.next).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    this.sessions.set(id, { id, held: new Set(), waiting: new Set(), notify });
    return id;
  }

  /** Ends a session: its locks pass to their next waiters, its waits are dropped. */
  close(id: string): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.sessions.delete(id);
    for (const name of [...s.waiting]) this.dequeue(name, s);
    for (const name of [...s.held]) this.release(name, s);
  }

  /** The locks a session holds (live; empty for an unknown or ended session). */
  held(id: string | undefined): ReadonlySet<string> {
    return (id === undefined ? undefined : this.sessions.get(id)?.held) ?? EMPTY;
  }

  /** Runs one request of session `id`; the result is the reply's `result`. */
  request(id: string, req: LockRequest): { locked?: boolean } {
    const s = this.sessions.get(id);
    if (s === undefined) throw new LoomError({ code: 'not-found', message: `no session ${id}` });
    const lock = this.locks.get(req.lock) ?? { owner: undefined, queue: [] };
    this.locks.set(req.lock, lock);
    switch (req.method) {
      case 'lock':
        if (s.held.has(req.lock) || s.waiting.has(req.lock)) {
          throw new LoomError({ code: 'duplicate', message: `this session already ${s.held.has(req.lock) ? 'holds' : 'waits for'} lock ${JSON.stringify(req.lock)}`, value: req.lock, hint: 'unlock it first' });
        }
        if (lock.owner === undefined) {
          this.grant(lock, req.lock, s);
          return { locked: true };
        }
        lock.queue.push(s);
        s.waiting.add(req.lock);
        return { locked: false };
      case 'steal': {
        if (s.waiting.has(req.lock)) this.dequeue(req.lock, s);
        const prev = lock.owner;
        if (prev !== s) {
          if (prev !== undefined) {
            prev.held.delete(req.lock);
            prev.notify({ type: 'stolen', lock: req.lock });
          }
          this.grant(lock, req.lock, s);
        }
        return { locked: true };
      }
      case 'unlock':
        if (s.waiting.has(req.lock)) this.dequeue(req.lock, s);
        else if (lock.owner === s) this.release(req.lock, s);
        else throw new LoomError({ code: 'not-owner', message: `this session neither holds nor waits for lock ${JSON.stringify(req.lock)}`, value: req.lock });
        this.forget(req.lock);
        return {};
    }
  }

  /** Who holds a lock (its session id), for tests and metrics. */
  owner(name: string): string | undefined {
    return this.locks.get(name)?.owner?.id;
  }

  private grant(lock: Lock, name: string, s: Session): void {
    lock.owner = s;
    s.held.add(name);
  }

  private release(name: string, s: Session): void {
    const lock = this.locks.get(name);
    s.held.delete(name);
    if (lock === undefined || lock.owner !== s) return;
    lock.owner = undefined;
    const nextOwner = lock.queue.shift();
    if (nextOwner !== undefined) {
      nextOwner.waiting.delete(name);
      this.grant(lock, name, nextOwner);
      nextOwner.notify({ type: 'locked', lock: name });
    }
    this.forget(name);
  }

  private dequeue(name: string, s: Session): void {
    s.waiting.delete(name);
    const lock = this.locks.get(name);
    if (lock === undefined) return;
    const i = lock.queue.indexOf(s);
    if (i >= 0) lock.queue.splice(i, 1);
    this.forget(name);
  }

  /** Drops the entry of a lock nobody holds or waits for (names are client-chosen: no leak). */
  private forget(name: string): void {
    const lock = this.locks.get(name);
    if (lock !== undefined && lock.owner === undefined && lock.queue.length === 0) this.locks.delete(name);
  }
}

const EMPTY: ReadonlySet<string> = new Set();
