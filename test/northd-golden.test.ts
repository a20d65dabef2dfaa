// Golden: loom's northd output for the topologies in northd/testdata/topologies.sh equals
// what OVN 23.03's ovn-northd produced for the same NB (northd/testdata/*.golden.json,
// made by gen-golden.sh): logical flows per datapath (sorted, UUIDs stripped, datapath
// groups expanded), port bindings, multicast groups, address sets, SB port groups, HA
// chassis groups, DNS, meters, load balancers, service monitors and IP_Multicast. A topology line
// `sb-svc-status IP PORT STATUS` is the controller's health check reporting (SB-side): loom
// compiles with that status, as its daemon does once SB tells it.
// Deliberate differences, each with its reason:
//   - tunnel keys are compared for uniqueness, not value: OVN allocates in hash order.
//   - svc_monitor_mac: OVN picks a random MAC; loom uses NB_Global options or a fixed one.
//   - external_ids of flows: OVN's source is northd.c:LINE, loom's is its own file:line.
//   - `_rtr_lb_<datapath key>_ip4` address sets: compared with the datapath's name for the key.
//   - NB UUIDs inside values (DNS dns_id, Load_Balancer lb_id, fair meter names
//     `<meter>__<acl uuid>`, also in log actions) read <uuid>: the two NBs have their own.
//   - HA_Chassis.chassis and HA_Chassis_Group.ref_chassis: no Chassis rows exist here
//     (the link is sb-sync's, tested in test/northd-daemon.test.ts).
//   - Port_Binding.nat_addresses: the IPs inside one entry are compared as a set (OVN
//     lists centralized NAT addresses in NAT-row UUID order).
//   - Service_Monitor.src_mac is svc_monitor_mac (OVN's is random): compared as that name.
//   - ECMP member numbers (reg8[16..31] == N): OVN numbers the routes of a group in hash
//     order (it changes between runs); loom numbers them by nexthop. Compared without N.
//   - ECMP group numbers (reg8[0..15] = N in lr_in_policy / lr_in_ip_routing, == N in
//     lr_in_policy_ecmp / lr_in_ip_routing_ecmp): OVN numbers them in row UUID order.
//     Compared without N.
//   - ECMP symmetric reply flows name a port by its tunnel key (ct_mark.ecmp_reply_port):
//     compared with the port's name for the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileFull } from '../northd/compile.js';
import type { SbContent } from '../northd/content.js';
import { checkSources } from '../northd/lflow.js';
import { Nbctl, readTopologies } from '../northd/testdata/nbctl.js';

const dir = new URL('../northd/testdata/', import.meta.url);
const topologies = readTopologies(readFileSync(new URL('topologies.sh', dir), 'utf8'));

type GFlow = [string, string, number, string, number, string, string];
interface Golden {
  datapaths: { name: string; tunnel_key: number }[];
  port_bindings: { logical_port: string; datapath: string; tunnel_key: number; type: string; mac: string[]; port_security: string[]; options: Record<string, string>; ha_chassis_group: string | null; nat_addresses: string[] }[];
  multicast_groups: { datapath: string; name: string; tunnel_key: number; ports: string[] }[];
  address_sets: { name: string; addresses: string[] }[];
  port_groups: { name: string; ports: string[] }[];
  flows: GFlow[];
  ha_chassis_groups: { name: string; ha_chassis: { chassis_name: string; priority: number }[] }[];
  dns: unknown[];
  meters: unknown[];
  load_balancers: unknown[];
  service_monitors: { ip: string; port: number; logical_port: string; src_mac: string; status: string | null }[];
  ip_multicast: unknown[];
}

/** "MAC IP... [is_chassis_resident(..)]" with its IPs sorted. */
const natEntry = (e: string): string => {
  const m = /^(\S+) (.*?)( is_chassis_resident\(.*\))?$/.exec(e);
  return m === null ? e : `${m[1]} ${(m[2] ?? '').split(' ').sort().join(' ')}${m[3] ?? ''}`;
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const noUuid = (s: string): string => s.replace(UUID, '<uuid>');
/** JSON text with sorted keys (SB and loom order map keys differently) and UUIDs as <uuid>. */
const norm = (x: unknown): string => noUuid(JSON.stringify(x, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
  ? Object.fromEntries(Object.entries(v as { [k: string]: unknown }).sort(([a], [b]) => (a < b ? -1 : 1))) : v)));

function loomView(c: SbContent, svcStatus: ReadonlyMap<string, string> = new Map()): Golden {
  const dpName = new Map([...c.datapaths.values()].map((d) => [d.nb, d.name]));
  const dpByKey = new Map([...c.datapaths.values()].map((d) => [String(d.tunnel_key), d.name]));
  const flows: GFlow[] = [];
  for (const f of c.flows.values()) {
    for (const dp of f.dps.keys()) flows.push([dpName.get(dp) ?? dp, f.flow.pipeline, f.flow.table, f.flow.stage, f.flow.priority, f.flow.match, f.flow.actions]);
  }
  return {
    datapaths: [...c.datapaths.values()].map((d) => ({ name: d.name, tunnel_key: d.tunnel_key })),
    port_bindings: [...c.portBindings.values()].map((p) => ({
      logical_port: p.logical_port, datapath: dpName.get(p.datapath) ?? p.datapath, tunnel_key: p.tunnel_key, type: p.type,
      mac: [...p.mac], port_security: [...p.port_security], options: { ...p.options }, ha_chassis_group: p.ha_chassis_group,
      nat_addresses: [...p.nat_addresses],
    })),
    multicast_groups: [...c.multicastGroups.values()].map((m) => ({ datapath: dpName.get(m.datapath) ?? m.datapath, name: m.name, tunnel_key: m.tunnel_key, ports: [...m.ports] })),
    address_sets: [...c.addressSets].map(([name, addresses]) => ({ name, addresses: [...addresses] })),
    port_groups: [...c.portGroups].map(([name, ports]) => ({ name: name.replace(/^(\d+)_/, (_, k: string) => `${dpByKey.get(k) ?? k}_`), ports: [...ports] })),
    flows,
    ha_chassis_groups: [...c.haChassisGroups.values()].map((g) => ({ name: g.name, ha_chassis: g.ha_chassis.map((h) => ({ chassis_name: h.chassis_name, priority: h.priority })) })),
    dns: [...c.dns.values()].map((d) => ({ records: d.records, datapaths: d.datapaths.map((u) => dpName.get(u) ?? u).sort(), external_ids: { dns_id: d.nb } })),
    meters: [...c.meters.values()].map((m) => ({ name: m.name, unit: m.unit, bands: m.bands })),
    load_balancers: [...c.loadBalancers.values()].map((l) => ({
      name: l.name, vips: l.vips, protocol: l.protocol, datapaths: l.datapaths.map((u) => dpName.get(u) ?? u).sort(), options: l.options, external_ids: l.external_ids,
    })),
    ip_multicast: [...c.ipMulticast.values()].map((m) => ({ ...m, datapath: dpName.get(m.datapath) ?? m.datapath, seq_no: 0 })),
    service_monitors: [...c.serviceMonitors].map(([k, m]) => ({ ...m, status: svcStatus.get(k) ?? null, external_ids: {} })),
  };
}

checkSources(true);

/** `_rtr_lb_<key>_` with the datapath's name for its (hash-ordered in OVN) tunnel key. */
const byDpName = (s: string, dps: Golden['datapaths']): string =>
  s.replace(/_rtr_lb_(\d+)_/g, (_, k: string) => `_rtr_lb_${dps.find((d) => String(d.tunnel_key) === k)?.name ?? k}_`);

const line = (f: GFlow, x: Pick<Golden, 'datapaths' | 'port_bindings'>): string => {
  // a port's tunnel key as its name (ECMP symmetric reply)
  const portOf = (k: string): string => x.port_bindings.find((p) => p.datapath === f[0] && String(p.tunnel_key) === k)?.logical_port ?? k;
  const ports = (t: string): string => t.replace(/ecmp_reply_port (==|=) (\d+)/g, (_, op: string, k: string) => `ecmp_reply_port ${op} ${portOf(k)}`);
  const m0 = ports(byDpName(f[5], x.datapaths));
  const match = f[3] === 'lr_in_ip_routing_ecmp' ? m0.replace(/reg8\[16\.\.31\] == \d+/, 'reg8[16..31] == N').replace(/reg8\[0\.\.15\] == \d+/, 'reg8[0..15] == G')
    : f[3] === 'lr_in_policy_ecmp' ? m0.replace(/reg8\[0\.\.15\] == \d+/, 'reg8[0..15] == G') : m0;
  const action = ports(f[6]).replace(/reg8\[0\.\.15\] = [1-9]\d*; reg8\[16\.\.31\] = select/, 'reg8[0..15] = G; reg8[16..31] = select');
  return noUuid(`${f[0]} ${f[3]} prio=${f[4]} match=(${match}) action=(${action})`);
};

/** A flow line with the side's svc_monitor_mac (OVN's is random) as a name. */
const svcMacAs = (l: string, x: Golden): string => {
  const mac = x.address_sets.find((a) => a.name === 'svc_monitor_mac')?.addresses[0];
  // only the service monitors' ARP replies: loom's default MAC is also a port's in some topologies
  return mac === undefined || !l.includes(' ls_in_arp_rsp prio=110 ') ? l : l.split(mac).join('$svc_monitor_mac');
};

for (const [name, cmds] of topologies) {
  test(`golden: ${name}`, () => {
    const golden = JSON.parse(readFileSync(new URL(`${name}.golden.json`, dir), 'utf8')) as Golden;
    const nbctl = new Nbctl();
    for (const c of cmds) if (c[0] !== 'sb-svc-status') nbctl.run(c);
    // what the controller reported for the monitors (ip, port) names
    const first = compileFull(nbctl.nb);
    const svcStatus = new Map<string, string>();
    for (const c of cmds) {
      if (c[0] !== 'sb-svc-status') continue;
      for (const [k, m] of first.serviceMonitors) if (m.ip === c[1] && String(m.port) === c[2]) svcStatus.set(k, c[3] ?? '');
    }
    const loom = loomView(svcStatus.size === 0 ? first : compileFull(nbctl.nb, undefined, svcStatus), svcStatus);

    // flows: report every difference, per stage, like a diff of lflow-list
    const want = new Set(golden.flows.map((f) => svcMacAs(line(f, golden), golden)));
    const got = new Set(loom.flows.map((f) => svcMacAs(line(f, loom), loom)));
    const missing = [...want].filter((l) => !got.has(l)).sort();
    const extra = [...got].filter((l) => !want.has(l)).sort();
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, `flow differences for ${name}`);
    for (const f of loom.flows) {
      const g = golden.flows.find((x) => x[3] === f[3]);
      if (g !== undefined) assert.equal(f[2], g[2], `table of ${f[3]}`);
    }

    const pbs = (x: Golden['port_bindings']): unknown[] =>
      x.map((p) => ({ logical_port: p.logical_port, datapath: p.datapath, type: p.type, mac: p.mac, port_security: p.port_security, options: p.options, ha_chassis_group: p.ha_chassis_group,
        nat_addresses: p.nat_addresses.map(natEntry).sort() }))
        .sort((a, b) => (a.logical_port < b.logical_port ? -1 : 1));
    assert.deepEqual(pbs(loom.port_bindings), pbs(golden.port_bindings));
    for (const dp of new Set(loom.port_bindings.map((p) => p.datapath))) {
      const keys = loom.port_bindings.filter((p) => p.datapath === dp).map((p) => p.tunnel_key);
      assert.equal(new Set(keys).size, keys.length, `port keys unique on ${dp}`);
    }
    assert.deepEqual(loom.datapaths.map((d) => d.name).sort(), golden.datapaths.map((d) => d.name).sort());
    const mcs = (x: Golden['multicast_groups']): string[] => x.map((m) => JSON.stringify(m)).sort();
    assert.deepEqual(mcs(loom.multicast_groups), mcs(golden.multicast_groups));
    const ass = (x: Golden['address_sets'], dps: Golden['datapaths']): string[] =>
      x.map((a) => JSON.stringify(a.name === 'svc_monitor_mac' ? { name: a.name } : { ...a, name: byDpName(a.name, dps) })).sort();
    assert.deepEqual(ass(loom.address_sets, loom.datapaths), ass(golden.address_sets, golden.datapaths));
    const pgs = (x: Golden['port_groups']): string[] => x.map((g) => JSON.stringify(g)).sort();
    const goldenPgs = golden.port_groups.map((g) => ({
      name: g.name.replace(/^(\d+)_/, (_, k: string) => `${golden.datapaths.find((d) => String(d.tunnel_key) === k)?.name ?? k}_`), ports: g.ports,
    }));
    assert.deepEqual(pgs(loom.port_groups), pgs(goldenPgs));

    // the SB rows a controller reads besides flows and bindings
    const has = (x: Golden['ha_chassis_groups']): string[] => x.map((g) => norm({
      name: g.name, ha_chassis: g.ha_chassis.map((h) => ({ chassis_name: h.chassis_name, priority: h.priority })).sort((a, b) => b.priority - a.priority || (a.chassis_name < b.chassis_name ? -1 : 1)),
    })).sort();
    assert.deepEqual(has(loom.ha_chassis_groups), has(golden.ha_chassis_groups), 'HA_Chassis_Group');
    for (const k of ['dns', 'meters', 'load_balancers'] as const) assert.deepEqual(loom[k].map(norm).sort(), golden[k].map(norm).sort(), k);
    const svcMac = (x: Golden): string => x.address_sets.find((a) => a.name === 'svc_monitor_mac')?.addresses[0] ?? '';
    const svms = (x: Golden): string[] => (x.service_monitors ?? []).map((m) => norm({ ...m, src_mac: m.src_mac === svcMac(x) ? '$svc_monitor_mac' : m.src_mac })).sort();
    assert.deepEqual(svms(loom), svms(golden), 'Service_Monitor');
    assert.deepEqual(loom.ip_multicast.map(norm).sort(), golden.ip_multicast.map(norm).sort(), 'IP_Multicast');
  });
}
