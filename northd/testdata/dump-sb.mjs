// northd/testdata/dump-sb.mjs — turns `ovn-sbctl --format=json list T` output (one object
// keyed by table, on stdin) into a golden file without UUIDs: datapaths and ports are named,
// datapath groups are expanded, every list is sorted. Used by gen-golden.sh only.
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
    })),
    (p) => p.logical_port,
  ),
  multicast_groups: sorted(
    rows('Multicast_Group').map((m) => ({ datapath: dpName.get(m.datapath), name: m.name, tunnel_key: m.tunnel_key, ports: set(m.ports).map((u) => pbName.get(u)).sort() })),
    (m) => `${m.datapath}/${m.name}`,
  ),
  address_sets: sorted(rows('Address_Set').map((a) => ({ name: a.name, addresses: set(a.addresses).sort() })), (a) => a.name),
  port_groups: sorted(rows('Port_Group').map((g) => ({ name: g.name, ports: set(g.ports).sort() })), (g) => g.name),
  flows,
};
// one element per line: diffs of a golden file read like diffs of lflow-list
const text = Object.entries(out).map(([k, xs]) => `"${k}": [\n${xs.map((x) => '  ' + JSON.stringify(x)).join(',\n')}\n]`);
process.stdout.write(`{\n${text.join(',\n')}\n}\n`);
