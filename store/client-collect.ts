// store/client-collect.ts — collects a watch stream and lets a caller await a condition on it.
//
// Owns: a subscription to a WatchEvent stream, the list of events received so far, and
// bounded waits ("until this predicate holds on what arrived, or fail after N ms").
// Reads: any Observable<WatchEvent> (RemoteStore.watch, an engine's watch).
// Called by: tests of store/ and test/store-*.test.ts, bench/store (fan-out latency).
// Must never: poll; a wait is woken by the next event (or the stream's end) and bounded by
// one timer that is always cleared.
// Invariants: `events` is exactly what the stream delivered, in order.

import type { Observable, Subscription } from 'rxjs';
import type { WatchEvent } from './types.js';

export class EventCollector {
  readonly events: WatchEvent[] = [];
  error: unknown = undefined;
  done = false;
  private readonly sub: Subscription;
  private wake: (() => void) | undefined;

  constructor(stream: Observable<WatchEvent>, private readonly onEvent?: (e: WatchEvent) => void) {
    this.sub = stream.subscribe({
      next: (e) => {
        this.events.push(e);
        this.onEvent?.(e);
        this.wake?.();
      },
      error: (e: unknown) => {
        this.error = e;
        this.done = true;
        this.wake?.();
      },
      complete: () => {
        this.done = true;
        this.wake?.();
      },
    });
  }

  /** Resolves once `pred(events)` holds; rejects if the stream ends first or after timeoutMs. */
  async until(pred: (events: readonly WatchEvent[]) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (pred(this.events)) return;
    if (this.done) throw this.error instanceof Error ? this.error : new Error(`watch ended before ${what}`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        reject(new Error(`watch: ${what} not reached within ${timeoutMs} ms (${this.events.length} events, last revision ${this.lastRevision() ?? 'none'})`));
      }, timeoutMs);
      this.wake = () => {
        if (pred(this.events)) {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        } else if (this.done) {
          clearTimeout(timer);
          this.wake = undefined;
          reject(this.error instanceof Error ? this.error : new Error(`watch ended before ${what}: ${String(this.error)}`));
        }
      };
    });
  }

  /** Waits until an event at or past `revision` has arrived. */
  untilRevision(revision: number, timeoutMs = 10_000): Promise<void> {
    return this.until((ev) => (ev.at(-1)?.revision ?? -1) >= revision, timeoutMs, `revision ${revision}`);
  }

  lastRevision(): number | undefined {
    return this.events.at(-1)?.revision;
  }

  stop(): void {
    this.sub.unsubscribe();
  }
}
