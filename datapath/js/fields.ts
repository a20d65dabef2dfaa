// datapath/js/fields.ts — the fields datapath tables match and set, and their value syntax.
//
// Owns: the field list (names as datapath/core/flow.h spells them, OVN spellings as
//   aliases), each field's width and kind, and parsing a user value ("10.0.0.0/24",
//   "aa:bb:cc:dd:ee:ff", 0x800, "5/0xff", {value, mask}) into the wire form the addon
//   takes: {value: "0x..", mask: "0x.."} with value & ~mask == 0.
// Reads: nothing. Called by: batch.ts. Never: throws anything but LoomError-shaped
//   FieldError; touches the addon.
// Invariants: every FieldSpec.bits <= 128; parseFieldValue returns value ⊆ mask ⊆ width.

export type FieldKind = 'int' | 'mac' | 'ip4' | 'ip6';
export interface FieldSpec {
  readonly name: string;
  readonly bits: number;
  readonly kind: FieldKind;
  /** Lives in packet bytes (set_field rewrites them); metadata otherwise. */
  readonly packet: boolean;
}

const meta = (name: string, bits: number, kind: FieldKind = 'int'): FieldSpec => ({ name, bits, kind, packet: false });
const pkt = (name: string, bits: number, kind: FieldKind = 'int'): FieldSpec => ({ name, bits, kind, packet: true });

const LIST: readonly FieldSpec[] = [
  meta('in_port', 32), meta('metadata', 32), meta('inport', 32), meta('outport', 32),
  ...Array.from({ length: 16 }, (_, i) => meta(`reg${i}`, 32)),
  meta('ct_state', 16), meta('ct_zone', 16), meta('flags', 32), meta('ct_mark', 32),
  meta('tun_id', 24), meta('ct_label', 128), meta('tun_src', 32, 'ip4'), meta('tun_dst', 32, 'ip4'),
  meta('tun_opt', 32),
  pkt('eth_dst', 48, 'mac'), pkt('eth_type', 16), pkt('eth_src', 48, 'mac'), pkt('vlan_tci', 16),
  pkt('vlan_tci2', 16), pkt('ip_proto', 8), pkt('ip_tos', 8), pkt('ip_ttl', 8), pkt('ip_frag', 8),
  pkt('arp_op', 16), pkt('ip4_src', 32, 'ip4'), pkt('ip4_dst', 32, 'ip4'), pkt('arp_spa', 32, 'ip4'),
  pkt('arp_tpa', 32, 'ip4'), pkt('ip6_src', 128, 'ip6'), pkt('ip6_dst', 128, 'ip6'), pkt('ip6_label', 20),
  pkt('l4_src', 16), pkt('l4_dst', 16), pkt('tcp_flags', 16), pkt('icmp_type', 8), pkt('icmp_code', 8),
  pkt('arp_sha', 48, 'mac'), pkt('arp_tha', 48, 'mac'), pkt('nd_sll', 48, 'mac'), pkt('nd_tll', 48, 'mac'),
  pkt('nd_target', 128, 'ip6'),
];
export const FIELDS: ReadonlyMap<string, FieldSpec> = new Map(LIST.map((f) => [f.name, f]));

// OVN spellings whose underscore form is not the canonical name.
const ALIASES: Readonly<Record<string, string>> = {
  tcp_src: 'l4_src', udp_src: 'l4_src', sctp_src: 'l4_src',
  tcp_dst: 'l4_dst', udp_dst: 'l4_dst', sctp_dst: 'l4_dst',
  icmp4_type: 'icmp_type', icmp4_code: 'icmp_code', icmp6_type: 'icmp_type', icmp6_code: 'icmp_code',
  ip_dscp: 'ip_tos', vlan_vid: 'vlan_tci',
};

/** Canonical field spec for a name ("eth.dst", "eth_dst", "tcp.dst"...), or undefined. */
export function fieldByName(name: string): FieldSpec | undefined {
  const u = name.replace(/\./g, '_');
  return FIELDS.get(ALIASES[u] ?? u);
}

export interface WireValue {
  readonly value: string;
  readonly mask: string;
}

/** Why a value was refused (the caller adds op index and path). */
export class FieldValueError extends Error {}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const ones = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

function parseMac(s: string): bigint | undefined {
  const m = /^([0-9a-f]{1,2})(?::([0-9a-f]{1,2})){5}$/i.test(s) ? s.split(':') : undefined;
  if (!m) return undefined;
  return m.reduce((acc, b) => (acc << 8n) | BigInt(parseInt(b, 16)), 0n);
}

function parseIp4(s: string): bigint | undefined {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) return undefined;
  return p.reduce((acc, b) => (acc << 8n) | BigInt(Number(b)), 0n);
}

function parseIp6(s: string): bigint | undefined {
  if (!/^[0-9a-f:.]+$/i.test(s) || s.split('::').length > 2) return undefined;
  let tail4: bigint | undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parseIp4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - hs.length - ts.length;
  if ((tail === undefined && missing !== 0) || (tail !== undefined && missing < 1)) return undefined;
  const groups = [...hs, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...ts];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  let v = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (tail4 !== undefined) v = (v & ~0xffffffffn) | tail4;
  return v;
}

function parseNumber(s: string): bigint | undefined {
  if (/^0x[0-9a-f]+$/i.test(s) || /^\d+$/.test(s)) return BigInt(s);
  return undefined;
}

function parseAtom(spec: FieldSpec, s: string): bigint | undefined {
  switch (spec.kind) {
    case 'mac': return parseMac(s) ?? parseNumber(s);
    case 'ip4': return parseIp4(s) ?? parseNumber(s);
    case 'ip6': return parseIp6(s) ?? parseNumber(s);
    case 'int': return parseNumber(s);
  }
}

function atomOf(spec: FieldSpec, v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new FieldValueError(`${what} must be a non-negative integer`);
    return BigInt(v);
  }
  if (typeof v === 'string') {
    const r = parseAtom(spec, v.trim());
    if (r === undefined) throw new FieldValueError(`${what} '${v}' is not a valid ${spec.kind === 'int' ? 'number' : spec.kind} for ${spec.name}`);
    return r;
  }
  throw new FieldValueError(`${what} must be a number or a string`);
}

/**
 * Parses a match value: a number/bigint/string, "value/mask", "addr/prefixlen" for
 * addresses, or {value, mask}. Returns the wire form.
 */
export function parseFieldValue(spec: FieldSpec, raw: unknown): WireValue {
  const width = ones(spec.bits);
  let value: bigint;
  let mask = width;
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const o = raw as { value?: unknown; mask?: unknown };
    value = atomOf(spec, o.value, 'value');
    if (o.mask !== undefined) mask = atomOf(spec, o.mask, 'mask');
  } else if (typeof raw === 'string' && raw.includes('/')) {
    const [v, m] = raw.split('/', 2) as [string, string];
    value = atomOf(spec, v, 'value');
    if (spec.kind !== 'int' && /^\d{1,3}$/.test(m) && !m.startsWith('0x')) {
      const plen = Number(m);
      if (plen > spec.bits) throw new FieldValueError(`prefix length ${plen} is longer than ${spec.name} (${spec.bits} bits)`);
      mask = plen === 0 ? 0n : (width >> BigInt(spec.bits - plen)) << BigInt(spec.bits - plen);
    } else {
      mask = atomOf(spec, m, 'mask');
    }
  } else {
    value = atomOf(spec, raw, 'value');
  }
  if (value > width) throw new FieldValueError(`value does not fit ${spec.name} (${spec.bits} bits)`);
  if (mask > width) throw new FieldValueError(`mask does not fit ${spec.name} (${spec.bits} bits)`);
  if ((value & ~mask) !== 0n) throw new FieldValueError(`value has bits outside its mask (value ${hex(value)}, mask ${hex(mask)})`);
  return { value: hex(value), mask: hex(mask) };
}

/** A plain value (set_field, encap addresses): the whole field, no mask syntax. */
export function parseFullValue(spec: FieldSpec, raw: unknown): string {
  const v = atomOf(spec, raw, 'value');
  if (v > ones(spec.bits)) throw new FieldValueError(`value does not fit ${spec.name} (${spec.bits} bits)`);
  return hex(v);
}
