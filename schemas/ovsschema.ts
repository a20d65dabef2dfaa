// schemas/ovsschema.ts — reads an OVSDB schema document (RFC 7047 §3.2, the
// `*.ovsschema` JSON that OVN ships) into loom's DatabaseSchema.
//
// Owns: the translation of OVSDB's compact type notation ("string",
// {"key": {...}, "min": 0, "max": "unlimited"}, ["set", [...]] enums) into the explicit
// shape of store/types.ts. Reads: a parsed JSON value. Called by schemas/generate.ts at
// build time (nb.ts and sb.ts are its committed output) and by anyone loading another
// OVSDB schema at run time. Never reads files itself and never guesses: an unknown or
// malformed key is a LoomError, so a newer OVN schema fails loudly instead of silently.
// Invariants: every column has explicit min/max; a uuid with refTable has refType set
// (OVSDB's default is strong); isRoot is explicit (OVSDB's default false).

import { LoomError } from '../store/types.js';
import type { AtomicType, BaseType, ColumnSchema, DatabaseSchema, Scalar, TableSchema } from '../store/types.js';

const atomicTypes: readonly AtomicType[] = ['string', 'integer', 'real', 'boolean', 'uuid'];

function bad(message: string, path: string, value?: unknown): LoomError {
  return new LoomError({ code: 'bad-request', message, path, value });
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function atomicType(x: unknown, path: string): AtomicType {
  if (typeof x === 'string' && (atomicTypes as readonly string[]).includes(x)) return x as AtomicType;
  throw bad(`unknown atomic type ${JSON.stringify(x)}; expected one of ${atomicTypes.join(', ')}`, path, x);
}

function enumValues(x: unknown, path: string): Scalar[] {
  // OVSDB writes a one-value enum as the bare atom and several as ["set", [...]].
  const list = Array.isArray(x) && x[0] === 'set' && Array.isArray(x[1]) ? (x[1] as unknown[]) : [x];
  return list.map((v, i) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    throw bad('enum values must be atoms', `${path}/${i}`, v);
  });
}

function baseType(x: unknown, path: string): BaseType {
  if (typeof x === 'string') return { type: atomicType(x, path) };
  if (!isObject(x)) throw bad('a base type is a string or an object', path, x);
  const out: { -readonly [K in keyof BaseType]: BaseType[K] } = { type: atomicType(x['type'], `${path}/type`) };
  for (const [k, v] of Object.entries(x)) {
    switch (k) {
      case 'type':
        break;
      case 'enum':
        out.enum = enumValues(v, `${path}/enum`);
        break;
      case 'minInteger':
      case 'maxInteger':
      case 'minLength':
      case 'maxLength':
        if (typeof v !== 'number') throw bad(`${k} must be a number`, `${path}/${k}`, v);
        out[k] = v;
        break;
      case 'minReal':
      case 'maxReal':
        // loom keeps real bounds out of its contract; no OVN column uses them.
        throw bad(`${k} is not supported`, `${path}/${k}`, v);
      case 'refTable':
        if (typeof v !== 'string') throw bad('refTable must be a string', `${path}/${k}`, v);
        out.refTable = v;
        break;
      case 'refType':
        if (v !== 'strong' && v !== 'weak') throw bad('refType must be strong or weak', `${path}/${k}`, v);
        out.refType = v;
        break;
      default:
        throw bad(`unknown base type key ${k}`, `${path}/${k}`, v);
    }
  }
  if (out.refTable !== undefined && out.refType === undefined) out.refType = 'strong';
  return out;
}

function columnSchema(x: unknown, path: string): ColumnSchema {
  if (!isObject(x)) throw bad('a column is an object', path, x);
  const t = x['type'];
  let col: { -readonly [K in keyof ColumnSchema]: ColumnSchema[K] };
  if (typeof t === 'string') {
    col = { key: baseType(t, `${path}/type`), min: 1, max: 1 };
  } else if (isObject(t)) {
    col = { key: baseType(t['key'], `${path}/type/key`), min: 1, max: 1 };
    if (t['value'] !== undefined) col.value = baseType(t['value'], `${path}/type/value`);
    if (t['min'] !== undefined) {
      if (typeof t['min'] !== 'number') throw bad('min must be a number', `${path}/type/min`, t['min']);
      col.min = t['min'];
    }
    if (t['max'] !== undefined) {
      if (typeof t['max'] !== 'number' && t['max'] !== 'unlimited') throw bad('max must be a number or "unlimited"', `${path}/type/max`, t['max']);
      col.max = t['max'];
    }
  } else {
    throw bad('a column type is a string or an object', `${path}/type`, t);
  }
  for (const [k, v] of Object.entries(x)) {
    if (k === 'type') continue;
    if (k === 'ephemeral' || k === 'mutable') {
      if (typeof v !== 'boolean') throw bad(`${k} must be a boolean`, `${path}/${k}`, v);
      col[k] = v;
    } else {
      throw bad(`unknown column key ${k}`, `${path}/${k}`, v);
    }
  }
  return col;
}

function tableSchema(name: string, x: unknown, path: string): TableSchema {
  if (!isObject(x)) throw bad('a table is an object', path, x);
  const colsIn = x['columns'];
  if (!isObject(colsIn)) throw bad('columns must be an object', `${path}/columns`, colsIn);
  const columns: Record<string, ColumnSchema> = {};
  for (const [c, v] of Object.entries(colsIn)) columns[c] = columnSchema(v, `${path}/columns/${c}`);
  const indexes: string[][] = [];
  if (x['indexes'] !== undefined) {
    if (!Array.isArray(x['indexes'])) throw bad('indexes must be an array', `${path}/indexes`, x['indexes']);
    for (const [i, idx] of (x['indexes'] as unknown[]).entries()) {
      if (!Array.isArray(idx) || !idx.every((c): c is string => typeof c === 'string' && c in columns)) {
        throw bad('an index is an array of column names of this table', `${path}/indexes/${i}`, idx);
      }
      indexes.push(idx);
    }
  }
  const out: { -readonly [K in keyof TableSchema]: TableSchema[K] } = {
    name,
    columns,
    isRoot: x['isRoot'] === true,
    indexes,
  };
  if (x['maxRows'] !== undefined) {
    if (typeof x['maxRows'] !== 'number') throw bad('maxRows must be a number', `${path}/maxRows`, x['maxRows']);
    out.maxRows = x['maxRows'];
  }
  return out;
}

/** Converts a parsed `.ovsschema` document. */
export function fromOvsSchema(doc: unknown): DatabaseSchema {
  if (!isObject(doc)) throw bad('a schema is an object', '');
  const { name, version, tables } = doc;
  if (typeof name !== 'string') throw bad('name must be a string', '/name', name);
  if (typeof version !== 'string') throw bad('version must be a string', '/version', version);
  if (!isObject(tables)) throw bad('tables must be an object', '/tables', tables);
  const out: Record<string, TableSchema> = {};
  for (const [t, v] of Object.entries(tables)) out[t] = tableSchema(t, v, `/tables/${t}`);
  for (const t of Object.values(out)) {
    for (const [c, col] of Object.entries(t.columns)) {
      for (const base of [col.key, col.value]) {
        if (base?.refTable !== undefined && !(base.refTable in out)) {
          throw bad(`${t.name}.${c} refers to unknown table ${base.refTable}`, `/tables/${t.name}/columns/${c}`, base.refTable);
        }
      }
    }
  }
  return { name, version, tables: out };
}
