// cli/index.ts — public surface of the CLI: run `loom` argv in-process, parse and run command
// chains against any Store, the command tables, and the output formatters other parts reuse.
export { main, ctl, forwardable } from './entry.js';
export { startCtlDaemon, sendToDaemon, encodeRequest, decodeRequest } from './daemon.js';
export type { CtlDaemon, CtlIo, CtlRunner, Answer } from './daemon.js';
export { parseArgs, closeMatches, findCommand } from './args.js';
export type { ParsedCommand, ParsedInvocation } from './args.js';
export { runInvocation, waitForCfg } from './run.js';
export type { RunOptions, RunResult } from './run.js';
export { nbCommands, formatAcls, formatRoutes, formatNats, formatLbs, formatPolicies } from './nbctl.js';
export { sbCommands, formatLflows, lflowLines, flowSource, showSb } from './sbctl.js';
export { showNb, showNbJson } from './show.js';
export { dbCommands, findRecord, resolveTable } from './db-commands.js';
export { TxnView } from './txn-view.js';
export { HttpStore } from './http-store.js';
export { formatRows, defaultColumns } from './table-format.js';
export type { OutputFormat, FormatOptions } from './table-format.js';
export { parseDatum, formatValue, formatBare, toWire } from './values.js';
export type { CommandSpec, CommandContext, GlobalOptions } from './command.js';
