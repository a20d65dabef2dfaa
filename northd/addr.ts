// northd/addr.ts — parsing of the address strings NB carries (LSP addresses, LRP networks,
// NAT IPs) and the IPv6 derivations OVN applies (EUI-64 link-local, solicited-node group).
//
// Owns: pure functions over strings. Called by the pipelines and bindings. Never: throws on
// bad input — NB validation refuses bad values at write time; here a bad entry is skipped,
// as ovn-northd skips (and logs) an unparsable address.

export interface LportAddresses {
  readonly mac: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function isMac(s: string): boolean {
  return MAC_RE.test(s);
}

/** A.B.C.D (1-3 ASCII digits each, ≤ 255) as a number, or null; a loop, not a regexp: every port's addresses go through it. */
export function parseIpv4(s: string): number | null {
  const n = s.length;
  if (n < 7 || n > 15) return null;
  let v = 0;
  let o = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++digits > 3) return null;
      o = o * 10 + (c - 48);
    } else if (c === 46) {
      if (digits === 0 || dots === 3 || o > 255) return null;
      v = v * 256 + o;
      o = 0;
      digits = 0;
      dots++;
    } else return null;
  }
  if (dots !== 3 || digits === 0 || o > 255) return null;
  return v * 256 + o;
}

export function formatIpv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** Expands an IPv6 address into 8 groups, or null. */
export function parseIpv6(s: string): number[] | null {
  if (!s.includes(':') || /[^0-9a-fA-F:.]/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const part = (t: string): number[] | null => {
    if (t === '') return [];
    const out: number[] = [];
    for (const g of t.split(':')) {
      if (g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = part(halves[0] ?? '');
  const tail = halves.length === 2 ? part(halves[1] ?? '') : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/** RFC 5952 text form (what OVN prints). */
export function formatIpv6(g: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function normalizeIpv6(s: string): string | null {
  const g = parseIpv6(s);
  return g === null ? null : formatIpv6(g);
}

/** Modified EUI-64 link-local address of a MAC (fe80::/64). */
export function macToLla(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = b;
  return formatIpv6([0xfe80, 0, 0, 0, ((b0 ^ 2) << 8) | b1, (b2 << 8) | 0xff, 0xfe00 | b3, (b4 << 8) | b5]);
}

/** Solicited-node multicast group of an IPv6 address (ff02::1:ffXX:XXXX). */
export function solicitedNode(ip6: string): string {
  const g = parseIpv6(ip6) ?? [0, 0, 0, 0, 0, 0, 0, 0];
  return formatIpv6([0xff02, 0, 0, 0, 0, 1, 0xff00 | ((g[6] ?? 0) & 0xff), g[7] ?? 0]);
}

/** One entry of Logical_Switch_Port.addresses: "MAC [IP...]"; null for router/unknown/dynamic/bad. */
export function parseLspAddress(s: string): LportAddresses | null {
  const parts = s.trim().split(/\s+/);
  const mac = parts[0];
  if (mac === undefined || !isMac(mac)) return null;
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const p of parts.slice(1)) {
    const bare = p.split('/')[0] ?? '';
    if (parseIpv4(bare) !== null) ipv4.push(bare);
    else {
      const v6 = normalizeIpv6(bare);
      if (v6 !== null) ipv6.push(v6);
    }
  }
  return { mac: mac.toLowerCase(), ipv4, ipv6 };
}

const parsedLists = new WeakMap<readonly string[], readonly (LportAddresses | null)[]>();

/**
 * parseLspAddress of each entry of a port's addresses, parsed once per list: nb.ts hands
 * out a row's own (immutable) array, so the switch pipeline and the port groups' address
 * sets share one parse per row version.
 */
export function lspAddresses(addresses: readonly string[]): readonly (LportAddresses | null)[] {
  let out = parsedLists.get(addresses);
  if (out === undefined) {
    out = addresses.map(parseLspAddress);
    parsedLists.set(addresses, out);
  }
  return out;
}

export interface Network4 {
  readonly addr: string;
  readonly plen: number;
  /** network address text, e.g. 10.0.1.0 */
  readonly network: string;
  readonly bcast: string;
}
export interface Network6 {
  readonly addr: string;
  readonly plen: number;
  readonly network: string;
}

/** Logical_Router_Port.networks entry "A.B.C.D/N" or "X::Y/N". */
export function parseNetwork(s: string): { v4?: Network4; v6?: Network6 } | null {
  const [a, l] = s.split('/');
  if (a === undefined || l === undefined || !/^\d+$/.test(l)) return null;
  const plen = Number(l);
  const v4 = parseIpv4(a);
  if (v4 !== null) {
    if (plen > 32) return null;
    const mask = plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
    const net = (v4 & mask) >>> 0;
    return { v4: { addr: a, plen, network: formatIpv4(net), bcast: formatIpv4((net | (~mask >>> 0)) >>> 0) } };
  }
  const g = parseIpv6(a);
  if (g === null || plen > 128) return null;
  const masked = g.map((x, i) => {
    const bits = Math.max(0, Math.min(16, plen - i * 16));
    return bits === 0 ? 0 : x & ((0xffff << (16 - bits)) & 0xffff);
  });
  return { v6: { addr: formatIpv6(g), plen, network: formatIpv6(masked) } };
}

export function ipv4InNetwork(ip: string, n: Network4): boolean {
  const v = parseIpv4(ip);
  const net = parseIpv4(n.network);
  if (v === null || net === null) return false;
  const mask = n.plen === 0 ? 0 : (0xffffffff << (32 - n.plen)) >>> 0;
  return ((v & mask) >>> 0) === net;
}

export function ipv6InNetwork(ip: string, n: Network6): boolean {
  const g = parseIpv6(ip);
  const net = parseIpv6(n.network);
  if (g === null || net === null) return false;
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, n.plen - i * 16));
    const m = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    if (((g[i] ?? 0) & m) !== (net[i] ?? 0)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- OVS set iteration order

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

function mhashAdd(hash: number, data: number): number {
  let h = hash >>> 0;
  if (data !== 0) {
    let d = Math.imul(data, 0xcc9e2d51) >>> 0;
    d = rotl(d, 15);
    d = Math.imul(d, 0x1b873593) >>> 0;
    h = (h ^ d) >>> 0;
  }
  h = rotl(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

function mhashFinish(hash: number): number {
  let h = hash >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** OVS hash_string(s, 0) (lib/hash.c hash_bytes, the portable murmur-style variant). */
export function ovsHashString(s: string): number {
  const bytes = Buffer.from(s, 'utf8');
  let h = 0;
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) h = mhashAdd(h, bytes.readUInt32LE(i));
  if (i < bytes.length) {
    let tmp = 0;
    for (let j = 0; i + j < bytes.length; j++) tmp |= (bytes[i + j] ?? 0) << (8 * j);
    h = mhashAdd(h, tmp >>> 0);
  }
  return mhashFinish((h ^ bytes.length) >>> 0);
}

/**
 * The order in which OVS's `sset` (an hmap of strings) hands back `items` inserted in this
 * order: northd prints some sets that way (e.g. the MACs of self-originated ARP flooding),
 * so loom reproduces it to write the same match text. Duplicates are ignored.
 */
export function ovsSsetOrder(items: readonly string[]): string[] {
  type Node = { s: string; h: number };
  let mask = 0;
  let buckets: Node[][] = [[]];
  let n = 0;
  const calcMask = (capacity: number): number => {
    let m = Math.floor(capacity / 2);
    for (let k = 0; k < 6; k++) m |= m >>> (1 << k);
    return m | ((m & 1) << 1);
  };
  const insertFast = (bs: Node[][], m: number, node: Node): void => {
    bs[node.h & m]?.unshift(node); // new nodes go to the head of their bucket
  };
  const seen = new Set<string>();
  for (const s of items) {
    if (seen.has(s)) continue;
    seen.add(s);
    insertFast(buckets, mask, { s, h: ovsHashString(s) });
    n++;
    if (Math.floor(n / 2) > mask) {
      const newMask = calcMask(n);
      if (newMask > mask) {
        const nb: Node[][] = Array.from({ length: newMask + 1 }, () => []);
        for (const b of buckets) for (const node of b) insertFast(nb, newMask, node);
        buckets = nb;
        mask = newMask;
      }
    }
  }
  return buckets.flatMap((b) => b.map((node) => node.s));
}
