// store/rehearsal.ts — which small transactions a store rehearses once idle after a bulk
// commit (SqliteStore runs them and throws them away: see SqliteStore.rehearse).
//
// Why: after a bulk commit (a 50k-port compile's 275k SB rows, 20k NB status writes) the
// next small commit is the first to run the paths a bulk never takes — a row taken out of
// its pending part, a big set's member rows written, an update's change-log entry — and
// pays V8 compiling them: 5–16 ms in sbdb and nbdb for the first port added after a 50k
// compile, ≈1.5 ms for the next. Rehearsed on the real rows, those paths are compiled
// before a client's commit needs them.
// Owns: the choice of rows and operations, per table that has rows (at most MAX_TABLES):
// one row (a bulk commit's pending row with a big set or map first, then any row with
// one, within the first SCAN rows), a mutate that adds a key to a free-form string map
// (external_ids if it has one) and one that deletes the first element of its first
// mutable big set or map.
// Reads: the committed state (Database) and the schema. Called by SqliteStore.
// Never: decides whether the operations commit (they never do), or picks a row by scanning
// a whole table.

import type { Database } from './database.js';
import type { ColumnSchema, Operation, Row, Scalar, Uuid } from './types.js';
import { bigFrom } from './row-codec.js';
import { kindOf } from './value.js';

const MAX_TABLES = 16;
const SCAN = 200;
/** The key a rehearsal adds to a string map (never committed). */
export const REHEARSAL_KEY = 'loom:rehearsal';

function freeString(col: ColumnSchema['key']): boolean {
  return col.type === 'string' && col.enum === undefined && col.minLength === undefined && col.maxLength === undefined;
}

function size(v: Row[string] | undefined): number {
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  return 0;
}

/** The first mutable set/map column of `row` with at least bigFrom elements. */
function bigColumn(columns: { readonly [c: string]: ColumnSchema }, row: Row): string | undefined {
  for (const [c, col] of Object.entries(columns)) {
    const k = kindOf(col);
    if ((k === 'set' || k === 'map') && col.mutable !== false && col.ephemeral !== true && size(row[c]) >= bigFrom) return c;
  }
  return undefined;
}

const atom = (type: ColumnSchema['key']['type'], a: Scalar): unknown => (type === 'uuid' ? ['uuid', a] : a);

/**
 * One list of operations per table with rows: what SqliteStore rehearses. `pending` says
 * whether a row is still in a bulk commit's pending record (those are preferred).
 */
export function rehearsalOps(db: Database, pending: (uuid: Uuid) => boolean): Operation[][] {
  const out: Operation[][] = [];
  for (const [table, info] of db.info) {
    if (out.length >= MAX_TABLES) break;
    const rows = db.rowsOf(table);
    if (rows.size === 0) continue;
    const columns = info.schema.columns;
    let best: Row | undefined;
    let bestScore = -1;
    let n = 0;
    for (const row of rows.values()) {
      const score = (bigColumn(columns, row) !== undefined ? 1 : 0) + (pending(row._uuid) ? 2 : 0);
      if (score > bestScore) {
        best = row;
        bestScore = score;
      }
      if (bestScore === 3 || ++n >= SCAN) break;
    }
    if (best === undefined) continue;
    const where = [['_uuid', '==', ['uuid', best._uuid]]] as const;
    const ops: Operation[] = [];
    // external_ids first: the map no database rule reads (options and other_config may be checked)
    const maps = Object.keys(columns).sort((a, b) => Number(b === 'external_ids') - Number(a === 'external_ids'));
    for (const c of maps) {
      const col = columns[c] as ColumnSchema;
      if (kindOf(col) !== 'map' || col.mutable === false || col.ephemeral === true || col.value === undefined) continue;
      if (!freeString(col.key) || !freeString(col.value)) continue;
      if (typeof col.max === 'number' && size(best[c]) >= col.max) continue;
      ops.push({ op: 'mutate', table, where: [...where], mutations: [[c, 'insert', ['map', [[REHEARSAL_KEY, '1']]]]] });
      break;
    }
    const big = bigColumn(columns, best);
    const col = big === undefined ? undefined : columns[big];
    if (big !== undefined && col !== undefined && size(best[big]) > (col.min ?? 0)) {
      const v = best[big];
      if (Array.isArray(v)) ops.push({ op: 'mutate', table, where: [...where], mutations: [[big, 'delete', ['set', [atom(col.key.type, v[0] as Scalar)]]]] });
      else if (v !== null && typeof v === 'object') {
        const k = Object.keys(v)[0] as string;
        const key = col.key.type === 'integer' || col.key.type === 'real' ? Number(k) : col.key.type === 'boolean' ? k === 'true' : k;
        ops.push({ op: 'mutate', table, where: [...where], mutations: [[big, 'delete', ['set', [atom(col.key.type, key)]]]] });
      }
    }
    if (ops.length > 0) out.push(ops);
  }
  return out;
}
