// northd/model.ts — the NB snapshot plus the reverse indexes northd needs, kept current
// row change by row change, and the per-switch facts (router ports, stateful ACLs, LB
// VIPs, unknown ports) that several pipelines depend on.
//
// Owns: NbModel (mutable only through `apply`). Reads: NB rows. Called by engine.ts and
// the pipeline builders (read-only). Never: talks to a store.
// Invariants: after apply(changes) every index equals what a fresh build from the same
// rows gives (the incremental==recompute property test covers this through SB output).

import type { Row, Uuid } from '../store/types.js';
import { ipv4InNetwork, ipv6InNetwork, macToLla, parseIpv4, parseIpv6, parseNetwork, type Network4, type Network6 } from './addr.js';
import { NB_TABLES, bool, emptySnapshot, list, map, str, type NbSnapshot, type NbTable } from './nb.js';

export interface NbChange {
  readonly table: NbTable;
  readonly uuid: Uuid;
  readonly old: Row | null;
  readonly new: Row | null;
}

export interface RouterPortInfo {
  readonly lsp: Uuid;
  readonly lspName: string;
  readonly lrp: Uuid;
  readonly lrpName: string;
  readonly lr: Uuid;
  readonly mac: string;
  readonly v4: readonly Network4[];
  /** configured IPv6 networks (without the link-local one) */
  readonly v6: readonly Network6[];
  readonly lla: string;
  readonly gatewayChassis: string | null;
  /** the chassisredirect port (`cr-<lrp>`) when the LRP is a distributed gateway port */
  readonly cr: string | null;
  /** reside-on-redirect-chassis: the chassisredirect port of the router's only gateway port */
  readonly resideOn: string | null;
  /** the router learns other routers' MACs dynamically (options:dynamic_neigh_routers) */
  readonly dynamicNeigh: boolean;
  /** external IPs of the router's dnat / dnat_and_snat entries (ARP for them reaches the router) */
  readonly natIps: readonly string[];
  /** external MACs of the router's non-snat NAT rules (self-originated ARP from them floods) */
  readonly natMacs: readonly string[];
  /** on a gateway port: the distributed NAT rules' MACs and the logical ports they live on */
  readonly distributedNats: readonly { readonly mac: string; readonly lport: string }[];
  /** the router relays IP multicast (options:mcast_relay): the port joins _MC_mrouter_flood */
  readonly mcastRelay: boolean;
  /** the LRP is enabled (a disabled one gets no ARP/ND forwarding on the switch) */
  readonly enabled: boolean;
}

export interface SwitchInfo {
  readonly routerPorts: readonly RouterPortInfo[];
  readonly hasAcls: boolean;
  readonly hasStatefulAcl: boolean;
  readonly hasLbVip: boolean;
  readonly hasUnknown: boolean;
  /** some port is not a router port (_MC_flood_l2 is not empty) */
  readonly hasL2Ports: boolean;
  /** some port is a localnet port (a gateway port's MAC is then reachable only where it resides) */
  readonly hasLocalnet: boolean;
  /** the localnet ports' names, sorted (external ports are reached through them) */
  readonly localnetPorts: readonly string[];
  /** some DNS row of the switch has records (DNS lookup and response stages are active) */
  readonly hasDns: boolean;
  /** the switch's QoS rules, in uuid order */
  readonly qos: readonly QosRule[];
  /** other_config:mcast_snoop (IGMP/MLD snooping), and mcast_flood_unregistered */
  readonly mcastSnoop: boolean;
  readonly mcastFloodUnregistered: boolean;
  /** some enabled port floods all multicast (options:mcast_flood=true: the _MC_static group) */
  readonly mcastFloodStatic: boolean;
  /** some router port's router relays multicast (unregistered multicast also goes to _MC_mrouter_flood) */
  readonly mcastFloodRelay: boolean;
  /** some port is a vtep port (a hardware VTEP gateway's frames skip ACLs and LB) */
  readonly hasVtep: boolean;
  /** other_config:vlan-passthru: tagged frames pass, no ARP/ND responder */
  readonly vlanPassthru: boolean;
  /** NB_Global options:use_ct_inv_match (default true): stateful ACL flows match ct.inv */
  readonly ctInvMatch: boolean;
  /** NB_Global options:controller_event: VIPs without backends raise empty_lb_backends events */
  readonly controllerEvent: boolean;
}

export interface QosRule {
  readonly uuid: Uuid;
  readonly ingress: boolean;
  readonly priority: number;
  readonly match: string;
  readonly dscp: number | null;
  readonly rate: number | null;
  readonly burst: number | null;
}

/** An LRP with gateway_chassis or an ha_chassis_group: a gateway port unless its router is pinned (isDgp). */
export function hasGatewayChassis(lrp: Row): boolean {
  return list(lrp, 'gateway_chassis').length > 0 || list(lrp, 'ha_chassis_group').length > 0;
}

/**
 * A distributed gateway port (OVN's l3dgw port): an LRP with gateway chassis or an HA
 * chassis group on a router that is not itself a gateway router (OVN refuses the mix).
 */
export function isDgp(lr: Row, lrp: Row): boolean {
  if ((map(lr, 'options')['chassis'] ?? '') !== '') return false;
  return hasGatewayChassis(lrp);
}

function addTo<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  let s = m.get(k);
  if (s === undefined) m.set(k, (s = new Set()));
  s.add(v);
}
function delFrom<K, V>(m: Map<K, Set<V>>, k: K, v: V): void {
  const s = m.get(k);
  if (s === undefined) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}

export class NbModel {
  readonly nb: { [T in NbTable]: Map<Uuid, Row> } = emptySnapshot();
  readonly lsOfLsp = new Map<Uuid, Uuid>();
  readonly lrOfLrp = new Map<Uuid, Uuid>();
  readonly lrpByName = new Map<string, Set<Uuid>>();
  readonly lspByName = new Map<string, Set<Uuid>>();
  /** lrp name → router-type LSPs naming it in options:router-port */
  readonly lspByRouterPort = new Map<string, Set<Uuid>>();
  /** lrp name → the LRPs naming it in their peer column (routers patched directly) */
  readonly lrpByPeer = new Map<string, Set<Uuid>>();
  readonly pgsOfLsp = new Map<Uuid, Set<Uuid>>();
  /** acl → owners as 'ls:<uuid>' / 'pg:<uuid>' */
  readonly aclOwners = new Map<Uuid, Set<string>>();
  /** lb → switches and routers naming it in load_balancer (lbOwnersOf adds those using it through a group) */
  readonly lbOwners = new Map<Uuid, Set<Uuid>>();
  /** Load_Balancer_Group → switches and routers naming it in load_balancer_group */
  readonly lbGroupOwners = new Map<Uuid, Set<Uuid>>();
  /** lb → the Load_Balancer_Groups holding it */
  readonly lbGroupsOfLb = new Map<Uuid, Set<Uuid>>();
  /** parent port name → virtual ports naming it in options:virtual-parents */
  readonly virtualByParent = new Map<string, Set<Uuid>>();
  /** NAT / static route / policy → router */
  readonly lrOfChild = new Map<Uuid, Set<Uuid>>();
  /** DNS → switches naming it in dns_records */
  readonly dnsOwners = new Map<Uuid, Set<Uuid>>();
  /** NB HA_Chassis_Group → the bindings carrying it: LSP uuid, or `cr:<lrp uuid>` */
  readonly haGroupUsers = new Map<Uuid, Set<string>>();
  /** Load_Balancer_Health_Check → load balancers naming it */
  readonly hcOwners = new Map<Uuid, Set<Uuid>>();
  /** logical port name → load balancers whose ip_port_mappings name it (health-checked backends) */
  readonly lbsByMappedPort = new Map<string, Set<Uuid>>();
  /**
   * LRPs with gateway_chassis or an ha_chassis_group (the candidates for distributed gateway
   * ports): what ref-chassis.ts walks after every batch instead of every router's ports.
   */
  readonly gatewayLrps = new Set<Uuid>();

  static fromSnapshot(s: NbSnapshot): NbModel {
    const m = new NbModel();
    const changes: NbChange[] = [];
    for (const t of NB_TABLES) for (const [uuid, row] of s[t]) changes.push({ table: t, uuid, old: null, new: row });
    m.apply(changes);
    return m;
  }

  apply(changes: readonly NbChange[]): void {
    for (const c of changes) {
      if (c.old !== null) this.unindex(c.table, c.old);
      if (c.new === null) this.nb[c.table].delete(c.uuid);
      else this.nb[c.table].set(c.uuid, c.new);
    }
    for (const c of changes) if (c.new !== null) this.index(c.table, c.new);
  }

  private index(t: NbTable, r: Row): void {
    const u = r._uuid;
    switch (t) {
      case 'Logical_Switch':
        for (const p of list(r, 'ports')) this.lsOfLsp.set(p, u);
        for (const a of list(r, 'acls')) addTo(this.aclOwners, a, `ls:${u}`);
        for (const l of list(r, 'load_balancer')) addTo(this.lbOwners, l, u);
        for (const g of list(r, 'load_balancer_group')) addTo(this.lbGroupOwners, g, u);
        for (const d of list(r, 'dns_records')) addTo(this.dnsOwners, d, u);
        break;
      case 'Load_Balancer_Group':
        for (const l of list(r, 'load_balancer')) addTo(this.lbGroupsOfLb, l, u);
        break;
      case 'Logical_Router':
        for (const p of list(r, 'ports')) this.lrOfLrp.set(p, u);
        for (const l of list(r, 'load_balancer')) addTo(this.lbOwners, l, u);
        for (const g of list(r, 'load_balancer_group')) addTo(this.lbGroupOwners, g, u);
        for (const c of [...list(r, 'nat'), ...list(r, 'static_routes'), ...list(r, 'policies')]) addTo(this.lrOfChild, c, u);
        break;
      case 'Logical_Switch_Port': {
        addTo(this.lspByName, str(r, 'name'), u);
        const rp = map(r, 'options')['router-port'];
        if (str(r, 'type') === 'router' && rp !== undefined) addTo(this.lspByRouterPort, rp, u);
        for (const parent of virtualParents(r)) addTo(this.virtualByParent, parent, u);
        for (const g of list(r, 'ha_chassis_group')) addTo(this.haGroupUsers, g, u);
        break;
      }
      case 'Load_Balancer':
        for (const h of list(r, 'health_check')) addTo(this.hcOwners, h, u);
        for (const v of Object.values(map(r, 'ip_port_mappings'))) addTo(this.lbsByMappedPort, mappedPort(v), u);
        break;
      case 'Logical_Router_Port':
        addTo(this.lrpByName, str(r, 'name'), u);
        for (const n of list(r, 'peer')) addTo(this.lrpByPeer, n, u);
        for (const g of list(r, 'ha_chassis_group')) addTo(this.haGroupUsers, g, `cr:${u}`);
        if (hasGatewayChassis(r)) this.gatewayLrps.add(u);
        break;
      case 'Port_Group':
        for (const p of list(r, 'ports')) addTo(this.pgsOfLsp, p, u);
        for (const a of list(r, 'acls')) addTo(this.aclOwners, a, `pg:${u}`);
        break;
      default:
        break;
    }
  }

  private unindex(t: NbTable, r: Row): void {
    const u = r._uuid;
    switch (t) {
      case 'Logical_Switch':
        for (const p of list(r, 'ports')) if (this.lsOfLsp.get(p) === u) this.lsOfLsp.delete(p);
        for (const a of list(r, 'acls')) delFrom(this.aclOwners, a, `ls:${u}`);
        for (const l of list(r, 'load_balancer')) delFrom(this.lbOwners, l, u);
        for (const g of list(r, 'load_balancer_group')) delFrom(this.lbGroupOwners, g, u);
        for (const d of list(r, 'dns_records')) delFrom(this.dnsOwners, d, u);
        break;
      case 'Load_Balancer_Group':
        for (const l of list(r, 'load_balancer')) delFrom(this.lbGroupsOfLb, l, u);
        break;
      case 'Logical_Router':
        for (const p of list(r, 'ports')) if (this.lrOfLrp.get(p) === u) this.lrOfLrp.delete(p);
        for (const l of list(r, 'load_balancer')) delFrom(this.lbOwners, l, u);
        for (const g of list(r, 'load_balancer_group')) delFrom(this.lbGroupOwners, g, u);
        for (const c of [...list(r, 'nat'), ...list(r, 'static_routes'), ...list(r, 'policies')]) delFrom(this.lrOfChild, c, u);
        break;
      case 'Logical_Switch_Port': {
        delFrom(this.lspByName, str(r, 'name'), u);
        const rp = map(r, 'options')['router-port'];
        if (str(r, 'type') === 'router' && rp !== undefined) delFrom(this.lspByRouterPort, rp, u);
        for (const parent of virtualParents(r)) delFrom(this.virtualByParent, parent, u);
        for (const g of list(r, 'ha_chassis_group')) delFrom(this.haGroupUsers, g, u);
        break;
      }
      case 'Load_Balancer':
        for (const h of list(r, 'health_check')) delFrom(this.hcOwners, h, u);
        for (const v of Object.values(map(r, 'ip_port_mappings'))) delFrom(this.lbsByMappedPort, mappedPort(v), u);
        break;
      case 'Logical_Router_Port':
        delFrom(this.lrpByName, str(r, 'name'), u);
        for (const n of list(r, 'peer')) delFrom(this.lrpByPeer, n, u);
        for (const g of list(r, 'ha_chassis_group')) delFrom(this.haGroupUsers, g, `cr:${u}`);
        this.gatewayLrps.delete(u);
        break;
      case 'Port_Group':
        for (const p of list(r, 'ports')) delFrom(this.pgsOfLsp, p, u);
        for (const a of list(r, 'acls')) delFrom(this.aclOwners, a, `pg:${u}`);
        break;
      default:
        break;
    }
  }

  /** An NB_Global option (a change to NB_Global recompiles everything, engine.ts). */
  globalOption(key: string): string | undefined {
    const g = this.nb.NB_Global.values().next().value;
    return g === undefined ? undefined : map(g, 'options')[key];
  }

  /** The load balancers a switch or router uses: its own and those of its load balancer groups, sorted. */
  lbsOf(row: Row): string[] {
    const out = new Set(list(row, 'load_balancer'));
    for (const g of list(row, 'load_balancer_group')) {
      const grp = this.nb.Load_Balancer_Group.get(g);
      if (grp !== undefined) for (const l of list(grp, 'load_balancer')) out.add(l);
    }
    return [...out].sort();
  }

  /** The switches and routers using a load balancer, directly or through a group. */
  lbOwnersOf(lb: Uuid): Set<Uuid> {
    const out = new Set(this.lbOwners.get(lb) ?? []);
    for (const g of this.lbGroupsOfLb.get(lb) ?? []) for (const o of this.lbGroupOwners.get(g) ?? []) out.add(o);
    return out;
  }

  /** A name → row lookup that is deterministic when (invalidly) several rows share a name. */
  byName(idx: Map<string, Set<Uuid>>, table: 'Logical_Switch_Port' | 'Logical_Router_Port', name: string): Row | undefined {
    const s = idx.get(name);
    if (s === undefined || s.size === 0) return undefined;
    const u = s.size === 1 ? s.values().next().value : [...s].sort()[0];
    return u === undefined ? undefined : this.nb[table].get(u);
  }

  /** The LRP a router-type LSP peers with (options:router-port), if it exists. */
  peerLrp(lsp: Row): Row | undefined {
    if (str(lsp, 'type') !== 'router') return undefined;
    const name = map(lsp, 'options')['router-port'];
    return name === undefined ? undefined : this.byName(this.lrpByName, 'Logical_Router_Port', name);
  }

  /** The router-type LSP that names this LRP (OVN's peer for the Port_Binding). */
  peerLsp(lrp: Row): Row | undefined {
    return this.byName(this.lspByRouterPort, 'Logical_Switch_Port', str(lrp, 'name'));
  }

  /**
   * The router port this LRP's peer column names (two routers patched directly), as OVN
   * joins them: another LRP that belongs to a router; a switch port there is no peer.
   */
  routerPeer(lrp: Row): Row | undefined {
    const name = list(lrp, 'peer')[0];
    if (name === undefined) return undefined;
    const peer = this.byName(this.lrpByName, 'Logical_Router_Port', name);
    return peer === undefined || peer._uuid === lrp._uuid || !this.lrOfLrp.has(peer._uuid) ? undefined : peer;
  }

  /** Switches attached to a router (through router-type ports naming its ports). */
  routerSwitches(lr: Uuid): Set<Uuid> {
    const out = new Set<Uuid>();
    const row = this.nb.Logical_Router.get(lr);
    if (row === undefined) return out;
    for (const p of list(row, 'ports')) {
      const lrp = this.nb.Logical_Router_Port.get(p);
      if (lrp === undefined) continue;
      for (const u of this.lspByRouterPort.get(str(lrp, 'name')) ?? []) {
        const ls = this.lsOfLsp.get(u);
        if (ls !== undefined) out.add(ls);
      }
    }
    return out;
  }

  isGatewayRouter(lr: Row): boolean {
    return (map(lr, 'options')['chassis'] ?? '') !== '';
  }

  routerPortInfo(lsp: Row): RouterPortInfo | null {
    const lrp = this.peerLrp(lsp);
    if (lrp === undefined) return null;
    const lr = this.lrOfLrp.get(lrp._uuid);
    const lrRow = lr === undefined ? undefined : this.nb.Logical_Router.get(lr);
    if (lr === undefined || lrRow === undefined) return null;
    const mac = str(lrp, 'mac').toLowerCase();
    const v4: Network4[] = [];
    const v6: Network6[] = [];
    for (const n of list(lrp, 'networks')) {
      const p = parseNetwork(n);
      if (p?.v4) v4.push(p.v4);
      if (p?.v6) v6.push(p.v6);
    }
    const gw = map(lrRow, 'options')['chassis'];
    const cr = isDgp(lrRow, lrp) ? `cr-${str(lrp, 'name')}` : null;
    const natIps = new Set<string>();
    const natMacs = new Set<string>();
    const distributedNats: { mac: string; lport: string }[] = [];
    for (const n of list(lrRow, 'nat')) {
      const nat = this.nb.NAT.get(n);
      if (nat === undefined || str(nat, 'type') === 'snat') continue;
      if (str(nat, 'external_ip') !== '') natIps.add(str(nat, 'external_ip'));
      const mac = str(nat, 'external_mac').toLowerCase();
      if (mac === '') continue;
      natMacs.add(mac);
      const lport = str(nat, 'logical_port');
      // every gateway port's switch learns every distributed NAT MAC (OVN checks no gateway_port)
      if (cr !== null && lport !== '' && str(nat, 'type') === 'dnat_and_snat') distributedNats.push({ mac, lport });
    }
    distributedNats.sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
    // load-balancer VIPs inside this port's networks are the router's to answer for too
    for (const l of this.lbsOf(lrRow)) {
      const lb = this.nb.Load_Balancer.get(l);
      if (lb === undefined) continue;
      for (const vip of Object.keys(map(lb, 'vips'))) {
        const ip = vipIpv4(vip);
        if (ip !== null && v4.some((n) => ipv4InNetwork(ip, n))) natIps.add(ip);
        const ip6 = vipIpv6(vip);
        if (ip6 !== null && v6.some((n) => ipv6InNetwork(ip6, n))) natIps.add(ip6);
      }
    }
    return {
      lsp: lsp._uuid, lspName: str(lsp, 'name'), lrp: lrp._uuid, lrpName: str(lrp, 'name'), lr, mac, v4, v6,
      lla: macToLla(mac), gatewayChassis: gw === undefined || gw === '' ? null : gw, cr, resideOn: cr === null && map(lrp, 'options')['reside-on-redirect-chassis'] === 'true' ? this.onlyGatewayCr(lrRow) : null, dynamicNeigh: map(lrRow, 'options')['dynamic_neigh_routers'] === 'true', natIps: [...natIps].sort(),
      natMacs: [...natMacs], distributedNats, mcastRelay: mcastRelay(lrRow), enabled: bool(lrp, 'enabled') !== false,
    };
  }

  /** `cr-<port>` of a router's gateway port when it has exactly one, else null. */
  onlyGatewayCr(lr: Row): string | null {
    const gws = list(lr, 'ports').map((u) => this.nb.Logical_Router_Port.get(u)).filter((p): p is Row => p !== undefined && isDgp(lr, p));
    return gws.length === 1 && gws[0] !== undefined ? `cr-${str(gws[0], 'name')}` : null;
  }

  /** Port groups having at least one port on switch `ls`. */
  portGroupsOnSwitch(ls: Row): Set<Uuid> {
    const out = new Set<Uuid>();
    for (const p of list(ls, 'ports')) for (const g of this.pgsOfLsp.get(p) ?? []) out.add(g);
    return out;
  }

  /** Switches an ACL applies to. */
  aclSwitches(acl: Uuid): Set<Uuid> {
    const out = new Set<Uuid>();
    for (const o of this.aclOwners.get(acl) ?? []) {
      const u = o.slice(3);
      if (o.startsWith('ls:')) {
        if (this.nb.Logical_Switch.has(u)) out.add(u);
      } else {
        const pg = this.nb.Port_Group.get(u);
        if (pg === undefined) continue;
        for (const p of list(pg, 'ports')) {
          const ls = this.lsOfLsp.get(p);
          if (ls !== undefined && this.nb.Logical_Switch_Port.has(p)) out.add(ls);
        }
      }
    }
    return out;
  }

  switchInfo(lsUuid: Uuid): SwitchInfo {
    const ls = this.nb.Logical_Switch.get(lsUuid);
    if (ls === undefined) {
      return { routerPorts: [], hasAcls: false, hasStatefulAcl: false, hasLbVip: false, hasUnknown: false, hasL2Ports: false, hasLocalnet: false, localnetPorts: [], hasDns: false, qos: [], mcastSnoop: false, mcastFloodUnregistered: false, mcastFloodStatic: false, mcastFloodRelay: false, hasVtep: false, vlanPassthru: false, ctInvMatch: true, controllerEvent: false };
    }
    const routerPorts: RouterPortInfo[] = [];
    let hasUnknown = false;
    let hasL2Ports = false;
    let hasVtep = false;
    const localnetPorts: string[] = [];
    for (const p of list(ls, 'ports')) {
      const lsp = this.nb.Logical_Switch_Port.get(p);
      if (lsp === undefined) continue;
      if (str(lsp, 'type') === 'localnet') localnetPorts.push(str(lsp, 'name'));
      if (str(lsp, 'type') === 'vtep') hasVtep = true;
      // a router-type port whose peer does not resolve counts as an L2 port (as in OVN)
      const rp = str(lsp, 'type') === 'router' ? this.routerPortInfo(lsp) : null;
      if (rp !== null) routerPorts.push(rp);
      else hasL2Ports = true;
      if (list(lsp, 'addresses').includes('unknown')) hasUnknown = true;
    }
    routerPorts.sort((a, b) => (a.lspName < b.lspName ? -1 : a.lspName > b.lspName ? 1 : 0));
    const acls = new Set(list(ls, 'acls'));
    for (const g of this.portGroupsOnSwitch(ls)) {
      const pg = this.nb.Port_Group.get(g);
      if (pg !== undefined) for (const a of list(pg, 'acls')) acls.add(a);
    }
    let hasAcls = false;
    let hasStatefulAcl = false;
    for (const a of acls) {
      const acl = this.nb.ACL.get(a);
      if (acl === undefined) continue;
      hasAcls = true;
      if (str(acl, 'action') === 'allow-related') hasStatefulAcl = true;
    }
    let hasLbVip = false;
    for (const l of this.lbsOf(ls)) {
      const lb = this.nb.Load_Balancer.get(l);
      if (lb !== undefined && Object.keys(map(lb, 'vips')).length > 0) hasLbVip = true;
    }
    const mcastFloodStatic = list(ls, 'ports').some((p) => {
      const lsp = this.nb.Logical_Switch_Port.get(p);
      return lsp !== undefined && bool(lsp, 'enabled') !== false && map(lsp, 'options')['mcast_flood'] === 'true';
    });
    const hasDns = list(ls, 'dns_records').some((u) => Object.keys(map(this.nb.DNS.get(u) ?? ({ _uuid: u } as Row), 'records')).length > 0);
    const qos: QosRule[] = [];
    for (const u of [...list(ls, 'qos_rules')].sort()) {
      const r = this.nb.QoS.get(u);
      if (r === undefined) continue;
      const action = map(r, 'action');
      const bw = map(r, 'bandwidth');
      const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
      qos.push({
        uuid: u, ingress: str(r, 'direction') === 'from-lport', priority: Number(r['priority'] ?? 0), match: str(r, 'match'),
        dscp: num(action['dscp']), rate: num(bw['rate']), burst: num(bw['burst']),
      });
    }
    localnetPorts.sort();
    const oc = map(ls, 'other_config');
    return {
      routerPorts, hasAcls, hasStatefulAcl, hasLbVip, hasUnknown, hasL2Ports, hasLocalnet: localnetPorts.length > 0, localnetPorts, hasDns, qos,
      mcastSnoop: oc['mcast_snoop'] === 'true', mcastFloodUnregistered: oc['mcast_flood_unregistered'] === 'true', mcastFloodStatic,
      mcastFloodRelay: routerPorts.some((r) => r.mcastRelay), hasVtep, vlanPassthru: oc['vlan-passthru'] === 'true',
      ctInvMatch: this.globalOption('use_ct_inv_match') !== 'false', controllerEvent: this.globalOption('controller_event') === 'true',
    };
  }
}

/** The router relays IP multicast between its switches (options:mcast_relay). */
export function mcastRelay(lr: Row): boolean {
  return map(lr, 'options')['mcast_relay'] === 'true';
}

/** An enabled router port flooding all IP multicast (options:mcast_flood): in the router's _MC_static. */
export function mcastFloodPort(lrp: Row): boolean {
  return bool(lrp, 'enabled') !== false && map(lrp, 'options')['mcast_flood'] === 'true';
}

/** The logical port of an ip_port_mappings value ("PORT:SRC_IP" or "PORT:[SRC_IP6]"). */
export function mappedPort(v: string): string {
  const i = v.indexOf(':');
  return i < 0 ? v : v.slice(0, i);
}

/** The parents a virtual port names (options:virtual-parents, comma-separated). */
export function virtualParents(lsp: Row): string[] {
  if (str(lsp, 'type') !== 'virtual') return [];
  return (map(lsp, 'options')['virtual-parents'] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

/** The IPv4 address of a load-balancer VIP key ("IP" or "IP:PORT"), else null. */
function vipIpv4(vip: string): string | null {
  const ip = vip.includes(':') && !vip.startsWith('[') && vip.split(':').length === 2 ? vip.split(':')[0] ?? '' : vip;
  return parseIpv4(ip) === null ? null : ip;
}

/** The IPv6 address of a load-balancer VIP key ("IP6" or "[IP6]:PORT"), else null. */
function vipIpv6(vip: string): string | null {
  const m = /^\[([^\]]+)\](?::\d+)?$/.exec(vip);
  const ip = m === null ? vip : m[1] ?? '';
  return ip.includes(':') && parseIpv6(ip) !== null ? ip : null;
}

export function sameSwitchInfo(a: SwitchInfo, b: SwitchInfo): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
