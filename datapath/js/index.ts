// datapath/js/index.ts — public surface of the native datapath's TypeScript wrapper.
export { CT_TIMEOUT_NAMES, Datapath, ealArgs, fromAddonError, PORT_TYPES } from './datapath.js';
export type { ConntrackStats, CtTimeoutName, DatapathOptions, DatapathStats, EntryStats, PacketIn, PacketOutMetadata, PacketOutTarget, PortInfo, PortSpec, PortStats, PortType, TraceResult, WorkerStats } from './datapath.js';
export { normalizeBatch, MAX_TABLES } from './batch.js';
export type { Action, BatchOp, Entry, MatchValue, Miss, WireOp } from './batch.js';
export { FIELDS, fieldByName, parseFieldValue } from './fields.js';
export type { FieldSpec } from './fields.js';
export { DatapathProcess } from './process.js';
