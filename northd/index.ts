// northd/index.ts — public surface of northd: the daemon, the pure compiler, the stage
// table and the content shapes. Nothing else is exported.
export { startNorthd } from './daemon.js';
export type { Northd, NorthdBatch, NorthdOptions, NorthdStats } from './daemon.js';
export { compileFull, keysOf, snapshotChanges } from './compile.js';
export { NorthdEngine } from './engine.js';
export type { ContentChanges, EngineStats, KeySeed } from './engine.js';
export type { SbContent, SbDatapath, SbMulticastGroup, SbPortBinding } from './content.js';
export { STAGES, stage, stageAt, findStage } from './stages.js';
export type { Stage, StageName, Pipeline, DatapathType } from './stages.js';
export type { NbSnapshot, NbTable } from './nb.js';
export { NB_TABLES } from './nb.js';
