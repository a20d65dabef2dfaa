// northd/content.ts — SbContent: everything northd wants the southbound database to hold,
// as plain data keyed by natural keys (no SB UUIDs), so a full compile and the incremental
// engine can be compared with `canonical()` and sb-sync.ts can diff it against SB.
//
// Owns: the shapes. Called by engine.ts (producer), sb-sync.ts and tests (consumers).
// Never: holds SB row UUIDs (those belong to sb-sync.ts).

import type { Uuid } from '../store/types.js';
import { flowExternalIds, type SharedFlow } from './lflow.js';

export interface SbDatapath {
  readonly nb: Uuid;
  readonly type: 'switch' | 'router';
  readonly name: string;
  readonly tunnel_key: number;
  readonly external_ids: { readonly [k: string]: string };
}

export interface SbPortBinding {
  readonly nb: Uuid;
  readonly logical_port: string;
  /** NB uuid of the switch/router */
  readonly datapath: Uuid;
  readonly tunnel_key: number;
  readonly type: string;
  readonly mac: readonly string[];
  readonly port_security: readonly string[];
  readonly options: { readonly [k: string]: string };
  readonly parent_port: string | null;
  readonly tag: number | null;
  readonly external_ids: { readonly [k: string]: string };
  /** name of the SB HA_Chassis_Group (chassisredirect and external ports), else null */
  readonly ha_chassis_group: string | null;
  /** router-type ports with options:nat-addresses, and peers of gateway ports (GARPs) */
  readonly nat_addresses: readonly string[];
}

export interface SbHaChassis {
  readonly chassis_name: string;
  readonly priority: number;
}

/** An SB HA_Chassis_Group by name; HA_Chassis.chassis is linked by sb-sync from chassis_name. */
export interface SbHaChassisGroup {
  readonly name: string;
  /** priority descending, then chassis name */
  readonly ha_chassis: readonly SbHaChassis[];
}

export interface SbDns {
  /** NB DNS uuid (external_ids:dns_id) */
  readonly nb: Uuid;
  readonly records: { readonly [k: string]: string };
  /** NB uuids of the switches naming the row, sorted */
  readonly datapaths: readonly Uuid[];
}

export interface SbMeterBand {
  readonly action: string;
  readonly rate: number;
  readonly burst_size: number;
}

export interface SbMeter {
  readonly name: string;
  readonly unit: string;
  /** sorted by rate, burst_size */
  readonly bands: readonly SbMeterBand[];
}

export interface SbLoadBalancer {
  /** NB Load_Balancer uuid (external_ids:lb_id) */
  readonly nb: Uuid;
  readonly name: string;
  readonly vips: { readonly [k: string]: string };
  readonly protocol: string | null;
  /** NB uuids of the switches using it, sorted (SB: a datapath group, even of one) */
  readonly datapaths: readonly Uuid[];
  readonly options: { readonly [k: string]: string };
  readonly external_ids: { readonly [k: string]: string };
}

/** An SB Service_Monitor as northd writes it (its `status` is the controller's). */
export interface SbServiceMonitor {
  readonly ip: string;
  readonly port: number;
  readonly protocol: string;
  readonly logical_port: string;
  readonly src_mac: string;
  readonly src_ip: string;
  readonly options: { readonly [k: string]: string };
}

/** SB IP_Multicast: one per switch (its IGMP/MLD snooping configuration). */
export interface SbIpMulticast {
  /** NB uuid of the switch */
  readonly datapath: Uuid;
  readonly enabled: boolean;
  readonly querier: boolean;
  readonly eth_src: string;
  readonly ip4_src: string;
  readonly ip6_src: string;
  readonly table_size: number;
  readonly idle_timeout: number;
  readonly query_interval: number;
  readonly query_max_resp: number;
}

export interface SbMulticastGroup {
  readonly datapath: Uuid;
  readonly name: string;
  readonly tunnel_key: number;
  /** logical port names */
  readonly ports: readonly string[];
}

export interface SbContent {
  readonly datapaths: ReadonlyMap<Uuid, SbDatapath>;
  /** by logical_port */
  readonly portBindings: ReadonlyMap<string, SbPortBinding>;
  /** by `${datapath} ${name}` */
  readonly multicastGroups: ReadonlyMap<string, SbMulticastGroup>;
  /** by flow identity (lflow.ts flowKey) */
  readonly flows: ReadonlyMap<string, SharedFlow>;
  readonly addressSets: ReadonlyMap<string, readonly string[]>;
  readonly portGroups: ReadonlyMap<string, readonly string[]>;
  /** by name */
  readonly haChassisGroups: ReadonlyMap<string, SbHaChassisGroup>;
  /** by NB DNS uuid */
  readonly dns: ReadonlyMap<Uuid, SbDns>;
  /** by name */
  readonly meters: ReadonlyMap<string, SbMeter>;
  /** by NB Load_Balancer uuid */
  readonly loadBalancers: ReadonlyMap<Uuid, SbLoadBalancer>;
  /** by `logical_port ip port protocol` (svcKey in sb-tables.ts) */
  readonly serviceMonitors: ReadonlyMap<string, SbServiceMonitor>;
  /** by switch NB uuid */
  readonly ipMulticast: ReadonlyMap<Uuid, SbIpMulticast>;
}

const byKey = <T>(m: ReadonlyMap<string, T>): [string, T][] => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

/** A deterministic text of the whole content: equal texts mean equal SB. */
export function canonical(c: SbContent): string {
  const flows = byKey(c.flows).map(([k, f]) => [k, [...f.dps.keys()].sort(), flowExternalIds(f.flow)]);
  return JSON.stringify({
    datapaths: byKey(c.datapaths),
    portBindings: byKey(c.portBindings),
    multicastGroups: byKey(c.multicastGroups),
    flows,
    addressSets: byKey(c.addressSets),
    portGroups: byKey(c.portGroups),
    haChassisGroups: byKey(c.haChassisGroups),
    dns: byKey(c.dns),
    meters: byKey(c.meters),
    loadBalancers: byKey(c.loadBalancers),
    serviceMonitors: byKey(c.serviceMonitors),
    ipMulticast: byKey(c.ipMulticast),
  });
}
