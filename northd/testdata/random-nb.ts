// northd/testdata/random-nb.ts — test support: random NB change operations over plain rows
// (switches, ports, addresses, port groups, ACLs, routers, router ports, NAT, routes,
// policies, load balancers, DHCP options, gateway chassis, distributed NAT, DNS, QoS, ACL
// logging, localport/external/virtual/vtep/l2gateway/remote ports, DHCPv6, IPv6 RA, meters (fair or not), HA chassis groups,
// LB health checks with ip_port_mappings, IGMP snooping settings, multicast relay, load balancer groups), deleting the way OVSDB garbage collection and
// weak references would, and the row diff that turns two snapshots into NbChanges.
// Shared by the incremental==recompute property test and the SB sync property test.
import fc from 'fast-check';
import type { Row, Uuid } from '../../store/types.js';
import type { NbChange } from '../model.js';
import { NB_TABLES, emptySnapshot, list, map, str, type NbTable } from '../nb.js';

export type Nb = { [T in NbTable]: Map<Uuid, Row> };

let seq = 0;
export const uuid = (): Uuid => `00000000-0000-4000-8000-${(++seq).toString(16).padStart(12, '0')}`;

export function clone(nb: Nb): Nb {
  const c = emptySnapshot();
  for (const t of NB_TABLES) for (const [u, r] of nb[t]) c[t].set(u, r);
  return c;
}

export function diff(before: Nb, after: Nb): NbChange[] {
  const out: NbChange[] = [];
  for (const t of NB_TABLES) {
    for (const [u, r] of after[t]) if (before[t].get(u) !== r) out.push({ table: t, uuid: u, old: before[t].get(u) ?? null, new: r });
    for (const [u, r] of before[t]) if (!after[t].has(u)) out.push({ table: t, uuid: u, old: r, new: null });
  }
  return out;
}

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
export const set = (nb: Nb, t: NbTable, r: Row): void => void nb[t].set(r._uuid, r);
export const upd = (nb: Nb, t: NbTable, r: Row, cols: { [c: string]: unknown }): void => set(nb, t, { ...r, ...cols } as Row);

/** Deletes rows the way OVSDB garbage collection and weak references would. */
function delPort(nb: Nb, p: Uuid): void {
  nb.Logical_Switch_Port.delete(p);
  for (const ls of nb.Logical_Switch.values()) if (list(ls, 'ports').includes(p)) upd(nb, 'Logical_Switch', ls, { ports: list(ls, 'ports').filter((x) => x !== p) });
  for (const pg of nb.Port_Group.values()) if (list(pg, 'ports').includes(p)) upd(nb, 'Port_Group', pg, { ports: list(pg, 'ports').filter((x) => x !== p) });
}

export type Op = { kind: number; a: number; b: number; c: number };

export function applyOp(nb: Nb, op: Op): void {
  const lss = [...nb.Logical_Switch.values()];
  const lsps = [...nb.Logical_Switch_Port.values()];
  const lrs = [...nb.Logical_Router.values()];
  const lrps = [...nb.Logical_Router_Port.values()];
  const pgs = [...nb.Port_Group.values()];
  const acls = [...nb.ACL.values()];
  const lbs = [...nb.Load_Balancer.values()];
  const n = seq + 1;
  const mac = `0a:00:00:00:${(op.b % 256).toString(16).padStart(2, '0')}:${(n % 256).toString(16).padStart(2, '0')}`;
  const ip = `10.0.${op.a % 4}.${(op.b % 250) + 1}`;
  switch (op.kind % KINDS) {
    case 0: set(nb, 'Logical_Switch', { _uuid: uuid(), name: `ls${n}`, ports: [], acls: [], load_balancer: [] }); break;
    case 1: {
      const ls = pick(lss, op.a);
      if (ls === undefined) break;
      for (const p of list(ls, 'ports')) delPort(nb, p);
      const cur = nb.Logical_Switch.get(ls._uuid);
      for (const a of list(cur ?? ls, 'acls')) nb.ACL.delete(a);
      nb.Logical_Switch.delete(ls._uuid);
      break;
    }
    case 2: case 3: case 4: {
      const ls = pick(lss, op.a);
      if (ls === undefined) break;
      const p: Row = { _uuid: uuid(), name: `p${n}`, type: '', addresses: op.c % 5 === 0 ? [op.b % 2 ? `${mac} ${ip}` : mac, 'unknown'] : [`${mac} ${ip}${op.c % 3 === 0 ? ` fd00::${n.toString(16)}` : ''}`], port_security: op.c % 2 ? [`${mac} ${ip}`] : [], options: {} };
      set(nb, 'Logical_Switch_Port', p);
      upd(nb, 'Logical_Switch', ls, { ports: [...list(ls, 'ports'), p._uuid].sort() });
      break;
    }
    case 5: { const p = pick(lsps, op.a); if (p) delPort(nb, p._uuid); break; }
    case 6: {
      const p = pick(lsps, op.a);
      if (p && str(p, 'type') === '') upd(nb, 'Logical_Switch_Port', p, op.c % 4 === 0 ? { enabled: [op.b % 2 === 0] } : { addresses: [`${mac} ${ip}`] });
      break;
    }
    case 7: {
      const ports = lsps.filter((_, i) => (i + op.b) % 3 === 0).map((p) => p._uuid).sort();
      set(nb, 'Port_Group', { _uuid: uuid(), name: `pg${n}`, ports, acls: [] });
      break;
    }
    case 8: {
      const pg = pick(pgs, op.a);
      if (pg) upd(nb, 'Port_Group', pg, { ports: lsps.filter((_, i) => (i + op.b) % 2 === 0).map((p) => p._uuid).sort() });
      break;
    }
    case 9: case 10: {
      const actions = ['allow-related', 'drop', 'allow', 'allow-stateless', 'reject'];
      const dir = op.b % 2 ? 'to-lport' : 'from-lport';
      const pg = op.c % 2 ? pick(pgs, op.a) : undefined;
      const ls = pick(lss, op.a);
      const owner = pg ?? ls;
      if (owner === undefined) break;
      const port = dir === 'to-lport' ? 'outport' : 'inport';
      const match = pg ? `${port} == @${str(pg, 'name')} && ip4 && ip4.src == $${str(pg, 'name')}_ip4` : `ip4 && tcp.dst == ${op.b % 1000}`;
      const acl: Row = { _uuid: uuid(), direction: dir, priority: 1000 + (op.b % 10), match, action: actions[op.c % actions.length] ?? 'drop', options: {}, label: 0 };
      set(nb, 'ACL', acl);
      if (pg) upd(nb, 'Port_Group', pg, { acls: [...list(pg, 'acls'), acl._uuid].sort() });
      else if (ls) upd(nb, 'Logical_Switch', ls, { acls: [...list(ls, 'acls'), acl._uuid].sort() });
      break;
    }
    case 11: {
      const acl = pick(acls, op.a);
      if (acl === undefined) break;
      if (op.b % 2) upd(nb, 'ACL', acl, { action: op.c % 2 ? 'allow-related' : 'drop' });
      else {
        nb.ACL.delete(acl._uuid);
        for (const t of ['Logical_Switch', 'Port_Group'] as const) {
          for (const r of nb[t].values()) if (list(r, 'acls').includes(acl._uuid)) upd(nb, t, r, { acls: list(r, 'acls').filter((x) => x !== acl._uuid) });
        }
      }
      break;
    }
    case 12: set(nb, 'Logical_Router', { _uuid: uuid(), name: `lr${n}`, ports: [], nat: [], static_routes: [], policies: [], load_balancer: [], options: op.b % 3 === 0 ? { chassis: 'hv1' } : {} }); break;
    case 13: {
      // router port + the switch port that peers with it
      const lr = pick(lrs, op.a);
      const ls = pick(lss, op.b);
      if (lr === undefined || ls === undefined) break;
      // every third one a distributed gateway port
      const gc: Row = { _uuid: uuid(), name: `lrp${n}-hv1`, chassis_name: 'hv1', priority: 10, options: {}, external_ids: {} };
      if (op.c % 3 === 1) set(nb, 'Gateway_Chassis', gc);
      const lrp: Row = {
        _uuid: uuid(), name: `lrp${n}`, mac: mac.replace(/^0a/, '02'), networks: [`10.0.${op.a % 4}.254/24`],
        options: op.b % 5 === 0 ? { 'reside-on-redirect-chassis': 'true' } : {}, gateway_chassis: op.c % 3 === 1 ? [gc._uuid] : [],
      };
      set(nb, 'Logical_Router_Port', lrp);
      upd(nb, 'Logical_Router', lr, { ports: [...list(lr, 'ports'), lrp._uuid].sort() });
      if (op.c % 4 !== 0) {
        // sometimes announcing the router's NAT and LB addresses (GARP)
        const nat: { [k: string]: string } = op.b % 4 === 1 ? { 'nat-addresses': 'router' } : op.b % 8 === 3 ? { 'nat-addresses': `0a:00:00:00:ee:${(n % 256).toString(16).padStart(2, '0')} 172.16.0.${(n % 200) + 1}` } : {};
        const lsp: Row = { _uuid: uuid(), name: `rp${n}`, type: 'router', addresses: ['router'], port_security: [], options: { 'router-port': `lrp${n}`, ...nat } };
        set(nb, 'Logical_Switch_Port', lsp);
        upd(nb, 'Logical_Switch', ls, { ports: [...list(ls, 'ports'), lsp._uuid].sort() });
      }
      break;
    }
    case 14: {
      const lr = pick(lrs, op.a);
      if (lr === undefined) break;
      if (op.b % 2) {
        // gateway or not, with the options ovn-kubernetes sets on its gateway routers sometimes
        const extra = op.c % 3 === 0 ? { always_learn_from_arp_request: 'false', dynamic_neigh_routers: 'true', lb_force_snat_ip: 'router_ip' }
          : op.c % 3 === 1 && op.a % 2 ? { lb_force_snat_ip: op.a % 4 === 1 ? '172.16.9.1 fd09::1' : '172.16.9.1', dnat_force_snat_ip: '172.16.9.2' } : {};
        upd(nb, 'Logical_Router', lr, { options: list(lr, 'ports').length % 2 ? { ...extra } : { chassis: 'hv2', ...extra } });
      }
      else {
        for (const p of list(lr, 'ports')) nb.Logical_Router_Port.delete(p);
        for (const c of [...list(lr, 'nat'), ...list(lr, 'static_routes')]) { nb.NAT.delete(c); nb.Logical_Router_Static_Route.delete(c); }
        nb.Logical_Router.delete(lr._uuid);
      }
      break;
    }
    case 15: {
      const lrp = pick(lrps, op.a);
      if (lrp === undefined) break;
      if (op.b % 2) upd(nb, 'Logical_Router_Port', lrp, { networks: [`10.0.${op.c % 4}.1/24`] });
      else {
        nb.Logical_Router_Port.delete(lrp._uuid);
        for (const lr of nb.Logical_Router.values()) if (list(lr, 'ports').includes(lrp._uuid)) upd(nb, 'Logical_Router', lr, { ports: list(lr, 'ports').filter((x) => x !== lrp._uuid) });
      }
      break;
    }
    case 16: {
      const lr = pick(lrs, op.a);
      if (lr === undefined) break;
      const types = ['snat', 'dnat', 'dnat_and_snat'];
      // every fifth an IPv6 rule
      const v6 = op.c % 5 === 0;
      const ext = v6 ? `2001:db8::${((op.c % 200) + 1).toString(16)}` : `172.16.0.${(op.c % 200) + 1}`;
      const logical = v6 ? (op.b % 3 === 0 ? `fd00:${op.a % 4}::/64` : `fd00:${op.a % 4}::${(op.b % 250) + 1}`) : op.b % 3 === 0 ? `10.0.${op.a % 4}.0/24` : ip;
      const type = types[op.b % 3] ?? 'snat';
      // sometimes the external peers the rule is limited to, or exempted from
      const as: Row = { _uuid: uuid(), name: `ext${n}`, addresses: [v6 ? '2001:db9::/64' : '10.9.0.0/16'], external_ids: {} };
      if (op.a % 4 === 1) set(nb, 'Address_Set', as);
      const extIps = op.a % 4 === 1 ? { [op.b % 2 ? 'allowed_ext_ips' : 'exempted_ext_ips']: [as._uuid] } : {};
      const nat: Row = {
        _uuid: uuid(), type, external_ip: ext, logical_ip: logical, options: type === 'dnat_and_snat' && op.a % 3 === 0 ? { stateless: 'true' } : {}, ...extIps,
        ...(op.c % 7 === 3 ? { external_port_range: `${1000 + op.b}-${2000 + op.b}` } : {}),
      };
      set(nb, 'NAT', nat);
      upd(nb, 'Logical_Router', lr, { nat: [...list(lr, 'nat'), nat._uuid].sort() });
      break;
    }
    case 17: {
      const lr = pick(lrs, op.a);
      if (lr === undefined) break;
      // IPv4 or IPv6, sometimes a discard route, by source IP, or in route table rtb1 (which a
      // router port may look up; one table only: OVN numbers several in row UUID order)
      const v6 = op.a % 5 === 2;
      const prefix = v6 ? (op.b % 2 ? '::/0' : `fd0${op.c % 3}:9::/64`) : op.b % 2 ? '0.0.0.0/0' : `192.168.${op.c % 3}.0/24`;
      // mostly a next hop inside one of the router's networks (else it does not resolve)
      const nets = list(lr, 'ports').flatMap((u) => list(nb.Logical_Router_Port.get(u) ?? ({ _uuid: u } as Row), 'networks'));
      const net4 = pick(nets.filter((x) => !x.includes(':')), op.c);
      const net6 = pick(nets.filter((x) => x.includes(':')), op.c);
      const in4 = net4 !== undefined && op.b % 4 !== 0 ? net4.split('.').slice(0, 3).join('.') : `10.0.${op.a % 4}`;
      const in6 = net6 !== undefined && op.b % 4 !== 0 ? net6.split('::')[0] ?? `fd0${op.a % 4}` : `fd0${op.a % 4}`;
      const nexthop = op.b % 7 === 3 ? 'discard' : v6 ? `${in6}::${(op.c % 3) + 100}` : `${in4}.${(op.c % 3) + 100}`;
      const r: Row = { _uuid: uuid(), ip_prefix: prefix, nexthop, route_table: op.c % 6 === 1 ? 'rtb1' : '', options: op.a % 3 === 1 ? { ecmp_symmetric_reply: 'true' } : {},
        ...(op.b % 5 === 1 ? { policy: ['src-ip'] } : {}) };
      set(nb, 'Logical_Router_Static_Route', r);
      // sometimes an ECMP pair: the same prefix through a second next hop
      const pair: Row | undefined = op.c % 4 === 0 && nexthop !== 'discard' ? { ...r, _uuid: uuid(), nexthop: nexthop.replace(/\d+$/, (d) => String(Number(d) + 10)) } : undefined;
      if (pair !== undefined) set(nb, 'Logical_Router_Static_Route', pair);
      const lrp = op.c % 6 === 1 ? pick(list(lr, 'ports').map((u) => nb.Logical_Router_Port.get(u)).filter((x): x is Row => x !== undefined), op.b) : undefined;
      if (lrp !== undefined) upd(nb, 'Logical_Router_Port', lrp, { options: { ...map(lrp, 'options'), route_table: 'rtb1' } });
      upd(nb, 'Logical_Router', lr, { static_routes: [...list(lr, 'static_routes'), r._uuid, ...(pair !== undefined ? [pair._uuid] : [])].sort() });
      break;
    }
    case 18: {
      const ls = pick(lss, op.a);
      if (ls === undefined) break;
      // some VIPs inside a router port's network (a distributed router answers ARP for them)
      const lr = op.c % 3 === 0 ? pick(lrs, op.b) : undefined;
      const lrNet = lr === undefined ? undefined : nb.Logical_Router_Port.get(list(lr, 'ports')[0] ?? '');
      const inNet = lrNet === undefined ? `10.0.${op.a % 4}.` : `${(list(lrNet, 'networks')[0] ?? '10.0.0.1/24').split('.').slice(0, 3).join('.')}.`;
      const vip = op.b % 2 === 0 ? `${inNet}${200 + (op.c % 50)}` : `10.0.9.${(op.b % 200) + 1}`;
      // sometimes two backends, sometimes a VIP without a port (then backends without ports too)
      const ip2 = `10.0.${op.c % 4}.${(op.a % 250) + 1}`;
      const noPort = op.a % 5 === 0;
      const backends = noPort ? (op.b % 3 ? `${ip},${ip2}` : ip) : op.b % 3 ? `${ip}:8080,${ip2}:8080` : `${ip}:8080`;
      // sometimes IPv6: a VIP inside the router port's IPv6 network when it has one, backends in fd00::/64
      const v6Net = (lrNet === undefined ? [] : list(lrNet, 'networks')).find((x) => x.includes(':'));
      const v6 = op.a % 7 === 3;
      const vip6 = `${v6Net !== undefined && op.b % 2 === 0 ? v6Net.split('::')[0] ?? 'fd00' : 'fd09'}::${(200 + (op.c % 50)).toString(16)}`;
      const [b6a, b6b] = [`fd00::${((op.b % 250) + 1).toString(16)}`, `fd00::${((op.a % 250) + 1).toString(16)}`];
      const backends6 = noPort ? (op.b % 3 ? `${b6a},${b6b}` : b6a) : op.b % 3 ? `[${b6a}]:8080,[${b6b}]:8080` : `[${b6a}]:8080`;
      const vipKey = v6 ? (noPort ? vip6 : `[${vip6}]:80`) : noPort ? vip : `${vip}:80`;
      const lb: Row = { _uuid: uuid(), name: `lb${n}`, vips: { [vipKey]: v6 ? backends6 : backends }, protocol: op.c % 2 ? 'tcp' : 'udp',
        options: op.c % 4 === 1 ? { skip_snat: 'true' } : op.c % 4 === 2 ? { affinity_timeout: '60' } : op.a % 4 === 3 ? { neighbor_responder: op.b % 2 ? 'all' : 'none' } : {} };
      set(nb, 'Load_Balancer', lb);
      if (lr !== undefined) upd(nb, 'Logical_Router', lr, { load_balancer: [...list(lr, 'load_balancer'), lb._uuid].sort() });
      else upd(nb, 'Logical_Switch', ls, { load_balancer: [...list(ls, 'load_balancer'), lb._uuid].sort() });
      break;
    }
    case 20: {
      // DHCPv4 options on a port (a new row, or the port loses them)
      const p = pick(lsps, op.a);
      if (p === undefined || str(p, 'type') !== '') break;
      if (op.b % 3 === 0) { upd(nb, 'Logical_Switch_Port', p, { dhcpv4_options: [] }); break; }
      const d: Row = { _uuid: uuid(), cidr: `10.0.${op.c % 4}.0/24`, options: { lease_time: '3600', router: `10.0.${op.c % 4}.1`, server_id: `10.0.${op.c % 4}.1`, server_mac: 'c0:ff:ee:00:00:01' } };
      set(nb, 'DHCP_Options', d);
      upd(nb, 'Logical_Switch_Port', p, { dhcpv4_options: [d._uuid] });
      break;
    }
    case 22: {
      const ls = pick(lss, op.a);
      if (ls === undefined) break;
      const p: Row = { _uuid: uuid(), name: `ln${n}`, type: 'localnet', addresses: ['unknown'], port_security: [], options: { network_name: 'physnet1' } };
      set(nb, 'Logical_Switch_Port', p);
      upd(nb, 'Logical_Switch', ls, { ports: [...list(ls, 'ports'), p._uuid].sort() });
      break;
    }
    case 21: {
      const lr = pick(lrs, op.a);
      if (lr === undefined) break;
      const actions = ['allow', 'drop', 'reroute'];
      // sometimes several next hops (ECMP reroute; one may be unreachable), sometimes a pkt_mark
      const nexthops = op.a % 3 === 0 ? [`10.0.${op.c % 4}.9`, `10.0.${(op.c + op.a) % 5}.8`].sort() : [`10.0.${op.c % 4}.9`];
      const pol: Row = { _uuid: uuid(), priority: 100 + (op.b % 50), match: `ip4.src == 10.0.${op.c % 4}.0/24`, action: actions[op.b % 3] ?? 'drop', nexthops,
        options: op.c % 5 === 0 ? { pkt_mark: String(op.a + 1) } : {} };
      set(nb, 'Logical_Router_Policy', pol);
      upd(nb, 'Logical_Router', lr, { policies: [...list(lr, 'policies'), pol._uuid].sort() });
      break;
    }
    case 23: {
      // a gateway chassis on a router port (a distributed gateway port), or none again
      const lrp = pick(lrps, op.a);
      if (lrp === undefined) break;
      if (op.b % 3 === 0) {
        for (const g of list(lrp, 'gateway_chassis')) nb.Gateway_Chassis.delete(g);
        upd(nb, 'Logical_Router_Port', lrp, { gateway_chassis: [] });
        break;
      }
      const same = [...nb.Gateway_Chassis.values()].find((g) => str(g, 'name') === `${str(lrp, 'name')}-hv${op.c % 3}`);
      if (same !== undefined) { upd(nb, 'Gateway_Chassis', same, { priority: op.b % 30 }); break; } // names are unique
      const gc: Row = { _uuid: uuid(), name: `${str(lrp, 'name')}-hv${op.c % 3}`, chassis_name: `hv${op.c % 3}`, priority: op.b % 30, options: {}, external_ids: {} };
      set(nb, 'Gateway_Chassis', gc);
      upd(nb, 'Logical_Router_Port', lrp, {
        gateway_chassis: [...list(lrp, 'gateway_chassis'), gc._uuid].sort(),
        ...(op.a % 3 === 0 ? { options: { gateway_mtu: String(1300 + op.b % 200), ...(op.c % 2 ? { gateway_mtu_bypass: 'tcp' } : {}) } } : op.a % 3 === 1 ? { options: { 'redirect-type': 'bridged' } } : {}),
      });
      break;
    }
    case 24: {
      // distributed dnat_and_snat (logical_port + external_mac), sometimes naming its gateway port
      const lr = pick(lrs, op.a);
      const p = pick(lsps, op.b);
      if (lr === undefined || p === undefined) break;
      const gp = op.c % 3 === 0 ? pick(list(lr, 'ports'), op.b) : undefined;
      const nat: Row = {
        _uuid: uuid(), type: 'dnat_and_snat', external_ip: `172.16.0.${(op.c % 200) + 1}`, logical_ip: ip, options: {},
        logical_port: [str(p, 'name')], external_mac: op.b % 4 === 0 ? [] : [mac.replace(/^0a/, '0e')], gateway_port: gp === undefined ? [] : [gp],
      };
      set(nb, 'NAT', nat);
      upd(nb, 'Logical_Router', lr, { nat: [...list(lr, 'nat'), nat._uuid].sort() });
      break;
    }
    case 25: {
      // a gateway chassis row changes alone (priority), or a NAT rule goes
      if (op.b % 2) {
        const gc = pick([...nb.Gateway_Chassis.values()], op.a);
        if (gc !== undefined) upd(nb, 'Gateway_Chassis', gc, { priority: op.c % 30 });
        break;
      }
      const nat = pick([...nb.NAT.values()], op.a);
      if (nat === undefined) break;
      nb.NAT.delete(nat._uuid);
      for (const lr of nb.Logical_Router.values()) if (list(lr, 'nat').includes(nat._uuid)) upd(nb, 'Logical_Router', lr, { nat: list(lr, 'nat').filter((x) => x !== nat._uuid) });
      break;
    }
    case 26: {
      // DNS records on a switch: a new row, an edit of one, or the switch drops them
      const ls = pick(lss, op.a);
      if (ls === undefined) break;
      const cur = pick(list(ls, 'dns_records'), op.b);
      const dns = cur === undefined ? undefined : nb.DNS.get(cur);
      if (dns !== undefined && op.c % 3 === 0) { upd(nb, 'Logical_Switch', ls, { dns_records: [] }); break; }
      if (dns !== undefined && op.c % 3 === 1) { upd(nb, 'DNS', dns, { records: op.b % 2 ? {} : { [`vm${n}.ovn.org`]: ip } }); break; }
      const d: Row = { _uuid: uuid(), records: { [`vm${n}.ovn.org`]: ip }, external_ids: {} };
      set(nb, 'DNS', d);
      upd(nb, 'Logical_Switch', ls, { dns_records: [...list(ls, 'dns_records'), d._uuid].sort() });
      break;
    }
    case 27: {
      // a QoS rule (DSCP mark and/or meter) on a switch, or one removed
      const ls = pick(lss, op.a);
      if (ls === undefined) break;
      const cur = pick(list(ls, 'qos_rules'), op.b);
      if (cur !== undefined && op.c % 3 === 0) {
        nb.QoS.delete(cur);
        upd(nb, 'Logical_Switch', ls, { qos_rules: list(ls, 'qos_rules').filter((x) => x !== cur) });
        break;
      }
      const qos: Row = {
        _uuid: uuid(), direction: op.b % 2 ? 'from-lport' : 'to-lport', priority: op.b % 100, match: `ip4.src == ${ip}`,
        action: op.c % 2 ? { dscp: String(op.c % 64) } : {}, bandwidth: op.c % 2 ? {} : { rate: String(1000 + op.b), ...(op.b % 3 ? { burst: '100' } : {}) }, external_ids: {},
      };
      set(nb, 'QoS', qos);
      upd(nb, 'Logical_Switch', ls, { qos_rules: [...list(ls, 'qos_rules'), qos._uuid].sort() });
      break;
    }
    case 28: {
      // ACL logging on or off, with a name, severity and meter sometimes
      const acl = pick(acls, op.a);
      if (acl === undefined) break;
      // log-related needs a conntrack label, which only allow ACLs carry
      const labelled = op.a % 2 === 1 && str(acl, 'action').startsWith('allow');
      upd(nb, 'ACL', acl, {
        log: op.b % 3 !== 0, name: op.c % 2 ? [`acl${n}`] : [], severity: op.c % 3 ? ['warning'] : [], meter: op.b % 2 ? ['m1'] : [],
        ...(labelled ? { label: 10 + (op.a % 50), options: { 'log-related': 'true' } } : {}),
      });
      break;
    }
    case 29: {
      // a localport, an external port (with DHCPv4 sometimes), a virtual port with parents, a vtep, an l2gateway or a remote port
      const ls = pick(lss, op.a);
      if (ls === undefined) break;
      const kind = op.c % 6;
      const parents = lsps.filter((_, i) => (i + op.b) % 4 === 0).map((x) => str(x, 'name')).slice(0, 3);
      const p: Row = {
        _uuid: uuid(), name: `t${n}`, type: ['localport', 'external', 'virtual', 'vtep', 'l2gateway', 'remote'][kind] ?? 'localport', addresses: kind === 3 ? (op.b % 2 ? ['unknown'] : []) : [`${mac} ${ip}`], port_security: [],
        options: kind === 2 ? { 'virtual-ip': ip, 'virtual-parents': [...parents, 'nosuchport'].join(',') }
          : kind === 3 ? { 'vtep-physical-switch': `br-vtep${op.a % 2}`, 'vtep-logical-switch': `lswitch${op.b % 3}` }
          : kind === 4 ? { network_name: 'physnet1', 'l2gateway-chassis': `hv${op.b % 2}` } : kind === 5 ? { 'requested-chassis': `hvr${op.b % 2}` } : {},
      };
      if (kind === 1 && op.b % 2 === 0) {
        const d: Row = { _uuid: uuid(), cidr: `10.0.${op.a % 4}.0/24`, options: { lease_time: '3600', router: `10.0.${op.a % 4}.1`, server_id: `10.0.${op.a % 4}.1`, server_mac: 'c0:ff:ee:00:00:01' } };
        set(nb, 'DHCP_Options', d);
        // an HA chassis group makes the external port served (DHCP where it resides)
        const g: Row = { _uuid: uuid(), name: `grp${n}`, ha_chassis: [], external_ids: {} };
        if (op.c % 2 === 0) set(nb, 'HA_Chassis_Group', g);
        set(nb, 'Logical_Switch_Port', { ...p, dhcpv4_options: [d._uuid], ha_chassis_group: op.c % 2 === 0 ? [g._uuid] : [] });
      } else set(nb, 'Logical_Switch_Port', p);
      upd(nb, 'Logical_Switch', ls, { ports: [...list(ls, 'ports'), p._uuid].sort() });
      break;
    }
    case 30: {
      // DHCPv6 options on a port, or IPv6 RA configs (and an IPv6 network) on a router port
      if (op.b % 2) {
        const p = pick(lsps, op.a);
        if (p === undefined || str(p, 'type') !== '') break;
        upd(nb, 'Logical_Switch_Port', p, { addresses: [`${mac} ${ip} fd00::${n.toString(16)}`] });
        const d: Row = { _uuid: uuid(), cidr: 'fd00::/64', options: { server_id: '00:00:00:00:10:02', ...(op.c % 2 ? { dhcpv6_stateless: 'true', dns_server: '{fd00::53}' } : {}) } };
        set(nb, 'DHCP_Options', d);
        upd(nb, 'Logical_Switch_Port', nb.Logical_Switch_Port.get(p._uuid) ?? p, { dhcpv6_options: [d._uuid] });
        break;
      }
      const lrp = pick(lrps, op.a);
      if (lrp === undefined) break;
      const modes = ['slaac', 'dhcpv6_stateful', 'dhcpv6_stateless'];
      upd(nb, 'Logical_Router_Port', lrp, {
        networks: [...list(lrp, 'networks').filter((x) => !x.includes(':')), `fd0${op.c % 4}::1/64`].sort(),
        ipv6_ra_configs: op.c % 5 === 0 ? {} : { address_mode: modes[op.c % 3] ?? 'slaac', ...(op.c % 2 ? { send_periodic: 'true', max_interval: String(10 + op.b % 100) } : {}), ...(op.b % 3 === 0 ? { mtu: '1450' } : {}) },
      });
      break;
    }
    case 31: {
      // meters m1/m2 (ACL logs name m1): created, made fair or not, re-banded, or deleted
      const name = `m${(op.a % 2) + 1}`;
      const cur = [...nb.Meter.values()].find((m) => str(m, 'name') === name);
      if (cur !== undefined && op.c % 4 === 0) {
        nb.Meter.delete(cur._uuid);
        for (const b of list(cur, 'bands')) nb.Meter_Band.delete(b);
        break;
      }
      const band: Row = { _uuid: uuid(), action: 'drop', rate: 1 + (op.b % 100), burst_size: op.c % 3 === 0 ? 0 : op.c, external_ids: {} };
      set(nb, 'Meter_Band', band);
      for (const b of cur === undefined ? [] : list(cur, 'bands')) nb.Meter_Band.delete(b);
      set(nb, 'Meter', { _uuid: cur?._uuid ?? uuid(), name, unit: op.b % 2 ? 'pktps' : 'kbps', bands: [band._uuid], fair: op.c % 2 === 1 ? [true] : [], external_ids: {} });
      break;
    }
    case 32: {
      // HA chassis groups: a chassis joins one (or changes priority), a group is renamed, or a
      // router port takes a group (then OVN ignores its gateway chassis)
      const groups = [...nb.HA_Chassis_Group.values()];
      const g = pick(groups, op.a);
      if (op.c % 3 === 0 || g === undefined) {
        const lrp = pick(lrps, op.b);
        if (lrp === undefined) break;
        let grp = g;
        if (grp === undefined) { grp = { _uuid: uuid(), name: `grp${n}`, ha_chassis: [], external_ids: {} }; set(nb, 'HA_Chassis_Group', grp); }
        upd(nb, 'Logical_Router_Port', lrp, { ha_chassis_group: op.b % 4 === 0 ? [] : [grp._uuid] });
        break;
      }
      if (op.c % 3 === 1) { upd(nb, 'HA_Chassis_Group', g, { name: `grp${n}` }); break; }
      const same = list(g, 'ha_chassis').map((u) => nb.HA_Chassis.get(u)).find((h) => h !== undefined && str(h, 'chassis_name') === `hv${op.b % 3}`);
      if (same !== undefined) { upd(nb, 'HA_Chassis', same, { priority: op.b % 40 }); break; }
      const h: Row = { _uuid: uuid(), chassis_name: `hv${op.b % 3}`, priority: op.b % 40, external_ids: {} };
      set(nb, 'HA_Chassis', h);
      upd(nb, 'HA_Chassis_Group', g, { ha_chassis: [...list(g, 'ha_chassis'), h._uuid].sort() });
      break;
    }
    case 33: {
      // a health check on one VIP of a load balancer, its backends mapped to ports (some
      // that do not exist), or the check's options edited
      const lb = pick(lbs, op.a);
      if (lb === undefined) break;
      const cur = pick(list(lb, 'health_check'), op.b);
      const hc = cur === undefined ? undefined : nb.Load_Balancer_Health_Check.get(cur);
      if (hc !== undefined && op.c % 3 === 0) { upd(nb, 'Load_Balancer_Health_Check', hc, { options: { interval: String(1 + (op.b % 10)) } }); break; }
      const vips = map(lb, 'vips');
      const vip = pick(Object.keys(vips).sort(), op.b);
      if (vip === undefined) break;
      // one check per VIP (nbdb refuses two: which one OVN uses is arbitrary)
      const same = list(lb, 'health_check').map((u) => nb.Load_Balancer_Health_Check.get(u)).find((x) => x !== undefined && str(x, 'vip') === vip);
      if (same !== undefined) { upd(nb, 'Load_Balancer_Health_Check', same, { options: op.c % 2 ? { timeout: '20' } : {} }); break; }
      const h: Row = { _uuid: uuid(), vip, options: op.c % 2 ? { timeout: '20' } : {}, external_ids: {} };
      set(nb, 'Load_Balancer_Health_Check', h);
      const mappings: { [k: string]: string } = { ...map(lb, 'ip_port_mappings') };
      for (const be of (vips[vip] ?? '').split(',')) {
        // an IPv6 backend is named "[IP6]" and probed from "[SRC6]"
        const v6 = be.startsWith('[') || be.split(':').length > 2;
        const ip = v6 ? be.replace(/^\[([^\]]+)\].*$/, '$1') : be.split(':')[0] ?? '';
        const p = pick(lsps, op.c + ip.length);
        const src = v6 ? `[fd00::9${(op.c % 3) + 1}]` : `10.0.9.${(op.c % 3) + 1}`;
        mappings[v6 ? `[${ip}]` : ip] = `${op.b % 5 === 0 || p === undefined ? 'nosuch' : str(p, 'name')}:${src}`;
      }
      upd(nb, 'Load_Balancer', lb, { health_check: [...list(lb, 'health_check'), h._uuid].sort(), ip_port_mappings: mappings });
      break;
    }
    case 34: {
      // IGMP/MLD snooping settings on a switch, or a port's static flood / report relay, or a
      // router's multicast relay / a router port's static flood (sometimes disabled)
      if (op.b % 4 === 3) {
        const lrp = op.c % 2 ? pick(lrps, op.a) : undefined;
        if (lrp !== undefined) { upd(nb, 'Logical_Router_Port', lrp, { options: { ...map(lrp, 'options'), mcast_flood: op.b % 3 ? 'true' : 'false' }, enabled: op.a % 4 === 0 ? [false] : [] }); break; }
        const lr = pick(lrs, op.a);
        if (lr !== undefined) upd(nb, 'Logical_Router', lr, { options: { ...map(lr, 'options'), mcast_relay: op.b % 3 ? 'true' : 'false' } });
        break;
      }
      if (op.b % 4 === 2) {
        const p = pick(lsps, op.a);
        if (p === undefined || str(p, 'type') !== '') break;
        upd(nb, 'Logical_Switch_Port', p, { options: { ...map(p, 'options'), ...(op.c % 2 ? { mcast_flood: 'true' } : {}), ...(op.c % 3 ? { mcast_flood_reports: 'true' } : {}) } });
        break;
      }
      const ls = pick(lss, op.a);
      if (ls === undefined) break;
      upd(nb, 'Logical_Switch', ls, { other_config: op.c % 4 === 0 ? {} : {
        mcast_snoop: op.b % 3 ? 'true' : 'false', ...(op.c % 2 ? { mcast_flood_unregistered: 'true' } : {}), ...(op.b % 5 === 0 ? { mcast_idle_timeout: String(op.c) } : {}),
        ...(op.a % 6 === 1 ? { 'vlan-passthru': 'true' } : {}),
        ...(op.c % 3 === 0 ? { mcast_querier: 'false', mcast_eth_src: '00:00:00:00:00:fe', mcast_ip4_src: '10.0.0.254' } : {}),
      } });
      break;
    }
    case 35: {
      // load balancer groups: a new one (some balancers) on a switch or router, or one's membership edited
      const groups = [...nb.Load_Balancer_Group.values()];
      const g = op.c % 3 === 0 ? pick(groups, op.a) : undefined;
      const members = lbs.filter((_, i) => (i + op.b) % 3 === 0).map((l) => l._uuid).sort();
      if (g !== undefined) { upd(nb, 'Load_Balancer_Group', g, { load_balancer: members }); break; }
      const ng: Row = { _uuid: uuid(), name: `lbg${n}`, load_balancer: members };
      set(nb, 'Load_Balancer_Group', ng);
      const owner = op.b % 2 ? pick(lss, op.a) : pick(lrs, op.a);
      if (owner === undefined) break;
      upd(nb, op.b % 2 ? 'Logical_Switch' : 'Logical_Router', owner, { load_balancer_group: [...list(owner, 'load_balancer_group'), ng._uuid].sort() });
      break;
    }
    case 36: {
      // routers patched directly (lrp-add ... peer=): a new port naming another router port
      // (which mostly names it back), or an existing port's peer column changed to another
      // port, itself, a switch port, a missing port, or nothing
      const lr = pick(lrs, op.a);
      if (op.c % 2 === 0 && lr !== undefined) {
        const other = pick(lrps, op.b);
        const lrp: Row = {
          _uuid: uuid(), name: `lrp${n}`, mac: mac.replace(/^0a/, '06'), networks: op.b % 3 === 2 ? [`10.12.${op.b % 8}.1/30`, `fd12::${op.b % 8}:1/64`] : [`10.12.${op.b % 8}.1/30`],
          options: {}, peer: other === undefined ? [] : [str(other, 'name')],
        };
        set(nb, 'Logical_Router_Port', lrp);
        upd(nb, 'Logical_Router', lr, { ports: [...list(lr, 'ports'), lrp._uuid].sort() });
        if (other !== undefined && op.b % 4 !== 0) upd(nb, 'Logical_Router_Port', other, { peer: [`lrp${n}`] });
        break;
      }
      const lrp = pick(lrps, op.a);
      if (lrp === undefined) break;
      const other = pick(lrps.filter((r) => r !== lrp), op.c);
      const lsp = pick(lsps, op.c);
      const names = [other === undefined ? 'nosuchport' : str(other, 'name'), str(lrp, 'name'), lsp === undefined ? 'nosuchport' : str(lsp, 'name'), 'nosuchport'];
      const name = op.b % 8 === 7 ? undefined : names[op.b % 8 < 4 ? 0 : op.b % 4];
      upd(nb, 'Logical_Router_Port', lrp, { peer: name === undefined ? [] : [name] });
      break;
    }
    case 19: {
      const lb = pick(lbs, op.a);
      if (lb === undefined) break;
      nb.Load_Balancer.delete(lb._uuid);
      for (const t of ['Logical_Switch', 'Logical_Router'] as const) {
        for (const r of nb[t].values()) if (list(r, 'load_balancer').includes(lb._uuid)) upd(nb, t, r, { load_balancer: list(r, 'load_balancer').filter((x) => x !== lb._uuid) });
      }
      // groups refer to it weakly too
      for (const g of nb.Load_Balancer_Group.values()) if (list(g, 'load_balancer').includes(lb._uuid)) upd(nb, 'Load_Balancer_Group', g, { load_balancer: list(g, 'load_balancer').filter((x) => x !== lb._uuid) });
      break;
    }
  }
}

const KINDS = 37;
export const opArb = fc.record({ kind: fc.nat(KINDS - 1), a: fc.nat(50), b: fc.nat(1000), c: fc.nat(50) });
/** Ops biased to routers: switches, ports, routers, router ports, NAT, LBs, localnet, gateway chassis. */
const ROUTER_KINDS = [0, 2, 12, 13, 13, 14, 15, 16, 17, 17, 17, 18, 21, 22, 23, 24, 25, 32, 34, 36, 36, 36] as const;
/** Ops biased to load balancers with health checks (and the ports they map to). */
export const lbOpArb = fc.record({ kind: fc.constantFrom(0, 1, 2, 2, 5, 12, 13, 18, 18, 19, 33, 33, 35), a: fc.nat(50), b: fc.nat(1000), c: fc.nat(50) });
export const routerOpArb = fc.record({ kind: fc.constantFrom(...ROUTER_KINDS), a: fc.nat(50), b: fc.nat(1000), c: fc.nat(50) });
