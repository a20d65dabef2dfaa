// northd/idle-gc.ts — one major collection once northd goes idle after a bulk of work.
//
// Owns: northd's garbage debt (rows written to SB or taken in from NB since the last
// collection) and the timer that collects (global.gc: node --expose-gc, as bin/loom starts
// northd and loom up) once the debt is past DEBT, nothing was owed for IDLE_MS and no
// registered party says it is busy. A bulk compile leaves a heap of garbage whose major
// collection (≈100 ms of CPU at 10k ports, ≈350 ms at 50k) otherwise lands on the next
// small batch — the first port added after it paid that.
// Called by: northd/daemon.ts (each batch owes; busy while one runs or is due).
// The stores do not use it: in their own processes a forced full collection after a bulk
// commit or a big read measured no better for the next request (50k ports, 3+3 runs) and
// is a stop-the-world pause of its own; in loom up northd's collection covers them.
// Never: collects while a registered party is busy; does anything without --expose-gc.

/** Rows owed past which the process collects once idle. */
const DEBT = 20000;
/** How long nothing must be owed (and no one busy) before that collection: a burst is not interrupted. */
const IDLE_MS = 30;

let debt = 0;
let timer: NodeJS.Timeout | undefined;
const busy = new Set<() => boolean>();
let collect: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;

/** Adds `n` rows of garbage to the debt; past DEBT, collects once the process is idle. */
export function owe(n: number): void {
  debt += n;
  if (debt < DEBT || collect === undefined) return;
  if (timer !== undefined) timer.refresh();
  else timer = setTimeout(fire, IDLE_MS).unref();
}

/** Registers a party whose work must not be interrupted; returns its unregistration. */
export function whileBusy(isBusy: () => boolean): () => void {
  busy.add(isBusy);
  return () => void busy.delete(isBusy);
}

function fire(): void {
  timer = undefined;
  for (const b of busy) {
    if (b()) {
      timer = setTimeout(fire, IDLE_MS).unref();
      return;
    }
  }
  debt = 0;
  collect?.();
}

/** For tests: the collector to call instead of global.gc (undefined: none), and a clean slate. */
export function setCollectorForTest(f: (() => void) | undefined): void {
  collect = f;
  debt = 0;
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
}
