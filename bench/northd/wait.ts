// bench/northd/wait.ts — `ovn-nbctl --wait=sb` for the benches: resolves once NB_Global.sb_cfg
// reaches the target, from the store's own watch. (cli/run.ts waitForCfg imports rxjs on
// every call; under tsx's loader that import yields to the event loop, so the figures
// included whatever maintenance the stores had deferred to their next turn — the WAL
// checkpoint after a bulk commit — which a client waiting on the wire does not wait for.)
import { LoomError, type Row, type Store } from '../../store/types.js';

export function waitSbCfg(nb: Store, target: number, timeoutMs = 1_800_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const seen = (rows: readonly (Row | null)[]): boolean => rows.some((r) => r !== null && Number(r['sb_cfg'] ?? 0) >= target);
    let done = false;
    const finish = (e?: unknown): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      queueMicrotask(() => sub.unsubscribe());
      if (e === undefined) resolve();
      else reject(e);
    };
    const timer = setTimeout(() => finish(new LoomError({ code: 'timed-out', message: `sb_cfg did not reach ${target}`, table: 'NB_Global' })), timeoutMs);
    const sub = nb.watch({ tables: { NB_Global: { columns: ['nb_cfg', 'sb_cfg'] } } }).subscribe({
      next: (ev) => {
        if (ev.type === 'snapshot' ? seen(ev.tables['NB_Global'] ?? []) : ev.type === 'change' && seen(ev.changes.map((c) => c.new))) finish();
      },
      error: (e: unknown) => finish(e),
      complete: () => finish(new LoomError({ code: 'unavailable', message: 'the database closed while waiting', table: 'NB_Global' })),
    });
  });
}
