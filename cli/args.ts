// cli/args.ts — the command line as ovn-nbctl reads it.
//
// Owns: splitting argv into global options and a chain of commands separated by `--`
// (a leading `--` is allowed, as in `ovn-nbctl -- ls-add a -- lsp-add a p`), each command
// with its own options written before its name (`-- --may-exist ls-add x`); checking
// arity and option names against the command table; "did you mean" suggestions.
// Reads: a command table (cli/nbctl.ts or cli/sbctl.ts).
// Called by: cli/main.ts.
// Must never: run anything, or accept an option a command does not declare.
// Invariants: the chain order is argv order; a command's arguments are never mistaken for
// options (everything after the command name is an argument).

import { LoomError } from '../store/types.js';
import type { CommandSpec, GlobalOptions } from './command.js';
import type { OutputFormat } from './table-format.js';

export interface ParsedCommand {
  readonly spec: CommandSpec;
  readonly args: readonly string[];
  readonly options: ReadonlyMap<string, string>;
}

export interface ParsedInvocation {
  readonly global: GlobalOptions;
  readonly commands: readonly ParsedCommand[];
  /** `--help` given (globally, or after a command: then `helpFor` names it). */
  readonly help: boolean;
  readonly helpFor?: CommandSpec;
}

/** Global options that take a value, and whether `--opt VALUE` (separate word) is accepted. */
const GLOBAL_WITH_VALUE = new Set(['db', 'timeout', 'wait', 'format', 'data', 'columns']);
const GLOBAL_FLAGS = new Set(['json', 'no-headings', 'bare', 'help', 'no-wait', 'leader-only', 'no-leader-only', 'no-syslog', 'oneline', 'pretty']);
const SHORT: Record<string, string> = { '-h': 'help', '-t': 'timeout', '-f': 'format', '-d': 'data' };

export function isGlobalOption(name: string): boolean {
  return GLOBAL_WITH_VALUE.has(name) || GLOBAL_FLAGS.has(name);
}

function usageError(message: string, hint?: string): LoomError {
  return new LoomError({ code: 'bad-request', message, ...(hint !== undefined ? { hint } : {}) });
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length] as number;
}

export function closeMatches(word: string, names: readonly string[]): string[] {
  const scored = names
    .map((n) => ({ n, d: n.includes(word) || word.includes(n) ? 1 : distance(word, n) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(word.length / 3)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n));
  return scored.slice(0, 5).map((x) => x.n);
}

export function findCommand(table: readonly CommandSpec[], name: string): CommandSpec {
  const spec = table.find((c) => c.name === name);
  if (spec !== undefined) return spec;
  const close = closeMatches(name, table.map((c) => c.name));
  throw usageError(`unknown command '${name}'; use --help for help`, close.length > 0 ? `did you mean: ${close.join(', ')}?` : undefined);
}

interface MutableGlobals {
  db?: string;
  format: OutputFormat;
  bare: boolean;
  headings: boolean;
  json: boolean;
  wait?: 'sb' | 'hv' | 'none';
  timeout: number;
  columns?: string;
}

function setGlobal(g: MutableGlobals, name: string, value: string | undefined): void {
  switch (name) {
    case 'db':
      g.db = value as string;
      return;
    case 'timeout': {
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) throw usageError(`--timeout=${String(value)}: expected a number of seconds`, 'example: --timeout=10');
      g.timeout = n;
      return;
    }
    case 'wait':
      if (value !== 'sb' && value !== 'hv' && value !== 'none') throw usageError(`--wait=${String(value)}: argument must be "none", "sb" or "hv"`, 'example: --wait=sb');
      g.wait = value;
      return;
    case 'no-wait':
      g.wait = 'none';
      return;
    case 'format':
      if (value !== 'list' && value !== 'table' && value !== 'csv' && value !== 'json') {
        throw usageError(`--format=${String(value)}: format must be one of list, table, csv, json`, 'example: --format=table');
      }
      g.format = value;
      return;
    case 'columns':
      g.columns = value as string;
      return;
    case 'data':
      if (value === 'bare') g.bare = true;
      return;
    case 'json':
      g.json = true;
      g.format = 'json';
      return;
    case 'no-headings':
      g.headings = false;
      return;
    case 'bare':
      g.bare = true;
      g.headings = false;
      return;
    default:
      return; // accepted for compatibility, no effect here
  }
}

/**
 * Parses argv (after the program name and any `sb` word) against a command table.
 * Options before a command name belong to that command unless they are global.
 */
export function parseArgs(argv: readonly string[], table: readonly CommandSpec[], env: { readonly db?: string } = {}): ParsedInvocation {
  const g: MutableGlobals = { format: 'list', bare: false, headings: true, json: false, timeout: 0 };
  if (env.db !== undefined) g.db = env.db;
  let help = false;
  let helpFor: CommandSpec | undefined;
  const commands: ParsedCommand[] = [];
  // Split on `--` words.
  const segments: string[][] = [[]];
  for (const a of argv) {
    if (a === '--') segments.push([]);
    else (segments[segments.length - 1] as string[]).push(a);
  }
  for (const seg of segments) {
    if (seg.length === 0) continue;
    const options = new Map<string, string>();
    let i = 0;
    while (i < seg.length) {
      const w = seg[i] as string;
      if (!w.startsWith('-') || w === '-') break;
      let name: string;
      let value: string | undefined;
      const short = SHORT[w];
      if (short !== undefined) name = short;
      else if (w.startsWith('--')) {
        const eq = w.indexOf('=');
        name = eq < 0 ? w.slice(2) : w.slice(2, eq);
        value = eq < 0 ? undefined : w.slice(eq + 1);
      } else throw usageError(`unrecognized option '${w}'`, 'options are written --name or --name=value; see --help');
      i++;
      if (name === 'help') {
        help = true;
        continue;
      }
      if (GLOBAL_WITH_VALUE.has(name)) {
        if (value === undefined) {
          if (i >= seg.length) throw usageError(`option '--${name}' requires an argument`);
          value = seg[i++] as string;
        }
        setGlobal(g, name, value);
      } else if (GLOBAL_FLAGS.has(name)) setGlobal(g, name, value);
      else options.set(name, value ?? '');
    }
    if (i >= seg.length) {
      if (options.size > 0) throw usageError(`missing command name after --${[...options.keys()][0] as string}`, 'options go before the command they modify: -- --may-exist ls-add sw0');
      continue;
    }
    const spec = findCommand(table, seg[i] as string);
    const args = seg.slice(i + 1);
    if (args.includes('--help')) {
      help = true;
      helpFor = spec;
      continue;
    }
    const allowed = new Set(spec.options.map((o) => (o.split('=')[0] as string).replace(/^--/, '')));
    for (const [name, value] of options) {
      if (!allowed.has(name)) {
        throw usageError(`'${spec.name}' command has no '--${name}' option`, spec.options.length > 0 ? `options of ${spec.name}: ${spec.options.join(' ')}` : `${spec.name} takes no options`);
      }
      const decl = spec.options.find((o) => o === `--${name}` || o.startsWith(`--${name}=`)) as string;
      if (decl.includes('=') && value === '') throw usageError(`'${spec.name}' option '--${name}' needs a value`, `write it as ${decl}`);
    }
    if (args.length < spec.min || args.length > spec.max) {
      const n = args.length < spec.min ? spec.min : spec.max;
      const words = args.length < spec.min ? (spec.min === spec.max ? `${n} argument${n === 1 ? '' : 's'}` : `at least ${n} argument${n === 1 ? '' : 's'}`) : `at most ${n} argument${n === 1 ? '' : 's'}`;
      throw usageError(`'${spec.name}' command requires ${words}`, `usage: ${spec.name}${spec.syntax === '' ? '' : ` ${spec.syntax}`}`);
    }
    commands.push({ spec, args, options });
  }
  return { global: g, commands, help, ...(helpFor !== undefined ? { helpFor } : {}) };
}
