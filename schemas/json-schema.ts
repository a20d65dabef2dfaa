// schemas/json-schema.ts — JSON Schemas (draft-07, for ajv) of the rows of a loom
// database, generated from its DatabaseSchema, and their compiled validators.
//
// Owns: the mapping of a table to the JSON shape of its rows in plain form (see
// store/types.ts: scalars, null for an empty optional, sorted arrays for sets, objects
// for maps). Reads: a DatabaseSchema. Called by the store engine (every row it commits
// passes its table's validator), by the REST layer and by tests. Never fills in defaults
// or coerces: it only says yes or no, with ajv's error path.
// Invariants: one validator per table; `partial` validators accept any subset of
// columns (a row given to insert/update), full ones require every column.

import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import type { BaseType, ColumnSchema, DatabaseSchema, TableSchema } from '../store/types.js';

export type JsonSchema = { readonly [k: string]: unknown };

const uuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

export function atomJsonSchema(base: BaseType): JsonSchema {
  const s: Record<string, unknown> = {};
  switch (base.type) {
    case 'string':
      s['type'] = 'string';
      if (base.minLength !== undefined) s['minLength'] = base.minLength;
      if (base.maxLength !== undefined) s['maxLength'] = base.maxLength;
      break;
    case 'integer':
      s['type'] = 'integer';
      if (base.minInteger !== undefined) s['minimum'] = base.minInteger;
      if (base.maxInteger !== undefined) s['maximum'] = base.maxInteger;
      break;
    case 'real':
      s['type'] = 'number';
      break;
    case 'boolean':
      s['type'] = 'boolean';
      break;
    case 'uuid':
      s['type'] = 'string';
      s['pattern'] = uuidPattern;
      break;
  }
  if (base.enum !== undefined) s['enum'] = [...base.enum];
  return s;
}

/** Map keys are object keys, hence strings: integer keys are their decimal text. */
function mapKeyJsonSchema(base: BaseType): JsonSchema {
  switch (base.type) {
    case 'integer':
      return { pattern: '^-?[0-9]+$' };
    case 'real':
      return { pattern: '^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$' };
    case 'boolean':
      return { enum: ['true', 'false'] };
    case 'uuid':
      return { pattern: uuidPattern };
    case 'string': {
      const s: Record<string, unknown> = {};
      if (base.minLength !== undefined) s['minLength'] = base.minLength;
      if (base.maxLength !== undefined) s['maxLength'] = base.maxLength;
      if (base.enum !== undefined) s['enum'] = [...base.enum];
      return s;
    }
  }
}

export function columnJsonSchema(col: ColumnSchema): JsonSchema {
  const max = col.max === 'unlimited' ? undefined : col.max;
  if (col.value !== undefined) {
    return {
      type: 'object',
      propertyNames: mapKeyJsonSchema(col.key),
      additionalProperties: atomJsonSchema(col.value),
      ...(col.min > 0 ? { minProperties: col.min } : {}),
      ...(max !== undefined ? { maxProperties: max } : {}),
    };
  }
  const atom = atomJsonSchema(col.key);
  if (col.min === 1 && col.max === 1) return atom;
  if (col.min === 0 && col.max === 1) return { anyOf: [atom, { type: 'null' }] };
  return {
    type: 'array',
    items: atom,
    uniqueItems: true,
    ...(col.min > 0 ? { minItems: col.min } : {}),
    ...(max !== undefined ? { maxItems: max } : {}),
  };
}

export function rowJsonSchema(table: TableSchema, partial = false): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    _uuid: { type: 'string', pattern: uuidPattern },
    _version: { type: 'string', pattern: uuidPattern },
  };
  for (const [c, col] of Object.entries(table.columns)) properties[c] = columnJsonSchema(col);
  return {
    $id: `loom:${table.name}${partial ? ':partial' : ''}`,
    title: table.name,
    type: 'object',
    properties,
    additionalProperties: false,
    ...(partial ? {} : { required: ['_uuid', ...Object.keys(table.columns)] }),
  };
}

export type Validators = { readonly [table: string]: ValidateFunction };

const cache = new WeakMap<DatabaseSchema, { full?: Validators; partial?: Validators }>();

/**
 * ajv validators of rows in plain form, one per table. Each is compiled on first use
 * (a store touches few of OVN's ~30 tables) and shared by every caller with the same
 * schema object, so opening a store costs no compilation.
 */
export function compileValidators(schema: DatabaseSchema, options: { partial?: boolean } = {}): Validators {
  const partial = options.partial === true;
  let entry = cache.get(schema);
  if (entry === undefined) cache.set(schema, (entry = {}));
  const have = partial ? entry.partial : entry.full;
  if (have !== undefined) return have;
  // Our patterns are ASCII, so no 'u' flag (several times faster on every uuid). The
  // meta-schema check (compiling draft-07's own schema first: ~0.2 s at the first commit)
  // is left to schemas.test.ts, which checks every generated row schema against it.
  const ajv = new Ajv({ allErrors: false, strict: true, unicodeRegExp: false, validateSchema: false });
  const out: Record<string, ValidateFunction> = {};
  for (const t of Object.values(schema.tables)) {
    let v: ValidateFunction | undefined;
    Object.defineProperty(out, t.name, {
      enumerable: true,
      get: () => (v ??= ajv.compile(rowJsonSchema(t, partial))),
    });
  }
  Object.freeze(out);
  if (partial) entry.partial = out;
  else entry.full = out;
  return out;
}
