// expr/fields.ts — the symbol table of logical-flow matches and actions.
//
// Owns: FIELDS, every symbol a match or action may name (ovn-sb(5) "Symbols"): fields,
// subfields (aliases over bit ranges of a base field, or concatenations of registers), and
// predicates (shorthand expressions), each with its prerequisite text.
// Reads: nothing. Called by: parser.ts (type checks), normalize.ts and evaluate.ts (bit
// layout, prerequisites, predicate expansion), actions.ts (writable fields), and the
// controller (which base fields a classifier must carry).
// Never: hold per-deployment data (address sets, ports) — that comes through SymbolContext.
// Invariants (checked by fields.test.ts): every piece names a base field ('field' symbol)
// and fits inside it; a symbol's pieces cover exactly its width; every prerequisite and
// predicate expansion parses against this table; prerequisite chains are acyclic.

export type FieldKind = 'int' | 'mac' | 'ipv4' | 'ipv6' | 'string';

/** `width` bits of base field `base` starting at bit `lo` (bit 0 = least significant). */
export interface Piece {
  readonly base: string;
  readonly lo: number;
  readonly width: number;
}

export interface FieldDef {
  readonly name: string;
  /** field: a base field of the packet/metadata; subfield: bits of base fields; predicate: an expression. */
  readonly symbol: 'field' | 'subfield' | 'predicate';
  readonly kind: FieldKind;
  /** Bits; 0 for strings, 1 for predicates (they are used like 1-bit fields). */
  readonly width: number;
  /** Match text implied by any use of this symbol (e.g. tcp.dst: "tcp"). */
  readonly prerequisite?: string;
  /** Subfield: its OVN definition ("vlan.tci[0..11]"); predicate: its expansion text. */
  readonly definition?: string;
  /** Bit layout over base fields, least significant piece first; [] for predicates. */
  readonly pieces: readonly Piece[];
  /** May be the destination of an assignment action. */
  readonly writable: boolean;
  /**
   * Nominal (ovn-sb(5) "Level of Measurement"): values are identifiers, so only == and !=
   * apply and bits cannot be selected (eth.type, ip.proto, icmp6.type, icmp6.code).
   */
  readonly nominal?: boolean;
}

const table = new Map<string, FieldDef>();

function add(def: FieldDef): void {
  if (table.has(def.name)) throw new Error(`duplicate symbol ${def.name}`);
  table.set(def.name, def);
}

function field(name: string, kind: FieldKind, width: number, prerequisite?: string, writable = true, nominal = false): void {
  add({
    name, symbol: 'field', kind, width, ...(prerequisite !== undefined ? { prerequisite } : {}),
    pieces: kind === 'string' ? [{ base: name, lo: 0, width: 0 }] : [{ base: name, lo: 0, width }], writable, ...(nominal ? { nominal } : {}),
  });
}

/** `name` is bits lo..hi of `base` (itself a base field). */
function subfield(name: string, base: string, lo: number, hi: number, prerequisite?: string, kind: FieldKind = 'int'): void {
  const b = table.get(base);
  if (b === undefined || b.symbol !== 'field') throw new Error(`subfield ${name} of unknown base ${base}`);
  const width = hi - lo + 1;
  const definition = width === b.width ? base : lo === hi ? `${base}[${lo}]` : `${base}[${lo}..${hi}]`;
  add({ name, symbol: 'subfield', kind, width, ...(prerequisite !== undefined ? { prerequisite } : {}), definition, pieces: [{ base, lo, width }], writable: b.writable });
}

function predicate(name: string, expansion: string, prerequisite?: string): void {
  add({ name, symbol: 'predicate', kind: 'int', width: 1, definition: expansion, ...(prerequisite !== undefined ? { prerequisite } : {}), pieces: [], writable: false });
}

// ---------------------------------------------------------------- logical metadata

field('inport', 'string', 0);
field('outport', 'string', 0);
for (let i = 0; i < 16; i++) field(`reg${i}`, 'int', 32);
// xregN overlays reg(2N) (most significant) and reg(2N+1); xxregN overlays reg(4N)..reg(4N+3),
// reg(4N) most significant, as ovn-sb(5) says for xxreg.
for (let i = 0; i < 8; i++) {
  add({
    name: `xreg${i}`, symbol: 'subfield', kind: 'int', width: 64, definition: `reg${2 * i}:reg${2 * i + 1}`,
    pieces: [{ base: `reg${2 * i + 1}`, lo: 0, width: 32 }, { base: `reg${2 * i}`, lo: 0, width: 32 }], writable: true,
  });
}
for (let i = 0; i < 4; i++) {
  const regs = [0, 1, 2, 3].map((k) => `reg${4 * i + k}`);
  add({
    name: `xxreg${i}`, symbol: 'subfield', kind: 'int', width: 128, definition: regs.join(':'),
    pieces: [...regs].reverse().map((base) => ({ base, lo: 0, width: 32 })), writable: true,
  });
}
// Logical flags (OVN's MLF_* bits; loom keeps OVN's bit numbers).
field('flags', 'int', 32);
subfield('flags.loopback', 'flags', 0, 0);
subfield('flags.force_snat_for_dnat', 'flags', 2, 2);
subfield('flags.force_snat_for_lb', 'flags', 3, 3);
subfield('flags.skip_snat_for_lb', 'flags', 9, 9);
subfield('flags.localport', 'flags', 10, 10);
subfield('flags.use_snat_zone', 'flags', 11, 11);
subfield('flags.localnet', 'flags', 15, 15);
subfield('flags.tunnel_rx', 'flags', 16, 16);
subfield('flags.icmp_snat', 'flags', 17, 17);
subfield('flags.from_ctrl', 'flags', 19, 19);
field('pkt.mark', 'int', 32);

// ---------------------------------------------------------------- connection tracking

field('ct_state', 'int', 8, undefined, false);
subfield('ct.new', 'ct_state', 0, 0, 'ct.trk');
subfield('ct.est', 'ct_state', 1, 1, 'ct.trk');
subfield('ct.rel', 'ct_state', 2, 2, 'ct.trk');
subfield('ct.rpl', 'ct_state', 3, 3, 'ct.trk');
subfield('ct.inv', 'ct_state', 4, 4, 'ct.trk');
subfield('ct.trk', 'ct_state', 5, 5);
subfield('ct.snat', 'ct_state', 6, 6, 'ct.trk');
subfield('ct.dnat', 'ct_state', 7, 7, 'ct.trk');
field('ct_mark', 'int', 32);
subfield('ct_mark.blocked', 'ct_mark', 0, 0);
subfield('ct_mark.natted', 'ct_mark', 1, 1);
subfield('ct_mark.skip_snat', 'ct_mark', 2, 2);
subfield('ct_mark.force_snat', 'ct_mark', 3, 3);
subfield('ct_mark.ecmp_reply_port', 'ct_mark', 16, 31);
field('ct_label', 'int', 128);
subfield('ct_label.blocked', 'ct_label', 0, 0);
subfield('ct_label.natted', 'ct_label', 1, 1);
subfield('ct_label.ecmp_reply_eth', 'ct_label', 32, 79);
subfield('ct_label.ecmp_reply_port', 'ct_label', 80, 95);
subfield('ct_label.label', 'ct_label', 96, 127);
field('ct_proto', 'int', 8, 'ct.trk', false);
field('ct_nw_src', 'ipv4', 32, 'ct.trk && ip4', false);
field('ct_nw_dst', 'ipv4', 32, 'ct.trk && ip4', false);
field('ct_ip6_src', 'ipv6', 128, 'ct.trk && ip6', false);
field('ct_ip6_dst', 'ipv6', 128, 'ct.trk && ip6', false);
field('ct_tp_src', 'int', 16, 'ct.trk', false);
field('ct_tp_dst', 'int', 16, 'ct.trk', false);

// ---------------------------------------------------------------- L2

field('eth.src', 'mac', 48);
field('eth.dst', 'mac', 48);
field('eth.type', 'int', 16, undefined, false, true);
predicate('eth.bcast', 'eth.dst == ff:ff:ff:ff:ff:ff');
subfield('eth.mcast', 'eth.dst', 40, 40);
predicate('eth.mcastv6', 'eth.dst[32..47] == 0x3333');
field('vlan.tci', 'int', 16);
subfield('vlan.vid', 'vlan.tci', 0, 11, 'vlan.present');
subfield('vlan.pcp', 'vlan.tci', 13, 15, 'vlan.present');
predicate('vlan.present', 'vlan.tci[12]');

// ---------------------------------------------------------------- L3

predicate('ip4', 'eth.type == 0x800');
predicate('ip6', 'eth.type == 0x86dd');
predicate('ip', 'ip4 || ip6');
field('ip.proto', 'int', 8, 'ip', false, true);
field('ip.dscp', 'int', 6, 'ip');
field('ip.ecn', 'int', 2, 'ip');
field('ip.ttl', 'int', 8, 'ip');
field('ip.frag', 'int', 2, 'ip', false);
predicate('ip.is_frag', 'ip.frag[0]');
predicate('ip.later_frag', 'ip.frag[1]');
predicate('ip.first_frag', 'ip.is_frag && !ip.later_frag');
field('ip4.src', 'ipv4', 32, 'ip4');
field('ip4.dst', 'ipv4', 32, 'ip4');
predicate('ip4.src_mcast', 'ip4.src[28..31] == 0xe');
predicate('ip4.mcast', 'eth.mcast && ip4.dst[28..31] == 0xe');
field('ip6.src', 'ipv6', 128, 'ip6');
field('ip6.dst', 'ipv6', 128, 'ip6');
field('ip6.label', 'int', 20, 'ip6');
// Predefined IPv6 multicast groups (RFC 4291 2.7.1).
predicate('ip6.mcast_rsvd', 'ip6.dst[116..127] == 0xff0 && ip6.dst[0..111] == 0x0');
predicate('ip6.mcast_all_nodes', 'ip6.dst == ff01::1 || ip6.dst == ff02::1');
predicate('ip6.mcast_all_rtrs', 'ip6.dst == ff01::2 || ip6.dst == ff02::2 || ip6.dst == ff05::2');
predicate('ip6.mcast_sol_node', 'ip6.dst == ff02::1:ff00:0/104');
predicate('ip6.mcast_flood', 'eth.mcastv6 && (ip6.mcast_rsvd || ip6.mcast_all_nodes || ip6.mcast_all_rtrs || ip6.mcast_sol_node)');
predicate('ip6.mcast', 'eth.mcastv6 && ip6.dst[120..127] == 0xff');
predicate('icmp4', 'ip4 && ip.proto == 1');
predicate('icmp6', 'ip6 && ip.proto == 58');
predicate('icmp', 'icmp4 || icmp6');
field('icmp4.type', 'int', 8, 'icmp4');
field('icmp4.code', 'int', 8, 'icmp4');
field('icmp4.frag_mtu', 'int', 16, 'icmp4');
field('icmp6.type', 'int', 8, 'icmp6', true, true);
field('icmp6.code', 'int', 8, 'icmp6', true, true);
field('icmp6.frag_mtu', 'int', 32, 'icmp6');
predicate('igmp', 'ip4.mcast && ip.proto == 2');
predicate('arp', 'eth.type == 0x806');
predicate('rarp', 'eth.type == 0x8035');
field('arp.op', 'int', 16, 'arp');
field('arp.spa', 'ipv4', 32, 'arp');
field('arp.tpa', 'ipv4', 32, 'arp');
field('arp.sha', 'mac', 48, 'arp');
field('arp.tha', 'mac', 48, 'arp');
// RARP shares ARP's header layout, so its fields are the same bits under a rarp prerequisite.
subfield('rarp.op', 'arp.op', 0, 15, 'rarp');
subfield('rarp.spa', 'arp.spa', 0, 31, 'rarp', 'ipv4');
subfield('rarp.tpa', 'arp.tpa', 0, 31, 'rarp', 'ipv4');
subfield('rarp.sha', 'arp.sha', 0, 47, 'rarp', 'mac');
subfield('rarp.tha', 'arp.tha', 0, 47, 'rarp', 'mac');
predicate('nd', 'icmp6.type == {135, 136} && icmp6.code == 0 && ip.ttl == 255');
predicate('nd_ns', 'icmp6.type == 135 && icmp6.code == 0 && ip.ttl == 255');
predicate('nd_na', 'icmp6.type == 136 && icmp6.code == 0 && ip.ttl == 255');
predicate('nd_rs', 'icmp6.type == 133 && icmp6.code == 0 && ip.ttl == 255');
predicate('nd_ra', 'icmp6.type == 134 && icmp6.code == 0 && ip.ttl == 255');
predicate('nd_ns_mcast', 'ip6.mcast && icmp6.type == 135 && icmp6.code == 0 && ip.ttl == 255');
// MLD (RFC 2710, RFC 3810): v1 from link-local sources, v2 reports to ff02::16.
predicate('mldv1', 'eth.mcastv6 && ip6.src == fe80::/10 && icmp6.type == {130, 131, 132}');
predicate('mldv2', 'eth.mcastv6 && ip6.dst == ff02::16 && icmp6.type == 143');
field('nd.target', 'ipv6', 128, 'nd');
field('nd.sll', 'mac', 48, 'nd_ns');
field('nd.tll', 'mac', 48, 'nd_na');

// ---------------------------------------------------------------- L4

predicate('tcp', 'ip.proto == 6');
predicate('udp', 'ip.proto == 17');
predicate('sctp', 'ip.proto == 132');
field('tcp.src', 'int', 16, 'tcp');
field('tcp.dst', 'int', 16, 'tcp');
field('tcp.flags', 'int', 12, 'tcp');
field('udp.src', 'int', 16, 'udp');
field('udp.dst', 'int', 16, 'udp');
field('sctp.src', 'int', 16, 'sctp');
field('sctp.dst', 'int', 16, 'sctp');

/** Every symbol, by name. */
export const FIELDS: ReadonlyMap<string, FieldDef> = table;

/** Names of the base fields (what a classifier must carry), in table order. */
export const BASE_FIELDS: readonly string[] = [...table.values()].filter((f) => f.symbol === 'field').map((f) => f.name);

export function lookupField(name: string): FieldDef | undefined {
  return table.get(name);
}

/** The closest symbol names to a misspelt one (edit distance ≤ 2), best first. */
export function similarFields(name: string): string[] {
  const scored: [number, string][] = [];
  for (const k of table.keys()) {
    const d = editDistance(name, k, 3);
    if (d <= 2) scored.push([d, k]);
  }
  return scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])).slice(0, 3).map((s) => s[1]);
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? cap;
}
