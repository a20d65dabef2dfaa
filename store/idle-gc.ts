// store/idle-gc.ts — one major collection once the process goes idle after a bulk of work.
//
// Owns: the process's garbage debt (rows committed, written or taken in since the last
// collection) and the timer that collects (global.gc: node --expose-gc, as bin/loom starts
// nbdb, sbdb, northd and loom up) once the debt is past DEBT, nothing was owed for IDLE_MS
// and no registered party says it is busy. A bulk commit or compile leaves a heap of
// garbage whose major collection otherwise lands on the next small request: after a 10k
// compile the first port add waited ≈40 ms in sbdb and ≈20 ms in nbdb, after a 50k one
// northd's first batch ≈100 ms.
// Called by: SqliteStore (each commit), northd/daemon.ts (each batch; busy while one runs).
// One per process, shared: with the stores and northd in one process (loom up) a bulk is
// collected once, not once per owner.
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
