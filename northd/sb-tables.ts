// northd/sb-tables.ts — the southbound rows that are not flows or bindings but that a
// controller reads: HA_Chassis_Group (+ HA_Chassis), DNS, Meter (+ Meter_Band) and
// Load_Balancer, each as OVN 23.03 writes it; also which ports join the multicast relay groups.
//
// Owns: the pure builders from NbModel rows to SbHaChassisGroup / SbDns / SbMeter /
// SbLoadBalancer, and the names OVN gives them (an LRP's gateway chassis become a group
// named after the port; a fair meter per ACL is `<meter>__<acl uuid>`).
// Reads: NbModel (read-only). Called by engine.ts (which decides what to rebuild) and tests.
// Never: talks to a store, resolves SB UUIDs (sb-sync.ts links HA_Chassis.chassis to the
// Chassis row of the same name), keeps state.
// Invariant: each builder is a pure function of the model, so the incremental engine and
// a full compile give the same rows (engine.test.ts).

import type { Row, Uuid } from '../store/types.js';
import type { SbDns, SbHaChassis, SbHaChassisGroup, SbIpMulticast, SbLoadBalancer, SbMeter, SbMeterBand, SbServiceMonitor } from './content.js';
import { isMac, ovsSsetOrder, parseIpv4, parseLspAddress, parseNetwork, type Network4 } from './addr.js';
import { isDgp, mcastFloodPort, mcastRelay, type NbModel } from './model.js';
import { bool, int, list, map, str } from './nb.js';
import { parseVip } from './switch.js';

const byPriority = (a: SbHaChassis, b: SbHaChassis): number =>
  b.priority - a.priority || (a.chassis_name < b.chassis_name ? -1 : a.chassis_name > b.chassis_name ? 1 : 0);

/** The SB group of an NB HA_Chassis_Group row (same name, its chassis by name and priority). */
function nbGroup(m: NbModel, u: Uuid): SbHaChassisGroup | null {
  const g = m.nb.HA_Chassis_Group.get(u);
  if (g === undefined) return null;
  const ha: SbHaChassis[] = [];
  for (const c of list(g, 'ha_chassis')) {
    const r = m.nb.HA_Chassis.get(c);
    if (r !== undefined) ha.push({ chassis_name: str(r, 'chassis_name'), priority: int(r, 'priority') ?? 0 });
  }
  return { name: str(g, 'name'), ha_chassis: ha.sort(byPriority) };
}

/**
 * The HA chassis group of a chassisredirect port: the LRP's NB HA_Chassis_Group when it has
 * one (OVN ignores gateway_chassis then), else one named after the LRP made of its
 * Gateway_Chassis rows.
 */
export function haGroupOfLrp(m: NbModel, lrp: Row): SbHaChassisGroup | null {
  const g = list(lrp, 'ha_chassis_group')[0];
  if (g !== undefined) return nbGroup(m, g);
  const ha: SbHaChassis[] = [];
  for (const c of list(lrp, 'gateway_chassis')) {
    const r = m.nb.Gateway_Chassis.get(c);
    if (r !== undefined) ha.push({ chassis_name: str(r, 'chassis_name'), priority: int(r, 'priority') ?? 0 });
  }
  return ha.length === 0 ? null : { name: str(lrp, 'name'), ha_chassis: ha.sort(byPriority) };
}

/** The HA chassis group of a switch port: only `external` ports carry one. */
export function haGroupOfLsp(m: NbModel, lsp: Row): SbHaChassisGroup | null {
  if (str(lsp, 'type') !== 'external') return null;
  const g = list(lsp, 'ha_chassis_group')[0];
  return g === undefined ? null : nbGroup(m, g);
}

/** The SB DNS row of an NB DNS row, or null when no switch names it. */
export function dnsRow(m: NbModel, u: Uuid): SbDns | null {
  const d = m.nb.DNS.get(u);
  const owners = [...(m.dnsOwners.get(u) ?? [])].filter((ls) => m.nb.Logical_Switch.has(ls)).sort();
  if (d === undefined || owners.length === 0) return null;
  return { nb: u, records: map(d, 'records'), datapaths: owners };
}

function bands(m: NbModel, meter: Row): SbMeterBand[] {
  const out: SbMeterBand[] = [];
  for (const b of list(meter, 'bands')) {
    const r = m.nb.Meter_Band.get(b);
    if (r !== undefined) out.push({ action: str(r, 'action'), rate: int(r, 'rate') ?? 0, burst_size: int(r, 'burst_size') ?? 0 });
  }
  return out.sort((a, b) => a.rate - b.rate || a.burst_size - b.burst_size || (a.action < b.action ? -1 : a.action > b.action ? 1 : 0));
}

/** Every NB meter, by name (OVN copies them all, used or not). */
export function meterRows(m: NbModel): Map<string, SbMeter> {
  const out = new Map<string, SbMeter>();
  for (const r of m.nb.Meter.values()) out.set(str(r, 'name'), { name: str(r, 'name'), unit: str(r, 'unit'), bands: bands(m, r) });
  return out;
}

/** The NB meter row named `name`, if any (deterministic when names repeat). */
function meterByName(m: NbModel, name: string): Row | undefined {
  let best: Row | undefined;
  for (const r of m.nb.Meter.values()) if (str(r, 'name') === name && (best === undefined || r._uuid < best._uuid)) best = r;
  return best;
}

/** The per-ACL copy of a fair meter (`<meter>__<acl uuid>`) an ACL rate-limits its log with, else null. */
export function fairMeterOf(m: NbModel, acl: Row): SbMeter | null {
  const name = str(acl, 'meter');
  if (name === '') return null;
  const meter = meterByName(m, name);
  if (meter === undefined || bool(meter, 'fair') !== true) return null;
  return { name: fairMeterName(name, acl._uuid), unit: str(meter, 'unit'), bands: bands(m, meter) };
}

export function fairMeterName(meter: string, acl: Uuid): string {
  return `${meter}__${acl}`;
}

/** The meter name an ACL's log action names: its fair copy when the meter is fair. */
export function aclLogMeter(m: NbModel, acl: Row): string | null {
  const name = str(acl, 'meter');
  if (name === '') return null;
  const meter = meterByName(m, name);
  return meter !== undefined && bool(meter, 'fair') === true ? fairMeterName(name, acl._uuid) : name;
}

/** The SB Load_Balancer of an NB one: only load balancers some switch uses are written. */
export function lbRow(m: NbModel, u: Uuid): SbLoadBalancer | null {
  const lb = m.nb.Load_Balancer.get(u);
  if (lb === undefined) return null;
  const switches = [...m.lbOwnersOf(u)].filter((o) => m.nb.Logical_Switch.has(o)).sort();
  if (switches.length === 0) return null;
  const protocol = str(lb, 'protocol');
  return {
    nb: u, name: str(lb, 'name'), vips: map(lb, 'vips'), protocol: protocol === '' ? null : protocol, datapaths: switches,
    options: { ...map(lb, 'options'), hairpin_orig_tuple: 'true' },
    external_ids: { lb_id: u },
  };
}

/** The IPv4 address of a NAT external_ip that is one host address ("A.B.C.D" or "/32"), else null. */
function hostIpv4(s: string): string | null {
  const [ip, len] = s.split('/');
  if (ip === undefined || parseIpv4(ip) === null || (len !== undefined && len !== '32')) return null;
  return ip;
}

/**
 * The addresses a router's port announces by GARP (OVN's get_nat_addresses): one
 * "MAC IP is_chassis_resident(lport)" per distributed NAT, and one "PORT-MAC IP..." for the
 * centralized NAT addresses (not the port's own) and, unless excluded, the router's IPv4 LB
 * VIPs — restricted to the gateway chassis when the port is the gateway port. Nothing when
 * the router has several gateway ports.
 */
function natAddressesOf(m: NbModel, lrp: Row, lr: Row, dgps: readonly Row[], includeLbIps: boolean): string[] {
  const mac = str(lrp, 'mac').toLowerCase();
  if (dgps.length > 1 || !isMac(mac)) return [];
  const own = new Set(list(lrp, 'networks').map((n) => n.split('/')[0] ?? ''));
  const out: string[] = [];
  const central: string[] = [];
  for (const u of list(lr, 'nat')) {
    const nat = m.nb.NAT.get(u);
    if (nat === undefined) continue;
    const ip = hostIpv4(str(nat, 'external_ip'));
    if (ip === null) continue;
    const lport = str(nat, 'logical_port');
    const extMac = str(nat, 'external_mac').toLowerCase();
    if (dgps.length > 0 && str(nat, 'type') === 'dnat_and_snat' && lport !== '' && extMac !== '') {
      if (isMac(extMac)) out.push(`${extMac} ${ip} is_chassis_resident("${lport}")`);
    } else if (!own.has(ip)) central.push(ip);
  }
  if (includeLbIps) {
    const vips = new Set<string>();
    const vips6 = new Set<string>();
    for (const u of m.lbsOf(lr)) {
      const lb = m.nb.Load_Balancer.get(u);
      if (lb === undefined) continue;
      for (const vip of Object.keys(map(lb, 'vips'))) {
        const v = parseVip(vip);
        if (v !== null) (v.v6 ? vips6 : vips).add(v.ip);
      }
    }
    // OVN keeps them in an sset per family: hash order, IPv4 first
    central.push(...ovsSsetOrder([...vips]), ...ovsSsetOrder([...vips6]));
  }
  if (central.length > 0) {
    const resident = dgps.some((p) => p._uuid === lrp._uuid) ? ` is_chassis_resident("cr-${str(lrp, 'name')}")` : '';
    out.push(`${mac} ${central.join(' ')}${resident}`);
  }
  return out;
}

/**
 * Port_Binding.nat_addresses of a router-type switch port (OVN 23.03): options:nat-addresses
 * ("router": the peer router's NAT and LB addresses; or literal "MAC IP..."), on a gateway
 * router or a router with a gateway port; plus the peer port's own MAC and IPv4 addresses
 * when the peer is the gateway port, resides on its chassis, or is a gateway router's port
 * on a switch with a localnet port.
 */
export function natAddresses(m: NbModel, lsp: Row, hasLocalnet: boolean): string[] {
  const lrp = m.peerLrp(lsp);
  const lrU = lrp === undefined ? undefined : m.lrOfLrp.get(lrp._uuid);
  const lr = lrU === undefined ? undefined : m.nb.Logical_Router.get(lrU);
  if (lrp === undefined || lr === undefined) return [];
  const chassis = (map(lr, 'options')['chassis'] ?? '') !== '';
  const dgps = list(lr, 'ports').map((u) => m.nb.Logical_Router_Port.get(u)).filter((p): p is Row => p !== undefined && isDgp(lr, p))
    .sort((a, b) => (a._uuid < b._uuid ? -1 : 1));
  const opts = map(lsp, 'options');
  const na = opts['nat-addresses'];
  const out: string[] = [];
  if (na === 'router') {
    if (chassis || dgps.length > 0) out.push(...natAddressesOf(m, lrp, lr, dgps, opts['exclude-lb-vips-from-garp'] !== 'true'));
  } else if (na !== undefined && (chassis || dgps.length > 0)) {
    const parsed = parseLspAddress(na);
    if (parsed !== null) {
      const gw = dgps.find((p) => p._uuid === lrp._uuid) ?? dgps[0];
      out.push(gw === undefined ? na : `${na} is_chassis_resident("cr-${str(gw, 'name')}")`);
    }
  }
  let garp = false;
  if (dgps.length > 0) garp = dgps.some((p) => p._uuid === lrp._uuid) || (map(lrp, 'options')['reside-on-redirect-chassis'] === 'true' && dgps.length === 1);
  else garp = chassis && hasLocalnet;
  if (garp) {
    const v4 = list(lrp, 'networks').map((n) => parseNetwork(n)?.v4).filter((n): n is Network4 => n !== undefined).map((n) => n.addr);
    const gw = dgps.find((p) => p._uuid === lrp._uuid) ?? dgps[0];
    out.push([str(lrp, 'mac').toLowerCase(), ...v4].join(' ') + (gw === undefined ? '' : ` is_chassis_resident("cr-${str(gw, 'name')}")`));
  }
  return out;
}

// ---------------------------------------------------------------- load balancer health checks

/** Service_Monitor's natural key (its unique index: logical_port, ip, port, protocol). */
export function svcKey(lport: string, ip: string, port: number, protocol: string): string {
  return `${lport} ${ip} ${port} ${protocol}`;
}

export interface CheckedBackend {
  readonly ip: string;
  readonly port: number;
  readonly lport: string;
  readonly srcIp: string;
  readonly key: string;
}

/** "PORT:SRC_IP" / "PORT:[SRC_IP6]" of ip_port_mappings, or null when it is not that shape. */
export function parseIpPortMapping(v: string): { lport: string; srcIp: string } | null {
  const i = v.indexOf(':');
  if (i <= 0) return null;
  const lport = v.slice(0, i);
  let src = v.slice(i + 1);
  if (src.startsWith('[') && src.endsWith(']')) src = src.slice(1, -1);
  return src === '' ? null : { lport, srcIp: src };
}

/** The health check of one VIP (matched on the vips key, as OVN does), if any. */
export function healthCheckOf(m: NbModel, lb: Row, vip: string): Row | null {
  let best: Row | null = null;
  for (const u of list(lb, 'health_check')) {
    const hc = m.nb.Load_Balancer_Health_Check.get(u);
    if (hc !== undefined && str(hc, 'vip') === vip && (best === null || hc._uuid < best._uuid)) best = hc;
  }
  return best;
}

/**
 * The backends of a health-checked VIP that can be monitored: named in ip_port_mappings by a
 * logical switch port that exists. Null when the VIP has no health check (all backends serve).
 */
export function checkedBackends(m: NbModel, lb: Row, vip: string, backends: string): CheckedBackend[] | null {
  const v = parseVip(vip);
  // a VIP without a port can be checked too: OVN then monitors (and balances to) its backends as port 0
  if (v === null || healthCheckOf(m, lb, vip) === null) return null;
  const proto = str(lb, 'protocol') || 'tcp';
  const mappings = map(lb, 'ip_port_mappings');
  const out: CheckedBackend[] = [];
  for (const be of backends.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const b = parseVip(be);
    if (b === null) continue;
    // an IPv6 VIP's backends are named in brackets ("[fd00::1]"), as OVN looks them up
    const mp = parseIpPortMapping(mappings[v.v6 ? `[${b.ip}]` : b.ip] ?? '');
    if (mp === null || (m.lspByName.get(mp.lport)?.size ?? 0) === 0) continue;
    const port = b.port ?? 0;
    out.push({ ip: b.ip, port, lport: mp.lport, srcIp: mp.srcIp, key: svcKey(mp.lport, b.ip, port, proto) });
  }
  return out;
}

/** The backends a VIP balances to: all, or for a health-checked VIP the monitored ones not reported down. */
export function liveBackends(m: NbModel, lb: Row, vip: string, backends: string, status: (key: string) => string | undefined): string {
  const checked = checkedBackends(m, lb, vip, backends);
  if (checked === null) return backends;
  return checked.filter((b) => { const s = status(b.key); return s === undefined || s === 'online'; })
    .map((b) => (b.ip.includes(':') ? `[${b.ip}]:${b.port}` : `${b.ip}:${b.port}`)).join(',');
}

/** NB_Global options:svc_monitor_mac, or loom's fixed default (OVN picks a random one). */
export function svcMonitorMac(m: NbModel, fallback: string): string {
  const g = [...m.nb.NB_Global.values()][0];
  return (g === undefined ? undefined : map(g, 'options')['svc_monitor_mac']) ?? fallback;
}

/** The Service_Monitor rows one load balancer asks for (whether or not a datapath uses it, as OVN). */
export function serviceMonitorsOf(m: NbModel, lb: Row, srcMac: string): Map<string, SbServiceMonitor> {
  const out = new Map<string, SbServiceMonitor>();
  const proto = str(lb, 'protocol') || 'tcp';
  const vips = map(lb, 'vips');
  for (const vip of Object.keys(vips).sort()) {
    const checked = checkedBackends(m, lb, vip, vips[vip] ?? '');
    const hc = healthCheckOf(m, lb, vip);
    if (checked === null || hc === null) continue;
    for (const b of checked) {
      if (out.has(b.key)) continue;
      out.set(b.key, { ip: b.ip, port: b.port, protocol: proto, logical_port: b.lport, src_mac: srcMac, src_ip: b.srcIp, options: map(hc, 'options') });
    }
  }
  return out;
}

// ---------------------------------------------------------------- IGMP/MLD snooping

/** A switch's IP_Multicast row (OVN 23.03 writes one for every switch; defaults and clamps as its northd). */
export function ipMulticastRow(ls: Row): SbIpMulticast {
  const oc = map(ls, 'other_config');
  const num = (k: string, d: number): number => { const v = Number(oc[k]); return oc[k] !== undefined && Number.isInteger(v) ? v : d; };
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const idle = clamp(num('mcast_idle_timeout', 300), 15, 3600);
  return {
    datapath: ls._uuid, enabled: oc['mcast_snoop'] === 'true', querier: oc['mcast_querier'] !== 'false',
    eth_src: oc['mcast_eth_src'] ?? '', ip4_src: oc['mcast_ip4_src'] ?? '', ip6_src: oc['mcast_ip6_src'] ?? '',
    table_size: num('mcast_table_size', 2048), idle_timeout: idle,
    query_interval: clamp(num('mcast_query_interval', Math.floor(idle / 2)), 1, 3600), query_max_resp: num('mcast_query_max_response', 1),
  };
}

/**
 * The ports of a router's _MC_static multicast group: its enabled ports with
 * options:mcast_flood, a distributed gateway port by its chassisredirect port (as OVN 23.03
 * writes the group: the gateway port itself is not in it). Sorted.
 */
export function routerStaticFloodPorts(m: NbModel, lr: Row): string[] {
  const out: string[] = [];
  for (const u of list(lr, 'ports')) {
    const lrp = m.nb.Logical_Router_Port.get(u);
    if (lrp === undefined || !mcastFloodPort(lrp)) continue;
    out.push(isDgp(lr, lrp) ? `cr-${str(lrp, 'name')}` : str(lrp, 'name'));
  }
  return out.sort();
}

/** A switch port peering with a router that relays multicast: it joins the switch's _MC_mrouter_flood. */
export function relayRouterPort(m: NbModel, lsp: Row): boolean {
  const lrp = m.peerLrp(lsp);
  const lr = lrp === undefined ? undefined : m.lrOfLrp.get(lrp._uuid);
  const row = lr === undefined ? undefined : m.nb.Logical_Router.get(lr);
  return row !== undefined && mcastRelay(row);
}
