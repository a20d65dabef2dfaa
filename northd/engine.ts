// northd/engine.ts — northd's incremental compiler: NB row changes in, SbContent (and the
// set of SB keys that changed) out.
//
// Owns: the node graph (declared once, in GRAPH below), the compile units and their flows,
// tunnel-key allocation (datapaths: 24-bit, lowest free, kept for life; ports: per
// datapath, lowest free), port bindings (with ha_chassis_group and nat_addresses), multicast
// groups, address sets, SB port groups, and the SB rows sb-tables.ts builds: HA chassis
// groups (those some binding names), DNS, meters, load balancers, service monitors (a key
// several load balancers ask for is written once) and IP_Multicast.
// Reads: NB changes handed to `apply`; Service_Monitor.status handed to `setServiceStatus`
// (the controllers' health checks: the load balancers monitoring a backend rebuild). Called by index.ts (the daemon), compile.ts
// (compileFull) and tests. Never: talks to a store; never writes Port_Binding.chassis.
// Invariants: after any sequence of `apply` calls the content equals compileFull of the
// same NB with the same tunnel keys (property-tested in engine.test.ts); a unit's flows are
// a pure function of NbModel. Inputs without a handler (NB_Global, DHCP_Options) make the
// northd_data node recompute: every unit is rebuilt.
//
// Compile units (each owns its flows; recomputing one replaces exactly its flows):
//   ls:<uuid>   switch-wide flows            lsp:<uuid>  one switch port (+ its ARP-resolve entries on routers)
//   acl:<uuid>  one ACL on all its switches  lb:<uuid>   one load balancer on its switches
//   lr:<uuid>   one router

import type { Row, Uuid } from '../store/types.js';
import type { SbContent, SbDatapath, SbDns, SbHaChassisGroup, SbIpMulticast, SbLoadBalancer, SbMeter, SbMulticastGroup, SbPortBinding, SbServiceMonitor } from './content.js';
import { IncProcEngine, type NodeDef, type RunReport } from './inc-proc.js';
import { FlowTable, LflowBuilder, type DpFlow } from './lflow.js';
import { NbModel, isDgp, sameSwitchInfo, type NbChange, type SwitchInfo } from './model.js';
import { NB_TABLES, bool, int, list, map, optStr, str, type NbTable } from './nb.js';
import { buildRouter, periodicRaOptions, routerLbSets } from './router.js';
import { buildAcl, buildLoadBalancer, buildServiceMonitorArp, buildSwitch, buildSwitchPort } from './switch.js';
import { lspAddresses } from './addr.js';
import { aclLogMeter, dnsRow, fairMeterOf, haGroupOfLrp, haGroupOfLsp, ipMulticastRow, lbRow, liveBackends, meterRows, natAddresses, relayRouterPort, routerStaticFloodPorts, serviceMonitorsOf, svcMonitorMac } from './sb-tables.js';

export const MC_FLOOD = { name: '_MC_flood', key: 32768 } as const;
export const MC_UNKNOWN = { name: '_MC_unknown', key: 32769 } as const;
export const MC_FLOOD_L2 = { name: '_MC_flood_l2', key: 32772 } as const;
/** ports with options:mcast_flood / mcast_flood_reports (IGMP snooping's static flood and report relay) */
export const MC_STATIC = { name: '_MC_static', key: 32771 } as const;
export const MC_MROUTER_FLOOD = { name: '_MC_mrouter_flood', key: 32770 } as const;
const DEFAULT_SVC_MONITOR_MAC = '0a:00:00:00:00:fe';

export interface EngineStats {
  readonly report: RunReport;
  /** compile units recomputed in the last run */
  readonly units: readonly string[];
}

/** The keys of SB content that changed since the last `takeChanges()`. */
export interface ContentChanges {
  readonly datapaths: Set<Uuid>;
  readonly portBindings: Set<string>;
  readonly multicastGroups: Set<string>;
  readonly flows: Set<string>;
  readonly addressSets: Set<string>;
  readonly portGroups: Set<string>;
  readonly haChassisGroups: Set<string>;
  readonly dns: Set<string>;
  readonly meters: Set<string>;
  readonly loadBalancers: Set<string>;
  readonly serviceMonitors: Set<string>;
  readonly ipMulticast: Set<string>;
}

export function emptyChanges(): ContentChanges {
  return {
    datapaths: new Set(), portBindings: new Set(), multicastGroups: new Set(), flows: new Set(), addressSets: new Set(), portGroups: new Set(),
    haChassisGroups: new Set(), dns: new Set(), meters: new Set(), loadBalancers: new Set(), serviceMonitors: new Set(), ipMulticast: new Set(),
  };
}

function lowestFree(used: Set<number>, min: number, max: number): number {
  for (let k = min; k <= max; k++) if (!used.has(k)) return k;
  throw new Error(`no free tunnel key in ${min}..${max}`);
}

/**
 * One datapath's port keys in use, with a bound below which all are taken: a switch's
 * ports take keys 1, 2, 3... in a compile, each found without rescanning from 1.
 */
class KeyPool {
  private readonly used = new Set<number>();
  /** every key in [1, low) is used */
  private low = 1;

  has(k: number): boolean {
    return this.used.has(k);
  }

  add(k: number): void {
    this.used.add(k);
    while (this.used.has(this.low)) this.low++;
  }

  delete(k: number): void {
    this.used.delete(k);
    if (k < this.low) this.low = k;
  }

  lowestFree(max: number): number {
    return lowestFree(this.used, this.low, max);
  }
}

export interface KeySeed {
  readonly datapaths: ReadonlyMap<Uuid, number>;
  /** by logical port name */
  readonly ports: ReadonlyMap<string, number>;
}

export class NorthdEngine implements SbContent {
  readonly model = new NbModel();
  private readonly inc: IncProcEngine;

  // node state
  private readonly switchInfos = new Map<Uuid, SwitchInfo>();
  private readonly unitFlows = new Map<string, readonly DpFlow[]>();
  private readonly flowTable = new FlowTable();
  private readonly dpKeys = new Map<Uuid, number>();
  private readonly dpKeysUsed = new Set<number>();
  private readonly portKeys = new Map<Uuid, { dp: Uuid; key: number }>();
  private readonly portKeysUsed = new Map<Uuid, KeyPool>();
  readonly datapaths = new Map<Uuid, SbDatapath>();
  private readonly pbByPort = new Map<Uuid, SbPortBinding>();
  readonly portBindings = new Map<string, SbPortBinding>();
  readonly multicastGroups = new Map<string, SbMulticastGroup>();
  readonly addressSets = new Map<string, readonly string[]>();
  readonly portGroups = new Map<string, readonly string[]>();
  private readonly pgNamesByPg = new Map<Uuid, string[]>();
  private readonly asNamesByRow = new Map<Uuid, string>();
  /** router → its `_rtr_lb_<key>_ip4` / `_ip6` address sets */
  private readonly rtrLbSets = new Map<Uuid, readonly string[]>();
  readonly haChassisGroups = new Map<string, SbHaChassisGroup>();
  readonly dns = new Map<Uuid, SbDns>();
  readonly meters = new Map<string, SbMeter>();
  readonly loadBalancers = new Map<Uuid, SbLoadBalancer>();
  readonly serviceMonitors = new Map<string, SbServiceMonitor>();
  readonly ipMulticast = new Map<Uuid, SbIpMulticast>();
  /** Service_Monitor.status as SB has it (the controller's), by svcKey */
  private readonly svcStatus = new Map<string, string>();
  /** load balancer → the service monitor keys it asks for; key → those load balancers */
  private readonly monitorsOfLb = new Map<Uuid, string[]>();
  private readonly monitorOwners = new Map<string, Set<Uuid>>();
  /** SB HA group name → the bindings (pbByPort keys) that carry it */
  private readonly haUsers = new Map<string, Set<Uuid>>();
  /** ACL → the fair meter copy it owns */
  private readonly fairMeterOfAcl = new Map<Uuid, string>();

  // per-run work lists
  private batch: readonly NbChange[] = [];
  private dirtyUnits = new Set<string>();
  private touchedLs = new Set<Uuid>();
  private dirtyPorts = new Set<Uuid>();
  private dirtyPgs = new Set<Uuid>();
  private dirtyAs = new Set<Uuid>();
  private dirtyDps = new Set<Uuid>();
  private dirtyHa = new Set<string>();
  private haAll = false;
  private dirtyDns = new Set<Uuid>();
  private dirtyLbs = new Set<Uuid>();
  private dirtyFairAcls = new Set<Uuid>();
  private metersAll = false;
  private dirtyMcast = new Set<Uuid>();
  private changes = emptyChanges();
  private lastUnits: string[] = [];
  /** apply with deferUnits: lflow leaves its units to buildPending (pendingUnits from pendingAt) */
  private deferring = false;
  private pendingUnits: string[] = [];
  private pendingAt = 0;
  private lastReport: RunReport = { recomputed: [], handled: [] };

  /** `svcStatus`: Service_Monitor status by svcKey, as SB has it (what setServiceStatus would have set). */
  constructor(seed?: KeySeed, svcStatus?: ReadonlyMap<string, string>) {
    if (seed !== undefined) this.seed = seed;
    for (const [k, v] of svcStatus ?? []) this.svcStatus.set(k, v);
    const nbHandler = (): boolean => {
      this.collectDirty();
      return true;
    };
    const nbInputs: { [k: string]: (() => boolean) | null } = {};
    for (const t of NB_TABLES) nbInputs[`NB:${t}`] = nbHandler;
    // NB_Global options (svc_monitor_mac, ...) reach every switch: no handler, recompute.
    nbInputs['NB:NB_Global'] = null;
    nbInputs['NB:DHCP_Options'] = null;
    // rare inputs: a DNS or QoS row edit recomputes everything (correct, slower); attaching
    // them to a switch is a Logical_Switch change, handled through SwitchInfo
    nbInputs['NB:DNS'] = null;
    nbInputs['NB:QoS'] = null;
    // a meter edit can make it fair (ACL log actions then name per-ACL copies)
    nbInputs['NB:Meter'] = null;
    nbInputs['NB:Meter_Band'] = null;
    const GRAPH: NodeDef[] = [
      { name: 'northd_data', inputs: nbInputs, recompute: () => this.markAllDirty() },
      { name: 'switch_info', inputs: { northd_data: () => this.updateSwitchInfos() }, recompute: () => this.updateSwitchInfos(true) },
      { name: 'datapath', inputs: { northd_data: () => this.syncDatapaths() }, recompute: () => this.syncDatapaths() },
      // ports before flows: a router's flows name its ports' tunnel keys (ECMP symmetric reply)
      { name: 'port_binding', inputs: { northd_data: () => this.syncPorts(), datapath: () => true }, recompute: () => this.syncPorts() },
      { name: 'lflow', inputs: { switch_info: () => this.recomputeUnits(), datapath: () => true, port_binding: () => true, 'SB:Service_Monitor': () => this.recomputeUnits() }, recompute: () => this.recomputeUnits(true) },
      { name: 'multicast_group', inputs: { port_binding: () => this.syncMulticast(), switch_info: () => true }, recompute: () => this.syncMulticast() },
      { name: 'address_set', inputs: { northd_data: () => this.syncAddressSets() }, recompute: () => this.syncAddressSets(true) },
      { name: 'port_group', inputs: { port_binding: () => this.syncPortGroups() }, recompute: () => this.syncPortGroups(true) },
      { name: 'ha_chassis_group', inputs: { port_binding: () => this.syncHaGroups() }, recompute: () => this.syncHaGroups(true) },
      { name: 'sb_dns', inputs: { northd_data: () => this.syncDns(), datapath: () => true }, recompute: () => this.syncDns(true) },
      { name: 'sb_meter', inputs: { northd_data: () => this.syncMeters() }, recompute: () => this.syncMeters(true) },
      { name: 'sb_ip_multicast', inputs: { northd_data: () => this.syncIpMulticast(), datapath: () => true }, recompute: () => this.syncIpMulticast(true) },
      { name: 'sb_load_balancer', inputs: { northd_data: () => this.syncLbs(), datapath: () => true }, recompute: () => this.syncLbs(true) },
    ];
    this.inc = new IncProcEngine(GRAPH, [...Object.keys(nbInputs), 'SB:Service_Monitor']);
    this.addressSets.set('svc_monitor_mac', [DEFAULT_SVC_MONITOR_MAC]);
    this.changes.addressSets.add('svc_monitor_mac');
  }

  private seed: KeySeed | undefined;

  get flows(): SbContent['flows'] {
    return this.flowTable.flows;
  }

  stats(): EngineStats {
    return { report: this.lastReport, units: this.lastUnits };
  }

  /**
   * Applies one NB change batch (one or more commits) and recompiles what it touches.
   * `deferUnits`: the compile units' flows are left to `buildPending` (every other node
   * runs here, none of them reads flows), so that a bulk compile can hand SB its first
   * parts while the flows are still being built.
   */
  apply(batch: readonly NbChange[], opts: { recompute?: boolean; deferUnits?: boolean } = {}): RunReport {
    // units a previous deferred apply left: built first, as if that apply had built them
    this.buildPending();
    this.batch = batch;
    this.dirtyUnits = new Set();
    this.touchedLs = new Set();
    this.dirtyPorts = new Set();
    this.dirtyPgs = new Set();
    this.dirtyAs = new Set();
    this.dirtyDps = new Set();
    this.dirtyHa = new Set();
    this.haAll = false;
    this.dirtyDns = new Set();
    this.dirtyLbs = new Set();
    this.dirtyFairAcls = new Set();
    this.metersAll = false;
    this.dirtyMcast = new Set();
    this.lastUnits = [];
    this.preIndex(batch);
    this.model.apply(batch);
    const sources = new Set(batch.map((c) => `NB:${c.table}`));
    this.deferring = opts.deferUnits === true;
    try {
      this.lastReport = this.inc.run(sources, opts.recompute === true);
    } finally {
      this.deferring = false;
    }
    this.batch = [];
    return this.lastReport;
  }

  /**
   * Service_Monitor.status changed in SB (the controller's health checks): the load
   * balancers monitoring those backends rebuild their flows (offline/error backends leave
   * ct_lb_mark). `status` null: no status (counts as online).
   */
  setServiceStatus(updates: readonly { readonly key: string; readonly status: string | null }[]): RunReport {
    this.buildPending();
    this.dirtyUnits = new Set();
    this.lastUnits = [];
    for (const { key, status } of updates) {
      if ((this.svcStatus.get(key) ?? null) === status) continue;
      if (status === null) this.svcStatus.delete(key);
      else this.svcStatus.set(key, status);
      for (const lb of this.monitorOwners.get(key) ?? []) this.lbFlowsDirty(lb);
    }
    if (this.dirtyUnits.size === 0) return { recomputed: [], handled: [] };
    this.lastReport = this.inc.run(['SB:Service_Monitor']);
    return this.lastReport;
  }

  takeChanges(): ContentChanges {
    const c = this.changes;
    const dirty = this.flowTable.takeDirty();
    this.changes = emptyChanges();
    // the flow table's own set when nothing else named a flow (always, today): a full
    // compile's 44k keys are not copied into a second set
    if (c.flows.size === 0) return { ...c, flows: dirty };
    for (const k of dirty) c.flows.add(k);
    return c;
  }

  // ------------------------------------------------------------- northd_data: what a batch touches

  /** Before the model forgets them: the old homes of changed ports, ACLs, NATs... */
  private preIndex(batch: readonly NbChange[]): void {
    const m = this.model;
    for (const c of batch) {
      switch (c.table) {
        case 'Logical_Switch_Port': {
          const ls = m.lsOfLsp.get(c.uuid);
          if (ls !== undefined) this.touchedLs.add(ls);
          for (const pg of m.pgsOfLsp.get(c.uuid) ?? []) this.pgTouched(pg);
          if (c.old !== null) this.peerLrpsDirty(c.old);
          break;
        }
        case 'Logical_Router_Port': {
          const lr = m.lrOfLrp.get(c.uuid);
          if (lr !== undefined) this.dirtyUnits.add(`lr:${lr}`);
          this.dirtyPorts.add(`cr:${c.uuid}`);
          if (c.old !== null) this.peerLspsDirty(str(c.old, 'name'));
          break;
        }
        case 'ACL':
          for (const ls of m.aclSwitches(c.uuid)) this.touchedLs.add(ls);
          break;
        case 'Port_Group':
          if (c.old !== null) this.pgSwitchesTouched(c.old);
          break;
        case 'Load_Balancer':
          for (const o of m.lbOwnersOf(c.uuid)) this.ownerTouched(o);
          break;
        case 'Load_Balancer_Group':
          // the users of the group as it was, and its load balancers as they were used
          for (const o of m.lbGroupOwners.get(c.uuid) ?? []) this.ownerTouched(o);
          if (c.old !== null) for (const l of list(c.old, 'load_balancer')) { this.lbFlowsDirty(l); this.dirtyLbs.add(l); }
          break;
        case 'NAT':
        case 'Logical_Router_Static_Route':
        case 'Logical_Router_Policy':
          for (const lr of m.lrOfChild.get(c.uuid) ?? []) {
            this.dirtyUnits.add(`lr:${lr}`);
            // NAT addresses are answered for on the attached switches; distributed NAT
            // changes the gateway ports' chassisredirect bindings (always-redirect)
            if (c.table === 'NAT') {
              for (const ls of m.routerSwitches(lr)) this.touchedLs.add(ls);
              this.crPortsDirty(lr);
              this.routerPeerBindingsDirty(lr);
            }
          }
          break;
        default:
          break;
      }
    }
  }

  private pgTouched(pg: Uuid): void {
    this.dirtyPgs.add(pg);
    const row = this.model.nb.Port_Group.get(pg);
    if (row !== undefined) for (const a of list(row, 'acls')) this.dirtyUnits.add(`acl:${a}`);
  }

  private pgSwitchesTouched(pgRow: Row): void {
    for (const p of list(pgRow, 'ports')) {
      const ls = this.model.lsOfLsp.get(p);
      if (ls !== undefined) this.touchedLs.add(ls);
    }
  }

  private ownerTouched(o: Uuid): void {
    if (this.model.nb.Logical_Switch.has(o)) this.touchedLs.add(o);
    else {
      this.dirtyUnits.add(`lr:${o}`);
      // options:nat-addresses=router announces the router's LB VIPs
      this.routerPeerBindingsDirty(o);
      // a router's VIPs inside its subnets are ARPed for on the attached switches
      for (const ls of this.model.routerSwitches(o)) this.touchedLs.add(ls);
    }
  }

  /** The bindings of the switch ports peering with a router's ports (their nat_addresses). */
  /** A switch or router took or dropped load balancer groups: their balancers' units and SB rows. */
  private lbGroupsMoved(old: Row | null, now: Row | null): void {
    for (const g of symmetricDiff(old === null ? [] : list(old, 'load_balancer_group'), now === null ? [] : list(now, 'load_balancer_group'))) {
      const grp = this.model.nb.Load_Balancer_Group.get(g);
      for (const l of grp === undefined ? [] : list(grp, 'load_balancer')) { this.dirtyUnits.add(`lb:${l}`); this.dirtyLbs.add(l); }
    }
  }

  /** A load balancer's flows: its own unit (switches) and the routers using it. */
  private lbFlowsDirty(lb: Uuid): void {
    this.dirtyUnits.add(`lb:${lb}`);
    for (const o of this.model.lbOwnersOf(lb)) if (this.model.nb.Logical_Router.has(o)) this.dirtyUnits.add(`lr:${o}`);
  }

  private routerPeerBindingsDirty(lr: Uuid): void {
    const row = this.model.nb.Logical_Router.get(lr);
    if (row === undefined) return;
    for (const p of list(row, 'ports')) {
      const lrp = this.model.nb.Logical_Router_Port.get(p);
      if (lrp !== undefined) for (const u of this.model.lspByRouterPort.get(str(lrp, 'name')) ?? []) this.dirtyPorts.add(u);
    }
  }

  /** The chassisredirect bindings of a router's gateway ports (keyed `cr:<lrp uuid>`). */
  private crPortsDirty(lr: Uuid): void {
    const row = this.model.nb.Logical_Router.get(lr);
    if (row !== undefined) for (const p of list(row, 'ports')) this.dirtyPorts.add(`cr:${p}`);
  }

  private peerLrpsDirty(lsp: Row): void {
    const lrp = this.model.peerLrp(lsp);
    if (lrp === undefined) return;
    this.dirtyPorts.add(lrp._uuid);
    // a router's flows depend on which of its ports have a peer (lb_force_snat_ip=router_ip)
    const lr = this.model.lrOfLrp.get(lrp._uuid);
    if (lr !== undefined) this.dirtyUnits.add(`lr:${lr}`);
  }

  /**
   * Routers patched directly (LRP peer column): the router of the port `lrp` names holds
   * flows built from `lrp`, and the ports naming `lrp` have it in their binding's options.
   */
  private routerPeersDirty(lrp: Row): void {
    const m = this.model;
    for (const n of list(lrp, 'peer')) {
      for (const u of m.lrpByName.get(n) ?? []) {
        const lr = m.lrOfLrp.get(u);
        if (lr !== undefined) this.dirtyUnits.add(`lr:${lr}`);
      }
    }
    for (const u of m.lrpByPeer.get(str(lrp, 'name')) ?? []) this.dirtyPorts.add(u);
  }

  private peerLspsDirty(lrpName: string): void {
    for (const u of this.model.lspByRouterPort.get(lrpName) ?? []) {
      this.dirtyPorts.add(u);
      const ls = this.model.lsOfLsp.get(u);
      if (ls !== undefined) this.touchedLs.add(ls);
    }
  }

  /** After the model applied the batch: the new homes, and the direct units of each row. */
  private collectDirty(): void {
    if (this.batch.length === 0) return;
    const m = this.model;
    const batch = this.batch;
    this.batch = [];
    for (const c of batch) {
      const u = c.uuid;
      switch (c.table) {
        case 'Logical_Switch': {
          this.touchedLs.add(u);
          this.dirtyDps.add(u);
          this.dirtyMcast.add(u);
          // switch-wide flows read the row only through SwitchInfo (switch_info marks the
          // unit when that changes); a new or deleted switch needs its unit built or dropped
          if (c.old === null || c.new === null) this.dirtyUnits.add(`ls:${u}`);
          const oldPorts = new Set(c.old === null ? [] : list(c.old, 'ports'));
          const newPorts = new Set(c.new === null ? [] : list(c.new, 'ports'));
          for (const p of oldPorts) if (!newPorts.has(p)) this.portMoved(p);
          for (const p of newPorts) if (!oldPorts.has(p)) this.portMoved(p);
          for (const col of ['acls', 'load_balancer'] as const) {
            const o = c.old === null ? [] : list(c.old, col);
            const n = c.new === null ? [] : list(c.new, col);
            const prefix = col === 'acls' ? 'acl' : 'lb';
            for (const x of symmetricDiff(o, n)) {
              this.dirtyUnits.add(`${prefix}:${x}`);
              if (col === 'load_balancer') this.dirtyLbs.add(x);
            }
          }
          for (const x of symmetricDiff(c.old === null ? [] : list(c.old, 'dns_records'), c.new === null ? [] : list(c.new, 'dns_records'))) this.dirtyDns.add(x);
          this.lbGroupsMoved(c.old, c.new);
          break;
        }
        case 'Logical_Switch_Port': {
          this.dirtyUnits.add(`lsp:${u}`);
          this.dirtyPorts.add(u);
          // virtual ports bind only to parents that exist on their switch
          for (const r of [c.old, c.new]) if (r !== null) for (const v of m.virtualByParent.get(str(r, 'name')) ?? []) this.dirtyUnits.add(`lsp:${v}`);
          // health-checked backends are monitored only through ports that exist
          if (c.old === null || c.new === null || str(c.old, 'name') !== str(c.new, 'name')) {
            for (const r of [c.old, c.new]) if (r !== null) for (const lb of m.lbsByMappedPort.get(str(r, 'name')) ?? []) { this.dirtyLbs.add(lb); this.lbFlowsDirty(lb); }
          }
          const ls = m.lsOfLsp.get(u);
          if (ls !== undefined) this.touchedLs.add(ls);
          for (const pg of m.pgsOfLsp.get(u) ?? []) this.pgTouched(pg);
          if (c.new !== null) this.peerLrpsDirty(c.new);
          break;
        }
        case 'Logical_Router': {
          this.dirtyDps.add(u);
          this.dirtyUnits.add(`lr:${u}`);
          const rows = [c.old, c.new].filter((r): r is Row => r !== null);
          for (const r of rows) {
            for (const p of list(r, 'ports')) {
              this.dirtyPorts.add(p);
              this.dirtyPorts.add(`cr:${p}`);
              const lrp = m.nb.Logical_Router_Port.get(p);
              if (lrp !== undefined) { this.peerLspsDirty(str(lrp, 'name')); this.routerPeersDirty(lrp); }
            }
            for (const l of list(r, 'load_balancer')) this.dirtyUnits.add(`lb:${l}`);
          }
          this.lbGroupsMoved(c.old, c.new);
          break;
        }
        case 'Logical_Router_Port': {
          this.dirtyPorts.add(u);
          this.dirtyPorts.add(`cr:${u}`);
          for (const r of [c.old, c.new]) if (r !== null) this.routerPeersDirty(r);
          const lr = m.lrOfLrp.get(u);
          if (lr !== undefined) this.dirtyUnits.add(`lr:${lr}`);
          if (c.new !== null) this.peerLspsDirty(str(c.new, 'name'));
          // becoming (or ceasing to be) a gateway port changes how many the router has, which
          // decides where its NAT rules are answered for: all its ports' peers look again
          const gwOf = (r: Row | null): boolean => r !== null && (list(r, 'gateway_chassis').length > 0 || list(r, 'ha_chassis_group').length > 0);
          const lrRow = lr === undefined ? undefined : m.nb.Logical_Router.get(lr);
          if (gwOf(c.old) !== gwOf(c.new) && lrRow !== undefined) {
            for (const p of list(lrRow, 'ports')) {
              const r = m.nb.Logical_Router_Port.get(p);
              if (r !== undefined) this.peerLspsDirty(str(r, 'name'));
            }
          }
          break;
        }
        case 'ACL':
          this.dirtyUnits.add(`acl:${u}`);
          this.dirtyFairAcls.add(u);
          for (const ls of m.aclSwitches(u)) this.touchedLs.add(ls);
          break;
        case 'Port_Group':
          this.dirtyPgs.add(u);
          for (const r of [c.old, c.new]) {
            if (r === null) continue;
            for (const a of list(r, 'acls')) this.dirtyUnits.add(`acl:${a}`);
            this.pgSwitchesTouched(r);
          }
          break;
        case 'Address_Set':
          this.dirtyAs.add(u);
          // NAT rules name their allowed/exempted external addresses by the set's name
          if (c.old === null || c.new === null || str(c.old, 'name') !== str(c.new, 'name')) {
            for (const nat of m.nb.NAT.values()) {
              if (!list(nat, 'allowed_ext_ips').includes(u) && !list(nat, 'exempted_ext_ips').includes(u)) continue;
              for (const lr of m.lrOfChild.get(nat._uuid) ?? []) this.dirtyUnits.add(`lr:${lr}`);
            }
          }
          break;
        case 'Load_Balancer':
          this.dirtyUnits.add(`lb:${u}`);
          this.dirtyLbs.add(u);
          for (const o of m.lbOwnersOf(u)) this.ownerTouched(o);
          break;
        case 'Load_Balancer_Group':
          for (const o of m.lbGroupOwners.get(u) ?? []) this.ownerTouched(o);
          for (const r of [c.old, c.new]) if (r !== null) for (const l of list(r, 'load_balancer')) { this.lbFlowsDirty(l); this.dirtyLbs.add(l); }
          break;
        case 'HA_Chassis_Group':
          // the bindings name the group: a rename rewrites them
          for (const p of m.haGroupUsers.get(u) ?? []) this.dirtyPorts.add(p);
          this.haAll = true;
          break;
        case 'HA_Chassis':
        case 'Gateway_Chassis':
          this.haAll = true;
          break;
        case 'Load_Balancer_Health_Check':
          for (const lb of m.hcOwners.get(u) ?? []) { this.dirtyLbs.add(lb); this.lbFlowsDirty(lb); }
          break;
        case 'NAT':
        case 'Logical_Router_Static_Route':
        case 'Logical_Router_Policy':
          for (const lr of m.lrOfChild.get(u) ?? []) {
            this.dirtyUnits.add(`lr:${lr}`);
            if (c.table === 'NAT') {
              for (const ls of m.routerSwitches(lr)) this.touchedLs.add(ls);
              this.crPortsDirty(lr);
              this.routerPeerBindingsDirty(lr);
            }
          }
          break;
        case 'NB_Global':
        case 'DHCP_Options':
        case 'DNS':
        case 'QoS':
        case 'Meter':
        case 'Meter_Band':
          break;
        default:
          break;
      }
    }
  }

  /** A port joined or left a switch: its unit, binding, and the ACLs of its groups. */
  private portMoved(p: Uuid): void {
    this.dirtyUnits.add(`lsp:${p}`);
    this.dirtyPorts.add(p);
    const row = this.model.nb.Logical_Switch_Port.get(p);
    // a monitored backend's switch answers ARP for its probes
    for (const lb of row === undefined ? [] : this.model.lbsByMappedPort.get(str(row, 'name')) ?? []) { this.dirtyLbs.add(lb); this.lbFlowsDirty(lb); }
    for (const v of row === undefined ? [] : this.model.virtualByParent.get(str(row, 'name')) ?? []) this.dirtyUnits.add(`lsp:${v}`);
    for (const pg of this.model.pgsOfLsp.get(p) ?? []) this.pgTouched(pg);
    const lsp = this.model.nb.Logical_Switch_Port.get(p);
    if (lsp !== undefined) this.peerLrpsDirty(lsp);
  }

  private markAllDirty(): void {
    const nb = this.model.nb;
    for (const u of nb.Logical_Switch.keys()) { this.dirtyUnits.add(`ls:${u}`); this.touchedLs.add(u); }
    for (const u of nb.Logical_Switch_Port.keys()) { this.dirtyUnits.add(`lsp:${u}`); this.dirtyPorts.add(u); }
    for (const u of nb.Logical_Router_Port.keys()) { this.dirtyPorts.add(u); this.dirtyPorts.add(`cr:${u}`); }
    for (const u of nb.ACL.keys()) this.dirtyUnits.add(`acl:${u}`);
    for (const u of nb.Load_Balancer.keys()) this.dirtyUnits.add(`lb:${u}`);
    for (const u of nb.Logical_Router.keys()) this.dirtyUnits.add(`lr:${u}`);
    for (const u of nb.Port_Group.keys()) this.dirtyPgs.add(u);
    for (const u of nb.Address_Set.keys()) this.dirtyAs.add(u);
    // units whose rows vanished still own flows: recompute them to empty
    for (const k of this.unitFlows.keys()) this.dirtyUnits.add(k);
    for (const u of this.pbByPort.keys()) this.dirtyPorts.add(u);
    for (const u of this.switchInfos.keys()) this.touchedLs.add(u);
    for (const u of this.pgNamesByPg.keys()) this.dirtyPgs.add(u);
    for (const u of this.asNamesByRow.keys()) this.dirtyAs.add(u);
    for (const u of [...nb.Logical_Switch.keys(), ...nb.Logical_Router.keys(), ...this.datapaths.keys()]) this.dirtyDps.add(u);
    this.haAll = true;
    this.metersAll = true;
    for (const u of [...nb.DNS.keys(), ...this.dns.keys()]) this.dirtyDns.add(u);
    for (const u of [...nb.Load_Balancer.keys(), ...this.loadBalancers.keys()]) this.dirtyLbs.add(u);
    for (const u of [...nb.Logical_Switch.keys(), ...this.ipMulticast.keys()]) this.dirtyMcast.add(u);
  }

  // ------------------------------------------------------------- switch_info

  private updateSwitchInfos(all = false): boolean {
    const lss = all ? new Set([...this.switchInfos.keys(), ...this.model.nb.Logical_Switch.keys()]) : this.touchedLs;
    for (const ls of lss) {
      const exists = this.model.nb.Logical_Switch.has(ls);
      const old = this.switchInfos.get(ls);
      if (!exists) {
        if (old !== undefined) this.switchInfos.delete(ls);
        if (old?.hasLocalnet === true) for (const rp of old.routerPorts) this.dirtyUnits.add(`lr:${rp.lr}`);
        this.dirtyUnits.add(`ls:${ls}`);
        continue;
      }
      const info = this.model.switchInfo(ls);
      this.switchInfos.set(ls, info);
      if (old !== undefined && sameSwitchInfo(old, info)) continue;
      this.dirtyUnits.add(`ls:${ls}`);
      const row = this.model.nb.Logical_Switch.get(ls);
      if (row === undefined) continue;
      const routersChanged = old === undefined || JSON.stringify(old.routerPorts) !== JSON.stringify(info.routerPorts);
      // other ports read only the routers' addresses (ARP resolve entries); router ports read
      // all of it (NAT addresses and MACs, gateway port): a NAT change stays off VM ports
      const addrs = (i: SwitchInfo): string => JSON.stringify(i.routerPorts.map((r) => [r.lsp, r.lr, r.lrpName, r.mac, r.v4, r.v6, r.lla]));
      const addrsChanged = routersChanged && (old === undefined || addrs(old) !== addrs(info));
      const statefulChanged = old === undefined || old.hasStatefulAcl !== info.hasStatefulAcl || old.hasLbVip !== info.hasLbVip;
      const routerPortFacts = statefulChanged || old.hasL2Ports !== info.hasL2Ports || old.localnetPorts.join(' ') !== info.localnetPorts.join(' ');
      // a gateway port answers ARP only where it resides once its switch has a localnet port
      if (old === undefined || old.hasLocalnet !== info.hasLocalnet || (routersChanged && (old.hasLocalnet || info.hasLocalnet))) {
        for (const rp of [...(old?.routerPorts ?? []), ...info.routerPorts]) this.dirtyUnits.add(`lr:${rp.lr}`);
      }
      // a gateway router's port announces its addresses (nat_addresses) once a localnet port is there
      if (old !== undefined && old.hasLocalnet !== info.hasLocalnet) for (const rp of info.routerPorts) this.dirtyPorts.add(rp.lsp);
      // vlan-passthru: every port's binding options and ARP/ND responders
      if (old !== undefined && old.vlanPassthru !== info.vlanPassthru) for (const p of list(row, 'ports')) { this.dirtyPorts.add(p); this.dirtyUnits.add(`lsp:${p}`); }
      for (const p of list(row, 'ports')) {
        const lsp = this.model.nb.Logical_Switch_Port.get(p);
        if (lsp === undefined) continue;
        const statefulPort = ['router', 'localnet', 'external'].includes(str(lsp, 'type')) || list(lsp, 'dhcpv4_options').length > 0 || list(lsp, 'dhcpv6_options').length > 0;
        if (addrsChanged || (routersChanged && str(lsp, 'type') === 'router') || (routerPortFacts && statefulPort)) this.dirtyUnits.add(`lsp:${p}`);
      }
      if (statefulChanged) {
        for (const a of list(row, 'acls')) this.dirtyUnits.add(`acl:${a}`);
        for (const g of this.model.portGroupsOnSwitch(row)) {
          const pg = this.model.nb.Port_Group.get(g);
          if (pg !== undefined) for (const a of list(pg, 'acls')) this.dirtyUnits.add(`acl:${a}`);
        }
      }
    }
    return true;
  }

  private info(ls: Uuid): SwitchInfo {
    let i = this.switchInfos.get(ls);
    if (i === undefined) {
      i = this.model.switchInfo(ls);
      this.switchInfos.set(ls, i);
    }
    return i;
  }

  // ------------------------------------------------------------- lflow

  private recomputeUnits(all = false): boolean {
    if (all) {
      // every unit; the nodes before this one (ports, datapaths) have already run
      const nb = this.model.nb;
      for (const u of nb.Logical_Switch.keys()) this.dirtyUnits.add(`ls:${u}`);
      for (const u of nb.Logical_Switch_Port.keys()) this.dirtyUnits.add(`lsp:${u}`);
      for (const u of nb.ACL.keys()) this.dirtyUnits.add(`acl:${u}`);
      for (const u of nb.Load_Balancer.keys()) this.dirtyUnits.add(`lb:${u}`);
      for (const u of nb.Logical_Router.keys()) this.dirtyUnits.add(`lr:${u}`);
      for (const k of this.unitFlows.keys()) this.dirtyUnits.add(k);
    }
    const units = [...this.dirtyUnits].sort();
    this.dirtyUnits = new Set();
    this.lastUnits = units;
    if (this.deferring) {
      this.pendingUnits = units;
      this.pendingAt = 0;
      return true;
    }
    for (const unit of units) this.rebuildUnit(unit);
    return true;
  }

  private rebuildUnit(unit: string): void {
    const b = new LflowBuilder();
    this.buildUnit(unit, b);
    const old = this.unitFlows.get(unit);
    if (old !== undefined) this.flowTable.removeAll(old);
    this.flowTable.addAll(b.flows);
    if (b.flows.length > 0) this.unitFlows.set(unit, b.flows);
    else this.unitFlows.delete(unit);
  }

  /**
   * Builds up to `max` (default: all) of the units an `apply(..., { deferUnits: true })`
   * left, in the order apply would have built them; returns how many are still left. The
   * content is complete (as after a plain apply) once this returns 0.
   */
  buildPending(max = Infinity): number {
    const end = Math.min(this.pendingUnits.length, this.pendingAt + max);
    while (this.pendingAt < end) this.rebuildUnit(this.pendingUnits[this.pendingAt++] as string);
    const left = this.pendingUnits.length - this.pendingAt;
    if (left === 0) {
      this.pendingUnits = [];
      this.pendingAt = 0;
    }
    return left;
  }

  private buildUnit(unit: string, b: LflowBuilder): void {
    const m = this.model;
    const colon = unit.indexOf(':');
    const kind = unit.slice(0, colon);
    const u = unit.slice(colon + 1);
    switch (kind) {
      case 'ls': {
        const ls = m.nb.Logical_Switch.get(u);
        if (ls !== undefined) buildSwitch(b, ls, this.info(u));
        return;
      }
      case 'lsp': {
        const lsp = m.nb.Logical_Switch_Port.get(u);
        const lsU = m.lsOfLsp.get(u);
        const ls = lsU === undefined ? undefined : m.nb.Logical_Switch.get(lsU);
        if (lsp !== undefined && ls !== undefined && lsU !== undefined) buildSwitchPort(b, m, lsp, ls, this.info(lsU));
        return;
      }
      case 'acl': {
        const acl = m.nb.ACL.get(u);
        if (acl === undefined) return;
        for (const lsU of [...m.aclSwitches(u)].sort()) {
          const ls = m.nb.Logical_Switch.get(lsU);
          if (ls !== undefined) buildAcl(b, acl, ls, this.info(lsU), aclLogMeter(m, acl));
        }
        return;
      }
      case 'lb': {
        const lb = m.nb.Load_Balancer.get(u);
        if (lb === undefined) return;
        for (const o of [...m.lbOwnersOf(u)].sort()) {
          const ls = m.nb.Logical_Switch.get(o);
          if (ls !== undefined) buildLoadBalancer(b, lb, ls, (vip, be) => liveBackends(m, lb, vip, be, (k) => this.svcStatus.get(k)), this.info(o).controllerEvent);
        }
        buildServiceMonitorArp(b, m, serviceMonitorsOf(m, lb, svcMonitorMac(m, DEFAULT_SVC_MONITOR_MAC)).values(), { table: 'Load_Balancer', uuid: u });
        return;
      }
      case 'lr': {
        const lr = m.nb.Logical_Router.get(u);
        if (lr !== undefined) buildRouter(b, m, lr, this.dpKeys.get(u), (lb, vip, be) => liveBackends(m, lb, vip, be, (k) => this.svcStatus.get(k)), (p) => this.portKeys.get(p)?.key);
        this.syncRouterLbSet(u, lr);
        this.syncRouterMcast(u, lr);
        return;
      }
      default:
        throw new Error(`unknown unit ${unit}`);
    }
  }

  /** A router's `_rtr_lb_<key>_ip4` / `_ip6` sets: a pure function of the router, like its unit. */
  private syncRouterLbSet(u: Uuid, lr: Row | undefined): void {
    const key = this.dpKeys.get(u);
    const sets = lr === undefined || key === undefined ? new Map<string, string[]>() : routerLbSets(this.model, lr, key);
    for (const old of this.rtrLbSets.get(u) ?? []) {
      if (sets.has(old)) continue;
      this.addressSets.delete(old);
      this.changes.addressSets.add(old);
    }
    for (const [name, vips] of sets) {
      if ((this.addressSets.get(name) ?? []).join(' ') !== vips.join(' ')) this.changes.addressSets.add(name);
      this.addressSets.set(name, vips);
    }
    if (sets.size === 0) this.rtrLbSets.delete(u);
    else this.rtrLbSets.set(u, [...sets.keys()]);
  }

  /** A router's _MC_static (its mcast_flood ports): a pure function of the router, like its unit. */
  private syncRouterMcast(u: Uuid, lr: Row | undefined): void {
    const k = `${u} ${MC_STATIC.name}`;
    const ports = lr === undefined ? [] : routerStaticFloodPorts(this.model, lr);
    const old = this.multicastGroups.get(k);
    if (old !== undefined && old.ports.join('\n') === ports.join('\n')) return;
    if (ports.length === 0) this.multicastGroups.delete(k);
    else this.multicastGroups.set(k, { datapath: u, name: MC_STATIC.name, tunnel_key: MC_STATIC.key, ports });
    this.changes.multicastGroups.add(k);
  }

  // ------------------------------------------------------------- datapath

  private syncDatapaths(): boolean {
    const nb = this.model.nb;
    const fresh: [Uuid, 'switch' | 'router', Row][] = [];
    // a key freed in this run is not handed out again in it: SB may delete the old
    // datapath in a later transaction phase than it inserts the new one (unique tunnel_key)
    const freedNow = new Set<number>();
    for (const u of this.dirtyDps) {
      const ls = nb.Logical_Switch.get(u);
      const lr = nb.Logical_Router.get(u);
      const row = ls ?? lr;
      if (row === undefined) {
        const dp = this.datapaths.get(u);
        if (dp === undefined) continue;
        this.datapaths.delete(u);
        this.dpKeysUsed.delete(dp.tunnel_key);
        freedNow.add(dp.tunnel_key);
        this.dpKeys.delete(u);
        this.changes.datapaths.add(u);
        continue;
      }
      fresh.push([u, ls !== undefined ? 'switch' : 'router', row]);
    }
    this.dirtyDps = new Set();
    // new datapaths take the lowest free key, in name order so that results do not depend on batch order
    fresh.sort((a, b) => cmp(str(a[2], 'name'), str(b[2], 'name')) || cmp(a[0], b[0]));
    for (const [u, type, row] of fresh) {
      let key = this.dpKeys.get(u);
      if (key === undefined) {
        const seeded = this.seed?.datapaths.get(u);
        key = seeded !== undefined && !this.dpKeysUsed.has(seeded) ? seeded
          : lowestFree(freedNow.size === 0 ? this.dpKeysUsed : new Set([...this.dpKeysUsed, ...freedNow]), 1, 0xffffff);
        this.dpKeys.set(u, key);
        this.dpKeysUsed.add(key);
      }
      const name = str(row, 'name');
      const old = this.datapaths.get(u);
      if (old !== undefined && old.name === name && old.type === type) continue;
      this.datapaths.set(u, {
        nb: u, type, name, tunnel_key: key,
        external_ids: type === 'switch' ? { 'logical-switch': u, name } : { 'logical-router': u, name },
      });
      this.changes.datapaths.add(u);
    }
    return true;
  }

  // ------------------------------------------------------------- port_binding

  private syncPorts(): boolean {
    const m = this.model;
    const ports = [...this.dirtyPorts].sort();
    this.dirtyPorts = new Set();
    // what to build once keys are known (a plain record, no closure per port)
    const pending: { u: Uuid; dp: Uuid; name: string; lsp: Row | undefined; lrp: Row | undefined; lr: Row | undefined }[] = [];
    for (const u of ports) {
      const old = this.pbByPort.get(u);
      const crOf = u.startsWith('cr:') ? u.slice(3) : null;
      const lsp = crOf === null ? m.nb.Logical_Switch_Port.get(u) : undefined;
      const lrp = m.nb.Logical_Router_Port.get(crOf ?? u);
      let dp: Uuid | undefined;
      let want: (typeof pending)[number] | undefined;
      if (crOf !== null) {
        dp = lrp === undefined ? undefined : m.lrOfLrp.get(crOf);
        const lr = dp === undefined ? undefined : m.nb.Logical_Router.get(dp);
        if (lrp !== undefined && lr !== undefined && dp !== undefined && this.datapaths.has(dp) && isDgp(lr, lrp)) {
          want = { u, dp, name: `cr-${str(lrp, 'name')}`, lsp: undefined, lrp, lr };
        }
      } else if (lsp !== undefined) {
        dp = m.lsOfLsp.get(u);
        if (dp !== undefined && this.datapaths.has(dp)) want = { u, dp, name: str(lsp, 'name'), lsp, lrp: undefined, lr: undefined };
      } else if (lrp !== undefined) {
        dp = m.lrOfLrp.get(u);
        if (dp !== undefined && this.datapaths.has(dp)) want = { u, dp, name: str(lrp, 'name'), lsp: undefined, lrp, lr: undefined };
      }
      const pk = this.portKeys.get(u);
      if (pk !== undefined && (want === undefined || pk.dp !== dp)) {
        this.portKeysUsed.get(pk.dp)?.delete(pk.key);
        this.portKeys.delete(u);
      }
      if (old !== undefined) {
        this.haUse(old.ha_chassis_group, u, false);
        this.pbByPort.delete(u);
        if (this.portBindings.get(old.logical_port)?.nb === u) this.portBindings.delete(old.logical_port);
        this.changes.portBindings.add(old.logical_port);
        this.mcDirty(old.datapath);
      }
      if (want !== undefined) pending.push(want);
    }
    // keys: first those the port keeps, then new ones in name order (batch-order independent).
    // Sorted as "name NUL uuid NUL index" strings by the built-in order (the same code-unit
    // order as cmp, NUL below any character of a name): a comparator called 140k times was
    // ≈50 ms of a 10k-port compile.
    const order = pending.map((p, i) => `${p.name}\u0000${p.u}\u0000${i}`).sort();
    for (const o of order) {
      const p = pending[Number(o.slice(o.lastIndexOf('\u0000') + 1))] as (typeof pending)[number];
      let pk = this.portKeys.get(p.u);
      if (pk === undefined) {
        let used = this.portKeysUsed.get(p.dp);
        if (used === undefined) this.portKeysUsed.set(p.dp, (used = new KeyPool()));
        const seeded = this.seed?.ports.get(p.name);
        const key = seeded !== undefined && !used.has(seeded) ? seeded : used.lowestFree(32767);
        used.add(key);
        pk = { dp: p.dp, key };
        this.portKeys.set(p.u, pk);
      }
      const pb = p.lr !== undefined && p.lrp !== undefined ? this.crBinding(p.u, p.lrp, p.lr, pk.key)
        : p.lsp !== undefined ? this.lspBinding(p.lsp, p.dp, pk.key)
        : this.lrpBinding(p.lrp as Row, p.dp, pk.key);
      this.haUse(pb.ha_chassis_group, p.u, true);
      this.pbByPort.set(p.u, pb);
      this.portBindings.set(pb.logical_port, pb);
      this.changes.portBindings.add(pb.logical_port);
      this.mcDirty(p.dp);
    }
    return true;
  }

  private mcDirty(dp: Uuid): void {
    if (this.model.nb.Logical_Switch.has(dp) || this.switchInfos.has(dp)) this.touchedLs.add(dp);
  }

  private lspBinding(lsp: Row, dp: Uuid, key: number): SbPortBinding {
    const m = this.model;
    let type = str(lsp, 'type');
    // a VLAN-transparent switch's ports tell the controller so (vlan-passthru)
    let options: { [k: string]: string } = { ...map(lsp, 'options'), ...(this.info(dp).vlanPassthru ? { 'vlan-passthru': 'true' } : {}) };
    let nats: string[] = [];
    if (type === 'router') {
      nats = natAddresses(m, lsp, this.info(dp).hasLocalnet);
      const lrp = m.peerLrp(lsp);
      const lrU = lrp === undefined ? undefined : m.lrOfLrp.get(lrp._uuid);
      const lr = lrU === undefined ? undefined : m.nb.Logical_Router.get(lrU);
      const chassis = lr === undefined ? '' : map(lr, 'options')['chassis'] ?? '';
      type = chassis !== '' ? 'l3gateway' : 'patch';
      options = {};
      const rp = map(lsp, 'options')['router-port'];
      if (rp !== undefined) options['peer'] = rp;
      if (chassis !== '') options['l3gateway-chassis'] = chassis;
    }
    return {
      nb: lsp._uuid, logical_port: str(lsp, 'name'), datapath: dp, tunnel_key: key, type,
      mac: [...list(lsp, 'addresses')].sort(), port_security: [...list(lsp, 'port_security')].sort(), options,
      parent_port: optStr(lsp, 'parent_name'), tag: int(lsp, 'tag') ?? int(lsp, 'tag_request'), external_ids: {},
      ha_chassis_group: haGroupOfLsp(m, lsp)?.name ?? null, nat_addresses: nats,
    };
  }

  private lrpBinding(lrp: Row, dp: Uuid, key: number): SbPortBinding {
    const m = this.model;
    const lr = m.nb.Logical_Router.get(dp);
    const chassis = lr === undefined ? '' : map(lr, 'options')['chassis'] ?? '';
    const options: { [k: string]: string } = { ...periodicRaOptions(lrp) };
    const peer = m.peerLsp(lrp);
    const routerPeer = peer === undefined ? m.routerPeer(lrp) : undefined;
    if (peer !== undefined) options['peer'] = str(peer, 'name');
    else if (routerPeer !== undefined) options['peer'] = str(routerPeer, 'name');
    if (chassis !== '') options['l3gateway-chassis'] = chassis;
    // as OVN: named whenever the port has gateway chassis and a peer (even on a gateway router,
    // where no chassisredirect binding exists)
    if (peer !== undefined && (list(lrp, 'gateway_chassis').length > 0 || list(lrp, 'ha_chassis_group').length > 0)) {
      options['chassis-redirect-port'] = `cr-${str(lrp, 'name')}`;
    }
    return {
      nb: lrp._uuid, logical_port: str(lrp, 'name'), datapath: dp, tunnel_key: key, type: chassis !== '' ? 'l3gateway' : 'patch',
      mac: [[str(lrp, 'mac'), ...list(lrp, 'networks')].join(' ')], port_security: [], options,
      parent_port: null, tag: null, external_ids: {}, ha_chassis_group: null, nat_addresses: [],
    };
  }

  /**
   * The chassisredirect binding of a distributed gateway port: where its centralized
   * traffic (and everything, with always-redirect, when no NAT is distributed) is handled.
   */
  private crBinding(key0: Uuid, lrp: Row, lr: Row, key: number): SbPortBinding {
    const options: { [k: string]: string } = { 'distributed-port': str(lrp, 'name') };
    const distributedNat = list(lr, 'nat').some((u) => {
      const nat = this.model.nb.NAT.get(u);
      return nat !== undefined && str(nat, 'type') === 'dnat_and_snat' && str(nat, 'logical_port') !== '' && str(nat, 'external_mac') !== '';
    });
    const redirectType = map(lrp, 'options')['redirect-type'];
    if (redirectType !== undefined) options['redirect-type'] = redirectType;
    else if (!distributedNat) options['always-redirect'] = 'true';
    return {
      nb: key0, logical_port: `cr-${str(lrp, 'name')}`, datapath: lr._uuid, tunnel_key: key, type: 'chassisredirect',
      mac: [[str(lrp, 'mac'), ...list(lrp, 'networks')].join(' ')], port_security: [], options,
      parent_port: null, tag: null, external_ids: {}, ha_chassis_group: haGroupOfLrp(this.model, lrp)?.name ?? null, nat_addresses: [],
    };
  }

  // ------------------------------------------------------------- ha_chassis_group, DNS, meters, load balancers (SB rows)

  private haUse(name: string | null, port: Uuid, on: boolean): void {
    if (name === null) return;
    let s = this.haUsers.get(name);
    if (on) {
      if (s === undefined) this.haUsers.set(name, (s = new Set()));
      s.add(port);
    } else if (s !== undefined) {
      s.delete(port);
      if (s.size === 0) this.haUsers.delete(name);
    }
    this.dirtyHa.add(name);
  }

  /** SB HA groups: those some binding names, built from the first (by key) binding's source. */
  private syncHaGroups(all = false): boolean {
    const m = this.model;
    const names = all || this.haAll ? new Set([...this.haUsers.keys(), ...this.haChassisGroups.keys()]) : this.dirtyHa;
    for (const name of names) {
      const users = this.haUsers.get(name);
      const first = users === undefined ? undefined : [...users].sort()[0];
      let g: SbHaChassisGroup | null = null;
      if (first !== undefined) {
        const lrp = first.startsWith('cr:') ? m.nb.Logical_Router_Port.get(first.slice(3)) : undefined;
        const lsp = first.startsWith('cr:') ? undefined : m.nb.Logical_Switch_Port.get(first);
        g = lrp !== undefined ? haGroupOfLrp(m, lrp) : lsp !== undefined ? haGroupOfLsp(m, lsp) : null;
      }
      this.setRow(this.haChassisGroups, this.changes.haChassisGroups, name, g?.name === name ? g : null);
    }
    this.dirtyHa = new Set();
    this.haAll = false;
    return true;
  }

  /** One IP_Multicast per switch (once its datapath exists). */
  private syncIpMulticast(all = false): boolean {
    const dirty = all ? new Set([...this.model.nb.Logical_Switch.keys(), ...this.ipMulticast.keys()]) : this.dirtyMcast;
    for (const u of dirty) {
      const ls = this.model.nb.Logical_Switch.get(u);
      this.setRow(this.ipMulticast, this.changes.ipMulticast, u, ls === undefined || !this.datapaths.has(u) ? null : ipMulticastRow(ls));
    }
    this.dirtyMcast = new Set();
    return true;
  }

  private syncDns(all = false): boolean {
    const dirty = all ? new Set([...this.model.nb.DNS.keys(), ...this.dns.keys()]) : this.dirtyDns;
    for (const u of dirty) this.setRow(this.dns, this.changes.dns, u, dnsRow(this.model, u));
    this.dirtyDns = new Set();
    return true;
  }

  private syncLbs(all = false): boolean {
    const m = this.model;
    const dirty = all ? new Set([...m.nb.Load_Balancer.keys(), ...this.loadBalancers.keys(), ...this.monitorsOfLb.keys()]) : this.dirtyLbs;
    const srcMac = svcMonitorMac(m, DEFAULT_SVC_MONITOR_MAC);
    const keys = new Set<string>();
    for (const u of dirty) {
      this.setRow(this.loadBalancers, this.changes.loadBalancers, u, lbRow(m, u));
      // service monitors: a key several load balancers ask for is written once
      for (const k of this.monitorsOfLb.get(u) ?? []) {
        const s = this.monitorOwners.get(k);
        s?.delete(u);
        if (s?.size === 0) this.monitorOwners.delete(k);
        keys.add(k);
      }
      this.monitorsOfLb.delete(u);
      const lb = m.nb.Load_Balancer.get(u);
      if (lb === undefined) continue;
      const mine = [...serviceMonitorsOf(m, lb, srcMac).keys()];
      if (mine.length > 0) this.monitorsOfLb.set(u, mine);
      for (const k of mine) {
        let s = this.monitorOwners.get(k);
        if (s === undefined) this.monitorOwners.set(k, (s = new Set()));
        s.add(u);
        keys.add(k);
      }
    }
    for (const k of keys) {
      const owner = [...(this.monitorOwners.get(k) ?? [])].sort()[0];
      const lb = owner === undefined ? undefined : m.nb.Load_Balancer.get(owner);
      this.setRow(this.serviceMonitors, this.changes.serviceMonitors, k, lb === undefined ? null : serviceMonitorsOf(m, lb, srcMac).get(k) ?? null);
    }
    this.dirtyLbs = new Set();
    return true;
  }

  /** NB meters (all of them on a meter edit) and the fair-meter copies of changed ACLs. */
  private syncMeters(all = false): boolean {
    const m = this.model;
    const want = new Map<string, SbMeter>();
    const acls = all || this.metersAll ? new Set([...m.nb.ACL.keys(), ...this.fairMeterOfAcl.keys()]) : this.dirtyFairAcls;
    if (all || this.metersAll) {
      for (const [n, r] of meterRows(m)) want.set(n, r);
      for (const n of this.meters.keys()) if (!want.has(n) && ![...this.fairMeterOfAcl.values()].includes(n)) this.setRow(this.meters, this.changes.meters, n, null);
      for (const [n, r] of want) this.setRow(this.meters, this.changes.meters, n, r);
    }
    for (const a of acls) {
      const old = this.fairMeterOfAcl.get(a);
      const acl = m.nb.ACL.get(a);
      const fair = acl === undefined ? null : fairMeterOf(m, acl);
      if (old !== undefined && old !== fair?.name) { this.fairMeterOfAcl.delete(a); this.setRow(this.meters, this.changes.meters, old, null); }
      if (fair !== null) { this.fairMeterOfAcl.set(a, fair.name); this.setRow(this.meters, this.changes.meters, fair.name, fair); }
    }
    this.dirtyFairAcls = new Set();
    this.metersAll = false;
    return true;
  }

  /** Sets or deletes one row of a keyed SB table, noting the key when its content changed. */
  private setRow<T>(rows: Map<string, T>, changed: Set<string>, key: string, row: T | null): void {
    const old = rows.get(key);
    if (row === null) {
      if (old !== undefined) { rows.delete(key); changed.add(key); }
      return;
    }
    if (old !== undefined && JSON.stringify(old) === JSON.stringify(row)) return;
    rows.set(key, row);
    changed.add(key);
  }

  // ------------------------------------------------------------- multicast_group

  private syncMulticast(): boolean {
    for (const ls of this.touchedLs) {
      const row = this.model.nb.Logical_Switch.get(ls);
      const flood: string[] = [];
      const floodL2: string[] = [];
      const unknown: string[] = [];
      const mcStatic: string[] = [];
      const mrouter: string[] = [];
      if (row !== undefined) {
        for (const p of list(row, 'ports')) {
          const pb = this.pbByPort.get(p);
          const lsp = this.model.nb.Logical_Switch_Port.get(p);
          if (pb === undefined || lsp === undefined || bool(lsp, 'enabled') === false) continue; // disabled ports get no floods
          flood.push(pb.logical_port);
          if (str(lsp, 'type') !== 'router') floodL2.push(pb.logical_port);
          if (list(lsp, 'addresses').includes('unknown')) unknown.push(pb.logical_port);
          const opts = map(lsp, 'options');
          if (opts['mcast_flood'] === 'true') mcStatic.push(pb.logical_port);
          if (opts['mcast_flood_reports'] === 'true' || relayRouterPort(this.model, lsp)) mrouter.push(pb.logical_port);
        }
      }
      for (const [g, ports] of [[MC_FLOOD, flood], [MC_FLOOD_L2, floodL2], [MC_UNKNOWN, unknown], [MC_STATIC, mcStatic], [MC_MROUTER_FLOOD, mrouter]] as const) {
        const k = `${ls} ${g.name}`;
        const old = this.multicastGroups.get(k);
        const sorted = [...ports].sort();
        if (sorted.length === 0) {
          if (old !== undefined) { this.multicastGroups.delete(k); this.changes.multicastGroups.add(k); }
          continue;
        }
        if (old !== undefined && old.ports.join('\n') === sorted.join('\n')) continue;
        this.multicastGroups.set(k, { datapath: ls, name: g.name, tunnel_key: g.key, ports: sorted });
        this.changes.multicastGroups.add(k);
      }
    }
    this.touchedLs = new Set();
    return true;
  }

  // ------------------------------------------------------------- address_set

  private syncAddressSets(all = false): boolean {
    const m = this.model;
    if (all) {
      for (const u of m.nb.Address_Set.keys()) this.dirtyAs.add(u);
      for (const u of this.asNamesByRow.keys()) this.dirtyAs.add(u);
    }
    for (const u of this.dirtyAs) {
      const oldName = this.asNamesByRow.get(u);
      if (oldName !== undefined) { this.addressSets.delete(oldName); this.changes.addressSets.add(oldName); this.asNamesByRow.delete(u); }
      const row = m.nb.Address_Set.get(u);
      if (row === undefined) continue;
      const name = str(row, 'name');
      this.addressSets.set(name, [...list(row, 'addresses')].sort());
      this.asNamesByRow.set(u, name);
      this.changes.addressSets.add(name);
    }
    this.dirtyAs = new Set();
    const globalRow = [...m.nb.NB_Global.values()][0];
    const mac = (globalRow === undefined ? undefined : map(globalRow, 'options')['svc_monitor_mac']) ?? DEFAULT_SVC_MONITOR_MAC;
    if (this.addressSets.get('svc_monitor_mac')?.[0] !== mac) {
      this.addressSets.set('svc_monitor_mac', [mac]);
      this.changes.addressSets.add('svc_monitor_mac');
    }
    return true;
  }

  // ------------------------------------------------------------- port_group (SB) and $pg_ip4/$pg_ip6

  private syncPortGroups(all = false): boolean {
    const m = this.model;
    if (all) {
      for (const u of m.nb.Port_Group.keys()) this.dirtyPgs.add(u);
      for (const u of this.pgNamesByPg.keys()) this.dirtyPgs.add(u);
    }
    for (const pg of this.dirtyPgs) {
      for (const n of this.pgNamesByPg.get(pg) ?? []) {
        if (n.endsWith('_ip4') || n.endsWith('_ip6')) this.addressSets.delete(n);
        else this.portGroups.delete(n);
        (n.endsWith('_ip4') || n.endsWith('_ip6') ? this.changes.addressSets : this.changes.portGroups).add(n);
      }
      this.pgNamesByPg.delete(pg);
      const row = m.nb.Port_Group.get(pg);
      if (row === undefined) continue;
      const pgName = str(row, 'name');
      const names: string[] = [];
      const perLs = new Map<Uuid, string[]>();
      const ip4 = new Set<string>();
      const ip6 = new Set<string>();
      for (const p of list(row, 'ports')) {
        const lsp = m.nb.Logical_Switch_Port.get(p);
        const ls = m.lsOfLsp.get(p);
        if (lsp === undefined || ls === undefined) continue;
        const arr = perLs.get(ls) ?? [];
        arr.push(str(lsp, 'name'));
        perLs.set(ls, arr);
        for (const pa of lspAddresses(list(lsp, 'addresses'))) {
          if (pa === null) continue;
          for (const ip of pa.ipv4) ip4.add(ip);
          for (const ip of pa.ipv6) ip6.add(ip);
        }
      }
      for (const [ls, ports] of perLs) {
        const key = this.dpKeys.get(ls);
        if (key === undefined) continue;
        const n = `${key}_${pgName}`;
        this.portGroups.set(n, ports.sort());
        this.changes.portGroups.add(n);
        names.push(n);
      }
      for (const [suffix, set] of [['_ip4', ip4], ['_ip6', ip6]] as const) {
        const n = pgName + suffix;
        this.addressSets.set(n, [...set].sort());
        this.changes.addressSets.add(n);
        names.push(n);
      }
      this.pgNamesByPg.set(pg, names);
    }
    this.dirtyPgs = new Set();
    return true;
  }
}

function symmetricDiff(a: readonly string[], b: readonly string[]): string[] {
  const sa = new Set(a);
  const sb = new Set(b);
  return [...a.filter((x) => !sb.has(x)), ...b.filter((x) => !sa.has(x))];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export type { NbChange, NbTable };
