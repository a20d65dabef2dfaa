// store/index.ts — public surface of the store: the contract (types.ts) and the embedded
// SQLite engine. The HTTP/WS server and client are exported by their own modules.
export * from './types.js';
export { SqliteStore } from './sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite-store.js';
export { WatchFilter } from './watch-filter.js';
export { executeTransaction, WaitUnmet } from './transaction.js';
export type { ExecuteOptions, TxnOutcome } from './transaction.js';
export { Database } from './database.js';
export { compileWhere } from './condition.js';
export { parseValue, defaultValue, valuesEqual, compareAtoms, isUuid, kindOf } from './value.js';
