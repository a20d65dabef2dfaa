// nbdb/index.ts — the northbound database service: OVN_Northbound in a SQLite file, served
// over REST + WebSocket (store/server.ts), with NB rules (nbdb/validate.ts) checked inside
// every transaction (an ACL whose match does not parse, or names an unknown $set or @group,
// is refused at write time). `loom nbdb --db FILE --listen HOST:PORT` (cli/) calls startNbdb.
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { runStoreService, type RunningService, type StoreServerOptions } from '../store/server.js';
import { validateNbTxn } from './validate.js';

export { nbRowProblem, lspAddressProblem, portSecurityProblem, isMac, isCidr, isIp, validateNbTxn } from './validate.js';

export interface DbServiceOptions extends StoreServerOptions {
  /** The SQLite file (created if missing). */
  readonly db: string;
  /** HOST:PORT to listen on; port 0 picks a free one (see url). */
  readonly listen: string;
  /** Close on SIGTERM/SIGINT (default true: this is what a daemon wants). */
  readonly handleSignals?: boolean;
}

export async function startNbdb(options: DbServiceOptions): Promise<RunningService> {
  const store = await SqliteStore.open(options.db, nbSchema, { validate: validateNbTxn });
  return runStoreService(store, options.listen, { database: nbSchema.name, ...options, handleSignals: options.handleSignals ?? true });
}
