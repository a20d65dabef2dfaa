// sbdb/index.ts — the southbound database service: OVN_Southbound in a SQLite file, served
// over REST + WebSocket (store/server.ts). Controllers watch it filtered per chassis
// (e.g. Port_Binding where chassis == X). `loom sbdb --db FILE --listen HOST:PORT` (cli/)
// calls startSbdb.
import { sbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { runStoreService, type RunningService, type StoreServerOptions } from '../store/server.js';

export interface DbServiceOptions extends StoreServerOptions {
  /** The SQLite file (created if missing). */
  readonly db: string;
  /** HOST:PORT to listen on; port 0 picks a free one (see url). */
  readonly listen: string;
  /** Close on SIGTERM/SIGINT (default true: this is what a daemon wants). */
  readonly handleSignals?: boolean;
}

export async function startSbdb(options: DbServiceOptions): Promise<RunningService> {
  const store = await SqliteStore.open(options.db, sbSchema);
  return runStoreService(store, options.listen, { database: sbSchema.name, ...options, handleSignals: options.handleSignals ?? true });
}
