// northd/router.ts — the logical router pipeline (ingress lr_in_*, egress lr_out_*).
//
// Owns: all flows of one logical router as ovn-northd 23.03 writes them for the features
// loom models: admission, neighbor lookup/learning, IP input (ARP/ND replies, ICMP echo,
// TTL exceeded, port unreachable), gateway-router NAT (snat, dnat, dnat_and_snat),
// distributed gateway ports (gateway chassis or HA chassis group: gw_redirect to the cr-
// port, is_chassis_resident guards, NAT in the common zone incl. distributed dnat_and_snat,
// several gateway ports with NAT gateway_port), load balancers on gateway and distributed
// routers (_rtr_lb_<key>_ip4 / _ip6), IPv6 RA replies, connected and static routes with ECMP,
// default policies, ARP resolve (incl. other routers on a shared switch)/request, delivery.
// One compile unit per router (`buildRouter`). The ARP resolution entries for switch port
// addresses are written by switch.ts (they belong to the port's unit).
// Reads: NbModel. Called by engine.ts. Never: reads anything but its arguments.
// Also: IPv6 NAT, and the gateway-router options ovn-kubernetes sets
// (always_learn_from_arp_request, dynamic_neigh_routers, lb_force_snat_ip=router_ip, LB
// skip_snat).
// Also stateless dnat_and_snat (options:stateless), gateway_mtu (chk_pkt_len, larger_pkts),
// reside-on-redirect-chassis, redirect-type=bridged.
// Also NAT allowed_ext_ips / exempted_ext_ips. Also multicast relay (options:mcast_relay;
// ports with options:mcast_flood form the router's _MC_static, engine.ts) without learnt
// IGMP groups (IGMP_Group: the 10500 routes to them are not written).
// Also LB session affinity (affinity_timeout) on switches and routers, with or without VIP
// ports; LB health checks (only live backends in lr_in_dnat, all in lr_out_undnat; none left:
// drop, or reject with options:reject). Load balancers of load_balancer_group as its own.
// Also ECMP reroute policies (several nexthops) and policy pkt_mark; ECMP static routes with
// ecmp_symmetric_reply on gateway routers (conntrack keeps the port and next-hop MAC).
// Also lb_force_snat_ip=<addresses> (gateway and distributed routers), dnat_force_snat_ip
// (gateway routers).
// Also gateway_mtu_bypass. A router with several gateway ports balances its VIPs on the first
// by row UUID, as OVN.

import type { Row, Uuid } from '../store/types.js';
import { ipv4InNetwork, ipv6InNetwork, macToLla, parseIpv4, parseIpv6, parseNetwork, solicitedNode, type Network4, type Network6 } from './addr.js';
import type { LflowBuilder, NbRef } from './lflow.js';
import { isDgp, mcastFloodPort, mcastRelay, type NbModel } from './model.js';
import { bool, list, map, str } from './nb.js';
import { stage as stageOf } from './stages.js';
import { affAddr, affinity, arpResolveEntry, emptyLbEvent, nd6ResolveEntry, parseVip } from './switch.js';

const q = (s: string): string => JSON.stringify(s);

interface Lrp {
  readonly row: Row;
  readonly name: string;
  readonly mac: string;
  readonly v4: readonly Network4[];
  readonly v6: readonly Network6[];
  readonly lla: string;
  /** `cr-<name>` when this is a distributed gateway port */
  readonly cr: string | null;
  /** ` && is_chassis_resident("cr-<name>")` for a distributed gateway port, else '' */
  readonly resident: string;
  /** the same, only when the peer switch has a localnet port (ARP replies for own IPs) */
  readonly arpResident: string;
  /** options:gateway_mtu (OVN honours it on any router port) */
  readonly mtu: number | null;
  /** enabled (not enabled=false): a disabled port admits and delivers nothing */
  readonly enabled: boolean;
}

function routerPorts(model: NbModel, lr: Row): Lrp[] {
  const out: Lrp[] = [];
  const rows = list(lr, 'ports').map((u) => model.nb.Logical_Router_Port.get(u)).filter((r): r is Row => r !== undefined);
  // a port with reside-on-redirect-chassis lives where the router's only gateway port does
  const gwPorts = rows.filter((r) => isDgp(lr, r));
  const onlyCr = gwPorts.length === 1 && gwPorts[0] !== undefined ? `cr-${str(gwPorts[0], 'name')}` : null;
  for (const u of list(lr, 'ports')) {
    const row = model.nb.Logical_Router_Port.get(u);
    if (row === undefined) continue;
    const mac = str(row, 'mac').toLowerCase();
    const v4: Network4[] = [];
    const v6: Network6[] = [];
    for (const n of list(row, 'networks')) {
      const p = parseNetwork(n);
      if (p?.v4) v4.push(p.v4);
      if (p?.v6) v6.push(p.v6);
    }
    const cr = isDgp(lr, row) ? `cr-${str(row, 'name')}` : null;
    const resident = cr === null ? '' : ` && is_chassis_resident(${q(cr)})`;
    const reside = cr === null && onlyCr !== null && map(row, 'options')['reside-on-redirect-chassis'] === 'true';
    const arpResident = !peerHasLocalnet(model, row) ? '' : cr !== null ? resident : reside ? ` && is_chassis_resident(${q(onlyCr ?? '')})` : '';
    const mtuOpt = Number(map(row, 'options')['gateway_mtu'] ?? 0);
    const mtu = Number.isInteger(mtuOpt) && mtuOpt > 0 ? mtuOpt : null;
    out.push({ row, name: str(row, 'name'), mac, v4, v6, lla: macToLla(mac), cr, resident, arpResident, mtu, enabled: bool(row, 'enabled') !== false });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether the switch on the other side of a router port has a localnet port. */
function peerHasLocalnet(model: NbModel, lrp: Row): boolean {
  const peer = model.peerLsp(lrp);
  const ls = peer === undefined ? undefined : model.lsOfLsp.get(peer._uuid);
  const row = ls === undefined ? undefined : model.nb.Logical_Switch.get(ls);
  if (row === undefined) return false;
  return list(row, 'ports').some((u) => {
    const p = model.nb.Logical_Switch_Port.get(u);
    return p !== undefined && str(p, 'type') === 'localnet';
  });
}

export type IpFamily = 'ip4' | 'ip6';

/**
 * The addresses of options:lb_force_snat_ip / dnat_force_snat_ip (space-separated; OVN uses
 * the first of each family), or null when unset or not all addresses ("router_ip" is not).
 */
function forceSnatAddrs(lr: Row, kind: 'lb' | 'dnat'): { ip4?: string; ip6?: string } | null {
  const v = map(lr, 'options')[`${kind}_force_snat_ip`];
  const words = (v ?? '').split(/\s+/).filter((w) => w !== '');
  if (words.length === 0 || words.some((w) => parseIpv4(w) === null && parseIpv6(w) === null)) return null;
  const ip4 = words.find((w) => parseIpv4(w) !== null);
  const ip6 = words.find((w) => parseIpv4(w) === null);
  return { ...(ip4 !== undefined ? { ip4 } : {}), ...(ip6 !== undefined ? { ip6 } : {}) };
}

/** ",RANGE" for a NAT rule's external_port_range (SNAT/DNAT pick ports from it), else ''. */
function portRange(nat: Row): string {
  const r = str(nat, 'external_port_range');
  return r === '' ? '' : `,${r}`;
}

/** The name of the address set of a router's reachable LB VIPs of one family. */
export function routerLbSetName(dpKey: number, fam: IpFamily = 'ip4'): string {
  return `_rtr_lb_${dpKey}_${fam}`;
}

/**
 * Load-balancer VIPs of a router that fall inside one of its ports' networks (the router
 * answers ARP / ND for them): OVN's `_rtr_lb_<key>_ip4` and `_rtr_lb_<key>_ip6`. A load
 * balancer's options:neighbor_responder=all puts all its VIPs there, =none none of them.
 */
export function routerLbVips(model: NbModel, lr: Row, fam: IpFamily = 'ip4'): string[] {
  const lbs = model.lbsOf(lr);
  // most routers have no balancer: their ports are not looked at
  if (lbs.length === 0) return [];
  const ports = routerPorts(model, lr);
  const out = new Set<string>();
  for (const u of lbs) {
    const lb = model.nb.Load_Balancer.get(u);
    if (lb === undefined) continue;
    const mode = map(lb, 'options')['neighbor_responder'];
    if (mode === 'none') continue;
    for (const vip of Object.keys(map(lb, 'vips'))) {
      const v = parseVip(vip);
      if (v === null || v.v6 !== (fam === 'ip6')) continue;
      if (mode === 'all') out.add(v.ip);
      else if (v.v6 ? ports.some((p) => p.v6.some((n) => ipv6InNetwork(v.ip, n))) : ports.some((p) => p.v4.some((n) => ipv4InNetwork(v.ip, n)))) out.add(v.ip);
    }
  }
  return [...out].sort();
}

/** A router's `_rtr_lb_` address sets (name → VIPs), only those with VIPs. */
export function routerLbSets(model: NbModel, lr: Row, dpKey: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const fam of ['ip4', 'ip6'] as const) {
    const vips = routerLbVips(model, lr, fam);
    if (vips.length > 0) out.set(routerLbSetName(dpKey, fam), vips);
  }
  return out;
}

/** The backends a load balancer's VIP balances to (health checks: sb-tables.ts liveBackends); all by default. */
export type LiveBackends = (lb: Row, vip: string, backends: string) => string;

/**
 * `portKey`: the tunnel key of a router port's binding (engine.ts allocates them before the
 * flows are built); ECMP symmetric reply flows name the port by it.
 */
export function buildRouter(b: LflowBuilder, model: NbModel, lr: Row, dpKey?: number, live: LiveBackends = (_l, _v, x) => x,
  portKey: (lrp: Uuid) => number | undefined = () => undefined): void {
  const dp: Uuid = lr._uuid;
  const gw = model.isGatewayRouter(lr);
  const ports = routerPorts(model, lr);
  const nats = list(lr, 'nat').map((u) => model.nb.NAT.get(u)).filter((r): r is Row => r !== undefined);
  const lbs = model.lbsOf(lr).filter((u) => model.nb.Load_Balancer.has(u));
  const natOrLb = nats.length > 0 || lbs.length > 0;
  const dgps = ports.filter((p) => p.cr !== null);
  // lb_force_snat_ip=router_ip makes every router address a SNAT address: none is dropped
  // in ip_input (un-SNAT must see them)
  const forceSnatRouterIp = gw && map(lr, 'options')['lb_force_snat_ip'] === 'router_ip';
  if (forceSnatRouterIp) {
    // load-balanced traffic leaves with the first IPv4 / IPv6 address of a connected port
    for (const p of ports) {
      if (model.peerLsp(p.row) === undefined) continue;
      const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
      for (const [f, a] of [['ip4', p.v4[0]?.addr], ['ip6', p.v6[0]?.addr]] as const) {
        if (a === undefined) continue;
        b.add(dp, 'lr_in_unsnat', 110, `inport == ${q(p.name)} && ${f}.dst == ${a}`, 'ct_snat;', ref);
        b.add(dp, 'lr_out_snat', 110, `flags.force_snat_for_lb == 1 && ${f} && outport == ${q(p.name)}`, `ct_snat(${a});`, ref);
      }
    }
  }
  // options:lb_force_snat_ip / dnat_force_snat_ip addresses: load-balanced / DNATed traffic
  // leaves a gateway router from them (on a distributed router only the LB flag is set)
  const forceLb = forceSnatAddrs(lr, 'lb');
  const forceDnat = forceSnatAddrs(lr, 'dnat');
  if (gw) {
    for (const [kind, addrs] of [['dnat', forceDnat], ['lb', forceLb]] as const) {
      for (const [f, a] of [['ip4', addrs?.ip4], ['ip6', addrs?.ip6]] as const) {
        if (a === undefined) continue;
        b.add(dp, 'lr_in_unsnat', 110, `${f} && ${f}.dst == ${a}`, 'ct_snat;');
        b.add(dp, 'lr_out_snat', 100, `flags.force_snat_for_${kind} == 1 && ${f}`, `ct_snat(${a});`);
      }
    }
  }
  // router-owned IPs that are also SNAT external IPs (force-SNAT ones too) or LB VIPs are not
  // dropped in ip_input (traffic to them is un-NATed) but in arp_resolve, after routing
  const natOwned = new Set<string>();
  for (const nat of nats) if (str(nat, 'type') !== 'dnat') natOwned.add(str(nat, 'external_ip'));
  for (const a of [forceLb?.ip4, forceLb?.ip6, forceDnat?.ip4, forceDnat?.ip6]) if (a !== undefined) natOwned.add(a);
  for (const u of lbs) for (const vip of Object.keys(map(model.nb.Load_Balancer.get(u) ?? ({ _uuid: u } as Row), 'vips'))) {
    const v = parseVip(vip);
    if (v !== null) natOwned.add(v.ip);
  }

  // admission
  b.add(dp, 'lr_in_admission', 100, 'vlan.present || eth.src[40]', 'drop;');
  b.add(dp, 'lr_in_admission', 0, '1', 'drop;');
  // gateway_mtu on a gateway port: frames over it get "fragmentation needed" back
  for (const p of ports) {
    if (!p.enabled) continue;
    const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
    const mtu = p.mtu;
    const chk = mtu === null ? '' : `reg9[1] = check_pkt_larger(${mtu + 14}); `;
    admit(b, dp, p.mac, p.name, p.resident, p.mac, ref, chk);
    b.add(dp, 'lr_in_admission', 50, `eth.mcast && inport == ${q(p.name)}`, `${chk}xreg0[0..47] = ${p.mac}; next;`, ref);
    // options:gateway_mtu_bypass: traffic matching it is admitted without the size check
    const bypass = map(p.row, 'options')['gateway_mtu_bypass'];
    if (mtu !== null && bypass !== undefined && bypass !== '') {
      b.add(dp, 'lr_in_admission', 55, `eth.dst == ${p.mac} && inport == ${q(p.name)}${p.resident} && (${bypass})`, `xreg0[0..47] = ${p.mac}; next;`, ref);
      b.add(dp, 'lr_in_admission', 55, `eth.mcast && inport == ${q(p.name)} && (${bypass})`, `xreg0[0..47] = ${p.mac}; next;`, ref);
      b.add(dp, 'lr_in_chk_pkt_len', 55, `outport == ${q(p.name)} && (${bypass})`, 'next;', ref);
    }
  }
  for (const p of ports) {
    const mtu = p.mtu;
    if (mtu === null) continue;
    const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
    b.add(dp, 'lr_in_chk_pkt_len', 50, `outport == ${q(p.name)}`, `reg9[1] = check_pkt_larger(${mtu + 14}); next;`, ref);
    // too big for the gateway port: answered from the port it came in by (or this one)
    for (const from of ports) {
      const v4 = from.v4[0]?.addr;
      const v6 = from.v6[0]?.addr ?? from.lla; // the link-local one when there is no other
      const errs: [string, string][] = [];
      if (v4 !== undefined) {
        errs.push(['ip4', `icmp4_error {reg9[0] = 1; reg9[1] = 0; eth.dst = ${from.mac}; ip4.dst = ip4.src; ip4.src = ${v4}; ip.ttl = 255; icmp4.type = 3; /* Destination Unreachable. */ icmp4.code = 4; /* Frag Needed and DF was Set. */ icmp4.frag_mtu = ${mtu}; next(pipeline=ingress, table=0); };`]);
      }
      if (v6 !== undefined) {
        errs.push(['ip6', `icmp6_error {reg9[0] = 1; reg9[1] = 0; eth.dst = ${from.mac}; ip6.dst = ip6.src; ip6.src = ${v6}; ip.ttl = 255; icmp6.type = 2; /* Packet Too Big. */ icmp6.code = 0; icmp6.frag_mtu = ${mtu}; next(pipeline=ingress, table=0); };`]);
      }
      for (const [f, act] of errs) {
        if (from === p) b.add(dp, 'lr_in_ip_input', 150, `inport == ${q(p.name)} && ${f} && reg9[1] && reg9[0] == 0`, act, ref);
        else b.add(dp, 'lr_in_larger_pkts', 150, `inport == ${q(from.name)} && outport == ${q(p.name)} && ${f} && reg9[1] && reg9[0] == 0`, act, ref);
      }
    }
  }

  // neighbor lookup / learning; with always_learn_from_arp_request=false only requests to
  // the router itself, or from neighbors already known, are learned (reg9[3])
  const learnAll = map(lr, 'options')['always_learn_from_arp_request'] !== 'false';
  const known = (v: string): string => (learnAll ? '' : `reg9[3] = ${v}; `);
  b.add(dp, 'lr_in_lookup_neighbor', 100, 'arp.op == 2', `reg9[2] = lookup_arp(inport, arp.spa, arp.sha); ${known('1')}next;`);
  b.add(dp, 'lr_in_lookup_neighbor', 100, 'nd_na', `reg9[2] = lookup_nd(inport, nd.target, nd.tll); ${known('1')}next;`);
  b.add(dp, 'lr_in_lookup_neighbor', 100, 'nd_ns', `reg9[2] = lookup_nd(inport, ip6.src, nd.sll); ${known('lookup_nd_ip(inport, ip6.src)')}next;`);
  if (!learnAll) {
    b.add(dp, 'lr_in_lookup_neighbor', 110, 'nd_na && ip6.src == fe80::/10 && ip6.dst == ff00::/8',
      'reg9[2] = lookup_nd(inport, ip6.src, nd.tll); reg9[3] = lookup_nd_ip(inport, ip6.src); next;');
  }
  b.add(dp, 'lr_in_lookup_neighbor', 0, '1', 'reg9[2] = 1; next;');
  for (const p of ports) {
    const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
    for (const n of p.v4) {
      const m = `inport == ${q(p.name)} && arp.spa == ${n.network}/${n.plen}`;
      b.add(dp, 'lr_in_lookup_neighbor', 100, `${m} && arp.op == 1${p.resident}`,
        `reg9[2] = lookup_arp(inport, arp.spa, arp.sha); ${known('lookup_arp_ip(inport, arp.spa)')}next;`, ref);
      if (!learnAll) {
        b.add(dp, 'lr_in_lookup_neighbor', 110, `${m} && arp.tpa == ${n.addr} && arp.op == 1${p.resident}`, 'reg9[2] = lookup_arp(inport, arp.spa, arp.sha); reg9[3] = 1; next;', ref);
      }
    }
  }
  b.add(dp, 'lr_in_learn_neighbor', 100, learnAll ? 'reg9[2] == 1' : 'reg9[2] == 1 || reg9[3] == 0', 'next;');
  b.add(dp, 'lr_in_learn_neighbor', 95, 'nd_na && nd.tll == 0', 'put_nd(inport, nd.target, eth.src); next;');
  b.add(dp, 'lr_in_learn_neighbor', 95, 'nd_ns && (ip6.src == 0 || nd.sll == 0)', 'next;');
  b.add(dp, 'lr_in_learn_neighbor', 90, 'arp', 'put_arp(inport, arp.spa, arp.sha); next;');
  b.add(dp, 'lr_in_learn_neighbor', 90, 'nd_na', 'put_nd(inport, nd.target, nd.tll); next;');
  b.add(dp, 'lr_in_learn_neighbor', 90, 'nd_ns', 'put_nd(inport, ip6.src, nd.sll); next;');
  b.add(dp, 'lr_in_learn_neighbor', 0, '1', 'drop;');

  // ip_input
  b.add(dp, 'lr_in_ip_input', 100,
    'ip4.src_mcast ||ip4.src == 255.255.255.255 || ip4.src == 127.0.0.0/8 || ip4.dst == 127.0.0.0/8 || ip4.src == 0.0.0.0/8 || ip4.dst == 0.0.0.0/8', 'drop;');
  b.add(dp, 'lr_in_ip_input', 85, 'arp || nd', 'drop;');
  b.add(dp, 'lr_in_ip_input', 84, 'nd_rs || nd_ra', 'next;');
  b.add(dp, 'lr_in_ip_input', 83, 'ip6.mcast_rsvd', 'drop;');
  // multicast relay (options:mcast_relay) routes IP multicast; ports with options:mcast_flood
  // (the router's _MC_static) also take IGMP/MLD, whose TTL is always 1
  const relay = mcastRelay(lr);
  const floodStatic = ports.some((p) => mcastFloodPort(p.row));
  if (floodStatic) {
    b.add(dp, 'lr_in_ip_input', 120, 'igmp && ip.ttl == 1', 'next;');
    b.add(dp, 'lr_in_ip_input', 120, '(mldv1 || mldv2) && ip.ttl == 1', 'next;');
  }
  b.add(dp, 'lr_in_ip_input', 82, 'ip4.mcast || ip6.mcast', relay ? 'next;' : 'drop;');
  b.add(dp, 'lr_in_ip_input', 50, 'eth.bcast', 'drop;');
  b.add(dp, 'lr_in_ip_input', 32, 'ip.ttl == {0, 1} && !ip.later_frag && (ip4.mcast || ip6.mcast)', 'drop;');
  b.add(dp, 'lr_in_ip_input', 30, 'ip.ttl == {0, 1}', 'drop;');
  b.add(dp, 'lr_in_ip_input', 0, '1', 'next;');
  const arpReply = 'eth.dst = eth.src; eth.src = xreg0[0..47]; arp.op = 2; /* ARP reply */ arp.tha = arp.sha; arp.sha = xreg0[0..47]; arp.tpa <-> arp.spa; outport = inport; flags.loopback = 1; output;';
  for (const p of ports) {
    const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
    const qn = q(p.name);
    if (p.v4.length > 0) {
      const srcs = p.v4.flatMap((n) => [n.addr, n.bcast]);
      b.add(dp, 'lr_in_ip_input', 100, `ip4.src == {${srcs.join(', ')}} && reg9[0] == 0`, 'drop;', ref);
      const dsts = p.v4.map((n) => n.addr);
      const dstMatch = dsts.length === 1 ? `ip4.dst == ${dsts[0]}` : `ip4.dst == {${dsts.join(', ')}}`;
      b.add(dp, 'lr_in_ip_input', 90, `${dstMatch} && icmp4.type == 8 && icmp4.code == 0`,
        'ip4.dst <-> ip4.src; ip.ttl = 255; icmp4.type = 0; flags.loopback = 1; next; ', ref);
      const own = dsts.filter((a) => !natOwned.has(a));
      if (own.length > 0 && !forceSnatRouterIp) b.add(dp, 'lr_in_ip_input', 60, `ip4.dst == {${own.join(', ')}}`, 'drop;', ref);
      const natted = dsts.filter((a) => natOwned.has(a));
      if (natted.length > 0) b.add(dp, 'lr_in_arp_resolve', 2, `ip4.dst == {${natted.join(', ')}}`, 'drop;', ref);
      const first = p.v4[0];
      if (first !== undefined) {
        // on a gateway port the error goes back from the address the packet was sent to
        const src = p.cr !== null ? 'ip4.dst <-> ip4.src' : `ip4.dst = ip4.src; ip4.src = ${first.addr}`;
        b.add(dp, 'lr_in_ip_input', 31, `inport == ${qn} && ip4 && ip.ttl == {0, 1} && !ip.later_frag`,
          `icmp4 {eth.dst <-> eth.src; icmp4.type = 11; /* Time exceeded */ icmp4.code = 0; /* TTL exceeded in transit */ ${src} ; ip.ttl = 254; outport = ${qn}; flags.loopback = 1; output; };`, ref);
      }
      for (const n of p.v4) {
        b.add(dp, 'lr_in_ip_input', 90, `inport == ${qn} && arp.op == 1 && arp.tpa == ${n.addr} && arp.spa == ${n.network}/${n.plen}${p.arpResident}`, arpReply, ref);
        if (!gw && dgps.length === 0) {
          const d = `ip4 && ip4.dst == ${n.addr} && !ip.later_frag`;
          b.add(dp, 'lr_in_ip_input', 80, `${d} && sctp`, 'sctp_abort {eth.dst <-> eth.src; ip4.dst <-> ip4.src; next; };', ref);
          b.add(dp, 'lr_in_ip_input', 80, `${d} && tcp`, 'tcp_reset {eth.dst <-> eth.src; ip4.dst <-> ip4.src; next; };', ref);
          b.add(dp, 'lr_in_ip_input', 80, `${d} && udp`, 'icmp4 {eth.dst <-> eth.src; ip4.dst <-> ip4.src; ip.ttl = 255; icmp4.type = 3; icmp4.code = 3; next; };', ref);
          b.add(dp, 'lr_in_ip_input', 70, d, 'icmp4 {eth.dst <-> eth.src; ip4.dst <-> ip4.src; ip.ttl = 255; icmp4.type = 3; icmp4.code = 2; next; };', ref);
        }
      }
    }
    const v6s = [...p.v6.map((n) => n.addr), p.lla];
    const own6 = v6s.filter((a) => !natOwned.has(a));
    if (own6.length > 0 && !forceSnatRouterIp) b.add(dp, 'lr_in_ip_input', 60, `ip6.dst == {${own6.join(', ')}}`, 'drop;', ref);
    const natted6 = v6s.filter((a) => natOwned.has(a));
    if (natted6.length > 0) b.add(dp, 'lr_in_arp_resolve', 2, `ip6.dst == {${natted6.join(', ')}}`, 'drop;', ref);
    b.add(dp, 'lr_in_ip_input', 90, `${v6s.length === 1 ? `ip6.dst == ${v6s[0]}` : `ip6.dst == {${v6s.join(', ')}}`} && icmp6.type == 128 && icmp6.code == 0`,
      'ip6.dst <-> ip6.src; ip.ttl = 255; icmp6.type = 129; flags.loopback = 1; next; ', ref);
    for (const n of p.v6) {
      const src6 = p.cr !== null ? 'ip6.dst <-> ip6.src' : `ip6.dst = ip6.src; ip6.src = ${n.addr}`;
      b.add(dp, 'lr_in_ip_input', 31, `inport == ${qn} && ip6 && ip6.src == ${n.network}/${n.plen} && ip.ttl == {0, 1} && !ip.later_frag`,
        `icmp6 {eth.dst <-> eth.src; ${src6} ; ip.ttl = 254; icmp6.type = 3; /* Time exceeded */ icmp6.code = 0; /* TTL exceeded in transit */ outport = ${qn}; flags.loopback = 1; output; };`, ref);
    }
    for (const ip6 of v6s) {
      b.add(dp, 'lr_in_ip_input', 90, `inport == ${qn} && ip6.dst == {${ip6}, ${solicitedNode(ip6)}} && nd_ns && nd.target == ${ip6}${p.resident}`,
        'nd_na_router { eth.src = xreg0[0..47]; ip6.src = nd.target; nd.tll = xreg0[0..47]; outport = inport; flags.loopback = 1; output; };', ref);
      b.add(dp, 'lr_in_ip_input', 100, `ip6.dst == ${ip6} && udp.src == 547 && udp.dst == 546`, 'reg0 = 0; handle_dhcpv6_reply;', ref);
      if (!gw && dgps.length === 0) {
        const d = `ip6 && ip6.dst == ${ip6} && !ip.later_frag`;
        b.add(dp, 'lr_in_ip_input', 80, `${d} && sctp`, 'sctp_abort {eth.dst <-> eth.src; ip6.dst <-> ip6.src; next; };', ref);
        b.add(dp, 'lr_in_ip_input', 80, `${d} && tcp`, 'tcp_reset {eth.dst <-> eth.src; ip6.dst <-> ip6.src; next; };', ref);
        b.add(dp, 'lr_in_ip_input', 80, `${d} && udp`, 'icmp6 {eth.dst <-> eth.src; ip6.dst <-> ip6.src; ip.ttl = 255; icmp6.type = 1; icmp6.code = 4; next; };', ref);
        b.add(dp, 'lr_in_ip_input', 70, d, 'icmp6 {eth.dst <-> eth.src; ip6.dst <-> ip6.src; ip.ttl = 255; icmp6.type = 1; icmp6.code = 3; next; };', ref);
      }
    }
  }

  // NAT (gateway routers)
  for (const st of ['lr_in_unsnat', 'lr_in_defrag', 'lr_in_dnat', 'lr_in_ecmp_stateful', 'lr_in_nd_ra_options', 'lr_in_nd_ra_response',
    'lr_out_undnat', 'lr_out_post_undnat', 'lr_out_snat', 'lr_out_post_snat', 'lr_out_egr_loop'] as const) {
    b.add(dp, st, 0, '1', 'next;');
  }
  b.add(dp, 'lr_out_chk_dnat_local', 0, '1', 'reg9[4] = 0; next;');
  b.add(dp, 'lr_out_snat', 120, 'nd_ns', 'next;');
  b.add(dp, 'lr_in_lb_aff_check', 0, '1', 'next;');
  b.add(dp, 'lr_in_lb_aff_learn', 0, '1', 'next;');
  if ((gw || dgps.length > 0) && nats.length > 0) b.add(dp, 'lr_out_chk_dnat_local', 50, 'ip && ct_mark.natted == 1', 'reg9[4] = 1; next;');
  if (!gw && dgps.length > 0) buildDistributedNat(b, model, dp, nats, dgps);
  if (gw) {
    if (natOrLb) {
      b.add(dp, 'lr_out_undnat', 100, 'nd || nd_rs || nd_ra', 'next;');
      b.add(dp, 'lr_out_undnat', 50, 'ip', 'flags.loopback = 1; ct_dnat;');
      b.add(dp, 'lr_out_post_undnat', 50, 'ip && ct.new', 'ct_commit { } ; next; ');
    }
    const extIps = new Set<string>();
    for (const nat of nats) {
      const ref = { table: 'NAT', uuid: nat._uuid };
      const type = str(nat, 'type');
      const ext = str(nat, 'external_ip');
      const logical = str(nat, 'logical_ip');
      const fam = natFamily(ext);
      if (fam === null) continue;
      extIps.add(ext);
      if (str(nat, 'gateway_port') !== '') continue; // names a gateway port a gateway router cannot have
      // stateless dnat_and_snat rewrites addresses without conntrack
      const stateless = isStateless(nat);
      const xs = natExtIps(model, nat);
      const extMatch = (dir: 'src' | 'dst'): string => (xs === null ? '' : ` && ${fam.f}.${dir} == $${xs.name}`);
      if (type === 'snat' || type === 'dnat_and_snat') {
        b.add(dp, 'lr_in_unsnat', 90, `ip && ${fam.f}.dst == ${ext}`, stateless ? 'next;' : 'ct_snat;', ref);
        const net = natLogical(logical, fam.host);
        if (net !== null) {
          const base = `ip && ${fam.f}.src == ${net.text}`;
          if (xs !== null && !xs.allowed) natExempt(b, dp, 'lr_out_snat', net.plen + 3, `${base}${extMatch('dst')}`, ref);
          b.add(dp, 'lr_out_snat', net.plen + 1, `${base}${xs?.allowed === true ? extMatch('dst') : ''}${stateless ? '' : ' && (!ct.trk || !ct.rpl)'}`,
            stateless ? `${fam.f}.src=${ext}; next;` : `ct_snat(${ext}${portRange(nat)});`, ref);
        }
      }
      if (type === 'dnat' || type === 'dnat_and_snat') {
        const base = `ip && ${fam.f}.dst == ${ext}`;
        if (xs !== null && !xs.allowed) natExempt(b, dp, 'lr_in_dnat', 102, `${base}${extMatch('src')}`, ref);
        b.add(dp, 'lr_in_dnat', 100, `${base}${xs?.allowed === true ? extMatch('src') : ''}`,
          `${forceDnat !== null ? 'flags.force_snat_for_dnat = 1; ' : ''}${stateless ? `flags.loopback = 1; ${fam.f}.dst=${logical}; next;` : `flags.loopback = 1; ct_dnat(${logical}${portRange(nat)});`}`, ref);
      }
    }
    for (const ext of [...extIps].sort()) natArpReply(b, dp, ext);
  }
  if (!gw) {
    // every router port answers ARP for the NAT addresses, even where the rules themselves
    // do not compile (no gateway port, or an ambiguous one)
    const exts = new Set(nats.map((n) => str(n, 'external_ip')).filter((e) => natFamily(e) !== null));
    for (const ext of [...exts].sort()) natArpReply(b, dp, ext);
  }

  for (const p of ports) buildRouterAdvertisement(b, dp, p);
  buildRouterLoadBalancers(b, model, lr, gw, dgps, ports, nats, live);
  if (dpKey !== undefined && routerLbVips(model, lr).length > 0) {
    for (const p of ports) {
      b.add(dp, 'lr_in_ip_input', 90, `inport == ${q(p.name)} && arp.op == 1 && arp.tpa == $${routerLbSetName(dpKey)}${p.resident}`, arpReply,
        { table: 'Logical_Router_Port', uuid: p.row._uuid });
    }
  }
  if (dpKey !== undefined && routerLbVips(model, lr, 'ip6').length > 0) {
    for (const p of ports) {
      b.add(dp, 'lr_in_ip_input', 90, `inport == ${q(p.name)} && nd_ns && nd.target == $${routerLbSetName(dpKey, 'ip6')}${p.resident}`,
        'nd_na { eth.src = xreg0[0..47]; ip6.src = nd.target; nd.tll = xreg0[0..47]; outport = inport; flags.loopback = 1; output; };',
        { table: 'Logical_Router_Port', uuid: p.row._uuid });
    }
  }

  // routing
  b.add(dp, 'lr_in_ip_routing_pre', 0, '1', 'reg7 = 0; next;');
  b.add(dp, 'lr_in_ip_routing', 10550, 'nd_rs || nd_ra', 'drop;');
  b.add(dp, 'lr_in_ip_routing', 0, '1', 'drop;');
  if (relay && floodStatic) {
    // flooded as is (TTL 1); the router's own reports coming back are dropped against loops
    for (const p of ports) {
      const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
      b.add(dp, 'lr_in_ip_routing', 10550, `eth.src == ${p.mac} && igmp`, 'drop;', ref);
      b.add(dp, 'lr_in_ip_routing', 10550, `eth.src == ${p.mac} && (mldv1 || mldv2)`, 'drop;', ref);
    }
    b.add(dp, 'lr_in_ip_routing', 10460, 'igmp', 'clone { outport = "_MC_static"; next; };');
    b.add(dp, 'lr_in_ip_routing', 10460, 'mldv1 || mldv2', 'clone { outport = "_MC_static"; next; };');
    b.add(dp, 'lr_in_ip_routing', 10450, 'ip4.mcast || ip6.mcast', 'clone { outport = "_MC_static"; ip.ttl--; next; };');
  } else if (relay) b.add(dp, 'lr_in_ip_routing', 10450, 'ip4.mcast || ip6.mcast', 'drop;');
  b.add(dp, 'lr_in_ip_routing_ecmp', 150, 'reg8[0..15] == 0', 'next;');
  b.add(dp, 'lr_in_ip_routing_ecmp', 0, '1', 'drop;');
  for (const p of ports) {
    const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
    const qn = q(p.name);
    b.add(dp, 'lr_in_ip_routing', 194, `inport == ${qn} && ip6.dst == fe80::/64`,
      `ip.ttl--; reg8[0..15] = 0; xxreg0 = ip6.dst; xxreg1 = ${p.lla}; eth.src = ${p.mac}; outport = ${qn}; flags.loopback = 1; next;`, ref);
    for (const n of p.v4) {
      b.add(dp, 'lr_in_ip_routing', n.plen * 3 + 2, `ip4.dst == ${n.network}/${n.plen}`,
        `ip.ttl--; reg8[0..15] = 0; reg0 = ip4.dst; reg1 = ${n.addr}; eth.src = ${p.mac}; outport = ${qn}; flags.loopback = 1; next;`, ref);
    }
    for (const n of p.v6) {
      b.add(dp, 'lr_in_ip_routing', n.plen * 3 + 2, `ip6.dst == ${n.network}/${n.plen}`,
        `ip.ttl--; reg8[0..15] = 0; xxreg0 = ip6.dst; xxreg1 = ${n.addr}; eth.src = ${p.mac}; outport = ${qn}; flags.loopback = 1; next;`, ref);
    }
  }
  buildStaticRoutes(b, model, lr, ports, gw, portKey);
  b.add(dp, 'lr_in_policy', 0, '1', 'reg8[0..15] = 0; next;');
  buildPolicies(b, model, lr, ports);
  b.add(dp, 'lr_in_policy_ecmp', 150, 'reg8[0..15] == 0', 'next;');
  b.add(dp, 'lr_in_policy_ecmp', 0, '1', 'drop;');

  // arp_resolve (per-port address entries come from the switch ports' units)
  b.add(dp, 'lr_in_arp_resolve', 500, 'ip4.mcast || ip6.mcast', 'next;');
  b.add(dp, 'lr_in_arp_resolve', 1, 'ip4', 'get_arp(outport, reg0); next;');
  b.add(dp, 'lr_in_arp_resolve', 1, 'ip6', 'get_nd(outport, xxreg0); next;');
  b.add(dp, 'lr_in_arp_resolve', 0, '1', 'drop;');
  // a router patched directly to another (LRP peer column): the next hop is the other side's
  // port, whose MAC is known. OVN adds these for the port that names the peer, on the peer's
  // router, so they live in this router's unit (the engine re-dirties it when that port changes).
  for (const p of ports) {
    for (const u of model.lrpByPeer.get(p.name) ?? []) {
      const other = model.nb.Logical_Router_Port.get(u);
      if (other === undefined || !model.lrOfLrp.has(u) || model.routerPeer(other) !== p.row) continue;
      const ref = { table: 'Logical_Router_Port', uuid: u };
      const mac = str(other, 'mac').toLowerCase();
      const v4: string[] = [];
      const v6: string[] = [];
      for (const n of list(other, 'networks')) {
        const net = parseNetwork(n);
        if (net?.v4) v4.push(net.v4.addr);
        if (net?.v6) v6.push(net.v6.addr);
      }
      v6.push(macToLla(mac));
      const set = (xs: readonly string[]): string => (xs.length === 1 ? xs[0] ?? '' : `{${xs.join(', ')}}`);
      // (OVN 23.03 prints the IPv4 one without a space before ==)
      if (v4.length > 0) b.add(dp, 'lr_in_arp_resolve', 100, `outport == ${q(p.name)} && reg0== ${set(v4)}`, `eth.dst = ${mac}; next;`, ref);
      nd6ResolveEntry(b, dp, p.name, set(v6), mac, ref);
    }
  }
  for (const st of ['lr_in_chk_pkt_len', 'lr_in_larger_pkts', 'lr_in_gw_redirect'] as const) b.add(dp, st, 0, '1', 'next;');
  for (const p of dgps) {
    const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
    b.add(dp, 'lr_in_gw_redirect', 50, `outport == ${q(p.name)}`, `outport = ${q(p.cr ?? '')}; next;`, ref);
    // redirect-type=bridged: off the gateway chassis, frames go to the gateway port's MAC
    // over the localnet network instead of a tunnel
    if (map(p.row, 'options')['redirect-type'] === 'bridged') {
      b.add(dp, 'lr_in_arp_resolve', 50, `outport == ${q(p.name)} && !is_chassis_resident(${q(p.cr ?? '')})`, `eth.dst = ${p.mac}; next;`, ref);
    }
  }
  b.add(dp, 'lr_in_arp_request', 100, 'eth.dst == 00:00:00:00:00:00 && ip4', 'arp { eth.dst = ff:ff:ff:ff:ff:ff; arp.spa = reg1; arp.tpa = reg0; arp.op = 1; output; };');
  b.add(dp, 'lr_in_arp_request', 100, 'eth.dst == 00:00:00:00:00:00 && ip6', 'nd_ns { nd.target = xxreg0; output; };');
  b.add(dp, 'lr_in_arp_request', 0, '1', 'output;');

  if (ports.length > 0) b.add(dp, 'lr_out_delivery', 0, '1', 'drop;'); // OVN adds it with the ports' flows
  for (const p of ports) {
    if (!p.enabled) continue;
    const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
    if (relay) b.add(dp, 'lr_out_delivery', 110, `(ip4.mcast || ip6.mcast) && outport == ${q(p.name)}`, `eth.src = ${p.mac}; output;`, ref);
    b.add(dp, 'lr_out_delivery', 100, `outport == ${q(p.name)}`, 'output;', ref);
  }
}

const EGR_LOOP = 'clone { ct_clear; inport = outport; outport = ""; eth.dst <-> eth.src; flags = 0; flags.loopback = 1; flags.use_snat_zone = reg9[4]; '
  + 'reg0 = 0; reg1 = 0; reg2 = 0; reg3 = 0; reg4 = 0; reg5 = 0; reg6 = 0; reg7 = 0; reg8 = 0; reg9 = 0; reg9[0] = 1; next(pipeline=ingress, table=0); };';

/**
 * IPv6 router advertisement in reply to a solicitation (ipv6_ra_configs:address_mode set and
 * a global IPv6 network on the port): ovn-controller builds the RA from put_nd_ra_opts.
 */
function buildRouterAdvertisement(b: LflowBuilder, dp: Uuid, p: Lrp): void {
  const ra = map(p.row, 'ipv6_ra_configs');
  const mode = ra['address_mode'];
  if (mode === undefined || !['slaac', 'dhcpv6_stateful', 'dhcpv6_stateless'].includes(mode) || p.v6.length === 0) return;
  const ref = { table: 'Logical_Router_Port', uuid: p.row._uuid };
  const qn = q(p.name);
  const opts = [`addr_mode = ${q(mode)}`, `slla = ${p.mac}`];
  const mtu = Number(ra['mtu'] ?? 0);
  if (mtu > 0) opts.push(`mtu = ${mtu}`);
  const prf = ra['router_preference'];
  if (prf === 'HIGH' || prf === 'LOW') opts.push(`router_preference = ${q(prf)}`);
  if (ra['rdnss'] !== undefined) opts.push(`rdnss = ${ra['rdnss']}`);
  if (ra['dnssl'] !== undefined) opts.push(`dnssl = ${q(ra['dnssl'])}`);
  if (ra['route_info'] !== undefined) opts.push(`route_info = ${q(ra['route_info'])}`);
  for (const n of p.v6) opts.push(`prefix = ${n.network}/${n.plen}`);
  b.add(dp, 'lr_in_nd_ra_options', 50, `inport == ${qn} && ip6.dst == ff02::2 && nd_rs`, `reg0[5] = put_nd_ra_opts(${opts.join(', ')}); next;`, ref);
  b.add(dp, 'lr_in_nd_ra_response', 50, `inport == ${qn} && ip6.dst == ff02::2 && nd_ra && reg0[5]`,
    `eth.dst = eth.src; eth.src = ${p.mac}; ip6.dst = ip6.src; ip6.src = ${p.lla}; outport = inport; flags.loopback = 1; output;`, ref);
}

/** Port_Binding options for periodic router advertisements (ipv6_ra_configs:send_periodic). */
export function periodicRaOptions(lrp: Row): { [k: string]: string } {
  const ra = map(lrp, 'ipv6_ra_configs');
  if (ra['send_periodic'] !== 'true') return {};
  const mac = str(lrp, 'mac').toLowerCase();
  const prefixes: string[] = [];
  for (const n of list(lrp, 'networks')) {
    const v6 = parseNetwork(n)?.v6;
    if (v6 !== undefined) prefixes.push(`${v6.network}/${v6.plen}`);
  }
  const max = Math.min(1800, Math.max(4, Number(ra['max_interval'] ?? 600) || 600));
  const minDefault = max >= 9 ? Math.floor(max / 3) : Math.floor((max * 3) / 4);
  const min = Math.min(Math.floor(max * 0.75), Math.max(3, Number(ra['min_interval'] ?? minDefault) || minDefault));
  const prf = ra['router_preference'];
  const o: { [k: string]: string } = {
    ipv6_ra_send_periodic: 'true', ipv6_ra_max_interval: String(max), ipv6_ra_min_interval: String(min),
    ipv6_ra_address_mode: ra['address_mode'] ?? 'slaac', ipv6_ra_prefixes: prefixes.join(' '),
    ipv6_ra_prf: prf === 'HIGH' || prf === 'LOW' ? prf : 'MEDIUM', ipv6_ra_src_addr: macToLla(mac), ipv6_ra_src_eth: mac,
  };
  const mtu = Number(ra['mtu'] ?? 0);
  if (mtu > 0) o['ipv6_ra_mtu'] = String(mtu);
  for (const k of ['rdnss', 'dnssl', 'route_info'] as const) {
    const v = ra[k];
    if (v !== undefined) o[`ipv6_ra_${k}`] = v;
  }
  return o;
}

/** The bypass of a NAT rule for its exempted external addresses. */
function natExempt(b: LflowBuilder, dp: Uuid, stage: 'lr_in_dnat' | 'lr_out_snat', prio: number, match: string, ref: NbRef): void {
  b.add(dp, stage, prio, match, 'next;', ref);
}

/** Admission of frames to a router port's MAC (or a distributed NAT MAC on it). */
function admit(b: LflowBuilder, dp: Uuid, mac: string, port: string, resident: string, routerMac: string, ref: NbRef, chk = ''): void {
  b.add(dp, 'lr_in_admission', 50, `eth.dst == ${mac} && inport == ${q(port)}${resident}`, `${chk}xreg0[0..47] = ${routerMac}; next;`, ref);
}

/** ARP (ND for IPv6) for a NAT external address, from any port. */
function natArpReply(b: LflowBuilder, dp: Uuid, ext: string, ref?: NbRef): void {
  if (natFamily(ext)?.f === 'ip6') {
    b.add(dp, 'lr_in_ip_input', 90, natNdMatch(ext), natNdReply('xreg0[0..47]'), ref);
    return;
  }
  b.add(dp, 'lr_in_ip_input', 90, `arp.op == 1 && arp.tpa == ${ext}`,
    'eth.dst = eth.src; eth.src = xreg0[0..47]; arp.op = 2; /* ARP reply */ arp.tha = arp.sha; arp.sha = xreg0[0..47]; arp.tpa <-> arp.spa; outport = inport; flags.loopback = 1; output;', ref);
}

const natNdMatch = (ext: string): string => `ip6.dst == {${ext}, ${solicitedNode(ext)}} && nd_ns && nd.target == ${ext}`;
const natNdReply = (mac: string): string => `nd_na { eth.src = ${mac}; ip6.src = nd.target; nd.tll = ${mac}; outport = inport; flags.loopback = 1; output; };`;

/**
 * A NAT rule's allowed_ext_ips / exempted_ext_ips: the address set's name and which. Allowed
 * narrows the rule to those peers; exempted adds a higher-priority bypass for them.
 */
function natExtIps(model: NbModel, nat: Row): { name: string; allowed: boolean } | null {
  for (const [col, allowed] of [['allowed_ext_ips', true], ['exempted_ext_ips', false]] as const) {
    const u = list(nat, col)[0];
    const as = u === undefined ? undefined : model.nb.Address_Set.get(u);
    if (as !== undefined) return { name: str(as, 'name'), allowed };
  }
  return null;
}

/** A dnat_and_snat rule with options:stateless=true: addresses rewritten without conntrack. */
function isStateless(nat: Row): boolean {
  return str(nat, 'type') === 'dnat_and_snat' && map(nat, 'options')['stateless'] === 'true';
}

/** The family facts of a NAT address: match prefix, next-hop register, host prefix length. */
function natFamily(ip: string): { f: 'ip4' | 'ip6'; reg: 'reg0' | 'xxreg0'; host: number } | null {
  if (parseIpv4(ip) !== null) return { f: 'ip4', reg: 'reg0', host: 32 };
  if (parseIpv6(ip) !== null) return { f: 'ip6', reg: 'xxreg0', host: 128 };
  return null;
}

/** A NAT rule's logical side as match text (a host address, or network/plen) and its length. */
function natLogical(logical: string, host: number): { text: string; plen: number } | null {
  const p = parseNetwork(logical.includes('/') ? logical : `${logical}/${host}`);
  const n = p?.v4 ?? p?.v6;
  if (n === undefined) return null;
  return { text: logical, plen: n.plen }; // OVN prints the rule's text as the CMS wrote it
}

/**
 * The gateway port a NAT rule applies on: its gateway_port, which must be a distributed
 * gateway port, else the router's only one (none: OVN logs and skips the rule).
 */
function natGatewayPort(nat: Row, dgps: readonly Lrp[]): Lrp | undefined {
  const gp = str(nat, 'gateway_port');
  if (gp !== '') return dgps.find((p) => p.row._uuid === gp);
  return dgps.length === 1 ? dgps[0] : undefined;
}

/**
 * The gateway port that answers ARP for a NAT rule's address: with one gateway port, that
 * one whatever the rule names (OVN's is_nat_gateway_port); with several, the rule's own.
 */
function natArpPort(nat: Row, dgps: readonly Lrp[]): Lrp | undefined {
  if (dgps.length === 1) return dgps[0];
  const gp = str(nat, 'gateway_port');
  return gp === '' ? undefined : dgps.find((p) => p.row._uuid === gp);
}

/**
 * NAT on a router with distributed gateway ports (OVN's l3dgw NAT): everything happens on
 * the gateway port's chassis (is_chassis_resident(cr-port)), in the common conntrack zone,
 * except dnat_and_snat rules with a logical_port and external_mac, which run distributed on
 * the chassis of that logical port with the rule's own MAC. IPv4 rules only.
 */
function buildDistributedNat(b: LflowBuilder, model: NbModel, dp: Uuid, nats: readonly Row[], dgps: readonly Lrp[]): void {
  const distributedNat = (nat: Row): { lport: string; mac: string } | null => {
    const lport = str(nat, 'logical_port');
    const mac = str(nat, 'external_mac').toLowerCase();
    return str(nat, 'type') === 'dnat_and_snat' && lport !== '' && mac !== '' ? { lport, mac } : null;
  };
  // ARP for the external addresses on the gateway port: answered on the chassis that owns
  // each (with the rule's MAC when distributed), dropped elsewhere. Two rules sharing an
  // address (a distributed dnat_and_snat and an snat) each answer where they live.
  const arpDone = new Set<string>();
  for (const nat of nats) {
    const ext = str(nat, 'external_ip');
    const port = natArpPort(nat, dgps);
    const fam = natFamily(ext);
    if (fam === null || port === undefined || port.cr === null) continue;
    const ref = { table: 'NAT', uuid: nat._uuid };
    const qp = q(port.name);
    const d = distributedNat(nat);
    const mac = d !== null ? d.mac : 'xreg0[0..47]';
    const where = `is_chassis_resident(${q(d !== null ? d.lport : port.cr)})`;
    const k = `${qp} ${ext} ${where} ${mac}`;
    if (arpDone.has(k)) continue;
    arpDone.add(k);
    // (the drop elsewhere once per address: one SB flow, as OVN merges equal flows)
    const dropHere = !arpDone.has(`${qp} ${ext}`);
    arpDone.add(`${qp} ${ext}`);
    if (fam.f === 'ip6') {
      b.add(dp, 'lr_in_ip_input', 92, `inport == ${qp} && ${natNdMatch(ext)} && ${where}`, natNdReply(mac), ref);
      if (dropHere) b.add(dp, 'lr_in_ip_input', 91, `inport == ${qp} && ${natNdMatch(ext)}`, 'drop;', ref);
      continue;
    }
    b.add(dp, 'lr_in_ip_input', 92, `inport == ${qp} && arp.op == 1 && arp.tpa == ${ext} && ${where}`,
      `eth.dst = eth.src; eth.src = ${mac}; arp.op = 2; /* ARP reply */ arp.tha = arp.sha; arp.sha = ${mac}; arp.tpa <-> arp.spa; outport = inport; flags.loopback = 1; output;`, ref);
    if (dropHere) b.add(dp, 'lr_in_ip_input', 91, `inport == ${qp} && arp.op == 1 && arp.tpa == ${ext}`, 'drop;', ref);
  }
  const hairpinDone = new Set<string>();
  const bridged = dgps.some((p) => map(p.row, 'options')['redirect-type'] === 'bridged');
  for (const nat of nats) {
    const ref = { table: 'NAT', uuid: nat._uuid };
    const type = str(nat, 'type');
    const ext = str(nat, 'external_ip');
    const logical = str(nat, 'logical_ip');
    const gwp = natGatewayPort(nat, dgps);
    const fam = natFamily(ext);
    if (fam === null || gwp === undefined || gwp.cr === null) continue;
    const f = fam.f;
    const qp = q(gwp.name);
    const d = distributedNat(nat);
    const resident = d !== null ? `is_chassis_resident(${q(d.lport)})` : `is_chassis_resident(${q(gwp.cr)})`;
    const onGw = d !== null ? '' : ` && ${resident}`;
    const setMac = d !== null ? `eth.src = ${d.mac}; ` : '';
    const snat = type === 'snat' || type === 'dnat_and_snat';
    const dnat = type === 'dnat' || type === 'dnat_and_snat';
    // east/west traffic SNATed on the gateway port comes back in through it: not "from us"
    if (type === 'snat') b.add(dp, 'lr_in_ip_input', 120, `inport == ${qp} && ${f}.src == ${ext}`, 'next;', ref);
    const stateless = isStateless(nat);
    const xs = natExtIps(model, nat);
    const extMatch = (dir: 'src' | 'dst'): string => (xs === null ? '' : ` && ${f}.${dir} == $${xs.name}`);
    const allowedOnly = (dir: 'src' | 'dst'): string => (xs?.allowed === true ? extMatch(dir) : '');
    if (snat) {
      b.add(dp, 'lr_in_unsnat', 100, `ip && ${f}.dst == ${ext} && inport == ${qp} && flags.loopback == 0${onGw}`, stateless ? 'next;' : 'ct_snat_in_czone;', ref);
      if (!stateless) b.add(dp, 'lr_in_unsnat', 100, `ip && ${f}.dst == ${ext} && inport == ${qp} && flags.loopback == 1 && flags.use_snat_zone == 1${onGw}`, 'ct_snat;', ref);
      const net = natLogical(logical, fam.host);
      if (net !== null) {
        // +128: distributed-router SNAT ranks above the gateway-router range
        const prio = net.plen + 1 + 128;
        const m0 = `ip && ${f}.src == ${net.text} && outport == ${qp} && ${resident}`;
        if (xs !== null && !xs.allowed) natExempt(b, dp, 'lr_out_snat', prio + 2, `${m0}${extMatch('dst')}`, ref);
        const m = `${m0}${allowedOnly('dst')}`;
        b.add(dp, 'lr_out_snat', prio, m, stateless ? `${setMac}${f}.src=${ext}; next;` : `${setMac}ct_snat_in_czone(${ext}${portRange(nat)});`, ref);
        if (!stateless) b.add(dp, 'lr_out_snat', prio + 1, `${m} && reg9[4] == 1`, `${setMac}reg9[4] = 0; ct_snat(${ext}${portRange(nat)});`, ref);
      }
    }
    if (dnat) {
      const dm = `ip && ${f}.dst == ${ext} && inport == ${qp}${onGw}`;
      if (xs !== null && !xs.allowed) natExempt(b, dp, 'lr_in_dnat', 102, `${dm}${extMatch('src')}`, ref);
      b.add(dp, 'lr_in_dnat', 100, `${dm}${allowedOnly('src')}`, stateless ? `${f}.dst=${logical}; next;` : `ct_dnat_in_czone(${logical}${portRange(nat)});`, ref);
      b.add(dp, 'lr_out_undnat', 100, `ip && ${f}.src == ${logical} && outport == ${qp}${onGw}`, stateless ? `${setMac}next;` : `${setMac}ct_dnat_in_czone;`, ref);
    }
    if (d !== null) {
      b.add(dp, 'lr_in_gw_redirect', 100, `${f}.src == ${logical} && outport == ${qp} && ${resident}`, `eth.src = ${d.mac}; ${f === 'ip6' ? 'xxreg1' : 'reg1'} = ${ext}; next;`, ref);
      // with a bridged gateway port, the NATed host's own chassis resolves the next hop
      // itself (not the gateway MAC of the bridged redirect)
      if (bridged) {
        b.add(dp, 'lr_in_arp_resolve', 90, `outport == ${qp} && ${f}.src == ${logical} && ${resident}`, f === 'ip6' ? 'get_nd(outport, xxreg0); next;' : 'get_arp(outport, reg0); next;', ref);
      }
      admit(b, dp, d.mac, gwp.name, ` && ${resident}`, gwp.mac, ref, gwp.mtu === null ? '' : `reg9[1] = check_pkt_larger(${gwp.mtu + 14}); `);
      if (gwp.mtu !== null && f === 'ip4') {
        // too big for the gateway port: answered from the rule's own address and MAC
        b.add(dp, 'lr_in_ip_input', 160, `inport == ${qp} && reg9[1] && reg9[0] == 0 && ip4 && ip4.dst == ${ext}`,
          `icmp4_error {reg9[0] = 1; reg9[1] = 0; eth.dst = eth.src; eth.src = ${d.mac}; ip4.dst = ip4.src; ip4.src = ${ext}; ip.ttl = 254; icmp4.type = 3; /* Destination Unreachable. */ icmp4.code = 4; /* Frag Needed and DF was Set. */ icmp4.frag_mtu = ${gwp.mtu}; outport = ${qp}; flags.loopback = 1; output; };`, ref);
      }
    }
    if (stateless && xs !== null) {
      // as OVN 23.03: a stateless rule has no conntrack to narrow it, so the gateway
      // redirect stage does it by the external-IP set (allowed: only those go to the
      // gateway chassis, the rest addressed to it dropped; exempted: those dropped)
      const m = `outport == ${qp} && ${f}.src == $${xs.name}`;
      if (xs.allowed) {
        b.add(dp, 'lr_in_gw_redirect', 75, m, `outport = ${q(gwp.cr)}; next;`, ref);
        b.add(dp, 'lr_in_gw_redirect', 70, `ip && ${f}.dst == ${ext}`, 'drop;', ref);
      } else {
        b.add(dp, 'lr_in_gw_redirect', 75, m, 'drop;', ref);
      }
    }
    b.add(dp, 'lr_out_chk_dnat_local', 50, `ip && ${f}.dst == ${ext} && ${resident}`, 'reg9[4] = 1; next;', ref);
    b.add(dp, 'lr_out_egr_loop', 100, `${f}.dst == ${ext} && outport == ${qp} && ${resident}`, EGR_LOOP, ref);
    if (hairpinDone.has(ext)) continue;
    hairpinDone.add(ext);
    // hairpin to an external address through the gateway port itself
    b.add(dp, 'lr_in_arp_resolve', 150, `inport == ${qp} && outport == ${qp} && ${f}.dst == ${ext}`, 'drop;', ref);
    if (f === 'ip6') nd6ResolveEntry(b, dp, gwp.name, ext, d !== null ? d.mac : gwp.mac, ref);
    else arpResolveEntry(b, dp, gwp.name, ext, d !== null ? d.mac : gwp.mac, ref);
  }
}

/** Static routes (Logical_Router_Static_Route), ECMP when several share a prefix. */
function buildStaticRoutes(b: LflowBuilder, model: NbModel, lr: Row, ports: readonly Lrp[], gw: boolean, portKey: (lrp: Uuid) => number | undefined): void {
  const dp = lr._uuid;
  // route tables are numbered 1.. as the router's ports name them (options:route_table), then
  // as its routes do; a port's packets look up its table (reg7), the rest table 0
  const tables = new Map<string, number>();
  const tableId = (name: string): number => {
    if (name === '') return 0;
    let id = tables.get(name);
    if (id === undefined) tables.set(name, (id = tables.size + 1));
    return id;
  };
  for (const u of list(lr, 'ports')) {
    const lrp = model.nb.Logical_Router_Port.get(u);
    const id = lrp === undefined ? 0 : tableId(map(lrp, 'options')['route_table'] ?? '');
    if (lrp !== undefined && id > 0) b.add(dp, 'lr_in_ip_routing_pre', 100, `inport == ${q(str(lrp, 'name'))}`, `reg7 = ${id}; next;`, { table: 'Logical_Router_Port', uuid: u });
  }
  const byPrefix = new Map<string, { r: Row; prefix: { network: string; plen: number; v6: boolean } }[]>();
  for (const u of [...list(lr, 'static_routes')].sort()) {
    const r = model.nb.Logical_Router_Static_Route.get(u);
    if (r === undefined) continue;
    // the solicited-node ND for every IPv6 next hop, reachable or not (as OVN)
    const nh = str(r, 'nexthop');
    if (nh.includes(':') && parseIpv6(nh) !== null) {
      b.add(dp, 'lr_in_arp_request', 200, `eth.dst == 00:00:00:00:00:00 && ip6 && xxreg0 == ${nh}`,
        `nd_ns { eth.dst = ${solicitedNodeMac(nh)}; ip6.dst = ${solicitedNode(nh)}; nd.target = ${nh}; output; };`, { table: 'Logical_Router_Static_Route', uuid: u });
    }
    const pfx = str(r, 'ip_prefix');
    const net = parseNetwork(pfx.includes('/') ? pfx : `${pfx}/${pfx.includes(':') ? 128 : 32}`);
    const prefix = net?.v4 !== undefined ? { network: net.v4.network, plen: net.v4.plen, v6: false } : net?.v6 !== undefined ? { network: net.v6.network, plen: net.v6.plen, v6: true } : null;
    if (prefix === null) continue;
    const key = `${str(r, 'route_table')}|${prefix.network}/${prefix.plen}|${str(r, 'policy') || 'dst-ip'}`;
    const arr = byPrefix.get(key) ?? [];
    arr.push({ r, prefix });
    byPrefix.set(key, arr);
  }
  type Prefix = { network: string; plen: number; v6: boolean };
  const resolve = (r: Row, prefix: Prefix) => {
    const nh = str(r, 'nexthop');
    if (nh === 'discard') return { r, nh, discard: true as const };
    if (nh.includes(':') !== prefix.v6 || (prefix.v6 ? parseIpv6(nh) === null : parseIpv4(nh) === null)) return null;
    const outName = str(r, 'output_port');
    const holds = (p: Lrp): string | undefined => (prefix.v6
      ? p.v6.find((n) => ipv6InNetwork(nh, n))?.addr ?? (ipv6InNetwork(nh, { addr: p.lla, plen: 64, network: 'fe80::' }) ? p.lla : undefined)
      : p.v4.find((n) => ipv4InNetwork(nh, n))?.addr);
    const port = outName !== '' ? ports.find((p) => p.name === outName) : ports.find((p) => holds(p) !== undefined);
    // with an output port named, its first address of the family when none holds the next hop
    const own = port === undefined ? undefined : holds(port) ?? (prefix.v6 ? port.v6[0]?.addr ?? port.lla : port.v4[0]?.addr);
    return port === undefined || own === undefined ? null : { r, nh, port, own, discard: false as const };
  };
  // ECMP groups and their members are numbered as OVN does: routes in row UUID order, a
  // group when a second route of its prefix resolves
  const byUuid = (a: { r: Row }, c: { r: Row }): number => (a.r._uuid < c.r._uuid ? -1 : a.r._uuid > c.r._uuid ? 1 : 0);
  const groupIds = new Map<string, number>();
  const secondOf = new Map<string, string>();
  for (const [key, rs] of byPrefix) {
    const ok = [...rs].sort(byUuid).filter((x) => resolve(x.r, x.prefix) !== null);
    const second = ok[1];
    if (second !== undefined) secondOf.set(key, second.r._uuid);
  }
  for (const [key] of [...secondOf].sort((a, c) => (a[1] < c[1] ? -1 : a[1] > c[1] ? 1 : 0))) groupIds.set(key, groupIds.size + 1);
  for (const key of [...byPrefix.keys()].sort()) {
    const routes = (byPrefix.get(key) ?? []).sort(byUuid);
    const first = routes[0];
    if (first === undefined) continue;
    const { prefix } = first;
    const f = prefix.v6 ? 'ip6' : 'ip4';
    const [nhReg, srcReg] = prefix.v6 ? ['xxreg0', 'xxreg1'] : ['reg0', 'reg1'];
    // a source-IP route matches without the route table register (OVN adds it only for a
    // named route table), at the lower of the two priorities of its prefix length
    const srcPolicy = (str(first.r, 'policy') || 'dst-ip') === 'src-ip';
    const rtb = tableId(str(first.r, 'route_table'));
    const match = `${srcPolicy && rtb === 0 ? '' : `reg7 == ${rtb} && `}${f}.${srcPolicy ? 'src' : 'dst'} == ${prefix.network}/${prefix.plen}`;
    const prio = prefix.plen * 3 + (srcPolicy ? 0 : 1);
    const resolved = routes.map(({ r }) => resolve(r, prefix)).filter((x): x is NonNullable<typeof x> => x !== null);
    if (resolved.length === 0) continue;
    const ref = { table: 'Logical_Router_Static_Route', uuid: first.r._uuid };
    const [x] = resolved;
    // (two discard routes for one prefix still make an ECMP group, without members, as OVN)
    if (x !== undefined && resolved.length === 1) {
      b.add(dp, 'lr_in_ip_routing', prio, match, x.discard ? 'drop;'
        : `ip.ttl--; reg8[0..15] = 0; ${nhReg} = ${x.nh}; ${srcReg} = ${x.own}; eth.src = ${x.port.mac}; outport = ${q(x.port.name)}; flags.loopback = 1; next;`, ref);
      continue;
    }
    const ecmpGroup = groupIds.get(key) ?? 0;
    b.add(dp, 'lr_in_ip_routing', prio, match,
      `ip.ttl--; flags.loopback = 1; reg8[0..15] = ${ecmpGroup}; reg8[16..31] = select(${resolved.map((_, i) => i + 1).join(', ')});`, ref);
    const symmetricDone = new Set<string>();
    resolved.forEach((y, i) => {
      if (y.discard) return;
      const ref = { table: 'Logical_Router_Static_Route', uuid: y.r._uuid };
      b.add(dp, 'lr_in_ip_routing_ecmp', 100, `reg8[0..15] == ${ecmpGroup} && reg8[16..31] == ${i + 1}`,
        `${nhReg} = ${y.nh}; ${srcReg} = ${y.own}; eth.src = ${y.port.mac}; outport = ${q(y.port.name)}; next;`, ref);
      // ecmp_symmetric_reply (gateway routers): a connection that came in over one of the
      // group's ports goes back out the same port to the same next-hop MAC (kept in conntrack)
      const key = portKey(y.port.row._uuid);
      if (!gw || map(y.r, 'options')['ecmp_symmetric_reply'] !== 'true' || key === undefined || symmetricDone.has(y.port.name)) return;
      symmetricDone.add(y.port.name);
      const qp = q(y.port.name);
      const back = `inport == ${qp} && ${f}.${srcPolicy ? 'dst' : 'src'} == ${prefix.network}/${prefix.plen}`;
      const reply = `ct.rpl && reg9[5] == 1 && ct_mark.ecmp_reply_port == ${key}`;
      b.add(dp, 'lr_in_defrag', 100, back, 'reg9[5] = chk_ecmp_nh_mac(); ct_next;', ref);
      b.add(dp, 'lr_in_defrag', 100, match, 'reg9[5] = chk_ecmp_nh(); ct_next;', ref);
      for (const proto of ['tcp', 'udp', 'sctp']) {
        const commit = `ct_commit { ct_label.ecmp_reply_eth = eth.src;  ct_mark.ecmp_reply_port = ${key};}; commit_ecmp_nh(ipv6 = ${prefix.v6}, proto = ${proto}); next;`;
        b.add(dp, 'lr_in_ecmp_stateful', 100, `${back} && (ct.new && !ct.est) && ${proto}`, commit, ref);
        b.add(dp, 'lr_in_ecmp_stateful', 100, `${back} && (!ct.rpl && ct.est) && ${proto} && reg9[5] == 0`, commit, ref);
      }
      b.add(dp, 'lr_in_ip_routing', 10300, `${reply} && ${match}`, `ip.ttl--; flags.loopback = 1; eth.src = ${y.port.mac}; ${srcReg} = ${y.own}; outport = ${qp}; next;`, ref);
      b.add(dp, 'lr_in_policy', 65535, reply, 'next;', ref);
      b.add(dp, 'lr_in_arp_resolve', 200, reply, 'push(xxreg1); xxreg1 = ct_label; eth.dst = xxreg1[32..79]; pop(xxreg1); next;', ref);
    });
  }
}

/** The Ethernet multicast address of an IPv6 address's solicited-node group (33:33:ff:XX:XX:XX). */
function solicitedNodeMac(ip6: string): string {
  const g = parseIpv6(ip6) ?? [];
  const h = (n: number): string => n.toString(16).padStart(2, '0');
  const g6 = g[6] ?? 0;
  const g7 = g[7] ?? 0;
  return `33:33:ff:${h(g6 & 0xff)}:${h(g7 >> 8)}:${h(g7 & 0xff)}`;
}

/**
 * "reg0 = NH; reg1 = OWN; eth.src = MAC; outport = P; flags.loopback = 1; " for a reroute
 * next hop: through the first port (by name) with a network holding it; null if none does.
 */
function rerouteTo(ports: readonly Lrp[], nh: string): string | null {
  for (const p of ports) {
    const own = nh.includes(':')
      ? p.v6.find((n) => ipv6InNetwork(nh, n))?.addr ?? (ipv6InNetwork(nh, { addr: p.lla, plen: 64, network: 'fe80::' }) ? p.lla : undefined)
      : p.v4.find((n) => ipv4InNetwork(nh, n))?.addr;
    if (own === undefined) continue;
    const [nhReg, srcReg] = nh.includes(':') ? ['xxreg0', 'xxreg1'] : ['reg0', 'reg1'];
    return `${nhReg} = ${nh}; ${srcReg} = ${own}; eth.src = ${p.mac}; outport = ${q(p.name)}; flags.loopback = 1; `;
  }
  return null;
}

/**
 * Router policies (lr_in_policy): allow, drop, reroute to one next hop, or to several
 * (ECMP: the policy picks a member with select(), lr_in_policy_ecmp sends it). ECMP groups
 * are numbered 1.. in the router's policy order (OVN's: row UUID order). Like OVN, an ECMP
 * policy with an unreachable next hop keeps the members before it and loses its own flow.
 */
function buildPolicies(b: LflowBuilder, model: NbModel, lr: Row, ports: readonly Lrp[]): void {
  const dp = lr._uuid;
  let group = 1;
  for (const u of [...list(lr, 'policies')].sort()) {
    const pol = model.nb.Logical_Router_Policy.get(u);
    if (pol === undefined) continue;
    const ref = { table: 'Logical_Router_Policy', uuid: u };
    const prio = Number(pol['priority'] ?? 0);
    const match = str(pol, 'match');
    const action = str(pol, 'action');
    const mark = Number(map(pol, 'options')['pkt_mark'] ?? 0);
    const markAct = Number.isInteger(mark) && mark > 0 ? `pkt.mark = ${mark}; ` : '';
    const nexthops = list(pol, 'nexthops');
    if (action === 'allow') b.add(dp, 'lr_in_policy', prio, match, `${markAct}reg8[0..15] = 0; next;`, ref);
    else if (action === 'drop') b.add(dp, 'lr_in_policy', prio, match, 'drop;', ref);
    else if (action === 'reroute' && nexthops.length > 1) {
      const id = group++;
      // one address family for all next hops, else nothing
      if (new Set(nexthops.map((nh) => nh.includes(':'))).size > 1) continue;
      let ok = true;
      for (const [i, nh] of nexthops.entries()) {
        const to = rerouteTo(ports, nh);
        if (to === null) { ok = false; break; }
        b.add(dp, 'lr_in_policy_ecmp', 100, `reg8[0..15] == ${id} && reg8[16..31] == ${i + 1}`, `${markAct}${to}next;`, ref);
      }
      if (ok) b.add(dp, 'lr_in_policy', prio, match, `reg8[0..15] = ${id}; reg8[16..31] = select(${nexthops.map((_, i) => i + 1).join(', ')});`, ref);
    } else if (action === 'reroute') {
      const to = rerouteTo(ports, nexthops[0] ?? str(pol, 'nexthop'));
      if (to === null) continue; // OVN logs and skips an unreachable nexthop
      b.add(dp, 'lr_in_policy', prio, match, `${markAct}${to}reg8[0..15] = 0; next;`, ref);
    }
  }
}

/** Load balancers on a gateway router: defrag to conntrack, DNAT new connections to backends. */
function buildRouterLoadBalancers(b: LflowBuilder, model: NbModel, lr: Row, gw: boolean, dgps: readonly Lrp[], ports: readonly Lrp[], nats: readonly Row[], live: LiveBackends): void {
  const lbGateway = [...dgps].sort((a, c) => (a.row._uuid < c.row._uuid ? -1 : a.row._uuid > c.row._uuid ? 1 : 0))[0];
  const dp = lr._uuid;
  let any = false;
  let anySkipSnat = false;
  const natExt = new Set(nats.map((n) => str(n, 'external_ip')));
  // gateway routers may SNAT load-balanced traffic to the router port's own address, any
  // router to the addresses of options:lb_force_snat_ip
  const forceSnat = (gw && map(lr, 'options')['lb_force_snat_ip'] === 'router_ip') || forceSnatAddrs(lr, 'lb') !== null;
  for (const u of model.lbsOf(lr)) {
    const lb = model.nb.Load_Balancer.get(u);
    if (lb === undefined) continue;
    const ref = { table: 'Load_Balancer', uuid: u };
    const proto = str(lb, 'protocol') || 'tcp';
    const vips = map(lb, 'vips');
    const skipSnat = map(lb, 'options')['skip_snat'] === 'true';
    for (const vip of Object.keys(vips).sort()) {
      const v = parseVip(vip);
      if (v === null) continue;
      any = true;
      if (skipSnat) anySkipSnat = true;
      const fam = v.v6 ? 'ip6' : 'ip4';
      const all = (vips[vip] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '').join(',');
      // health-checked VIPs balance only to backends not reported down
      const backends = live(lb, vip, all);
      b.add(dp, 'lr_in_defrag', 100, `ip && ${fam}.dst == ${v.ip}`, 'ct_dnat;', ref);
      const l4 = v.port !== null ? ` && ${proto} && ${proto}.dst == ${v.port}` : '';
      // distributed router: on the chassis of its first gateway port in row UUID order (as
      // OVN); replies are un-DNATed there
      const gwp = gw ? undefined : lbGateway;
      const lbAct = skipSnat ? `flags.skip_snat_for_lb = 1; ct_lb_mark(backends=${backends}; skip_snat);`
        : forceSnat ? `flags.force_snat_for_lb = 1; ct_lb_mark(backends=${backends}; force_snat);` : `ct_lb_mark(backends=${backends});`;
      // no backend left: drop, or with options:reject answer with a reject sent back the way it came
      // (skip_snat / force_snat flags are set first, as on the balanced path)
      const flag = skipSnat ? 'flags.skip_snat_for_lb = 1; ' : forceSnat ? 'flags.force_snat_for_lb = 1; ' : '';
      const none = flag + (map(lb, 'options')['reject'] === 'true'
        ? `reg0 = 0; reject { outport <-> inport; next(pipeline=egress,table=${stageOf('lr_out_snat').table});};` : 'drop;');
      b.add(dp, 'lr_in_dnat', v.port !== null ? 120 : 110, `ct.new && !ct.rel && ${fam} && ${fam}.dst == ${v.ip}${l4}${gwp?.resident ?? ''}`,
        backends === '' ? none : lbAct, ref);
      const event = emptyLbEvent(lb, v, all, model.globalOption('controller_event') === 'true');
      if (event !== null) b.add(dp, 'lr_in_dnat', 130, event.match, event.action, ref);
      // session affinity (OVN writes the same flows on every kind of router)
      // (a VIP without a port too: then matched on addresses only)
      // (the VIP in reg0 / xxreg0, the backend in reg4 / xxreg1)
      const aff = affinity(lb, v, all);
      if (aff !== null) {
        const wp = v.port !== null;
        const [vipReg, beReg] = v.v6 ? ['xxreg0', 'xxreg1'] : ['reg0', 'reg4'];
        b.add(dp, 'lr_in_lb_aff_check', 100, `ct.new && !ct.rel && ${fam} && ${fam}.dst == ${v.ip}${wp ? ` && ${proto} && ${proto}.dst == ${v.port}` : ''}`,
          `${vipReg} = ${fam}.dst; ${wp ? `reg9[16..31] = ${proto}.dst; ` : ''}reg9[6] = chk_lb_aff(); next;`, ref);
        for (const be of aff.backends) {
          const one = affAddr(be.ip, wp ? be.port : null, v.v6);
          const act = skipSnat ? `flags.skip_snat_for_lb = 1; ct_lb_mark(backends=${one}; skip_snat);`
            : forceSnat ? `flags.force_snat_for_lb = 1; ct_lb_mark(backends=${one}; force_snat);` : `ct_lb_mark(backends=${one});`;
          b.add(dp, 'lr_in_dnat', 150, `reg9[6] == 1 && ct.new && ${fam} && ${beReg} == ${be.ip}${wp ? ` && reg8[0..15] == ${be.port}` : ''}`, `${vipReg} = ${v.ip}; ${act}`, ref);
          b.add(dp, 'lr_in_lb_aff_learn', 100, `reg9[6] == 0 && ct.new && ${fam} && ${vipReg} == ${v.ip}${wp ? ` && reg9[16..31] == ${v.port}` : ''} && ${fam}.dst == ${be.ip}${wp ? ` && ${proto}.dst == ${be.port}` : ''}`,
            `commit_lb_aff(vip = "${affAddr(v.ip, v.port, v.v6)}", backend = "${one}", ${wp ? `proto = ${proto}, ` : ''}timeout = ${aff.timeout}); /* drop */`, ref);
        }
      }
      // a VIP that is also a NAT address: its service traffic is not un-SNATed
      if (natExt.has(v.ip)) {
        b.add(dp, 'lr_in_unsnat', 120, `${fam} && ${fam}.dst == ${v.ip} && ${proto}${v.port !== null ? ` && ${proto}.dst == ${v.port}` : ''}`, 'next;', ref);
      }
      // replies are un-DNATed from every backend, live or not (a connection made before a
      // backend went down still gets its replies translated)
      if (gwp !== undefined && all !== '') {
        const srcs = all.split(',').map((x) => {
          const bk = parseVip(x);
          if (bk === null) return null;
          // (port 0: a health-checked backend of a VIP without a port)
          return bk.port !== null && bk.port !== 0 ? `(${fam}.src == ${bk.ip} && ${proto}.src == ${bk.port})` : `(${fam}.src == ${bk.ip})`;
        }).filter((x): x is string => x !== null);
        b.add(dp, 'lr_out_undnat', 120, `${fam} && (${srcs.join(' || ')}) && outport == ${q(gwp.name)}${gwp.resident}`,
          skipSnat ? 'flags.skip_snat_for_lb = 1; next;' : forceSnat ? 'flags.force_snat_for_lb = 1; next;' : 'ct_dnat_in_czone;', ref);
      }
    }
  }
  if (!any) return;
  if (anySkipSnat) b.add(dp, 'lr_out_snat', 120, 'flags.skip_snat_for_lb == 1 && ip', 'next;');
  b.add(dp, 'lr_in_dnat', 50, 'ct.est && !ct.rel && !ct.new && ct_mark.natted', 'next;');
  b.add(dp, 'lr_in_dnat', 50, 'ct.rel && !ct.est && !ct.new', 'ct_commit_nat;');
  b.add(dp, 'lr_in_dnat', 70, 'ct.est && !ct.rel && !ct.new && ct_mark.natted && ct_mark.force_snat == 1', 'flags.force_snat_for_lb = 1; next;');
  b.add(dp, 'lr_in_dnat', 70, 'ct.est && !ct.rel && !ct.new && ct_mark.natted && ct_mark.skip_snat == 1', 'flags.skip_snat_for_lb = 1; next;');
  b.add(dp, 'lr_in_dnat', 70, 'ct.rel && !ct.est && !ct.new && ct_mark.force_snat == 1', 'flags.force_snat_for_lb = 1; ct_commit_nat;');
  b.add(dp, 'lr_in_dnat', 70, 'ct.rel && !ct.est && !ct.new && ct_mark.skip_snat == 1', 'flags.skip_snat_for_lb = 1; ct_commit_nat;');
}
