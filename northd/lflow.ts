// northd/lflow.ts — the one way a logical flow comes into existence, and the table that
// shares identical flows across datapaths.
//
// Owns: `LflowBuilder.add` (every pipeline builder calls it: datapath, stage, priority,
// match, actions, the NB row it came from) which records the calling source line as OVN
// records northd.c:LINE; `FlowTable`, the reference-counted union of all builders' output
// keyed by flow identity, with the set of datapaths each flow applies to (OVN's
// Logical_DP_Group sharing) and the keys changed since the last `takeDirty()`.
// Reads: stages.ts. Called by pipelines (switch.ts, router.ts), compile.ts, engine.ts.
// Never: writes to a store; never derives a table number other than via stages.ts.
// Invariants: a flow's identity is (stage, priority, match, actions, NB row, source); the
// same identity on several datapaths is one SB Logical_Flow. Counts never go negative.

import { findSourceMap } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Uuid } from '../store/types.js';
import { stage as stageOf, type Pipeline, type StageName } from './stages.js';

/** A flow with its identity; the datapath it applies to is kept beside it. */
export interface Lflow {
  readonly stage: StageName;
  readonly pipeline: Pipeline;
  readonly table: number;
  readonly priority: number;
  readonly match: string;
  readonly actions: string;
  /** `Table:uuid` of the NB row the flow came from, or ''. */
  readonly nbRow: string;
  /** file:line of the builder call (external_ids:source). */
  readonly source: string;
}

export interface DpFlow {
  readonly dp: Uuid;
  readonly flow: Lflow;
  /** flowKey(flow), computed once */
  readonly key: string;
}

export function flowKey(f: Lflow): string {
  return `${f.stage}\u0001${f.priority}\u0001${f.match}\u0001${f.actions}\u0001${f.nbRow}\u0001${f.source}`;
}

/**
 * OVN's external_ids on a Logical_Flow (stage-hint is the first 8 hex digits of the NB
 * uuid), frozen: the store takes a frozen map as it is instead of copying it.
 */
export function flowExternalIds(f: Lflow): { readonly [k: string]: string } {
  // keys in sorted order, as the store keeps maps (else it re-sorts into a copy)
  if (f.nbRow === '') return Object.freeze({ source: f.source, 'stage-name': f.stage });
  return Object.freeze({ 'nb-row': f.nbRow, source: f.source, 'stage-hint': stageHint(f.nbRow), 'stage-name': f.stage });
}

// consecutive flows mostly come from one NB row: its hint is worked out once (one string)
let hintOf = '';
let hint = '';
function stageHint(nbRow: string): string {
  if (nbRow !== hintOf) {
    hintOf = nbRow;
    const at = nbRow.indexOf(':') + 1;
    // a UUID's first 8 hex digits come before its first '-'
    const head = nbRow.slice(at, at + 8);
    hint = head.length === 8 && !head.includes('-') ? head : nbRow.slice(at).replace(/-/g, '').slice(0, 8);
  }
  return hint;
}

// --------------------------------------------------------------- source lines

const sourceCache = new Map<string, string>();
type CallSite = { getFileName(): string | null; getLineNumber(): number | null; getColumnNumber(): number | null };

function callerSource(skip: Function): string {
  const saved = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.prepareStackTrace = (_e, cs) => cs;
  const holder: { stack?: unknown } = {};
  Error.captureStackTrace(holder, skip);
  const sites = holder.stack as CallSite[] | undefined;
  Error.prepareStackTrace = saved;
  Error.stackTraceLimit = limit;
  const site = sites?.[0];
  const file = site?.getFileName() ?? '';
  const line = site?.getLineNumber() ?? 0;
  const col = site?.getColumnNumber() ?? 0;
  const raw = `${file}:${line}:${col}`;
  let src = sourceCache.get(raw);
  if (src === undefined) {
    src = `${basename(file.startsWith('file:') ? fileURLToPath(file) : file)}:${line}`;
    try {
      // tsx/esbuild reflow lines; the source map gives the TypeScript line.
      const entry = findSourceMap(file)?.findEntry(line - 1, col - 1) as { originalLine?: number; originalSource?: string } | undefined;
      if (entry?.originalLine !== undefined && entry.originalSource !== undefined) {
        src = `${basename(entry.originalSource)}:${entry.originalLine + 1}`;
      }
    } catch {
      // no source map: keep the generated line
    }
    sourceCache.set(raw, src);
  }
  return src;
}

/**
 * Capturing a stack per flow costs ~30 µs, most of a full compile. Every builder call site
 * emits flows of one shape (stage, priority, match and actions with names, numbers and
 * addresses blanked), so the source is looked up once per shape. The shape is never built
 * as text: `shapeHash` walks match and actions once, blanking as SHAPE_RE would, into a
 * 53-bit hash (a regexp replace and a long string key per flow were ≈15% of a compile).
 * `checkSources(true)` captures every time and fails if one shape ever came from two call
 * sites, or two shapes (SHAPE_RE's text) ever hashed alike (tests run the goldens and the
 * property test that way), which keeps the shortcut exact.
 */
const sourceByShape = new Map<number, string>();
/** strict mode only: hash → the shape text it stands for */
const shapeByHash = new Map<number, string>();
let strict = false;
// quoted names, and numbers / MACs / IPv4 / IPv6 (not digits inside words like ip4 or reg0,
// nor register bit indexes like reg0[7], which tell flows of different lines apart)
const SHAPE_RE = /"[^"]*"|(?<![A-Za-z_0-9.[])[0-9a-f]*[0-9:][0-9a-f:.\/]*/g;

export function checkSources(on: boolean): void {
  strict = on;
}

/** The shape's text (strict mode's check of the hash). */
export function shapeOf(stage: string, priority: number, match: string, actions: string): string {
  return `${stage}|${priority}|${match.replace(SHAPE_RE, '#')}|${actions.replace(SHAPE_RE, '#')}`;
}

// character classes of SHAPE_RE, by char code (ASCII; anything else is none of them)
const HEX = 1; // [0-9a-f]
const TAIL = 2; // [0-9a-f:./]
const BEHIND = 4; // [A-Za-z_0-9.[] (no blanking right after one)
const DIGIT = 8; // [0-9]
const START = 16; // [0-9a-f:] (where a blanked run may start)
const CLASS = new Uint8Array(65536);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLASS[c] = (/[0-9a-f]/.test(ch) ? HEX | START : 0) | (/[0-9a-f:./]/.test(ch) ? TAIL : 0) | (/[A-Za-z_0-9.[]/.test(ch) ? BEHIND : 0) | (/[0-9]/.test(ch) ? DIGIT : 0)
    | (ch === ':' ? START : 0);
}

/**
 * Folds `s` with SHAPE_RE's matches blanked to '#' into the hash pair (h1, h2): at each
 * position the quoted alternative first, else a run of [0-9a-f] (not right after
 * [A-Za-z_0-9.[]) that holds a digit or is followed by ':' blanks through the longest
 * [0-9a-f:./] run from there — exactly where the regexp's backtracking ends its match.
 */
let h1 = 0;
let h2 = 0;
function fold(s: string): void {
  const n = s.length;
  let a = h1;
  let b = h2;
  let prev = 0;
  let i = 0;
  while (i < n) {
    let c = s.charCodeAt(i);
    const k = CLASS[c] as number;
    if (c === 34) {
      const j = s.indexOf('"', i + 1);
      if (j >= 0) {
        a = Math.imul(a ^ 35, 0x01000193);
        b = ((b << 5) + b + 35) | 0;
        prev = 34;
        i = j + 1;
        continue;
      }
    } else if (k & START && !((CLASS[prev] as number) & BEHIND)) {
      let j = i;
      let digit = 0;
      let kj = k;
      while (kj & HEX) {
        digit |= kj;
        if (++j === n) break;
        kj = CLASS[s.charCodeAt(j)] as number;
      }
      if (digit & DIGIT || (j < n && s.charCodeAt(j) === 58)) {
        while (j < n && (CLASS[s.charCodeAt(j)] as number) & TAIL) j++;
        a = Math.imul(a ^ 35, 0x01000193);
        b = ((b << 5) + b + 35) | 0;
        prev = s.charCodeAt(j - 1);
        i = j;
        continue;
      }
    }
    a = Math.imul(a ^ c, 0x01000193);
    b = ((b << 5) + b + c) | 0;
    prev = c;
    i++;
  }
  h1 = a;
  h2 = b | 0;
}

const STAGE_SEED = new Map<string, number>();
/** The 53-bit hash of shapeOf(...) (without building it): equal shapes, equal hashes. */
export function shapeHash(stage: string, priority: number, match: string, actions: string): number {
  let seed = STAGE_SEED.get(stage);
  if (seed === undefined) {
    h1 = 0x811c9dc5;
    h2 = 0x2545f491;
    fold(stage);
    seed = h1;
    STAGE_SEED.set(stage, seed);
  }
  h1 = Math.imul(seed ^ priority, 0x01000193);
  h2 = Math.imul(seed + priority, 0x5bd1e995);
  fold(match);
  h1 = Math.imul(h1 ^ 124, 0x01000193); // '|' between match and actions
  h2 = Math.imul(h2 + 124, 0x5bd1e995);
  fold(actions);
  // 21 bits of one, 32 of the other: a safe integer
  return (h1 >>> 0) + (h2 & 0x1fffff) * 0x100000000;
}

function sourceFor(stage: string, priority: number, match: string, actions: string): string {
  const h = shapeHash(stage, priority, match, actions);
  const known = sourceByShape.get(h);
  if (known !== undefined && !strict) return known;
  const src = callerSource(LflowBuilder.prototype.add);
  const shape = shapeOf(stage, priority, match, actions);
  const same = shapeByHash.get(h);
  if (strict && same !== undefined && same !== shape) throw new Error(`lflow: shapes ${same} and ${shape} hash alike`);
  if (known !== undefined && known !== src) throw new Error(`lflow: flows of shape ${shape} come from ${known} and ${src}`);
  if (strict) shapeByHash.set(h, shape);
  sourceByShape.set(h, src);
  return src;
}

/**
 * One `add` call site that hands its own token (the few that make most flows: a port's L2
 * lookup and ARP answers, a router's ARP-resolve entries) skips even the shape hash: its
 * source is captured on first use. Strict mode captures every time and fails if a token
 * ever served two call sites.
 */
export class Site {
  src: string | undefined = undefined;
}

function siteSource(at: Site): string {
  if (at.src !== undefined && !strict) return at.src;
  const src = callerSource(LflowBuilder.prototype.add);
  if (at.src !== undefined && at.src !== src) throw new Error(`lflow: one Site used at ${at.src} and ${src}`);
  at.src = src;
  return src;
}

// --------------------------------------------------------------- builder

export interface NbRef {
  readonly table: string;
  readonly uuid: Uuid;
}

/** Collects the flows of one compile unit. */
export class LflowBuilder {
  readonly flows: DpFlow[] = [];
  // a unit adds its flows row by row: consecutive flows of one NB row share its text
  private lastTable = '';
  private lastUuid = '';
  private lastNbRow = '';

  private nbRowOf(row: NbRef): string {
    if (row.uuid !== this.lastUuid || row.table !== this.lastTable) {
      this.lastTable = row.table;
      this.lastUuid = row.uuid;
      this.lastNbRow = `${row.table}:${row.uuid}`;
    }
    return this.lastNbRow;
  }

  /**
   * Adds one logical flow on datapath `dp` (NB uuid of its switch or router). `at`: this
   * call site's own token (module constant), for the hottest sites.
   */
  add(dp: Uuid, stage: StageName, priority: number, match: string, actions: string, row?: NbRef, at?: Site): void {
    const s = stageOf(stage);
    const flow: Lflow = {
      stage, pipeline: s.pipeline, table: s.table, priority, match, actions,
      nbRow: row === undefined ? '' : this.nbRowOf(row),
      source: at === undefined ? sourceFor(stage, priority, match, actions) : siteSource(at),
    };
    this.flows.push({ dp, flow, key: flowKey(flow) });
  }
}

// --------------------------------------------------------------- shared table

export interface SharedFlow {
  readonly flow: Lflow;
  /** datapath → how many units contributed this flow on it */
  readonly dps: DpCounts;
}

/**
 * A count per datapath, Map-like. Most flows are on one datapath (a port's flows): that
 * case is held inline, a Map only once a second datapath joins (44k Maps at 10k ports
 * were ~10 MB of northd's heap).
 */
export class DpCounts {
  private one: Uuid | null = null;
  private n = 0;
  private many: Map<Uuid, number> | null = null;

  get size(): number {
    return this.many !== null ? this.many.size : this.one !== null ? 1 : 0;
  }

  get(dp: Uuid): number | undefined {
    if (this.many !== null) return this.many.get(dp);
    return dp === this.one ? this.n : undefined;
  }

  set(dp: Uuid, n: number): void {
    if (this.many !== null) this.many.set(dp, n);
    else if (this.one === null || this.one === dp) {
      this.one = dp;
      this.n = n;
    } else {
      this.many = new Map([[this.one, this.n], [dp, n]]);
      this.one = null;
    }
  }

  delete(dp: Uuid): void {
    if (this.many !== null) this.many.delete(dp);
    else if (this.one === dp) {
      this.one = null;
      this.n = 0;
    }
  }

  /** The one datapath, when there is exactly one (no iterator to allocate). */
  only(): Uuid | undefined {
    return this.many === null && this.one !== null ? this.one : this.many !== null && this.many.size === 1 ? (this.many.keys().next().value as Uuid) : undefined;
  }

  keys(): IterableIterator<Uuid> {
    if (this.many !== null) return this.many.keys();
    return (this.one === null ? [] : [this.one]).values();
  }
}

/** A flow table entry that is its own count (one object per flow, not two). */
class SharedEntry extends DpCounts implements SharedFlow {
  readonly dps: DpCounts = this;

  constructor(readonly flow: Lflow) {
    super();
  }
}

export class FlowTable {
  readonly flows = new Map<string, SharedFlow>();
  private dirty = new Set<string>();

  addAll(flows: readonly DpFlow[]): void {
    for (const { dp, flow, key: k } of flows) {
      let e = this.flows.get(k);
      if (e === undefined) {
        e = new SharedEntry(flow);
        this.flows.set(k, e);
      }
      const n = e.dps.get(dp) ?? 0;
      e.dps.set(dp, n + 1);
      if (n === 0) this.dirty.add(k);
    }
  }

  removeAll(flows: readonly DpFlow[]): void {
    for (const { dp, key: k } of flows) {
      const e = this.flows.get(k);
      const n = e?.dps.get(dp);
      if (e === undefined || n === undefined) throw new Error(`flow table: removing an absent flow ${k}`);
      if (n > 1) e.dps.set(dp, n - 1);
      else {
        e.dps.delete(dp);
        this.dirty.add(k);
        if (e.dps.size === 0) this.flows.delete(k);
      }
    }
  }

  /** Keys whose datapath set changed (or that appeared/vanished) since the last call. */
  takeDirty(): Set<string> {
    const d = this.dirty;
    this.dirty = new Set();
    return d;
  }
}
