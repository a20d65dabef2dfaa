// northd/testdata/dump-sb.mjs — turns `ovn-sbctl --format=json list T` output (one object
// keyed by table, on stdin) into a golden file without UUIDs: datapaths, ports and HA chassis
// groups are named, datapath groups, HA_Chassis and Meter_Band rows are expanded, NB UUIDs
// inside values (dns_id, lb_id, fair meter names) read <uuid>, every list is sorted. Used by
// gen-golden.sh only.
import { readFileSync } from 'node:fs';

const raw = JSON.parse(readFileSync(0, 'utf8'));
const val = (v) => {
  if (!Array.isArray(v)) return v;
  if (v[0] === 'uuid' || v[0] === 'named-uuid') return v[1];
  if (v[0] === 'set') return v[1].map(val);
  if (v[0] === 'map') return Object.fromEntries(v[1].map(([k, x]) => [k, val(x)]));
  return v;
};
const rows = (t) => (raw[t]?.data ?? []).map((r) => Object.fromEntries(raw[t].headings.map((h, i) => [h, val(r[i])])));
const set = (v) => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const dpName = new Map();
for (const d of rows('Datapath_Binding')) dpName.set(d._uuid, d.external_ids.name ?? d._uuid);
const groups = new Map(rows('Logical_DP_Group').map((g) => [g._uuid, set(g.datapaths).map((u) => dpName.get(u))]));
const pbName = new Map(rows('Port_Binding').map((p) => [p._uuid, p.logical_port]));
const haName = new Map(rows('HA_Chassis_Group').map((g) => [g._uuid, g.name]));
const chassisName = new Map(rows('Chassis').map((c) => [c._uuid, c.name]));
const haChassis = new Map(rows('HA_Chassis').map((h) => [h._uuid, {
  chassis_name: h.external_ids['chassis-name'] ?? null, priority: h.priority, chassis: set(h.chassis).map((u) => chassisName.get(u) ?? u)[0] ?? null,
}]));
const bands = new Map(rows('Meter_Band').map((b) => [b._uuid, { action: b.action, rate: b.rate, burst_size: b.burst_size }]));
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const noUuid = (x) => JSON.parse(JSON.stringify(x).replace(UUID, '<uuid>'));
const flows = [];
for (const f of rows('Logical_Flow')) {
  const dps = set(f.logical_datapath).length ? [dpName.get(f.logical_datapath)] : groups.get(f.logical_dp_group);
  for (const dp of dps) flows.push([dp, f.pipeline, f.table_id, f.external_ids['stage-name'], f.priority, f.match, f.actions]);
}
const cmp = (a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);
flows.sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? -1 : 1) : a[1] !== b[1] ? (a[1] < b[1] ? 1 : -1) : a[2] - b[2] || b[4] - a[4] || cmp(a, b)));
const sorted = (xs, key) => xs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
const out = {
  datapaths: sorted(rows('Datapath_Binding').map((d) => ({ name: d.external_ids.name, tunnel_key: d.tunnel_key, external_ids: d.external_ids })), (d) => d.name),
  port_bindings: sorted(
    rows('Port_Binding').map((p) => ({
      logical_port: p.logical_port, datapath: dpName.get(p.datapath), tunnel_key: p.tunnel_key, type: p.type,
      mac: set(p.mac).sort(), port_security: set(p.port_security).sort(), options: p.options,
      external_ids: p.external_ids, nat_addresses: set(p.nat_addresses).sort(),
      ha_chassis_group: set(p.ha_chassis_group).map((u) => haName.get(u) ?? u)[0] ?? null,
    })),
    (p) => p.logical_port,
  ),
  multicast_groups: sorted(
    rows('Multicast_Group').map((m) => ({ datapath: dpName.get(m.datapath), name: m.name, tunnel_key: m.tunnel_key, ports: set(m.ports).map((u) => pbName.get(u)).sort() })),
    (m) => `${m.datapath}/${m.name}`,
  ),
  address_sets: sorted(rows('Address_Set').map((a) => ({ name: a.name, addresses: set(a.addresses).sort() })), (a) => a.name),
  port_groups: sorted(rows('Port_Group').map((g) => ({ name: g.name, ports: set(g.ports).sort() })), (g) => g.name),
  ha_chassis_groups: sorted(rows('HA_Chassis_Group').map((g) => ({
    name: g.name, external_ids: g.external_ids, ref_chassis: set(g.ref_chassis).map((u) => chassisName.get(u) ?? u).sort(),
    ha_chassis: sorted(set(g.ha_chassis).map((u) => haChassis.get(u)), (h) => JSON.stringify(h)),
  })), (g) => g.name),
  dns: sorted(rows('DNS').map((d) => noUuid({ records: d.records, datapaths: set(d.datapaths).map((u) => dpName.get(u)).sort(), external_ids: d.external_ids })), (d) => JSON.stringify(d)),
  meters: sorted(rows('Meter').map((m) => noUuid({ name: m.name, unit: m.unit, bands: sorted(set(m.bands).map((u) => bands.get(u)), (b) => JSON.stringify(b)) })), (m) => JSON.stringify(m)),
  load_balancers: sorted(rows('Load_Balancer').map((l) => noUuid({
    name: l.name, vips: l.vips, protocol: set(l.protocol)[0] ?? null,
    datapaths: [...set(l.datapaths).map((u) => dpName.get(u)), ...(set(l.datapath_group).length ? groups.get(l.datapath_group) : [])].sort(),
    options: l.options, external_ids: l.external_ids,
  })), (l) => l.name),
  ip_multicast: sorted(rows('IP_Multicast').map((m) => ({
    datapath: dpName.get(m.datapath), enabled: set(m.enabled)[0] ?? null, querier: set(m.querier)[0] ?? null, eth_src: m.eth_src, ip4_src: m.ip4_src, ip6_src: m.ip6_src,
    table_size: set(m.table_size)[0] ?? null, idle_timeout: set(m.idle_timeout)[0] ?? null, query_interval: set(m.query_interval)[0] ?? null,
    query_max_resp: set(m.query_max_resp)[0] ?? null, seq_no: m.seq_no,
  })), (m) => m.datapath),
  service_monitors: sorted(rows('Service_Monitor').map((m) => ({
    ip: m.ip, port: m.port, protocol: set(m.protocol)[0] ?? null, logical_port: m.logical_port, src_mac: m.src_mac, src_ip: m.src_ip,
    status: set(m.status)[0] ?? null, options: m.options, external_ids: m.external_ids,
  })), (m) => `${m.logical_port} ${m.ip} ${m.port} ${m.protocol}`),
  flows,
};
// one element per line: diffs of a golden file read like diffs of lflow-list
const text = Object.entries(out).map(([k, xs]) => `"${k}": [\n${xs.map((x) => '  ' + JSON.stringify(x)).join(',\n')}\n]`);
process.stdout.write(`{\n${text.join(',\n')}\n}\n`);
