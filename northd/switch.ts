// northd/switch.ts — the logical switch pipeline (ingress ls_in_*, egress ls_out_*).
//
// Owns: the flows of a logical switch as ovn-northd 23.03 writes them, split into compile
// units: switch-wide flows (`buildSwitch`), one port's flows (`buildSwitchPort`, which also
// writes the port's ARP resolution entries on connected routers), one ACL on the switches it
// applies to (`buildAcl`), one load balancer (`buildLoadBalancer`). Reads: NbModel and the
// switch facts (SwitchInfo). Called by engine.ts. Never: writes anything but flows into the
// builder it is given; never reads state outside its arguments (units must be pure, or
// incremental and full compiles would differ).
// Port security (L2/IP/ND): as in OVN 23.03, northd only emits check_in_port_sec() /
// check_out_port_sec(); the controller builds the checks from Port_Binding.port_security.
// Port types modelled: "" (VIF, incl. enabled=false, "unknown", DHCPv4/v6), router (incl.
// distributed gateway ports: is_chassis_resident on their MACs), localnet, localport,
// external (ls_in_external_port, DHCP where resident), virtual (bind_vport). Also DNS, QoS
// (dscp marking, meters), ACL logging (name/severity/meter), reject.
// Also ACL log-related (labelled ACLs: replies logged in the other direction).
// Also LB health checks (only live backends balanced to, ARP replies for the probes' source
// IPs), IGMP/MLD snooping (other_config:mcast_snoop). The SB rows besides flows (DNS, meters,
// HA groups, service monitors, IP_Multicast) are sb-tables.ts's.
// Ports' mcast_flood / mcast_flood_reports fill _MC_static / _MC_mrouter_flood (engine.ts).
// Load balancers of the switch's load_balancer_group apply as its own.
// Also vtep ports (hardware VTEP gateways: their frames skip to L2 lookup), l2gateway and
// remote ports. Not yet: relay of learnt groups (IGMP_Group).

import type { Row } from '../store/types.js';
import { formatIpv4, ipv4InNetwork, ipv6InNetwork, lspAddresses, macToLla, ovsSsetOrder, parseIpv4, parseLspAddress, parseIpv6, parseNetwork, solicitedNode } from './addr.js';
import { Site, type LflowBuilder, type NbRef } from './lflow.js';
import type { NbModel, SwitchInfo } from './model.js';
import { stage as stageOf } from './stages.js';
import { bool, int, list, map, optStr, str } from './nb.js';

const q = (s: string): string => JSON.stringify(s);
const ND_MLD = 'nd || nd_rs || nd_ra || mldv1 || mldv2';
const ND_ACL = 'nd || nd_ra || nd_rs || mldv1 || mldv2';

// Registers (OVN's names from northd.c, kept as text because flows carry them as text).
const REGBIT_CONNTRACK_DEFRAG = 'reg0[0]';
const REGBIT_CONNTRACK_COMMIT = 'reg0[1]';
const REGBIT_CONNTRACK_NAT = 'reg0[2]';
const REGBIT_ACL_HINT_ALLOW_NEW = 'reg0[7]';
const REGBIT_ACL_HINT_ALLOW = 'reg0[8]';
const REGBIT_ACL_HINT_DROP = 'reg0[9]';
const REGBIT_ACL_HINT_BLOCK = 'reg0[10]';
const REGBIT_LKUP_FDB = 'reg0[11]';
const REGBIT_ACL_LABEL = 'reg0[13]';
const REGBIT_FROM_RAMP = 'reg0[14]';
const REGBIT_PORT_SEC_DROP = 'reg0[15]';
const REGBIT_ACL_STATELESS = 'reg0[16]';
const REGBIT_ACL_HINT_ALLOW_REL = 'reg0[17]';

/** Switch-wide flows: defaults, ACL/LB scaffolding, multicast and unknown handling. */
export function buildSwitch(b: LflowBuilder, ls: Row, info: SwitchInfo): void {
  const dp = ls._uuid;
  // check_port_sec / apply_port_sec
  b.add(dp, 'ls_in_check_port_sec', 100, 'eth.src[40]', 'drop;');
  // other_config:vlan-passthru lets tagged frames through
  if (!info.vlanPassthru) b.add(dp, 'ls_in_check_port_sec', 100, 'vlan.present', 'drop;');
  b.add(dp, 'ls_in_check_port_sec', 50, '1', `${REGBIT_PORT_SEC_DROP} = check_in_port_sec(); next;`);
  b.add(dp, 'ls_in_apply_port_sec', 50, `${REGBIT_PORT_SEC_DROP} == 1`, 'drop;');
  b.add(dp, 'ls_in_apply_port_sec', 0, '1', 'next;');
  b.add(dp, 'ls_out_check_port_sec', 100, 'eth.mcast', `${REGBIT_PORT_SEC_DROP} = 0; next;`);
  b.add(dp, 'ls_out_check_port_sec', 0, '1', `${REGBIT_PORT_SEC_DROP} = check_out_port_sec(); next;`);
  b.add(dp, 'ls_out_apply_port_sec', 50, `${REGBIT_PORT_SEC_DROP} == 1`, 'drop;');
  b.add(dp, 'ls_out_apply_port_sec', 0, '1', 'output;');

  b.add(dp, 'ls_in_lookup_fdb', 0, '1', 'next;');
  b.add(dp, 'ls_in_put_fdb', 0, '1', 'next;');

  // pre_acl
  b.add(dp, 'ls_in_pre_acl', 0, '1', 'next;');
  b.add(dp, 'ls_out_pre_acl', 0, '1', 'next;');
  b.add(dp, 'ls_in_pre_acl', 110, 'eth.dst == $svc_monitor_mac', 'next;');
  b.add(dp, 'ls_out_pre_acl', 110, 'eth.src == $svc_monitor_mac', 'next;');
  if (info.hasStatefulAcl) {
    const nd = `${ND_MLD} || (udp && udp.src == 546 && udp.dst == 547)`;
    b.add(dp, 'ls_in_pre_acl', 110, nd, 'next;');
    b.add(dp, 'ls_out_pre_acl', 110, nd, 'next;');
    b.add(dp, 'ls_in_pre_acl', 110, 'eth.mcast', 'next;');
    b.add(dp, 'ls_out_pre_acl', 110, 'eth.mcast', 'next;');
    b.add(dp, 'ls_in_pre_acl', 100, 'ip', `${REGBIT_CONNTRACK_DEFRAG} = 1; next;`);
    b.add(dp, 'ls_out_pre_acl', 100, 'ip', `${REGBIT_CONNTRACK_DEFRAG} = 1; next;`);
  }

  // pre_lb
  b.add(dp, 'ls_in_pre_lb', 0, '1', 'next;');
  b.add(dp, 'ls_out_pre_lb', 0, '1', 'next;');
  b.add(dp, 'ls_in_pre_lb', 110, 'eth.mcast', 'next;');
  b.add(dp, 'ls_out_pre_lb', 110, 'eth.mcast', 'next;');
  b.add(dp, 'ls_in_pre_lb', 110, ND_MLD, 'next;');
  b.add(dp, 'ls_out_pre_lb', 110, ND_MLD, 'next;');
  b.add(dp, 'ls_in_pre_lb', 110, `${REGBIT_ACL_STATELESS} == 1`, 'next;');
  b.add(dp, 'ls_out_pre_lb', 110, `${REGBIT_ACL_STATELESS} == 1`, 'next;');
  b.add(dp, 'ls_in_pre_lb', 110, 'eth.dst == $svc_monitor_mac', 'next;');
  b.add(dp, 'ls_out_pre_lb', 110, 'eth.src == $svc_monitor_mac', 'next;');
  if (info.hasLbVip) {
    b.add(dp, 'ls_in_pre_lb', 100, 'ip', `${REGBIT_CONNTRACK_NAT} = 1; next;`);
    b.add(dp, 'ls_out_pre_lb', 100, 'ip', `${REGBIT_CONNTRACK_NAT} = 1; next;`);
  }

  // pre_stateful
  for (const st of ['ls_in_pre_stateful', 'ls_out_pre_stateful'] as const) {
    b.add(dp, st, 0, '1', 'next;');
    b.add(dp, st, 110, `${REGBIT_CONNTRACK_NAT} == 1`, 'ct_lb_mark;');
    b.add(dp, st, 100, `${REGBIT_CONNTRACK_DEFRAG} == 1`, 'ct_next;');
  }

  // acl_hint
  const stateful = info.hasStatefulAcl || info.hasLbVip;
  for (const st of ['ls_in_acl_hint', 'ls_out_acl_hint'] as const) {
    b.add(dp, st, !info.hasAcls && !info.hasLbVip ? 65535 : 0, '1', 'next;');
    if (!stateful) continue;
    b.add(dp, st, 7, 'ct.new && !ct.est', `${REGBIT_ACL_HINT_ALLOW_NEW} = 1; ${REGBIT_ACL_HINT_DROP} = 1; next;`);
    b.add(dp, st, 6, '!ct.new && ct.est && !ct.rpl && ct_mark.blocked == 1', `${REGBIT_ACL_HINT_ALLOW_NEW} = 1; ${REGBIT_ACL_HINT_DROP} = 1; next;`);
    b.add(dp, st, 5, '!ct.trk', `${REGBIT_ACL_HINT_ALLOW} = 1; ${REGBIT_ACL_HINT_DROP} = 1; next;`);
    b.add(dp, st, 4, '!ct.new && ct.est && !ct.rpl && ct_mark.blocked == 0', `${REGBIT_ACL_HINT_ALLOW} = 1; ${REGBIT_ACL_HINT_BLOCK} = 1; next;`);
    b.add(dp, st, 3, '!ct.est', `${REGBIT_ACL_HINT_DROP} = 1; next;`);
    b.add(dp, st, 2, 'ct.est && ct_mark.blocked == 1', `${REGBIT_ACL_HINT_DROP} = 1; next;`);
    b.add(dp, st, 1, 'ct.est && ct_mark.blocked == 0', `${REGBIT_ACL_HINT_BLOCK} = 1; next;`);
  }

  // acl (switch-wide part; per-ACL flows come from buildAcl)
  if (!info.hasAcls && !info.hasLbVip) {
    b.add(dp, 'ls_in_acl', 65535, '1', 'next;');
    b.add(dp, 'ls_out_acl', 65535, '1', 'next;');
  } else {
    b.add(dp, 'ls_in_acl', 0, '1', 'next;');
    b.add(dp, 'ls_out_acl', 0, '1', 'next;');
    b.add(dp, 'ls_in_acl', 34000, 'eth.dst == $svc_monitor_mac', 'next;');
    b.add(dp, 'ls_out_acl', 34000, 'eth.src == $svc_monitor_mac', 'next;');
  }
  b.add(dp, 'ls_in_acl_after_lb', 0, '1', 'next;');
  for (const st of ['ls_in_acl', 'ls_out_acl', 'ls_in_acl_after_lb'] as const) b.add(dp, st, 65532, ND_ACL, 'next;');
  if (stateful) {
    for (const st of ['ls_in_acl', 'ls_out_acl'] as const) {
      const ingress = st === 'ls_in_acl';
      b.add(dp, st, 1, 'ip && !ct.est', `${REGBIT_CONNTRACK_COMMIT} = 1; next;`);
      b.add(dp, st, 1, 'ip && ct.est && ct_mark.blocked == 1', `${REGBIT_CONNTRACK_COMMIT} = 1; next;`);
      // (NB_Global options:use_ct_inv_match=false leaves ct.inv out, for offloading NICs)
      const inv = info.ctInvMatch;
      b.add(dp, st, 65532, `${inv ? 'ct.inv || ' : ''}(ct.est && ct.rpl && ct_mark.blocked == 1)`, 'drop;');
      b.add(dp, st, 65532, `ct.est && !ct.rel && !ct.new && ${inv ? '!ct.inv && ' : ''}ct.rpl && ct_mark.blocked == 0`,
        ingress ? `${REGBIT_ACL_HINT_DROP} = 0; ${REGBIT_ACL_HINT_BLOCK} = 0; ${REGBIT_ACL_HINT_ALLOW_REL} = 1; next;` : 'next;');
      b.add(dp, st, 65532, `!ct.est && ct.rel && !ct.new && ${inv ? '!ct.inv && ' : ''}ct_mark.blocked == 0`,
        ingress ? `${REGBIT_ACL_HINT_ALLOW_REL} = 1; ct_commit_nat;` : 'ct_commit_nat;');
    }
    b.add(dp, 'ls_in_acl_after_lb', 65532, `${REGBIT_ACL_HINT_ALLOW_REL} == 1`, 'next;');
  }

  // qos, lb affinity, lb, hairpin
  for (const st of ['ls_in_qos_mark', 'ls_in_qos_meter', 'ls_out_qos_mark', 'ls_out_qos_meter', 'ls_in_lb_aff_check',
    'ls_in_lb', 'ls_in_lb_aff_learn', 'ls_in_pre_hairpin', 'ls_in_nat_hairpin', 'ls_in_hairpin'] as const) {
    b.add(dp, st, 0, '1', 'next;');
  }
  if (info.hasLbVip) {
    b.add(dp, 'ls_in_pre_hairpin', 100, 'ip && ct.trk', 'reg0[6] = chk_lb_hairpin(); reg0[12] = chk_lb_hairpin_reply(); next;');
    b.add(dp, 'ls_in_nat_hairpin', 100, 'ip && ct.new && ct.trk && reg0[6] == 1', 'ct_snat_to_vip; next;');
    b.add(dp, 'ls_in_nat_hairpin', 100, 'ip && ct.est && ct.trk && reg0[6] == 1', 'ct_snat;');
    b.add(dp, 'ls_in_nat_hairpin', 90, 'ip && reg0[12] == 1', 'ct_snat;');
    b.add(dp, 'ls_in_hairpin', 1, '(reg0[6] == 1 || reg0[12] == 1)', 'eth.dst <-> eth.src; outport = inport; flags.loopback = 1; output;');
  }
  // frames from a VTEP gateway (ramp switch) skip ACLs and load balancing: straight to L2 lookup
  if (info.hasVtep) b.add(dp, 'ls_in_hairpin', 1000, `${REGBIT_FROM_RAMP} == 1`, `next(pipeline=ingress, table=${stageOf('ls_in_l2_lkup').table});`);

  // stateful
  for (const st of ['ls_in_stateful', 'ls_out_stateful'] as const) {
    b.add(dp, st, 0, '1', 'next;');
    b.add(dp, st, 100, `${REGBIT_CONNTRACK_COMMIT} == 1 && ${REGBIT_ACL_LABEL} == 0`, 'ct_commit { ct_mark.blocked = 0; }; next;');
    b.add(dp, st, 100, `${REGBIT_CONNTRACK_COMMIT} == 1 && ${REGBIT_ACL_LABEL} == 1`, 'ct_commit { ct_mark.blocked = 0; ct_label.label = reg3; }; next;');
  }

  for (const st of ['ls_in_arp_rsp', 'ls_in_dhcp_options', 'ls_in_dhcp_response', 'ls_in_dns_lookup', 'ls_in_dns_response', 'ls_in_external_port'] as const) {
    b.add(dp, st, 0, '1', 'next;');
  }
  // DNS: ovn-controller answers queries for the switch's records; its answers pass the ACLs
  if (info.hasDns) {
    b.add(dp, 'ls_in_dns_lookup', 100, 'udp.dst == 53', 'reg0[4] = dns_lookup(); next;');
    for (const fam of ['ip4', 'ip6']) {
      b.add(dp, 'ls_in_dns_response', 100, 'udp.dst == 53 && reg0[4]',
        `eth.dst <-> eth.src; ${fam}.src <-> ${fam}.dst; udp.dst = udp.src; udp.src = 53; outport = inport; flags.loopback = 1; output;`);
    }
    b.add(dp, 'ls_out_acl', 34000, 'udp.src == 53', info.hasStatefulAcl || info.hasLbVip ? 'ct_commit; next;' : 'next;');
  }
  // QoS: DSCP marking and metering (rate in kbps, burst in kb), by rule priority
  for (const r of info.qos) {
    const ref = { table: 'QoS', uuid: r.uuid };
    if (r.dscp !== null) b.add(dp, r.ingress ? 'ls_in_qos_mark' : 'ls_out_qos_mark', r.priority, r.match, `ip.dscp = ${r.dscp}; next;`, ref);
    if (r.rate !== null) {
      b.add(dp, r.ingress ? 'ls_in_qos_meter' : 'ls_out_qos_meter', r.priority, r.match,
        `set_meter(${r.rate}${r.burst !== null ? `, ${r.burst}` : ''}); next;`, ref);
    }
  }

  // l2_lkup / l2_unknown
  b.add(dp, 'ls_in_l2_lkup', 110, 'eth.dst == $svc_monitor_mac && (tcp || icmp || icmp6)', 'handle_svc_check(inport);');
  // IGMP/MLD snooping: reports and queries to ovn-controller; link-local groups flood;
  // other multicast goes only to learnt groups (IGMP_Group), unregistered dropped unless flooded
  if (info.mcastSnoop) {
    b.add(dp, 'ls_in_l2_lkup', 100, 'igmp', 'igmp;');
    b.add(dp, 'ls_in_l2_lkup', 100, 'mldv1 || mldv2', 'igmp;');
    b.add(dp, 'ls_in_l2_lkup', 85, 'ip4.mcast && ip4.dst == 224.0.0.0/24', 'outport = "_MC_flood_l2"; output;');
    b.add(dp, 'ls_in_l2_lkup', 85, 'ip6.mcast_flood', 'outport = "_MC_flood"; output;');
    // unregistered: a copy to the relaying routers, the rest to the static flood ports, else
    // dropped (OVN writes the static action without the space after "outport")
    if (!info.mcastFloodUnregistered) {
      const relay = info.mcastFloodRelay ? 'clone { outport = "_MC_mrouter_flood"; output; }; ' : '';
      const flood = info.mcastFloodStatic ? 'outport ="_MC_static"; output;' : '';
      b.add(dp, 'ls_in_l2_lkup', 80, 'ip4.mcast || ip6.mcast', relay === '' && flood === '' ? 'drop;' : relay + flood);
    }
  }
  b.add(dp, 'ls_in_l2_lkup', 70, 'eth.mcast', 'outport = "_MC_flood"; output;');
  b.add(dp, 'ls_in_l2_lkup', 0, '1', 'outport = get_fdb(eth.dst); next;');
  if (info.hasUnknown) b.add(dp, 'ls_in_l2_unknown', 50, 'outport == "none"', 'outport = "_MC_unknown"; output;');
  else dropToOutport(b, dp, '"none"');
  b.add(dp, 'ls_in_l2_unknown', 0, '1', 'output;');
}

function arpReply(mac: string, ip: string): string {
  return `eth.dst = eth.src; eth.src = ${mac}; arp.op = 2; /* ARP reply */ arp.tha = arp.sha; arp.sha = ${mac}; arp.tpa = arp.spa; arp.spa = ${ip}; outport = inport; flags.loopback = 1; output;`;
}

/**
 * Health-checked backends: the switch of each monitored port answers ARP (ND for an IPv6
 * source) for the probe's source IP with svc_monitor_mac (the replies to ovn-controller's
 * probes come back to it).
 */
export function buildServiceMonitorArp(b: LflowBuilder, model: NbModel, monitors: Iterable<{ readonly logical_port: string; readonly src_ip: string; readonly src_mac: string }>, ref: NbRef): void {
  const done = new Set<string>();
  for (const mon of monitors) {
    for (const u of model.lspByName.get(mon.logical_port) ?? []) {
      const ls = model.lsOfLsp.get(u);
      if (ls === undefined || done.has(`${ls} ${mon.src_ip}`)) continue;
      done.add(`${ls} ${mon.src_ip}`);
      const [ip, mac] = [mon.src_ip, mon.src_mac];
      if (ip.includes(':')) {
        b.add(ls, 'ls_in_arp_rsp', 110, `nd_ns && nd.target == ${ip}`,
          `nd_na { eth.dst = eth.src; eth.src = ${mac}; ip6.src = ${ip}; nd.target = ${ip}; nd.tll = ${mac}; outport = inport; flags.loopback = 1; output; };`, ref);
      } else b.add(ls, 'ls_in_arp_rsp', 110, `arp.tpa == ${ip} && arp.op == 1`, arpReply(mac, ip), ref);
    }
  }
}

/** Packets whose destination is `outport` (a quoted port name) are dropped. */
function dropToOutport(b: LflowBuilder, dp: string, outport: string, ref?: NbRef): void {
  b.add(dp, 'ls_in_l2_unknown', 50, `outport == ${outport}`, 'drop;', ref);
}

/** Router and localnet ports: traffic through them skips the switch's conntrack stages. */
function skipConntrack(b: LflowBuilder, dp: string, qn: string, info: SwitchInfo, ref: NbRef, lbToo = true): void {
  if (lbToo) {
    b.add(dp, 'ls_in_pre_lb', 110, `ip && inport == ${qn}`, 'next;', ref);
    b.add(dp, 'ls_out_pre_lb', 110, `ip && outport == ${qn}`, info.hasStatefulAcl ? 'next;' : 'ct_clear; next;', ref);
  }
  if (info.hasStatefulAcl) {
    b.add(dp, 'ls_in_pre_acl', 110, `ip && inport == ${qn}`, 'next;', ref);
    b.add(dp, 'ls_out_pre_acl', 110, `ip && outport == ${qn}`, 'next;', ref);
  }
}

/** ARP for a port's address is answered here, except when the port itself asks. */
// the call sites making most of a compile's flows (one per port each) name themselves
const AT_ARP_OWN = new Site();
const AT_ARP_REPLY = new Site();
const AT_L2_LOOKUP = new Site();
const AT_ARP_RESOLVE = new Site();

function arpResponder(b: LflowBuilder, dp: string, qn: string, mac: string, ip: string, ref: NbRef): void {
  b.add(dp, 'ls_in_arp_rsp', 100, `arp.tpa == ${ip} && arp.op == 1 && inport == ${qn}`, 'next;', ref, AT_ARP_OWN);
  b.add(dp, 'ls_in_arp_rsp', 50, `arp.tpa == ${ip} && arp.op == 1`, arpReply(mac, ip), ref, AT_ARP_REPLY);
}

/** Neighbor solicitations for a port's IPv6 address (nd_na_router for router ports). */
function ndResponder(b: LflowBuilder, dp: string, qn: string, mac: string, ip6: string, reply: 'nd_na' | 'nd_na_router', ref: NbRef): void {
  b.add(dp, 'ls_in_arp_rsp', 100, `${ndMatch(ip6)} && inport == ${qn}`, 'next;', ref);
  b.add(dp, 'ls_in_arp_rsp', 50, ndMatch(ip6),
    `${reply} { eth.src = ${mac}; ip6.src = ${ip6}; nd.target = ${ip6}; nd.tll = ${mac}; outport = inport; flags.loopback = 1; output; };`, ref);
}

function l2Lookup(b: LflowBuilder, dp: string, qn: string, mac: string, ref: NbRef, enabled = true): void {
  b.add(dp, 'ls_in_l2_lkup', 50, `eth.dst == ${mac}`, enabled ? `outport = ${qn}; output;` : 'drop;', ref, AT_L2_LOOKUP);
}

function residentL2Lookup(b: LflowBuilder, dp: string, qn: string, mac: string, where: string, ref: NbRef): void {
  b.add(dp, 'ls_in_l2_lkup', 50, `eth.dst == ${mac} && is_chassis_resident(${q(where)})`, `outport = ${qn}; output;`, ref);
}

function ndMatch(ip6: string): string {
  return `nd_ns && ip6.dst == {${ip6}, ${solicitedNode(ip6)}} && nd.target == ${ip6}`;
}

/** One logical switch port: L2 lookup, ARP/ND responder, FDB for unknown, router-port specifics. */
export function buildSwitchPort(b: LflowBuilder, model: NbModel, lsp: Row, ls: Row, info: SwitchInfo): void {
  const dp = ls._uuid;
  const name = str(lsp, 'name');
  const ref = { table: 'Logical_Switch_Port', uuid: lsp._uuid };
  const qn = q(name);
  if (str(lsp, 'type') === 'router') {
    const rp = info.routerPorts.find((r) => r.lsp === lsp._uuid);
    if (rp === undefined) return; // no peer: OVN compiles nothing for it
    skipConntrack(b, dp, qn, info, ref);
    // ARP/NS for the router's own addresses goes to the router, and to the other ports too
    // (they may be routers or appliances answering for it) when there are any
    const toRouter = info.hasL2Ports ? `clone {outport = ${qn}; output; }; outport = "_MC_flood_l2"; output;` : `outport = ${qn}; output;`;
    // (a VLAN-transparent switch answers no ARP/ND itself: the tagged networks behind it may reuse the addresses)
    for (const n of info.vlanPassthru ? [] : rp.v4) arpResponder(b, dp, qn, rp.mac, n.addr, ref);
    // the router's own addresses and the external addresses of its DNAT entries (not for a
    // disabled router port)
    for (const ip of !rp.enabled ? [] : new Set([...rp.v4.map((n) => n.addr), ...rp.natIps.filter((x) => !x.includes(':'))])) {
      b.add(dp, 'ls_in_l2_lkup', 80, `flags[1] == 0 && arp.op == 1 && arp.tpa == ${ip}`, toRouter, ref);
    }
    const own6 = [...rp.v6.map((n) => n.addr), rp.lla];
    for (const ip6 of info.vlanPassthru ? [] : own6) ndResponder(b, dp, qn, rp.mac, ip6, 'nd_na_router', ref);
    for (const ip6 of !rp.enabled ? [] : new Set([...own6, ...rp.natIps.filter((x) => x.includes(':'))])) {
      b.add(dp, 'ls_in_l2_lkup', 80, `flags[1] == 0 && nd_ns && nd.target == ${ip6}`, toRouter, ref);
    }
    if (info.hasL2Ports && rp.enabled) {
      // in the order OVN's string set hands them back (its hash order), to write the same text
      const macs = ovsSsetOrder([rp.mac, ...rp.natMacs]);
      b.add(dp, 'ls_in_l2_lkup', 75, `eth.src == {${macs.join(', ')}} && (arp.op == 1 || rarp.op == 3 || nd_ns)`, 'outport = "_MC_flood_l2"; output;', ref);
    }
    // a gateway port's MAC lives where its chassisredirect port resides, once a localnet
    // port makes the switch reachable from every chassis
    if (rp.cr !== null && info.hasLocalnet) {
      residentL2Lookup(b, dp, qn, rp.mac, rp.cr, ref);
    } else if (rp.resideOn !== null && info.hasLocalnet) {
      residentL2Lookup(b, dp, qn, rp.mac, rp.resideOn, ref);
    } else {
      l2Lookup(b, dp, qn, rp.mac, ref);
    }
    // distributed NAT MACs live on the chassis of their logical port
    for (const d of rp.distributedNats) residentL2Lookup(b, dp, qn, d.mac, d.lport, ref);
    // the other routers on this switch resolve this router port's addresses statically
    const set = (xs: readonly string[]): string => (xs.length === 1 ? xs[0] ?? '' : `{${xs.join(', ')}}`);
    for (const other of info.routerPorts) {
      if (other.lrp === rp.lrp || other.dynamicNeigh) continue;
      if (rp.v4.length > 0) arpResolveEntry(b, other.lr, other.lrpName, set(rp.v4.map((n) => n.addr)), rp.mac, ref);
      nd6ResolveEntry(b, other.lr, other.lrpName, set([...rp.v6.map((n) => n.addr), rp.lla]), rp.mac, ref);
    }
    return;
  }
  if (str(lsp, 'type') === 'localnet') {
    // the physical network: no conntrack on the way in or out (but load balancing needs it
    // when the switch has VIPs), no ARP answers to it
    skipConntrack(b, dp, qn, info, ref, !info.hasLbVip);
    b.add(dp, 'ls_in_arp_rsp', 100, `inport == ${qn}`, 'next;', ref);
    return;
  }
  const addresses = list(lsp, 'addresses');
  // MAC learning for "unknown" addresses, unless port security pins the port's MACs
  if (addresses.includes('unknown') && str(lsp, 'type') === '' && list(lsp, 'port_security').length === 0) {
    b.add(dp, 'ls_in_lookup_fdb', 100, `inport == ${qn}`, `${REGBIT_LKUP_FDB} = lookup_fdb(inport, eth.src); next;`, ref);
    b.add(dp, 'ls_in_put_fdb', 100, `inport == ${qn} && ${REGBIT_LKUP_FDB} == 0`, 'put_fdb(inport, eth.src); next;', ref);
  }
  const type = str(lsp, 'type');
  if (type === 'virtual') return buildVirtualPort(b, model, lsp, ls, info, ref);
  if (type === 'external') return buildExternalPort(b, model, lsp, ls, info, ref);
  if (type === 'vtep') {
    b.add(dp, 'ls_in_check_port_sec', 70, `inport == ${qn}`, `${REGBIT_FROM_RAMP} = 1; next(pipeline=ingress, table=${stageOf('ls_in_hairpin').table});`, ref);
    return;
  }
  // an l2gateway port (a physical network bridged on one chassis) and a remote port (one in
  // another availability zone, ovn-ic) are addressed like a VIF
  if (type !== '' && type !== 'localport' && type !== 'l2gateway' && type !== 'remote') return;
  // enabled=false: the port's traffic is dropped both ways; ARP for it is still answered
  const enabled = bool(lsp, 'enabled') !== false;
  if (!enabled) {
    b.add(dp, 'ls_in_check_port_sec', 100, `inport == ${qn}`, `${REGBIT_PORT_SEC_DROP} = 1; next;`, ref);
    dropToOutport(b, dp, qn, ref);
  }
  const dhcp4 = model.nb.DHCP_Options.get(list(lsp, 'dhcpv4_options')[0] ?? '');
  const dhcp6 = model.nb.DHCP_Options.get(list(lsp, 'dhcpv6_options')[0] ?? '');
  dhcpReplyAcls(b, dp, qn, dhcp4, dhcp6, ref, info.hasStatefulAcl || info.hasLbVip);
  // a port that also takes unknown destinations may hold other addresses: ARP / ND for its
  // own reach it instead of being answered here
  const answered = !addresses.includes('unknown') && !info.vlanPassthru;
  for (const pa of lspAddresses(addresses)) {
    if (pa === null) continue;
    if (dhcp4 !== undefined) buildDhcpv4(b, dp, qn, pa.mac, pa.ipv4, dhcp4, ref);
    if (dhcp6 !== undefined) buildDhcpv6(b, dp, qn, pa.mac, pa.ipv6, dhcp6, ref);
    l2Lookup(b, dp, qn, pa.mac, ref, enabled);
    for (const ip of answered ? pa.ipv4 : []) arpResponder(b, dp, qn, pa.mac, ip, ref);
    for (const ip6 of answered ? pa.ipv6 : []) ndResponder(b, dp, qn, pa.mac, ip6, 'nd_na', ref);
    routerArpEntries(b, info, pa.mac, pa.ipv4, pa.ipv6, ref);
  }
}

/** A static ARP entry on a router: IPv4 next hop `ip` out of `port` is at `mac`. */
export function arpResolveEntry(b: LflowBuilder, lr: string, port: string, ip: string, mac: string, ref: NbRef): void {
  b.add(lr, 'lr_in_arp_resolve', 100, `outport == ${q(port)} && reg0 == ${ip}`, `eth.dst = ${mac}; next;`, ref, AT_ARP_RESOLVE);
}

/** A static ND entry on a router: IPv6 next hop `ip6` out of `port` is at `mac`. */
export function nd6ResolveEntry(b: LflowBuilder, lr: string, port: string, ip6: string, mac: string, ref: NbRef): void {
  b.add(lr, 'lr_in_arp_resolve', 100, `outport == ${q(port)} && xxreg0 == ${ip6}`, `eth.dst = ${mac}; next;`, ref);
}

/** DHCPv4 for one port address (OVN build_dhcpv4_action): offer, renew, response. */
function buildDhcpv4(b: LflowBuilder, dp: string, qn: string, mac: string, ips: readonly string[], opts: Row, ref: NbRef, resident = ''): void {
  const net = parseNetwork(str(opts, 'cidr'))?.v4;
  const o = map(opts, 'options');
  const serverId = o['server_id'];
  const serverMac = o['server_mac'];
  if (net === undefined || serverId === undefined || serverMac === undefined || o['lease_time'] === undefined) return;
  const ip = ips.find((x) => ipv4InNetwork(x, net));
  if (ip === undefined) return;
  const mask = net.plen === 0 ? 0 : (0xffffffff << (32 - net.plen)) >>> 0;
  const all: { [k: string]: string } = { ...o, netmask: formatIpv4(mask) };
  delete all['server_mac'];
  const args = Object.keys(all).sort().map((k) => `${k} = ${all[k]}`).join(', ');
  const put = `reg0[3] = put_dhcp_opts(offerip = ${ip}, ${args}); next;`;
  const base = `inport == ${qn} && eth.src == ${mac}`;
  b.add(dp, 'ls_in_dhcp_options', 100, `${base} && ip4.src == 0.0.0.0 && ip4.dst == 255.255.255.255 && udp.src == 68 && udp.dst == 67${resident}`, put, ref);
  b.add(dp, 'ls_in_dhcp_options', 100, `${base} && ip4.src == ${ip} && ip4.dst == {${serverId}, 255.255.255.255} && udp.src == 68 && udp.dst == 67${resident}`, put, ref);
  b.add(dp, 'ls_in_dhcp_response', 100, `${base} && ip4 && udp.src == 68 && udp.dst == 67 && reg0[3]${resident}`,
    `eth.dst = eth.src; eth.src = ${serverMac}; ip4.src = ${serverId}; udp.src = 67; udp.dst = 68; outport = inport; flags.loopback = 1; output;`, ref);
}

/**
 * The DHCP servers' replies pass the to-lport ACLs of a port with DHCP options, whatever its
 * addresses (OVN adds these for every such port but external ones, whose replies leave by
 * the localnet port).
 */
function dhcpReplyAcls(b: LflowBuilder, dp: string, qn: string, dhcp4: Row | undefined, dhcp6: Row | undefined, ref: NbRef, stateful: boolean): void {
  const act = stateful ? 'ct_commit; next;' : 'next;';
  const o4 = dhcp4 === undefined ? {} : map(dhcp4, 'options');
  if (o4['server_id'] !== undefined && o4['server_mac'] !== undefined && o4['lease_time'] !== undefined) {
    b.add(dp, 'ls_out_acl', 34000, `outport == ${qn} && eth.src == ${o4['server_mac']} && ip4.src == ${o4['server_id']} && udp && udp.src == 67 && udp.dst == 68`, act, ref);
  }
  const sid = dhcp6 === undefined ? undefined : map(dhcp6, 'options')['server_id'];
  if (sid !== undefined && /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(sid)) {
    b.add(dp, 'ls_out_acl', 34000, `outport == ${qn} && eth.src == ${sid} && ip6.src == ${macToLla(sid)} && udp && udp.src == 547 && udp.dst == 546`, act, ref);
  }
}

/** DHCPv6 for one port address (OVN build_dhcpv6_action): ia_addr unless stateless, then the options. */
function buildDhcpv6(b: LflowBuilder, dp: string, qn: string, mac: string, ips: readonly string[], opts: Row, ref: NbRef, resident = ''): void {
  const net = parseNetwork(str(opts, 'cidr'))?.v6;
  const o = map(opts, 'options');
  const serverId = o['server_id'];
  if (net === undefined || serverId === undefined) return;
  const ip = ips.find((x) => ipv6InNetwork(x, net));
  if (ip === undefined) return;
  const stateless = o['dhcpv6_stateless'] === 'true';
  const args = Object.keys(o).filter((k) => k !== 'dhcpv6_stateless').sort().map((k) => `${k} = ${o[k]}`);
  if (!stateless) args.unshift(`ia_addr = ${ip}`);
  const base = `inport == ${qn} && eth.src == ${mac} && ip6.dst == ff02::1:2 && udp.src == 546 && udp.dst == 547${resident}`;
  const lla = macToLla(serverId);
  b.add(dp, 'ls_in_dhcp_options', 100, base, `reg0[3] = put_dhcpv6_opts(${args.join(', ')}); next;`, ref);
  b.add(dp, 'ls_in_dhcp_response', 100, `${base} && reg0[3]`,
    `eth.dst = eth.src; eth.src = ${serverId}; ip6.dst = ip6.src; ip6.src = ${lla}; udp.src = 547; udp.dst = 546; outport = inport; flags.loopback = 1; output;`, ref);
}

/**
 * A virtual port (a VIP that one of its parents claims by ARP): its MAC is looked up like a
 * VIF's; the parents' gratuitous ARP for the VIP binds it (bind_vport); routers resolve the
 * VIP to the MAC of whichever parent ovn-controller bound it to (none yet: all-zero).
 */
function buildVirtualPort(b: LflowBuilder, model: NbModel, lsp: Row, ls: Row, info: SwitchInfo, ref: NbRef): void {
  const dp = ls._uuid;
  const qn = q(str(lsp, 'name'));
  const o = map(lsp, 'options');
  const vip = o['virtual-ip'] ?? '';
  if (parseIpv4(vip) === null) return;
  for (const a of list(lsp, 'addresses')) {
    const pa = parseLspAddress(a);
    if (pa !== null) l2Lookup(b, dp, qn, pa.mac, ref);
  }
  const onSwitch = new Set(list(ls, 'ports'));
  for (const parent of (o['virtual-parents'] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    const p = model.byName(model.lspByName, 'Logical_Switch_Port', parent);
    if (p === undefined || !onSwitch.has(p._uuid)) continue; // parents must live on the same switch
    b.add(dp, 'ls_in_arp_rsp', 100, `inport == ${q(parent)} && ((arp.op == 1 && arp.spa == ${vip} && arp.tpa == ${vip}) || (arp.op == 2 && arp.spa == ${vip}))`,
      `bind_vport(${qn}, inport); next;`, ref);
  }
  for (const rp of info.routerPorts) {
    if (rp.v4.some((n) => ipv4InNetwork(vip, n))) arpResolveEntry(b, rp.lr, rp.lrpName, vip, '00:00:00:00:00:00', ref);
  }
}

/**
 * An external port (a baremetal host behind a localnet port, served by the chassis of its HA
 * chassis group): DHCP is answered for it only where it resides, and its ARP/ND to the
 * routers and frames to their MACs are dropped everywhere else.
 */
function buildExternalPort(b: LflowBuilder, model: NbModel, lsp: Row, ls: Row, info: SwitchInfo, ref: NbRef): void {
  const dp = ls._uuid;
  const name = str(lsp, 'name');
  const notHere = `!is_chassis_resident(${q(name)})`;
  // DHCP is served only for a port some chassis can claim (it has an HA chassis group)
  const served = list(lsp, 'ha_chassis_group').length > 0;
  const dhcp4 = served ? model.nb.DHCP_Options.get(list(lsp, 'dhcpv4_options')[0] ?? '') : undefined;
  const dhcp6 = served ? model.nb.DHCP_Options.get(list(lsp, 'dhcpv6_options')[0] ?? '') : undefined;
  for (const a of list(lsp, 'addresses')) {
    const pa = parseLspAddress(a);
    if (pa === null) continue;
    for (const ln of info.localnetPorts) {
      const qln = q(ln);
      if (dhcp4 !== undefined) buildDhcpv4(b, dp, qln, pa.mac, pa.ipv4, dhcp4, ref, ` && is_chassis_resident(${q(name)})`);
      if (dhcp6 !== undefined) buildDhcpv6(b, dp, qln, pa.mac, pa.ipv6, dhcp6, ref, ` && is_chassis_resident(${q(name)})`);
      const base = `inport == ${qln} && eth.src == ${pa.mac}`;
      for (const rp of info.routerPorts) {
        for (const n of rp.v4) b.add(dp, 'ls_in_external_port', 100, `${base} && ${notHere} && arp.tpa == ${n.addr} && arp.op == 1`, 'drop;', ref);
        for (const ip6 of [...rp.v6.map((n) => n.addr), rp.lla]) b.add(dp, 'ls_in_external_port', 100, `${base} && ${notHere} && ${ndMatch(ip6)}`, 'drop;', ref);
        b.add(dp, 'ls_in_external_port', 100, `${base} && eth.dst == ${rp.mac} && ${notHere}`, 'drop;', ref);
      }
    }
    routerArpEntries(b, info, pa.mac, pa.ipv4, pa.ipv6, ref);
  }
}

/** ARP resolution on every router attached to the switch, for addresses inside its subnets. */
function routerArpEntries(b: LflowBuilder, info: SwitchInfo, mac: string, v4: readonly string[], v6: readonly string[], ref: NbRef): void {
  for (const rp of info.routerPorts) {
    for (const ip of v4) {
      if (rp.v4.some((n) => ipv4InNetwork(ip, n))) arpResolveEntry(b, rp.lr, rp.lrpName, ip, mac, ref);
    }
    for (const ip6 of v6) {
      if (rp.v6.some((n) => ipv6InNetwork(ip6, n))) nd6ResolveEntry(b, rp.lr, rp.lrpName, ip6, mac, ref);
    }
  }
}

/** One ACL on one switch (OVN 23.03 consider_acl, without logging/meters/reject/tiers). */
/** `logMeter`: the meter its log action names (a fair meter's per-ACL copy; sb-tables.ts aclLogMeter). */
export function buildAcl(b: LflowBuilder, acl: Row, ls: Row, info: SwitchInfo, logMeter: string | null = optStr(acl, 'meter')): void {
  const dp = ls._uuid;
  const ref = { table: 'ACL', uuid: acl._uuid };
  const ingress = str(acl, 'direction') === 'from-lport';
  const afterLb = ingress && map(acl, 'options')['apply-after-lb'] === 'true';
  const st = afterLb ? 'ls_in_acl_after_lb' : ingress ? 'ls_in_acl' : 'ls_out_acl';
  const prio = (int(acl, 'priority') ?? 0) + 1000;
  const match = str(acl, 'match');
  const action = str(acl, 'action');
  const label = int(acl, 'label') ?? 0;
  const stateful = info.hasStatefulAcl || info.hasLbVip;
  const log = aclLog(acl, logMeter);
  // reject answers (TCP RST / ICMP unreachable) and sends the answer back the way it came:
  // an ingress reject continues in the egress pipeline after its ACLs, an egress one at the
  // ingress L2 lookup
  const back = ingress ? stageOf('ls_out_qos_mark') : stageOf('ls_in_l2_lkup');
  const reject = `reg0 = 0; reject { /* eth.dst <-> eth.src; ip.dst <-> ip.src; is implicit. */ outport <-> inport; next(pipeline=${back.pipeline},table=${back.table}); };`;
  if (action === 'allow-stateless' || !stateful) {
    const act = action.startsWith('allow') || action === 'pass' ? `${log}next;` : action === 'reject' ? `${log}${reject}` : `${log}/* drop */`;
    b.add(dp, st, prio, match, act, ref);
    // the stateless bypass exists wherever conntrack runs (a stateful ACL or an LB VIP)
    if (action === 'allow-stateless' && stateful) {
      b.add(dp, ingress ? 'ls_in_pre_acl' : 'ls_out_pre_acl', prio, match, `${REGBIT_ACL_STATELESS} = 1; next;`, ref);
    }
    return;
  }
  if (action === 'allow' || action === 'allow-related') {
    const lbl = label !== 0 ? `${REGBIT_ACL_LABEL} = 1; reg3 = ${label}; ` : '';
    b.add(dp, st, prio, `${REGBIT_ACL_HINT_ALLOW_NEW} == 1 && (${match})`, `${REGBIT_CONNTRACK_COMMIT} = 1; ${lbl}${log}next;`, ref);
    b.add(dp, st, prio, `${REGBIT_ACL_HINT_ALLOW} == 1 && (${match})`,
      label !== 0 ? `${REGBIT_CONNTRACK_COMMIT} = 1; ${lbl}${log}next;` : `${log}next;`, ref);
    // log-related: the replies and related packets of its connections are logged too, in
    // the other direction, recognised by the ACL's conntrack label
    if (log !== '' && label !== 0 && map(acl, 'options')['log-related'] === 'true') {
      const back = ingress ? 'ls_out_acl' : 'ls_in_acl';
      const inv = info.ctInvMatch ? '!ct.inv && ' : '';
      b.add(dp, back, 65533, `!ct.est && ct.rel && !ct.new && ${inv}ct_mark.blocked == 0 && ct_label.label == ${label}`, `${log}next;`, ref);
      b.add(dp, back, 65533, `ct.est && !ct.rel && !ct.new && ${inv}ct.rpl && ct_mark.blocked == 0 && ct_label.label == ${label}`, `${log}next;`, ref);
    }
  } else if (action === 'reject') {
    b.add(dp, st, prio, `(${REGBIT_ACL_HINT_DROP} == 1) && ${match}`, `${log}${reject}`, ref);
    b.add(dp, st, prio, `(${REGBIT_ACL_HINT_BLOCK} == 1) && ${match}`, `${log}ct_commit { ct_mark.blocked = 1; };  ${reject}`, ref);
  } else if (action === 'drop') {
    b.add(dp, st, prio, `${REGBIT_ACL_HINT_DROP} == 1 && (${match})`, `${log}/* drop */`, ref);
    b.add(dp, st, prio, `${REGBIT_ACL_HINT_BLOCK} == 1 && (${match})`, `ct_commit { ct_mark.blocked = 1; }; ${log}/* drop */`, ref);
  } else if (action === 'pass') {
    b.add(dp, st, prio, match, `${log}next;`, ref);
  }
}

/** The `log(...)` action of an ACL with log=true (ovn-controller logs, rate-limited by its meter). */
function aclLog(acl: Row, meter: string | null): string {
  if (bool(acl, 'log') !== true) return '';
  const action = str(acl, 'action');
  const verdict = action.startsWith('allow') ? 'allow' : action;
  const name = optStr(acl, 'name');
  const parts = [name !== null ? `name=${q(name)}` : null, `severity=${optStr(acl, 'severity') ?? 'info'}`, `verdict=${verdict}`, meter !== null ? `meter=${q(meter)}` : null];
  return `log(${parts.filter((x) => x !== null).join(', ')}); `;
}

/** One load balancer on one switch: VIP → ct_lb_mark backends. */
/**
 * `live(vip, backends)`: the backends to balance to — for a health-checked VIP only the
 * monitored ones not reported offline (sb-tables.ts liveBackends); all of them by default.
 */
export function buildLoadBalancer(b: LflowBuilder, lb: Row, ls: Row, live: (vip: string, backends: string) => string = (_v, x) => x, events = false): void {
  const dp = ls._uuid;
  const ref = { table: 'Load_Balancer', uuid: lb._uuid };
  const proto = str(lb, 'protocol') || 'tcp';
  const vips = map(lb, 'vips');
  for (const vip of Object.keys(vips).sort()) {
    const all = (vips[vip] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '').join(',');
    const backends = live(vip, all);
    const v = parseVip(vip);
    if (v === null) continue;
    const ipMatch = v.v6 ? `ip6.dst == ${v.ip}` : `ip4.dst == ${v.ip}`;
    const l4 = v.port !== null ? ` && ${proto}.dst == ${v.port}` : '';
    const regs = v.v6 ? `xxreg1 = ${v.ip}; ` : `reg1 = ${v.ip}; `;
    const portReg = v.port !== null ? `reg2[0..15] = ${v.port}; ` : '';
    b.add(dp, 'ls_in_pre_stateful', 120, `${REGBIT_CONNTRACK_NAT} == 1 && ${ipMatch}${l4}`, `${regs}${portReg}ct_lb_mark;`, ref);
    // no backend left: drop, or with options:reject answer with a reject sent back the way it came
    const none = map(lb, 'options')['reject'] === 'true'
      ? `reg0 = 0; reject { outport <-> inport; next(pipeline=egress,table=${stageOf('ls_out_qos_mark').table});};` : 'drop;';
    const lbAction = backends === '' ? none : `${REGBIT_CONNTRACK_COMMIT} = 0; ct_lb_mark(backends=${backends});`;
    b.add(dp, 'ls_in_lb', v.port !== null ? 120 : 110, `ct.new && ${ipMatch}${l4}`, lbAction, ref);
    const event = emptyLbEvent(lb, v, all, events);
    if (event !== null) b.add(dp, 'ls_in_pre_lb', 130, event.match, event.action, ref);
    // session affinity: a known client goes back to its backend; affinity names every
    // backend, up or not (as OVN). The VIP is in reg1 (xxreg1), the backend in reg4 (xxreg0)
    const aff = affinity(lb, v, all);
    if (aff !== null) {
      const withPort = v.port !== null;
      const [fam, vipReg, beReg] = v.v6 ? ['ip6', 'xxreg1', 'xxreg0'] : ['ip4', 'reg1', 'reg4'];
      const vipRegs = `${fam} && ${vipReg} == ${v.ip}${withPort ? ` && reg2[0..15] == ${v.port}` : ''}`;
      b.add(dp, 'ls_in_lb_aff_check', 100, `ct.new && ${vipRegs}`, 'reg9[6] = chk_lb_aff(); next;', ref);
      for (const be of aff.backends) {
        const bk = affAddr(be.ip, withPort ? be.port : null, v.v6);
        b.add(dp, 'ls_in_lb', 150, `reg9[6] == 1 && ct.new && ${fam} && ${beReg} == ${be.ip}${withPort ? ` && reg8[0..15] == ${be.port}` : ''}`,
          `${REGBIT_CONNTRACK_COMMIT} = 0; ${vipReg} = ${v.ip}; ${withPort ? `reg2[0..15] = ${v.port}; ` : ''}ct_lb_mark(backends=${bk});`, ref);
        b.add(dp, 'ls_in_lb_aff_learn', 100, `reg9[6] == 0 && ct.new && ${vipRegs} && ${fam}.dst == ${be.ip}${withPort ? ` && ${proto}.dst == ${be.port}` : ''}`,
          `commit_lb_aff(vip = "${affAddr(v.ip, v.port, v.v6)}", backend = "${bk}", ${withPort ? `proto = ${proto}, ` : ''}timeout = ${aff.timeout}); /* drop */`, ref);
      }
    }
  }
}

/**
 * NB_Global options:controller_event: a VIP without backends asks the
 * controller to raise an empty_lb_backends event, unless the balancer rejects instead.
 */
export function emptyLbEvent(lb: Row, v: { ip: string; port: number | null; v6: boolean }, backends: string, events: boolean): { match: string; action: string } | null {
  if (!events || backends !== '' || map(lb, 'options')['reject'] === 'true') return null;
  const proto = str(lb, 'protocol') || 'tcp';
  return {
    match: `${v.v6 ? 'ip6' : 'ip4'}.dst == ${v.ip} && ${proto}${v.port !== null ? ` && ${proto}.dst == ${v.port}` : ''}`,
    action: `trigger_event(event = "empty_lb_backends", vip = "${affAddr(v.ip, v.port, v.v6)}", protocol = "${proto}", load_balancer = "${lb._uuid}");`,
  };
}

/** "IP", "IP:PORT" or "[IP6]:PORT": an address as commit_lb_aff and ct_lb_mark name it. */
export function affAddr(ip: string, port: number | null, v6: boolean): string {
  return port === null ? ip : v6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * A load balancer's session affinity for one VIP: options:affinity_timeout > 0 and backends
 * with ports as the VIP has one or not (the cases loom models), else null.
 */
export function affinity(lb: Row, v: { ip: string; port: number | null; v6: boolean }, backends: string): { timeout: number; backends: { ip: string; port: number }[] } | null {
  const timeout = Number(map(lb, 'options')['affinity_timeout'] ?? 0);
  if (!Number.isInteger(timeout) || timeout <= 0 || backends === '') return null;
  const bes = backends.split(',').map((x) => parseVip(x.trim()));
  if (bes.some((x) => x === null || (x.port === null) !== (v.port === null))) return null;
  return { timeout, backends: bes.map((x) => ({ ip: x?.ip ?? '', port: x?.port ?? 0 })) };
}

export function parseVip(vip: string): { ip: string; port: number | null; v6: boolean } | null {
  const m6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(vip);
  if (m6 !== null && m6[1] !== undefined && parseIpv6(m6[1]) !== null) return { ip: m6[1], port: m6[2] === undefined ? null : Number(m6[2]), v6: true };
  // an IPv6 address without a port may go without brackets
  if (vip.includes(':') && parseIpv6(vip) !== null) return { ip: vip, port: null, v6: true };
  const [ip, port] = vip.split(':');
  if (ip === undefined || parseIpv4(ip) === null) return null;
  return { ip, port: port === undefined ? null : Number(port), v6: false };
}
