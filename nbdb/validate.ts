// nbdb/validate.ts — the northbound rules a transaction must satisfy beyond the schema.
//
// Owns: what OVN (ovn-nbctl, ovn-northd) refuses or misreads in NB rows that the OVSDB schema
// itself lets through: unique names where ovn-nbctl enforces them, MAC and IP/CIDR syntax in
// Logical_Router_Port.mac/networks, Logical_Switch_Port.addresses and port_security entries,
// NAT external_ip/logical_ip (and external_mac/logical_port, only on dnat_and_snat and only
// together), DNS records, DHCP_Options.cidr, virtual ports' virtual-ip, router ports' IPv6 RA
// address mode and their gateway chassis vs HA chassis group, load balancers' ip_port_mappings
// ("BACKEND_IP" = "PORT:SRC_IP") and health checks (the vip one of the balancer's vips), and the match strings of ACL, QoS and
// Logical_Router_Policy, parsed and type-checked by expr/ at write time against the address
// sets and port groups the database will hold after the transaction (including the
// $<pg>_ip4 / $<pg>_ip6 sets northd derives from every port group).
// Reads: the rows a transaction inserts or updates, through the engine's validate hook.
// Called by: the SQLite engine (store/sqlite-store.ts), inside the transaction, before commit,
// via startNbdb (nbdb/index.ts).
// Must never: write, or look at anything but the transaction's view; it only throws. Unlike
// ovn-northd, which only logs a match naming a missing $set or @group, loom refuses it: a
// CMS creates the group (in the same transaction or before) and then the ACL; deleting or
// renaming a set or group that a match still names is refused too.
// Invariants: every refusal is a LoomError with code invalid-value, invalid-match or duplicate, naming the
// table, column, row and offending value, and a hint with the accepted syntax.

import { isIPv4, isIPv6 } from 'node:net';
import { checkMatch, type SymbolContext } from '../expr/index.js';
import { LoomError, type Row, type Scalar, type TxnView, type Value } from '../store/types.js';

// ---------------------------------------------------------------- syntax

const macRe = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

export function isMac(s: string): boolean {
  return macRe.test(s);
}

/** An IPv4 or IPv6 address, no prefix. */
export function isIp(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** IP/plen with plen in range for the family (host bits may be set, as in OVN's networks). */
export function isCidr(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(len)) return false;
  const n = Number(len);
  if (isIPv4(ip)) return n <= 32;
  if (isIPv6(ip)) return n <= 128;
  return false;
}

function isIpOrCidr(s: string): boolean {
  return isIp(s) || isCidr(s);
}

/**
 * Why one Logical_Switch_Port.addresses entry is wrong, or undefined when it is fine. OVN
 * accepts "router", "unknown", "dynamic", "dynamic IP...", "MAC", "MAC IP...", "MAC dynamic".
 */
export function lspAddressProblem(entry: string): string | undefined {
  const words = entry.trim().split(/\s+/).filter((w) => w !== '');
  const [first, ...rest] = words;
  if (first === undefined) return 'empty address entry';
  if (first === 'router' || first === 'unknown') return rest.length === 0 ? undefined : `"${first}" stands alone`;
  if (first === 'dynamic') {
    const bad = rest.find((w) => !isIp(w));
    return bad === undefined ? undefined : `${JSON.stringify(bad)} is not an IP address`;
  }
  if (!isMac(first)) return `${JSON.stringify(first)} is not a MAC address (xx:xx:xx:xx:xx:xx) nor router/unknown/dynamic`;
  if (rest.length === 1 && rest[0] === 'dynamic') return undefined;
  const bad = rest.find((w) => !isIpOrCidr(w));
  return bad === undefined ? undefined : `${JSON.stringify(bad)} is not an IP address`;
}

/** Why one port_security entry ("MAC [IP[/plen]...]") is wrong, or undefined. */
export function portSecurityProblem(entry: string): string | undefined {
  const words = entry.trim().split(/\s+/).filter((w) => w !== '');
  const [first, ...rest] = words;
  if (first === undefined) return 'empty port_security entry';
  if (!isMac(first)) return `${JSON.stringify(first)} is not a MAC address`;
  const bad = rest.find((w) => !isIpOrCidr(w));
  return bad === undefined ? undefined : `${JSON.stringify(bad)} is not an IP address or CIDR`;
}

// ---------------------------------------------------------------- row rules

const LSP_ADDR_HINT = 'entries look like "00:00:00:00:00:01 10.0.0.1", "router", "dynamic", "unknown"';

/** A DNS name: dot-separated labels of letters, digits, '-' and '_' (at most 253 characters). */
export function isDnsName(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}

/** Why one DNS record is wrong: "name" = "IP[ ,IP]..." or "reverse.in-addr.arpa" = "name". */
export function dnsRecordProblem(key: string, value: string): string | undefined {
  if (!isDnsName(key)) return `${JSON.stringify(key)} is not a DNS name`;
  const lower = key.toLowerCase().replace(/\.$/, '');
  if (lower.endsWith('.in-addr.arpa') || lower.endsWith('.ip6.arpa')) {
    return isDnsName(value) ? undefined : `the PTR record ${JSON.stringify(key)} must map to a DNS name, not ${JSON.stringify(value)}`;
  }
  const ips = value.split(/[\s,]+/).filter((x) => x !== '');
  if (ips.length === 0) return `the record ${JSON.stringify(key)} has no IP address`;
  const badIp = ips.find((x) => !isIp(x));
  return badIp === undefined ? undefined : `${JSON.stringify(badIp)} (record ${JSON.stringify(key)}) is not an IP address`;
}

const IP_PORT_MAPPING_HINT = 'ip_port_mappings maps a backend IP to "PORT:SRC_IP" (the logical port the backend sits behind and the health probes\' source IP), e.g. "10.0.0.3"="vm3:10.0.0.254", or "fd00::3"="vm3:[fd00::fe]"';

/** Why one Load_Balancer.ip_port_mappings entry is wrong (OVN ignores what it cannot parse), or undefined. */
export function ipPortMappingProblem(ip: string, v: string): string | undefined {
  const backend = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!isIp(backend)) return `key ${JSON.stringify(ip)} is not a backend IP address`;
  const i = v.indexOf(':');
  if (i <= 0) return `${JSON.stringify(v)} is not "PORT:SRC_IP"`;
  let src = v.slice(i + 1);
  if (src.startsWith('[') && src.endsWith(']')) src = src.slice(1, -1);
  if (!isIp(src)) return `source IP ${JSON.stringify(v.slice(i + 1))} of ${JSON.stringify(v)} is not an IP address`;
  if (isIPv4(src) !== isIPv4(backend)) return `source IP ${JSON.stringify(src)} and backend ${JSON.stringify(backend)} are of different IP families`;
  return undefined;
}

/** A health check whose vip is not a key of the load balancer's vips: OVN never uses it. */
function healthCheckProblem(lb: Row, hc: Row): LoomError | undefined {
  const vips = Object.keys(map(lb['vips']));
  const vip = hc['vip'];
  if (typeof vip !== 'string' || vips.includes(vip)) return undefined;
  return new LoomError({
    code: 'invalid-value', message: `Load_Balancer_Health_Check.vip: ${JSON.stringify(vip)} is not one of load balancer ${JSON.stringify(lb['name'] ?? lb._uuid)}'s vips (${vips.map((x) => JSON.stringify(x)).join(', ') || 'none'})`,
    table: 'Load_Balancer_Health_Check', column: 'vip', row: hc._uuid, value: vip,
    hint: 'a health check names a VIP exactly as the vips key, with its port, e.g. vip="10.0.0.100:80"',
  });
}

function map(v: Value | undefined): { [k: string]: string } {
  const out: { [k: string]: string } = {};
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) out[k] = String(x);
  return out;
}

function strings(v: Value | undefined): readonly string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return (v as readonly Scalar[]).filter((x): x is string => typeof x === 'string');
  return [];
}

function bad(table: string, row: Row, column: string, value: unknown, message: string, hint: string): LoomError {
  return new LoomError({ code: 'invalid-value', message: `${table}.${column}: ${message}`, table, column, row: row._uuid, value, hint });
}

/** Tables whose `match` column holds an OVN logical-flow match. */
const MATCH_TABLES: ReadonlySet<string> = new Set(['ACL', 'QoS', 'Logical_Router_Policy']);

/**
 * The rules for one NB row as it will be committed (plain form), or undefined when it
 * passes. Tables without rules pass. With `symbols`, a match may name only the address
 * sets and port groups it knows; without, names are not checked (syntax and types only).
 */
export function nbRowProblem(table: string, row: Row, symbols?: SymbolContext): LoomError | undefined {
  switch (table) {
    case 'Logical_Switch_Port': {
      for (const a of strings(row['addresses'])) {
        const why = lspAddressProblem(a);
        if (why) return bad(table, row, 'addresses', a, why, LSP_ADDR_HINT);
      }
      for (const a of strings(row['port_security'])) {
        const why = portSecurityProblem(a);
        if (why) return bad(table, row, 'port_security', a, why, 'entries look like "00:00:00:00:00:01 10.0.0.1 fd00::1"');
      }
      if (row['type'] === 'virtual') {
        const vip = map(row['options'])['virtual-ip'];
        if (vip === undefined || !isIPv4(vip)) {
          return bad(table, row, 'options', vip ?? null, `a virtual port needs options:virtual-ip, an IPv4 address (got ${JSON.stringify(vip ?? '')})`,
            'set options:virtual-ip=10.0.0.100 and options:virtual-parents=port1,port2');
        }
      }
      return undefined;
    }
    case 'Logical_Router_Port': {
      const mac = row['mac'];
      if (typeof mac === 'string' && !isMac(mac)) return bad(table, row, 'mac', mac, `${JSON.stringify(mac)} is not a MAC address`, 'a MAC looks like 00:00:00:00:ff:01');
      const nets = strings(row['networks']);
      for (const n of nets) {
        if (!isCidr(n)) return bad(table, row, 'networks', n, `${JSON.stringify(n)} is not IP/prefix-length`, 'networks look like "10.0.0.1/24" or "fd00::1/64"');
      }
      const mode = map(row['ipv6_ra_configs'])['address_mode'];
      if (mode !== undefined && !['slaac', 'dhcpv6_stateful', 'dhcpv6_stateless'].includes(mode)) {
        return bad(table, row, 'ipv6_ra_configs', mode, `address_mode ${JSON.stringify(mode)} is not one of slaac, dhcpv6_stateful, dhcpv6_stateless`, 'e.g. ipv6_ra_configs:address_mode=slaac');
      }
      if (strings(row['gateway_chassis']).length > 0 && strings(row['ha_chassis_group']).length > 0) {
        return bad(table, row, 'gateway_chassis', row['gateway_chassis'] ?? null, 'a gateway port has either gateway_chassis or ha_chassis_group, not both (OVN ignores one of them)',
          'use lrp-set-gateway-chassis, or set ha_chassis_group alone');
      }
      return undefined;
    }
    case 'DNS': {
      const records = map(row['records']);
      for (const [k, v] of Object.entries(records)) {
        const why = dnsRecordProblem(k, v);
        if (why) return bad(table, row, 'records', { [k]: v }, why, 'records look like "vm1.ovn.org"="10.0.0.4 aef0::4" or "4.0.0.10.in-addr.arpa"="vm1.ovn.org"');
      }
      return undefined;
    }
    case 'DHCP_Options': {
      const cidr = row['cidr'];
      if (typeof cidr === 'string' && !isCidr(cidr)) return bad(table, row, 'cidr', cidr, `${JSON.stringify(cidr)} is not IP/prefix-length`, 'cidr looks like "10.0.0.0/24" or "fd00::/64"');
      return undefined;
    }
    case 'NAT': {
      const ext = row['external_ip'];
      if (typeof ext === 'string' && !isIp(ext)) return bad(table, row, 'external_ip', ext, `${JSON.stringify(ext)} is not an IP address`, 'external_ip is one IPv4 or IPv6 address, e.g. 172.16.0.10');
      const log = row['logical_ip'];
      if (typeof log === 'string' && !isIpOrCidr(log)) return bad(table, row, 'logical_ip', log, `${JSON.stringify(log)} is not an IP address or CIDR`, 'logical_ip is an address (dnat, dnat_and_snat) or a network (snat), e.g. 10.0.0.5 or 10.0.0.0/24');
      const emac = row['external_mac'];
      if (typeof emac === 'string' && !isMac(emac)) return bad(table, row, 'external_mac', emac, `${JSON.stringify(emac)} is not a MAC address`, 'a MAC looks like 00:00:00:00:ff:01');
      const macs = strings(emac);
      const lports = strings(row['logical_port']);
      if ((macs.length > 0 || lports.length > 0) && row['type'] !== 'dnat_and_snat') {
        return bad(table, row, macs.length > 0 ? 'external_mac' : 'logical_port', macs[0] ?? lports[0] ?? null, 'logical_port and external_mac are only for dnat_and_snat rules',
          'distributed NAT: type=dnat_and_snat with both logical_port and external_mac');
      }
      if (macs.length > 0 && lports.length === 0) {
        return bad(table, row, 'external_mac', macs[0] ?? null, 'external_mac needs logical_port (the port whose chassis answers for it)', 'set logical_port and external_mac together');
      }
      if (typeof ext === 'string' && typeof log === 'string' && isIp(ext) && isIpOrCidr(log)) {
        const logIp = log.split('/')[0] ?? log;
        if (isIPv4(ext) !== isIPv4(logIp)) return bad(table, row, 'logical_ip', log, 'external_ip and logical_ip are of different IP families', 'use IPv4 with IPv4 and IPv6 with IPv6');
      }
      return undefined;
    }
    case 'Load_Balancer': {
      for (const [ip, v] of Object.entries(map(row['ip_port_mappings']))) {
        const why = ipPortMappingProblem(ip, v);
        if (why) return bad(table, row, 'ip_port_mappings', { [ip]: v }, why, IP_PORT_MAPPING_HINT);
      }
      return undefined;
    }
    case 'ACL':
    case 'QoS':
    case 'Logical_Router_Policy': {
      const match = row['match'];
      if (typeof match !== 'string') return undefined;
      const e = checkMatch(match, symbols);
      if (e === null) return undefined;
      const position = (e as { position?: unknown }).position;
      return new LoomError({
        code: 'invalid-match',
        message: `${table}.match: ${e.message}`,
        table,
        column: 'match',
        row: row._uuid,
        value: match,
        hint: e.hint ?? 'matches use OVN logical-flow syntax, e.g. outport == "lsp1" && ip4 && tcp.dst == 22',
        ...(typeof position === 'number' ? { path: `/match/${position}` } : {}),
      });
    }
    default:
      return undefined;
  }
}

/**
 * The names a match may use once this transaction commits: every Address_Set, every
 * Port_Group, and the $<pg>_ip4 / $<pg>_ip6 sets northd derives from each group (their
 * contents do not matter for a name check).
 */
function nbSymbols(txn: TxnView): SymbolContext {
  const sets = new Map<string, readonly string[]>();
  for (const r of txn.select('Address_Set')) sets.set(String(r['name']), strings(r['addresses']));
  // a group's ports are read only when a match names it (50k ports in 500 groups were all
  // copied for every ACL commit)
  const groups = new Map<string, Row>();
  for (const r of txn.select('Port_Group')) {
    const name = String(r['name']);
    groups.set(name, r);
    if (!sets.has(`${name}_ip4`)) sets.set(`${name}_ip4`, []);
    if (!sets.has(`${name}_ip6`)) sets.set(`${name}_ip6`, []);
  }
  return { addressSets: (n) => sets.get(n), portGroups: (n) => { const r = groups.get(n); return r === undefined ? undefined : strings(r['ports']); } };
}

/**
 * Tables whose `name` ovn-nbctl keeps unique but OVN's schema does not index (the engine
 * enforces the indexed ones: Logical_Switch_Port, Logical_Router_Port, Port_Group,
 * Address_Set). An empty name is exempt: ovn-nbctl allows unnamed switches and routers.
 */
export const UNIQUE_NAME_TABLES: readonly string[] = ['Logical_Switch', 'Logical_Router'];

export function duplicateName(table: string, row: Row, other: Row): LoomError {
  return new LoomError({
    code: 'duplicate',
    message: `${table} name ${JSON.stringify(row['name'])} is already used by row ${other._uuid}`,
    table,
    column: 'name',
    row: row._uuid,
    value: row['name'],
    hint: `${table} names are unique (as ovn-nbctl keeps them); pick another name or update the existing row`,
  });
}

// ---------------------------------------------------------------- the hook

/** The engine's validate hook for OVN_Northbound: throws the first problem found. */
export function validateNbTxn(txn: TxnView): void {
  const named = new Map<string, Row[]>();
  let symbols: SymbolContext | undefined;
  const symbolsOf = (): SymbolContext => (symbols ??= nbSymbols(txn));
  let stranding = false;
  for (const c of txn.changes) {
    // a set or group that disappears or changes name may strand matches that name it
    if ((c.table === 'Address_Set' || c.table === 'Port_Group') && c.old !== null && (c.new === null || c.old['name'] !== c.new['name'])) {
      stranding = true;
    }
    const row = c.new;
    if (row === null) continue;
    const problem = nbRowProblem(c.table, row, MATCH_TABLES.has(c.table) ? symbolsOf() : undefined);
    if (problem) throw problem;
    if (UNIQUE_NAME_TABLES.includes(c.table)) {
      const name = row['name'];
      if (typeof name === 'string' && name !== '' && (c.old === null || c.old['name'] !== name)) {
        const list = named.get(c.table) ?? [];
        list.push(row);
        named.set(c.table, list);
      }
    }
  }
  // health checks name one of their load balancer's VIPs (either row may be the one changing)
  const lbs = new Map<string, Row>();
  for (const c of txn.changes) {
    if (c.table === 'Load_Balancer' && c.new !== null && strings(c.new['health_check']).length > 0) lbs.set(c.new._uuid, c.new);
    if (c.table === 'Load_Balancer_Health_Check' && c.new !== null) {
      for (const lb of txn.select('Load_Balancer', [['health_check', 'includes', ['uuid', c.new._uuid]]])) lbs.set(lb._uuid, lb);
    }
  }
  for (const lb of lbs.values()) {
    const seen = new Set<string>();
    for (const u of strings(lb['health_check'])) {
      const hc = txn.select('Load_Balancer_Health_Check', [['_uuid', '==', ['uuid', u]]])[0];
      const problem = hc === undefined ? undefined : healthCheckProblem(lb, hc);
      if (problem) throw problem;
      const vip = hc?.['vip'];
      if (typeof vip !== 'string') continue;
      if (seen.has(vip)) {
        throw new LoomError({
          code: 'invalid-value', message: `Load_Balancer.health_check: two health checks for vip ${JSON.stringify(vip)} (OVN would use either)`,
          table: 'Load_Balancer', column: 'health_check', row: lb._uuid, value: vip, hint: 'keep one Load_Balancer_Health_Check per VIP and edit its options',
        });
      }
      seen.add(vip);
    }
  }
  if (stranding) {
    for (const table of MATCH_TABLES) {
      for (const row of txn.select(table)) {
        const problem = nbRowProblem(table, row, symbolsOf());
        if (problem) throw problem;
      }
    }
  }
  for (const [table, rows] of named) {
    // A few new names: ask per name. Many (a bulk load): one pass over the table.
    if (rows.length <= 8) {
      for (const row of rows) {
        const other = txn.select(table, [['name', '==', row['name']]]).find((r) => r._uuid !== row._uuid);
        if (other) throw duplicateName(table, row, other);
      }
      continue;
    }
    // Only the names this transaction sets are checked: duplicates already committed (an
    // older loom, a raw import) must not block unrelated writes.
    const wanted = new Set<Value | undefined>(rows.map((r) => r['name']));
    const byName = new Map<Value | undefined, Row[]>();
    for (const r of txn.select(table)) {
      if (!wanted.has(r['name'])) continue;
      const list = byName.get(r['name']) ?? [];
      list.push(r);
      byName.set(r['name'], list);
    }
    for (const row of rows) {
      const other = (byName.get(row['name']) ?? []).find((r) => r._uuid !== row._uuid);
      if (other) throw duplicateName(table, row, other);
    }
  }
}
