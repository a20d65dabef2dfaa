// cli/addresses.ts — the address checks ovn-nbctl makes before it writes: MACs, IPv4/IPv6
// addresses and prefixes, Logical_Switch_Port address strings, load-balancer endpoints.
//
// Owns: syntax checks and normalisation (a prefix's host bits cleared, as ovn-nbctl does).
// Called by: cli/nbctl.ts.
// Must never: accept what ovn-nbctl refuses without saying why.
// Invariants: pure functions; normalised text round-trips through the same check.

export function isMac(s: string): boolean {
  return /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s);
}

export function parseIp4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0] as number) << 24) | ((parts[1] as number) << 16) | ((parts[2] as number) << 8) | (parts[3] as number)) >>> 0;
}

export function formatIp4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** IPv6 address → 8 16-bit groups, or undefined. */
export function parseIp6(s: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const part = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const groups = h.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as string;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIp4(g);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  const a = part(halves[0] as string);
  const b = halves.length === 2 ? part(halves[1] as string) : [];
  if (a === undefined || b === undefined) return undefined;
  if (halves.length === 1) return a.length === 8 ? a : undefined;
  if (a.length + b.length > 7) return undefined;
  return [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
}

export function formatIp6(g: readonly number[]): string {
  // RFC 5952: longest run of zero groups (length >= 2) becomes "::".
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function isIp(s: string): boolean {
  return parseIp4(s) !== undefined || parseIp6(s) !== undefined;
}

export type Family = 4 | 6;

/** `ip[/plen]` → normalised prefix text with host bits cleared, or undefined. */
export function normalizePrefix(s: string, allowHost = true): { text: string; family: Family; plen: number } | undefined {
  const [addr, len, extra] = s.split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const v4 = parseIp4(addr);
  if (v4 !== undefined) {
    const plen = len === undefined ? 32 : /^\d+$/.test(len) ? Number(len) : NaN;
    if (!(plen >= 0 && plen <= 32)) return undefined;
    if (len === undefined && !allowHost) return undefined;
    const mask = plen === 0 ? 0 : (0xffffffff << (32 - plen)) >>> 0;
    const net = (v4 & mask) >>> 0;
    return { text: plen === 32 ? formatIp4(net) : `${formatIp4(net)}/${plen}`, family: 4, plen };
  }
  const v6 = parseIp6(addr);
  if (v6 !== undefined) {
    const plen = len === undefined ? 128 : /^\d+$/.test(len) ? Number(len) : NaN;
    if (!(plen >= 0 && plen <= 128)) return undefined;
    const net = v6.map((g, i) => {
      const bits = Math.max(0, Math.min(16, plen - i * 16));
      return bits === 16 ? g : bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
    });
    return { text: plen === 128 ? formatIp6(net) : `${formatIp6(net)}/${plen}`, family: 6, plen };
  }
  return undefined;
}

/** A network for a router port: `ip/plen` with a host address (not normalised). */
export function isNetwork(s: string): boolean {
  const [addr, len, extra] = s.split('/');
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d+$/.test(len)) return false;
  const plen = Number(len);
  if (parseIp4(addr) !== undefined) return plen >= 0 && plen <= 32;
  if (parseIp6(addr) !== undefined) return plen >= 0 && plen <= 128;
  return false;
}

/**
 * A Logical_Switch_Port addresses entry: "router", "unknown", "dynamic",
 * "MAC [IP...]" or "dynamic IP"/"MAC dynamic" forms (ovn-nb(5)).
 */
export function isLspAddress(s: string): boolean {
  if (s === 'router' || s === 'unknown' || s === 'dynamic') return true;
  const words = s.trim().split(/\s+/);
  const first = words[0] ?? '';
  if (first === 'dynamic') return words.slice(1).every((w) => isIp(w));
  if (!isMac(first)) return false;
  return words.slice(1).every((w) => w === 'dynamic' || isIp(w) || isNetwork(w));
}

/** A port-security entry: "MAC [IP or NET...]". */
export function isPortSecurity(s: string): boolean {
  const words = s.trim().split(/\s+/);
  if (!isMac(words[0] ?? '')) return false;
  return words.slice(1).every((w) => isIp(w) || isNetwork(w));
}

/** A load-balancer endpoint `IP`, `IP:PORT`, `[IP6]`, `[IP6]:PORT`. */
export function parseEndpoint(s: string): { ip: string; port?: number; family: Family } | undefined {
  let ip: string;
  let port: string | undefined;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return undefined;
    ip = s.slice(1, end);
    const rest = s.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      port = rest.slice(1);
    }
    if (parseIp6(ip) === undefined) return undefined;
  } else {
    const i = s.lastIndexOf(':');
    if (i >= 0 && s.indexOf(':') === i) {
      ip = s.slice(0, i);
      port = s.slice(i + 1);
    } else ip = s;
    if (parseIp4(ip) === undefined && !(port === undefined && parseIp6(ip) !== undefined)) return undefined;
  }
  const family: Family = parseIp4(ip) !== undefined ? 4 : 6;
  if (port === undefined) return { ip, family };
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) return undefined;
  return { ip, port: Number(port), family };
}
