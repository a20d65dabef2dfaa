// datapath/js/batch.ts — the table batch a controller hands the datapath, checked in TS.
//
// Owns: the types of table entries, actions, groups and batch operations (what
//   `Datapath.applyBatch` takes), and `normalizeBatch`, which validates an unknown value
//   into the wire form the addon reads (fields canonical, values hex {value, mask}).
// Reads: fields.ts. Called by: datapath.ts (applyBatch), tests.
// Never: talks to the addon; accepts a partially valid batch (the first error throws,
//   nothing is applied).
// Invariants: a returned WireOp list is well-formed for addon/*_binding.cc; errors are
//   LoomError with op (index), path (/ops/<i>/entry/match/<field>), column (field), value.

import { LoomError, type ErrorCode } from '../../store/types.js';
import { FieldValueError, fieldByName, parseFieldValue, parseFullValue, type WireValue } from './fields.js';

export type MatchValue = number | bigint | string | { readonly value: number | bigint | string; readonly mask?: number | bigint | string };

export type Action =
  | { readonly type: 'output'; readonly port: number }
  | { readonly type: 'drop' }
  | { readonly type: 'packet_in'; readonly reason?: number }
  | { readonly type: 'goto_table'; readonly table: number }
  | { readonly type: 'resubmit'; readonly table: number }
  | { readonly type: 'group'; readonly group: number }
  | { readonly type: 'set_field'; readonly field: string; readonly value: MatchValue }
  | { readonly type: 'move'; readonly src: string; readonly dst: string; readonly srcOfs?: number; readonly dstOfs?: number; readonly nbits: number }
  | {
      readonly type: 'ct';
      readonly zone?: number;
      readonly zoneField?: string;
      readonly commit?: boolean;
      readonly nat?: { readonly kind: 'src' | 'dst'; readonly addrMin: string; readonly addrMax?: string; readonly portMin?: number; readonly portMax?: number };
      readonly backends?: readonly { readonly ip: string; readonly port?: number }[];
      readonly mark?: { readonly value: number; readonly mask?: number };
      readonly label?: { readonly value: string | bigint; readonly mask?: string | bigint };
      readonly table?: number;
      readonly dropInvalid?: boolean;
    }
  | { readonly type: 'ct_clear' }
  | { readonly type: 'dec_ttl'; readonly onError?: 'drop' | { readonly goto: number } | { readonly packetIn: number } }
  | { readonly type: 'push_vlan'; readonly tpid?: number; readonly tci: number }
  | { readonly type: 'pop_vlan' }
  | {
      readonly type: 'encap';
      readonly kind: 'vxlan' | 'geneve';
      readonly ethSrc: string;
      readonly ethDst: string;
      readonly ipSrc: string;
      readonly ipDst: string;
      readonly ttl?: number;
      readonly dstPort?: number;
      readonly vni?: number;
      readonly vniField?: string;
    }
  | { readonly type: 'decap'; readonly dstPort?: number }
  | { readonly type: 'neigh_store'; readonly ip: string; readonly mac: string }
  | { readonly type: 'neigh_lookup'; readonly ip: string; readonly mac: string; readonly result: string; readonly resultBit: number };

export interface Entry {
  readonly table: number;
  readonly priority: number;
  readonly match: { readonly [field: string]: MatchValue };
  readonly actions: readonly Action[];
  readonly cookie?: number | bigint;
}

export type Miss = 'drop' | { readonly goto: number } | { readonly packetIn: number };

export type BatchOp =
  | { readonly op: 'add'; readonly entry: Entry }
  | { readonly op: 'modify'; readonly entry: Entry }
  | { readonly op: 'delete'; readonly entry: Pick<Entry, 'table' | 'priority' | 'match'> }
  | { readonly op: 'delete_cookie'; readonly cookie: number | bigint; readonly table?: number }
  | { readonly op: 'set_miss'; readonly table: number; readonly miss: Miss }
  | { readonly op: 'add_group' | 'modify_group'; readonly group: number; readonly buckets: readonly (readonly Action[])[] }
  | { readonly op: 'delete_group'; readonly group: number };

// ------------------------------------------------------------------ wire form

export type WireAction = { readonly type: string; readonly [k: string]: unknown };
export interface WireEntry {
  readonly table: number;
  readonly priority: number;
  readonly cookie: string;
  readonly match: { readonly [field: string]: WireValue };
  readonly actions: readonly WireAction[];
}
export type WireOp =
  | { readonly op: 'add' | 'modify' | 'delete'; readonly entry: WireEntry }
  | { readonly op: 'delete_cookie'; readonly cookie: string; readonly table: number }
  | { readonly op: 'set_miss'; readonly table: number; readonly miss: string; readonly next: number }
  | { readonly op: 'add_group' | 'modify_group'; readonly group: number; readonly buckets: readonly (readonly WireAction[])[] }
  | { readonly op: 'delete_group'; readonly group: number };

export const MAX_TABLES = 256;

class Ctx {
  constructor(readonly op: number, readonly path: string) {}
  at(p: string | number): Ctx {
    return new Ctx(this.op, `${this.path}/${p}`);
  }
  fail(message: string, value?: unknown, column?: string, code: ErrorCode = 'invalid-value'): never {
    throw new LoomError({ code, message, op: this.op, path: this.path, value, ...(column === undefined ? {} : { column }) });
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function uint(ctx: Ctx, v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) return ctx.fail(`${what} must be an integer 0..${max}`, v);
  return v;
}
function optUint(ctx: Ctx, v: unknown, max: number, what: string, dflt: number): number {
  return v === undefined ? dflt : uint(ctx, v, max, what);
}
function fieldName(ctx: Ctx, v: unknown): string {
  if (typeof v !== 'string') return ctx.fail('field must be a string', v);
  const f = fieldByName(v);
  if (!f) return ctx.fail(`unknown field '${v}'`, v, v);
  return f.name;
}
function full(ctx: Ctx, field: string, v: unknown): string {
  const spec = fieldByName(field);
  if (!spec) return ctx.fail(`unknown field '${field}'`, field);
  try {
    return parseFullValue(spec, v);
  } catch (e) {
    if (e instanceof FieldValueError) ctx.fail(e.message, v, field);
    throw e;
  }
}
function cookieText(ctx: Ctx, v: unknown): string {
  if (v === undefined) return '0';
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v.toString();
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  return ctx.fail('cookie must be a non-negative integer (number or bigint < 2^64)', v);
}

function normalizeMatch(ctx: Ctx, v: unknown): Record<string, WireValue> {
  if (!isObj(v)) return ctx.fail('match must be an object {field: value}', v);
  const out: Record<string, WireValue> = {};
  for (const [k, raw] of Object.entries(v)) {
    const spec = fieldByName(k);
    const c = ctx.at(k);
    if (!spec) return c.fail(`unknown field '${k}'`, k, k);
    if (out[spec.name]) return c.fail(`field ${spec.name} appears twice (as an alias)`, k, k);
    try {
      out[spec.name] = parseFieldValue(spec, raw);
    } catch (e) {
      if (e instanceof FieldValueError) c.fail(e.message, raw, spec.name);
      throw e;
    }
  }
  return out;
}

function normalizeAction(ctx: Ctx, a: unknown): WireAction {
  if (!isObj(a) || typeof a.type !== 'string') return ctx.fail('an action is an object with a string "type"', a);
  const c = (k: string): Ctx => ctx.at(k);
  switch (a.type) {
    case 'output': return { type: 'output', port: uint(c('port'), a.port, 0xffff, 'port') };
    case 'drop': return { type: 'drop' };
    case 'ct_clear': return { type: 'ct_clear' };
    case 'pop_vlan': return { type: 'pop_vlan' };
    case 'packet_in': return { type: 'packet_in', reason: optUint(c('reason'), a.reason, 0xffff, 'reason', 0) };
    case 'goto_table':
    case 'resubmit': return { type: a.type, table: uint(c('table'), a.table, MAX_TABLES - 1, 'table') };
    case 'group': return { type: 'group', group: uint(c('group'), a.group, 0xffffffff, 'group') };
    case 'set_field': {
      const f = fieldName(c('field'), a.field);
      const spec = fieldByName(f);
      if (!spec) return c('field').fail('unknown field', a.field);
      try {
        const w = parseFieldValue(spec, a.value);
        return { type: 'set_field', field: f, value: w.value, mask: w.mask };
      } catch (e) {
        if (e instanceof FieldValueError) c('value').fail(e.message, a.value, f);
        throw e;
      }
    }
    case 'move': return {
      type: 'move', src: fieldName(c('src'), a.src), dst: fieldName(c('dst'), a.dst),
      srcOfs: optUint(c('srcOfs'), a.srcOfs, 127, 'srcOfs', 0), dstOfs: optUint(c('dstOfs'), a.dstOfs, 127, 'dstOfs', 0),
      nbits: uint(c('nbits'), a.nbits, 128, 'nbits'),
    };
    case 'ct': {
      const out: Record<string, unknown> = { type: 'ct', zone: optUint(c('zone'), a.zone, 0xffff, 'zone', 0), commit: a.commit === true, table: a.table === undefined ? -1 : uint(c('table'), a.table, MAX_TABLES - 1, 'table'), dropInvalid: a.dropInvalid === true };
      if (a.zoneField !== undefined) out.zoneField = fieldName(c('zoneField'), a.zoneField);
      if (a.nat !== undefined) {
        const n = a.nat;
        const nc = c('nat');
        if (!isObj(n) || (n.kind !== 'src' && n.kind !== 'dst')) return nc.fail('nat is {kind: "src"|"dst", addrMin, addrMax?, portMin?, portMax?}', n);
        const lo = full(nc.at('addrMin'), 'ip4_src', n.addrMin);
        out.nat = { kind: n.kind, addrMin: lo, addrMax: n.addrMax === undefined ? lo : full(nc.at('addrMax'), 'ip4_src', n.addrMax), portMin: optUint(nc.at('portMin'), n.portMin, 0xffff, 'portMin', 0), portMax: optUint(nc.at('portMax'), n.portMax, 0xffff, 'portMax', 0) };
      }
      if (a.backends !== undefined) {
        if (!Array.isArray(a.backends) || a.backends.length === 0) return c('backends').fail('backends is a non-empty array of {ip, port?}', a.backends);
        out.backends = a.backends.map((b: unknown, i: number) => {
          const bc = c('backends').at(i);
          if (!isObj(b)) return bc.fail('a backend is {ip, port?}', b);
          return { ip: full(bc.at('ip'), 'ip4_dst', b.ip), port: optUint(bc.at('port'), b.port, 0xffff, 'port', 0) };
        });
      }
      if (a.mark !== undefined) {
        if (!isObj(a.mark)) return c('mark').fail('mark is {value, mask?}', a.mark);
        out.mark = { value: uint(c('mark').at('value'), a.mark.value, 0xffffffff, 'mark'), mask: optUint(c('mark').at('mask'), a.mark.mask, 0xffffffff, 'mask', 0xffffffff) };
      }
      if (a.label !== undefined) {
        if (!isObj(a.label)) return c('label').fail('label is {value, mask?}', a.label);
        const w = parseFieldValue({ name: 'ct_label', bits: 128, kind: 'int', packet: false }, a.label);
        out.label = w;
      }
      return out as WireAction;
    }
    case 'dec_ttl': {
      const e = a.onError;
      if (e === undefined || e === 'drop') return { type: 'dec_ttl', onError: 'drop', table: 0, reason: 0 };
      if (isObj(e) && e.goto !== undefined) return { type: 'dec_ttl', onError: 'goto', table: uint(c('onError'), e.goto, MAX_TABLES - 1, 'goto'), reason: 0 };
      if (isObj(e) && e.packetIn !== undefined) return { type: 'dec_ttl', onError: 'packet_in', table: 0, reason: uint(c('onError'), e.packetIn, 0xffff, 'packetIn') };
      return c('onError').fail('onError is "drop", {goto: table} or {packetIn: reason}', e);
    }
    case 'push_vlan': {
      const tpid = optUint(c('tpid'), a.tpid, 0xffff, 'tpid', 0x8100);
      if (tpid !== 0x8100 && tpid !== 0x88a8) return c('tpid').fail('tpid must be 0x8100 or 0x88a8', tpid);
      return { type: 'push_vlan', tpid, tci: uint(c('tci'), a.tci, 0xffff, 'tci') };
    }
    case 'encap': {
      if (a.kind !== 'vxlan' && a.kind !== 'geneve') return c('kind').fail('kind must be "vxlan" or "geneve"', a.kind);
      if ((a.vni === undefined) === (a.vniField === undefined)) return ctx.fail('encap needs exactly one of vni or vniField', a);
      return {
        type: 'encap', kind: a.kind,
        ethSrc: full(c('ethSrc'), 'eth_src', a.ethSrc), ethDst: full(c('ethDst'), 'eth_dst', a.ethDst),
        ipSrc: full(c('ipSrc'), 'ip4_src', a.ipSrc), ipDst: full(c('ipDst'), 'ip4_dst', a.ipDst),
        ttl: optUint(c('ttl'), a.ttl, 255, 'ttl', 64), dstPort: optUint(c('dstPort'), a.dstPort, 0xffff, 'dstPort', 0),
        vni: optUint(c('vni'), a.vni, 0xffffff, 'vni', 0),
        ...(a.vniField === undefined ? {} : { vniField: fieldName(c('vniField'), a.vniField) }),
      };
    }
    case 'decap': return { type: 'decap', dstPort: optUint(c('dstPort'), a.dstPort, 0xffff, 'dstPort', 0) };
    case 'neigh_store': return { type: 'neigh_store', ip: fieldName(c('ip'), a.ip), mac: fieldName(c('mac'), a.mac) };
    case 'neigh_lookup': return {
      type: 'neigh_lookup', ip: fieldName(c('ip'), a.ip), mac: fieldName(c('mac'), a.mac),
      result: fieldName(c('result'), a.result), resultBit: uint(c('resultBit'), a.resultBit, 127, 'resultBit'),
    };
    default:
      return ctx.at('type').fail(`unknown action type '${a.type}'`, a.type);
  }
}

function normalizeActions(ctx: Ctx, v: unknown): WireAction[] {
  if (!Array.isArray(v)) return ctx.fail('actions must be an array', v);
  return v.map((a: unknown, i: number) => normalizeAction(ctx.at(i), a));
}

function normalizeEntry(ctx: Ctx, v: unknown, withActions: boolean): WireEntry {
  if (!isObj(v)) return ctx.fail('entry must be an object {table, priority, match, actions, cookie?}', v);
  return {
    table: uint(ctx.at('table'), v.table, MAX_TABLES - 1, 'table'),
    priority: uint(ctx.at('priority'), v.priority, 0xffff, 'priority'),
    cookie: cookieText(ctx.at('cookie'), v.cookie),
    match: normalizeMatch(ctx.at('match'), v.match ?? {}),
    actions: withActions ? normalizeActions(ctx.at('actions'), v.actions) : [],
  };
}

/** Validates `ops` (unknown input) into the addon's wire form; throws LoomError on the first problem. */
export function normalizeBatch(ops: unknown): WireOp[] {
  if (!Array.isArray(ops)) throw new LoomError({ code: 'bad-request', message: 'a batch is an array of operations', path: '/ops', value: ops });
  return ops.map((o: unknown, i: number): WireOp => {
    const ctx = new Ctx(i, `/ops/${i}`);
    if (!isObj(o) || typeof o.op !== 'string') return ctx.fail('an operation is an object with a string "op"', o, undefined, 'bad-request');
    switch (o.op) {
      case 'add':
      case 'modify':
      case 'delete':
        return { op: o.op, entry: normalizeEntry(ctx.at('entry'), o.entry, o.op !== 'delete') };
      case 'delete_cookie':
        return { op: 'delete_cookie', cookie: cookieText(ctx.at('cookie'), o.cookie), table: o.table === undefined ? -1 : uint(ctx.at('table'), o.table, MAX_TABLES - 1, 'table') };
      case 'set_miss': {
        const table = uint(ctx.at('table'), o.table, MAX_TABLES - 1, 'table');
        const m = o.miss;
        if (m === 'drop') return { op: 'set_miss', table, miss: 'drop', next: 0 };
        if (isObj(m) && m.goto !== undefined) {
          const next = uint(ctx.at('miss').at('goto'), m.goto, MAX_TABLES - 1, 'goto');
          if (next <= table) return ctx.at('miss').at('goto').fail(`a miss may only go to a later table (> ${table})`, next);
          return { op: 'set_miss', table, miss: 'goto', next };
        }
        if (isObj(m) && m.packetIn !== undefined) return { op: 'set_miss', table, miss: 'packet_in', next: uint(ctx.at('miss').at('packetIn'), m.packetIn, 0xffff, 'packetIn') };
        return ctx.at('miss').fail('miss is "drop", {goto: table} or {packetIn: reason}', m);
      }
      case 'add_group':
      case 'modify_group': {
        const group = uint(ctx.at('group'), o.group, 0xffffffff, 'group');
        if (!Array.isArray(o.buckets)) return ctx.at('buckets').fail('buckets must be an array of action arrays', o.buckets);
        return { op: o.op, group, buckets: o.buckets.map((b: unknown, j: number) => normalizeActions(ctx.at('buckets').at(j), b)) };
      }
      case 'delete_group':
        return { op: 'delete_group', group: uint(ctx.at('group'), o.group, 0xffffffff, 'group') };
      default:
        return ctx.at('op').fail(`unknown op '${o.op}' (add, modify, delete, delete_cookie, set_miss, add_group, modify_group, delete_group)`, o.op, undefined, 'bad-request');
    }
  });
}
