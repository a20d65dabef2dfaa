// store/lock-runner.ts — active/standby by an OVSDB lock, as ovn-northd runs with its
// `ovn_northd` lock: run a service only while this process holds a named lock on a store,
// and make every write it does assert that lock.
//
// Owns: the standby → active → standby cycle: ask for the lock; when granted, start the
// service with a fenced view of the store (each transaction begins with `assert LOCK`, so
// a process that lost the lock writes nothing, even in a transaction already on its way);
// when the lock is stolen or the session drops, stop the service and ask again.
// Reads: the RemoteStore's lock API and lock events (store/client.ts).
// Called by: cli/entry.ts (`loom northd`); any daemon that must not run twice at once.
// Must never: run two instances of the service at once in one process; start the service
// while the lock is not held; swallow a start failure silently (onError hears it, and
// the lock is given back so a standby can take over).
// Invariants: the service is started at most once per grant, and stopped before the next
// start; close() stops it and gives the lock up.

import type { Subscription } from 'rxjs';
import type { RemoteStore } from './client.js';
import { LoomError, type Operation, type Store, type TransactResult } from './types.js';

export interface Service {
  close(): Promise<void>;
}

export interface LockRunnerOptions {
  /** active: started with the lock; standby: waiting for it (at start and after a loss). */
  readonly onState?: (state: 'active' | 'standby', why: string) => void;
  readonly onError?: (e: unknown) => void;
  /** Pause before asking again after the service failed to start; doubles per failure (default 500 ms, at most maxRetryMs = 30 s). */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

export interface LockRunner {
  /** Whether the service runs now. */
  active(): boolean;
  /** Resolves when the service has been started (now, or once the lock is granted). */
  whenActive(): Promise<void>;
  close(): Promise<void>;
}

/** `store` with every transaction prefixed by `assert lock` (results and error indices as without it). */
export function fencedStore(store: Store, lock: string): Store {
  const assert: Operation = { op: 'assert', lock };
  const unfence = (e: unknown): unknown => (e instanceof LoomError && e.op !== undefined && e.op > 0 ? new LoomError({ ...e.toJSON(), message: e.message, op: e.op - 1 }) : e);
  return {
    schema: store.schema,
    transact: async (ops: readonly Operation[]): Promise<TransactResult> => {
      try {
        const r = await store.transact([assert, ...ops]);
        return { revision: r.revision, results: r.results.slice(1) };
      } catch (e) {
        throw unfence(e);
      }
    },
    transactParts: (options) => {
      const parts = store.transactParts(options);
      // the assert leads the first part handed over (or the commit, when that is the only one)
      let fenced = false;
      const fence = (ops: readonly Operation[]): readonly Operation[] => {
        if (fenced) return ops;
        fenced = true;
        return [assert, ...ops];
      };
      return {
        add: async (ops) => {
          try {
            await parts.add(fence(ops));
          } catch (e) {
            throw unfence(e);
          }
        },
        commit: async (ops = []) => {
          try {
            const r = await parts.commit(fence(ops));
            return { revision: r.revision, results: r.results.slice(1) };
          } catch (e) {
            throw unfence(e);
          }
        },
        abort: () => parts.abort(),
      };
    },
    select: (table, where) => store.select(table, where),
    revision: () => store.revision(),
    watch: (request) => store.watch(request),
    // The runner owns the underlying store.
    close: async () => undefined,
  };
}

export async function runWhileLocked(store: RemoteStore, lock: string, start: (fenced: Store) => Promise<Service>, options: LockRunnerOptions = {}): Promise<LockRunner> {
  const onError = options.onError ?? (() => undefined);
  let closed = false;
  let service: Service | undefined;
  /** Serialises starts and stops: one transition at a time, in order. */
  let chain: Promise<void> = Promise.resolve();
  let activeWaiters: (() => void)[] = [];
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;

  const activate = (why: string): void => {
    chain = chain.then(async () => {
      if (closed || service !== undefined || !store.holds(lock)) return;
      try {
        service = await start(fencedStore(store, lock));
      } catch (e) {
        onError(e);
        // Give the lock back so that another process can try, and ask again behind it
        // after a pause (a database that is down must not make this spin).
        await store.unlock(lock).catch(onError);
        const pause = Math.min(options.maxRetryMs ?? 30_000, (options.retryMs ?? 500) * 2 ** failures++);
        if (!closed) {
          retry = setTimeout(() => {
            retry = undefined;
            if (!closed) void store.lock(lock).then((got) => got && activate('granted again after a failed start'), onError);
          }, pause);
        }
        return;
      }
      failures = 0;
      options.onState?.('active', why);
      for (const w of activeWaiters.splice(0)) w();
    });
  };
  const deactivate = (why: string, askAgain: boolean): void => {
    chain = chain.then(async () => {
      const s = service;
      service = undefined;
      if (s !== undefined) await s.close().catch(onError);
      if (closed) return;
      options.onState?.('standby', why);
      if (askAgain) {
        const got = await store.lock(lock).catch((e: unknown) => {
          onError(e);
          return false;
        });
        if (got) activate('lock granted');
      }
    });
  };

  const sub: Subscription = store.lockEvents().subscribe((e) => {
    if (e.lock !== lock) return;
    if (e.type === 'locked') activate('lock granted');
    // stolen: the session no longer wants it, so ask again; lost: the client asks again
    // itself after reconnecting.
    else deactivate(e.type === 'stolen' ? `lock ${lock} stolen by another process` : `lost lock ${lock} (connection to the database dropped)`, e.type === 'stolen');
  });

  const got = await store.lock(lock);
  if (got) activate('lock granted');
  else options.onState?.('standby', `another process holds lock ${lock}`);

  return {
    active: () => service !== undefined,
    whenActive: () => (service !== undefined ? Promise.resolve() : new Promise<void>((r) => activeWaiters.push(r))),
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      sub.unsubscribe();
      await chain;
      const s = service;
      service = undefined;
      if (s !== undefined) await s.close().catch(onError);
      await store.unlock(lock).catch(() => undefined);
      activeWaiters = [];
    },
  };
}
