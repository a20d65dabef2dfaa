// cli/values.ts — OVSDB value syntax as ovn-nbctl / ovs-vsctl read and print it.
//
// Owns: parsing command-line values (`key=value`, `[a,b]`, `{k=v}`, `"quoted"`, `@name`)
// into the store's plain form for one column, and printing plain values back in the three
// shapes ovs-vsctl uses: list form (`[a, b]`, `{k=v}`, strings quoted only when needed),
// bare form (--bare) and RFC 7047 wire JSON (--format=json).
// Reads: a ColumnSchema (store/types.ts).
// Called by: cli/db-commands.ts, cli/nbctl.ts, cli/sbctl.ts, cli/table-format.ts.
// Must never: touch a store, or guess a type the schema does not give.
// Invariants: parse(format(v)) == v for every plain value of the column (round trip);
// sets come out sorted and without duplicates, as the store hands them out.

import { LoomError, type BaseType, type ColumnSchema, type Scalar, type Value } from '../store/types.js';

// Column kinds and OVSDB defaults are the store's own (store/value.ts), so the CLI's
// transaction-local view agrees with what the store will commit.
import { kindOf as columnKind } from '../store/value.js';
export { columnKind };
export { defaultValue, type ColumnKind } from '../store/value.js';

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

/** Resolves `@name` symbols (from `--id=@name`) to row uuids inside one invocation. */
export type SymbolTable = ReadonlyMap<string, string>;

// ---------------------------------------------------------------- ordering

export function compareAtoms(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

export function normalizeSet(items: readonly Scalar[]): Scalar[] {
  const out = [...items].sort(compareAtoms);
  return out.filter((x, i) => i === 0 || compareAtoms(out[i - 1] as Scalar, x) !== 0);
}

/** Deep equality of two plain values (sets compared as sorted arrays). */
export function valuesEqual(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    const sa = normalizeSet(a as Scalar[]);
    const sb = normalizeSet(b as Scalar[]);
    return sa.every((x, i) => compareAtoms(x, sb[i] as Scalar) === 0);
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    const ob = b as { readonly [k: string]: Scalar };
    const oa = a as { readonly [k: string]: Scalar };
    return ka.every((k) => Object.prototype.hasOwnProperty.call(ob, k) && oa[k] === ob[k]);
  }
  return false;
}

/** Sets a map key as an own property, even "__proto__" (plain assignment would set the prototype). */
export function setKey(m: Record<string, Scalar>, k: string, v: Scalar): void {
  Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** The set elements of a set/optional/scalar value as an array (maps: keys). */
export function asArray(v: Value | undefined): Scalar[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return [...(v as Scalar[])];
  if (typeof v === 'object') return Object.keys(v);
  return [v as Scalar];
}

export function asMap(v: Value | undefined): Record<string, Scalar> {
  if (v === null || v === undefined || Array.isArray(v) || typeof v !== 'object') return {};
  return { ...(v as Record<string, Scalar>) };
}

// ---------------------------------------------------------------- parsing

/** A small tokenizer over ovs-vsctl's datum syntax. */
class Reader {
  pos = 0;
  constructor(readonly text: string) {}
  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }
  peek(): string {
    return this.text[this.pos] ?? '';
  }
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }
  /**
   * One atom's text: a JSON-quoted string, or everything up to the next delimiter in
   * `stops` (trimmed). Unquoted tokens may hold spaces and colons (a MAC, "mac ip"):
   * friendlier than ovs-vsctl, which wants those quoted, and never ambiguous here.
   */
  token(stops: string): { text: string; quoted: boolean } {
    this.skipSpace();
    if (this.peek() === '"') {
      let i = this.pos + 1;
      while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === '\\' ? 2 : 1;
      if (i >= this.text.length) throw badValue(this.text, 'unterminated quoted string');
      const raw = this.text.slice(this.pos, i + 1);
      this.pos = i + 1;
      try {
        return { text: JSON.parse(raw) as string, quoted: true };
      } catch {
        throw badValue(this.text, `bad quoted string ${raw}`);
      }
    }
    const start = this.pos;
    while (this.pos < this.text.length && !stops.includes(this.text[this.pos] as string)) this.pos++;
    return { text: this.text.slice(start, this.pos).trim(), quoted: false };
  }
}

function badValue(text: string, why: string, hint?: string): LoomError {
  return new LoomError({ code: 'type-error', message: `"${text}": ${why}`, value: text, ...(hint !== undefined ? { hint } : {}) });
}

/** Parses one atom of type `t` from its text (already unquoted when `quoted`). */
export function parseAtom(t: BaseType, text: string, quoted: boolean, symbols?: SymbolTable): Scalar {
  let v: Scalar;
  switch (t.type) {
    case 'string':
      v = text;
      break;
    case 'integer': {
      if (quoted || !/^[-+]?\d+$/.test(text)) throw badValue(text, 'expected an integer');
      v = Number.parseInt(text, 10);
      break;
    }
    case 'real': {
      const n = Number(text);
      if (quoted || text === '' || !Number.isFinite(n)) throw badValue(text, 'expected a real number');
      v = n;
      break;
    }
    case 'boolean':
      if (text === 'true') v = true;
      else if (text === 'false') v = false;
      else throw badValue(text, 'expected "true" or "false"');
      break;
    case 'uuid': {
      if (text.startsWith('@')) {
        const u = symbols?.get(text);
        if (u === undefined) throw badValue(text, 'no row has this @name', 'declare it earlier in the same invocation with --id=@name');
        v = u;
      } else if (isUuid(text)) v = text.toLowerCase();
      else throw badValue(text, 'expected a UUID or an @name');
      break;
    }
  }
  if (t.enum !== undefined && !t.enum.some((e) => e === v)) {
    throw badValue(text, `not one of the allowed values`, `allowed: ${t.enum.map((e) => String(e)).join(', ')}`);
  }
  return v;
}

/** Parses a whole column value as `set TABLE REC COL=VALUE` does. */
export function parseDatum(col: ColumnSchema, text: string, symbols?: SymbolTable): Value {
  const kind = columnKind(col);
  const r = new Reader(text);
  r.skipSpace();
  if (kind === 'map') {
    const out: Record<string, Scalar> = {};
    const open = r.peek();
    if (open === '{' || open === '[') r.pos++;
    const close = open === '{' ? '}' : open === '[' ? ']' : '';
    for (;;) {
      r.skipSpace();
      if (close !== '' && r.peek() === close) {
        r.pos++;
        break;
      }
      if (r.pos >= text.length) {
        if (close !== '') throw badValue(text, `missing "${close}"`);
        break;
      }
      const k = r.token('=,' + close);
      r.skipSpace();
      if (r.peek() !== '=') throw badValue(text, `expected "=" after key "${k.text}"`, 'map values are written key=value,key2=value2');
      r.pos++;
      const v = r.token(',' + close);
      setKey(out, String(parseAtom(col.key, k.text, k.quoted, symbols)), parseAtom(col.value as BaseType, v.text, v.quoted, symbols));
      r.skipSpace();
      if (r.peek() === ',') r.pos++;
    }
    if (!r.atEnd()) throw badValue(text, 'trailing text after the map');
    return out;
  }
  const open = r.peek();
  const bracketed = open === '[' || open === '{';
  const items: Scalar[] = [];
  if (bracketed) {
    const close = open === '[' ? ']' : '}';
    r.pos++;
    for (;;) {
      r.skipSpace();
      if (r.peek() === close) {
        r.pos++;
        break;
      }
      if (r.pos >= text.length) throw badValue(text, `missing "${close}"`);
      const tok = r.token(',' + close);
      items.push(parseAtom(col.key, tok.text, tok.quoted, symbols));
      r.skipSpace();
      if (r.peek() === ',') r.pos++;
    }
    if (!r.atEnd()) throw badValue(text, 'trailing text after the set');
  } else if (kind === 'set') {
    while (!r.atEnd()) {
      const tok = r.token(',');
      items.push(parseAtom(col.key, tok.text, tok.quoted, symbols));
      r.skipSpace();
      if (r.peek() === ',') r.pos++;
    }
  } else {
    // A scalar: the whole text is the atom (quoted, or taken verbatim).
    const trimmed = text.trim();
    if (trimmed.startsWith('"')) {
      const tok = r.token('');
      if (!r.atEnd()) throw badValue(text, 'trailing text after the quoted string');
      items.push(parseAtom(col.key, tok.text, true, symbols));
    } else if (!(kind === 'optional' && trimmed === '')) {
      items.push(parseAtom(col.key, trimmed, false, symbols));
    }
  }
  return fromItems(col, items, text);
}

function fromItems(col: ColumnSchema, items: Scalar[], text: string): Value {
  const kind = columnKind(col);
  const set = normalizeSet(items);
  if (kind === 'set') {
    if (set.length < col.min) throw badValue(text, `needs at least ${col.min} value(s)`);
    if (col.max !== 'unlimited' && set.length > col.max) throw badValue(text, `takes at most ${col.max} value(s)`);
    return set;
  }
  if (set.length > 1) throw badValue(text, 'takes a single value');
  if (set.length === 0) {
    if (kind === 'optional') return null;
    throw badValue(text, 'needs a value');
  }
  return set[0] as Scalar;
}

/** Parses a set of atoms of a column's key type (for `add`/`remove` on sets, `remove` of map keys). */
export function parseAtoms(t: BaseType, text: string, symbols?: SymbolTable): Scalar[] {
  return asArray(parseDatum({ key: t, min: 0, max: 'unlimited' }, text, symbols));
}

/** Parses map pairs `k=v,...` for `add`/`remove` on maps. */
export function parseMapPairs(col: ColumnSchema, text: string, symbols?: SymbolTable): Record<string, Scalar> {
  return asMap(parseDatum({ key: col.key, value: col.value as BaseType, min: 0, max: 'unlimited' }, text, symbols));
}

// ---------------------------------------------------------------- printing

/** ovs-vsctl's rule: quote a string unless it is an identifier-like word. */
export function needsQuotes(s: string): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s)) return true;
  return s === 'true' || s === 'false' || isUuid(s);
}

export function formatAtom(a: Scalar, t?: BaseType): string {
  if (t?.type === 'uuid') return String(a);
  if (typeof a === 'string') return needsQuotes(a) ? JSON.stringify(a) : a;
  return String(a);
}

/** List form, as `ovn-nbctl list` prints a column. */
export function formatValue(col: ColumnSchema, v: Value | undefined): string {
  const kind = columnKind(col);
  if (kind === 'map') {
    const m = asMap(v);
    const keys = Object.keys(m).sort((x, y) => compareAtoms(atomFromKey(col.key, x), atomFromKey(col.key, y)));
    return `{${keys.map((k) => `${formatAtom(atomFromKey(col.key, k), col.key)}=${formatAtom(m[k] as Scalar, col.value)}`).join(', ')}}`;
  }
  if (kind === 'scalar') return v === null || v === undefined ? '[]' : formatAtom(v as Scalar, col.key);
  if (kind === 'optional') {
    const items = asArray(v);
    return items.length === 0 ? '[]' : formatAtom(items[0] as Scalar, col.key);
  }
  return `[${normalizeSet(asArray(v)).map((a) => formatAtom(a, col.key)).join(', ')}]`;
}

/** --bare form: no quotes or brackets; set members and map pairs separated by spaces. */
export function formatBare(col: ColumnSchema, v: Value | undefined): string {
  if (columnKind(col) === 'map') {
    const m = asMap(v);
    return Object.keys(m)
      .sort()
      .map((k) => `${k}=${String(m[k])}`)
      .join(' ');
  }
  return normalizeSet(asArray(v)).map(String).join(' ');
}

/** RFC 7047 wire JSON of a value, as `--format=json` prints it. */
export function toWire(col: ColumnSchema, v: Value | undefined): unknown {
  const atom = (t: BaseType, a: Scalar): unknown => (t.type === 'uuid' ? ['uuid', a] : a);
  const kind = columnKind(col);
  if (kind === 'map') {
    const m = asMap(v);
    return ['map', Object.keys(m).sort().map((k) => [atom(col.key, atomFromKey(col.key, k)), atom(col.value as BaseType, m[k] as Scalar)])];
  }
  const items = kind === 'set' ? normalizeSet(asArray(v)) : asArray(v);
  if (items.length === 1 && kind !== 'set') return atom(col.key, items[0] as Scalar);
  if (items.length === 1) return atom(col.key, items[0] as Scalar);
  return ['set', items.map((a) => atom(col.key, a))];
}

/** Map keys travel as strings; integer-keyed maps get their numbers back. */
export function atomFromKey(t: BaseType, k: string): Scalar {
  if (t.type === 'integer' || t.type === 'real') return Number(k);
  if (t.type === 'boolean') return k === 'true';
  return k;
}
