// store/index.ts — public surface of the store: the contract (types.ts) and the embedded
// SQLite engine. The HTTP/WS server and client are exported by their own modules.
//
// How the pieces fit (for a new backend, e.g. etcd): Database holds committed rows in
// memory with their reference counts and unique indexes; executeTransaction runs RFC 7047
// operations against it and returns the change set to commit (or a LoomError, touching
// nothing); a backend persists that change set under revision + 1, then Database.apply()s
// it and announces it to watchers, whose WatchFilter turns it into what each one sees.
// SqliteStore is that loop over one SQLite file.
export * from './types.js';
export { SqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { WatchFilter } from './watch-filter.js';
export { HeldParts, checkPart } from './txn-parts.js';
export { executeTransaction, WaitUnmet } from './transaction.js';
export type { ExecuteOptions, TxnOutcome } from './transaction.js';
export { Database } from './database.js';
export { compileWhere } from './condition.js';
export { parseValue, defaultValue, valuesEqual, compareAtoms, isUuid, kindOf } from './value.js';
