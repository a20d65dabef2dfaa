// northd/testdata/fuzz-ovn.ts — differential check against OVN 23.03 itself (a tool, not a
// test: it needs ovn-central and takes minutes). Random NB snapshots (random-nb.ts ops) are
// written into a private ovn-northd's NB as one OVSDB transaction, and its SB is compared
// with loom's compileFull of the same rows, with the golden test's normalisations: flows,
// bindings (with ha_chassis_group and nat_addresses), multicast groups, address sets, HA
// chassis groups, DNS, meters, load balancers, service monitors and IP_Multicast.
//   node --import tsx northd/testdata/fuzz-ovn.ts [RUNS] [SEED] [router|lb|all] [MAX_OPS]
// Prints, per run, the flows only OVN wrote and the flows only loom wrote (first few).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Row } from '../../store/types.js';
import { compileFull } from '../compile.js';
import { NB_TABLES, emptySnapshot } from '../nb.js';
import { applyOp, lbOpArb, opArb, routerOpArb, type Nb } from './random-nb.js';

const SANDBOX = '/work/shared/bench/ovn-sandbox.sh';
const here = new URL('.', import.meta.url).pathname;
const schema = JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')) as {
  tables: { [t: string]: { columns: { [c: string]: { type: unknown } } } };
};

type Atom = { type?: string; refTable?: string } | string;
const atomType = (a: Atom | undefined): string => (typeof a === 'string' ? a : a?.type ?? 'string');
const refTable = (a: Atom | undefined): string | undefined => (typeof a === 'string' ? undefined : a?.refTable);

/** One NB row (loom's plain form) as OVSDB JSON; references to rows not in `names` are dropped. */
function toOvsdb(table: string, row: Row, names: Map<string, string>): { [c: string]: unknown } {
  const out: { [c: string]: unknown } = {};
  const cols = schema.tables[table]?.columns ?? {};
  const atom = (v: unknown, a: Atom | undefined): unknown => {
    const t = atomType(a);
    if (t === 'uuid') {
      // rows go in with loom's UUIDs (ovnView), so references name them directly
      return ['uuid', String(v)];
    }
    if (t === 'integer') return Number(v);
    if (t === 'boolean') return v === true || v === 'true';
    if (t === 'real') return Number(v);
    return String(v);
  };
  for (const [c, v] of Object.entries(row)) {
    if (c === '_uuid' || cols[c] === undefined) continue;
    const ty = cols[c].type;
    const spec = (typeof ty === 'string' ? { key: ty } : ty) as { key: Atom; value?: Atom; min?: number; max?: number | string };
    if (spec.value !== undefined) {
      const m = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as { [k: string]: unknown }) : {};
      out[c] = ['map', Object.entries(m).map(([k, x]) => [atom(k, spec.key), atom(x, spec.value)])];
    } else if (spec.max === 'unlimited' || (typeof spec.max === 'number' && spec.max > 1) || spec.min === 0) {
      const xs = Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
      if (refTable(spec.key) !== undefined && xs.some((x) => !names.has(String(x)))) {
        out[c] = ['set', xs.filter((x) => names.has(String(x))).map((x) => atom(x, spec.key))];
      } else out[c] = ['set', xs.map((x) => atom(x, spec.key))];
    } else {
      out[c] = atom(Array.isArray(v) ? v[0] : v, spec.key);
    }
  }
  return out;
}

type GFlow = [string, string, number, string, number, string, string];
interface View {
  datapaths: { name: string; tunnel_key: number }[];
  flows: GFlow[];
  port_bindings: { logical_port: string; datapath: string; tunnel_key: number; type: string; mac: string[]; options: Record<string, string>; ha_chassis_group: string | null; nat_addresses: string[] }[];
  multicast_groups: { datapath: string; name: string; ports: string[] }[];
  address_sets: { name: string; addresses: string[] }[];
  ha_chassis_groups: { name: string; ha_chassis: { chassis_name: string; priority: number }[] }[];
  dns: unknown[];
  meters: unknown[];
  load_balancers: unknown[];
  service_monitors: { src_mac: string }[];
  ip_multicast: unknown[];
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** JSON with sorted keys, NB UUIDs as <uuid> (the two NBs have their own). */
const norm = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
  ? Object.fromEntries(Object.entries(v as { [k: string]: unknown }).sort(([a], [b]) => (a < b ? -1 : 1))) : v)).replace(UUID, '<uuid>');
const svcMac = (v: View): string => v.address_sets.find((a) => a.name === 'svc_monitor_mac')?.addresses[0] ?? '';
/** "MAC IP... [is_chassis_resident(..)]" with its IPs sorted (OVN: NAT-row UUID order). */
const natEntry = (e: string): string => {
  const m = /^(\S+) (.*?)( is_chassis_resident\(.*\))?$/.exec(e);
  return m === null ? e : `${m[1]} ${(m[2] ?? '').split(' ').sort().join(' ')}${m[3] ?? ''}`;
};

/** Bindings, groups and sets as comparable lines (tunnel keys left out, as in the golden test). */
function others(v: View): string[] {
  const sortObj = (o: Record<string, string>): string => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
  return [
    ...v.port_bindings.map((p) => `P ${p.logical_port} ${p.datapath} ${p.type} ${JSON.stringify([...p.mac].sort())} ${sortObj(p.options)} ha=${p.ha_chassis_group ?? ''} nat=${p.nat_addresses.map(natEntry).sort().join('|')}`),
    ...v.multicast_groups.map((m) => `M ${m.datapath} ${m.name} ${[...m.ports].sort().join(',')}`),
    ...v.address_sets.filter((a) => a.name !== 'svc_monitor_mac').map((a) => `A ${byDpName(a.name, v.datapaths)} ${[...a.addresses].sort().join(',')}`),
    ...v.ha_chassis_groups.map((g) => `H ${g.name} ${g.ha_chassis.map((h) => `${h.chassis_name}:${h.priority}`).sort().join(',')}`),
    ...v.dns.map((d) => `N ${norm(d)}`),
    ...v.meters.map((m) => `T ${norm(m)}`),
    ...v.load_balancers.map((l) => `L ${norm(l)}`),
    ...v.ip_multicast.map((m) => `I ${norm({ ...(m as object), seq_no: 0 })}`),
    ...v.service_monitors.map((m) => `S ${norm({ ...m, src_mac: m.src_mac === svcMac(v) ? '$svc_monitor_mac' : m.src_mac, status: null })}`),
  ];
}

// (ECMP groups and members are numbered in row UUID order, by both: with shared UUIDs they
// are compared as they are)
const byDpName = (s: string, dps: View['datapaths']): string =>
  s.replace(/_rtr_lb_(\d+)_/g, (_, k: string) => `_rtr_lb_${dps.find((d) => String(d.tunnel_key) === k)?.name ?? k}_`);
/** ECMP symmetric reply flows name a router port by its tunnel key: by its name here. */
const portKeys = (t: string, dp: string, v: View): string => t.replace(/ecmp_reply_port (==|=) (\d+)/g,
  (_, op: string, k: string) => `ecmp_reply_port ${op} ${v.port_bindings.find((p) => p.datapath === dp && String(p.tunnel_key) === k)?.logical_port ?? k}`);
const line = (f: GFlow, v: View): string => {
  const l = `${f[0]} ${f[3]} prio=${f[4]} match=(${portKeys(byDpName(f[5], v.datapaths), f[0], v)}) action=(${portKeys(f[6], f[0], v)})`.replace(UUID, '<uuid>');
  // service monitors' ARP replies carry svc_monitor_mac (OVN's is random)
  return f[3] === 'ls_in_arp_rsp' && f[4] === 110 && svcMac(v) !== '' ? l.split(svcMac(v)).join('$svc_monitor_mac') : l;
};

function loomView(nb: Nb): View {
  const c = compileFull(nb);
  const dpName = new Map([...c.datapaths.values()].map((d) => [d.nb, d.name]));
  const flows: GFlow[] = [];
  for (const f of c.flows.values()) for (const dp of f.dps.keys()) flows.push([dpName.get(dp) ?? dp, f.flow.pipeline, f.flow.table, f.flow.stage, f.flow.priority, f.flow.match, f.flow.actions]);
  return {
    datapaths: [...c.datapaths.values()].map((d) => ({ name: d.name, tunnel_key: d.tunnel_key })),
    flows,
    port_bindings: [...c.portBindings.values()].map((p) => ({
      logical_port: p.logical_port, datapath: dpName.get(p.datapath) ?? p.datapath, tunnel_key: p.tunnel_key, type: p.type, mac: [...p.mac], options: { ...p.options },
      ha_chassis_group: p.ha_chassis_group, nat_addresses: [...p.nat_addresses],
    })),
    multicast_groups: [...c.multicastGroups.values()].map((m) => ({ datapath: dpName.get(m.datapath) ?? m.datapath, name: m.name, ports: [...m.ports] })),
    address_sets: [...c.addressSets].map(([name, a]) => ({ name, addresses: [...a] })),
    ha_chassis_groups: [...c.haChassisGroups.values()].map((g) => ({ name: g.name, ha_chassis: g.ha_chassis.map((h) => ({ ...h })) })),
    dns: [...c.dns.values()].map((d) => ({ records: d.records, datapaths: d.datapaths.map((u) => dpName.get(u) ?? u).sort(), external_ids: { dns_id: d.nb } })),
    meters: [...c.meters.values()].map((m) => ({ name: m.name, unit: m.unit, bands: m.bands })),
    load_balancers: [...c.loadBalancers.values()].map((l) => ({
      name: l.name, vips: l.vips, protocol: l.protocol, datapaths: l.datapaths.map((u) => dpName.get(u) ?? u).sort(), options: l.options, external_ids: l.external_ids,
    })),
    ip_multicast: [...c.ipMulticast.values()].map((m) => ({ ...m, datapath: dpName.get(m.datapath) ?? m.datapath, seq_no: 0 })),
    service_monitors: [...c.serviceMonitors.values()].map((m) => ({ ...m, status: null, external_ids: {} })),
  };
}

function ovnView(nb: Nb): View {
  const names = new Map<string, string>();
  let i = 0;
  for (const t of NB_TABLES) for (const u of nb[t].keys()) names.set(u, `r${++i}`);
  const ops: unknown[] = [];
  for (const t of NB_TABLES) {
    if (t === 'NB_Global') continue;
    // with loom's row UUIDs: what OVN orders by row UUID (NAT MACs in the self-originated ARP
    // flood set, ECMP policy groups, ...) then comes out in loom's order too
    for (const [u, r] of nb[t]) ops.push({ op: 'insert', table: t, uuid: u, 'uuid-name': names.get(u), row: toOvsdb(t, r, names) });
  }
  const d = execFileSync(SANDBOX, ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop() ?? '';
  try {
    const env = { ...process.env, OVN_NB_DB: `unix:${d}/nb.sock`, OVN_SB_DB: `unix:${d}/sb.sock` };
    writeFileSync(`${d}/txn.json`, JSON.stringify(['OVN_Northbound', ...ops]));
    const res = execFileSync('ovsdb-client', ['transact', `unix:${d}/nb.sock`, readFileSync(`${d}/txn.json`, 'utf8')], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const errors = (JSON.parse(res) as { error?: string; details?: string }[]).filter((r) => r !== null && r.error !== undefined);
    if (errors.length > 0) throw new Error(`OVN's NB refused the rows: ${JSON.stringify(errors[0])}`);
    execFileSync('ovn-nbctl', ['--wait=sb', '--timeout=30', 'sync'], { env });
    const parts: string[] = [];
    for (const t of ['Logical_Flow', 'Logical_DP_Group', 'Datapath_Binding', 'Port_Binding', 'Multicast_Group', 'Address_Set', 'Port_Group',
      'HA_Chassis_Group', 'HA_Chassis', 'Chassis', 'DNS', 'Meter', 'Meter_Band', 'Load_Balancer', 'Service_Monitor', 'IP_Multicast']) {
      parts.push(`"${t}": ${execFileSync('ovn-sbctl', ['--format=json', 'list', t], { env, encoding: 'utf8', maxBuffer: 1 << 28 })}`);
    }
    const dumped = execFileSync('node', [`${here}dump-sb.mjs`], { input: `{${parts.join(',')}, "_": null}`, encoding: 'utf8', maxBuffer: 1 << 28 });
    return JSON.parse(dumped) as View;
  } finally {
    execFileSync(SANDBOX, ['destroy', d], { stdio: 'ignore' });
  }
}

const runs = Number(process.argv[2] ?? 5);
const seed = Number(process.argv[3] ?? 1);
const arb = process.argv[4] === 'router' ? routerOpArb : process.argv[4] === 'lb' ? lbOpArb : opArb;
const maxLength = Number(process.argv[5] ?? 60);
const samples = fc.sample(fc.array(arb, { minLength: 10, maxLength }), { numRuns: runs, seed });
let clean = 0;
/** OVN rows compared beyond flows, by kind (H HA groups, N DNS, T meters, L LBs, S monitors, P.ha/P.nat bindings with them) */
const kinds = new Map<string, number>();
for (const [k, ops] of samples.entries()) {
  const nb: Nb = emptySnapshot();
  for (const op of ops) applyOp(nb, op);
  const mine = loomView(nb);
  let theirs: View;
  try {
    theirs = ovnView(nb);
  } catch (e) {
    console.log(`run ${k}: ${String(e).slice(0, 300)}`);
    continue;
  }
  const want = new Set([...theirs.flows.map((f) => line(f, theirs)), ...others(theirs)]);
  const got = new Set([...mine.flows.map((f) => line(f, mine)), ...others(mine)]);
  const missing = [...want].filter((l) => !got.has(l)).sort();
  const extra = [...got].filter((l) => !want.has(l)).sort();
  for (const l of want) { const k = l.startsWith('P ') ? (l.includes(' ha= ') ? '' : 'P.ha') : /^[HNTLSI] /.test(l) ? l[0] ?? '' : ''; if (k !== '') kinds.set(k, (kinds.get(k) ?? 0) + 1); }
  for (const l of want) if (l.startsWith('P ') && !l.endsWith(' nat=')) kinds.set('P.nat', (kinds.get('P.nat') ?? 0) + 1);
  if (missing.length + extra.length === 0) { clean++; continue; }
  console.log(`run ${k}: ${want.size} OVN rows/flows, ${missing.length} only in OVN, ${extra.length} only in loom`);
  // DUMP=name1,name2: the NB rows with those names (what a difference is about)
  for (const n of (process.env['DUMP'] ?? '').split(',').filter((x) => x !== '')) {
    for (const t of NB_TABLES) for (const r of nb[t].values()) if (r['name'] === n || r._uuid.endsWith(n)) console.log(`  ${t} ${JSON.stringify(r)}`);
  }
  for (const l of missing.slice(0, 6)) console.log(`  - ${l.slice(0, Number(process.env["WIDTH"] ?? 300))}`);
  for (const l of extra.slice(0, 6)) console.log(`  + ${l.slice(0, 300)}`);
}
console.log(`${clean}/${runs} runs equal; OVN rows compared besides flows: ${[...kinds].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
