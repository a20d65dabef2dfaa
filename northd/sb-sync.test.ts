// SB sync property: random NB change batches compiled incrementally and written through
// SbSync into a real SB SqliteStore leave SB equal to the content (flows per datapath with
// datapath groups expanded, bindings, multicast groups, address sets, port groups), with
// no unreferenced Logical_DP_Group left behind; also in phases, and after a reload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { sbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Row, Store } from '../store/types.js';
import type { SbContent } from './content.js';
import { NorthdEngine } from './engine.js';
import { list, map, str } from './nb.js';
import { emptySnapshot } from './nb.js';
import { SbSync } from './sb-sync.js';
import { applyOp, clone, diff, opArb, type Nb } from './testdata/random-nb.js';

/** Map text independent of key order (SB hands maps back sorted). */
const mapText = (m: unknown): string => JSON.stringify(Object.entries((m ?? {}) as { [k: string]: unknown }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const SB_TABLES = ['Datapath_Binding', 'Port_Binding', 'Multicast_Group', 'Logical_Flow', 'Logical_DP_Group', 'Address_Set', 'Port_Group', 'SB_Global',
  'HA_Chassis_Group', 'DNS', 'Meter', 'Load_Balancer', 'Service_Monitor', 'IP_Multicast'];

async function view(sb: Store): Promise<string[]> {
  const dps = new Map((await sb.select('Datapath_Binding')).map((d) => [d._uuid, `${map(d, 'external_ids')['name']}#${String(d['tunnel_key'])}`]));
  const groups = new Map((await sb.select('Logical_DP_Group')).map((g) => [g._uuid, list(g, 'datapaths').map((u) => dps.get(u) ?? '?')]));
  const out: string[] = [];
  for (const f of await sb.select('Logical_Flow')) {
    const dp = list(f, 'logical_datapath')[0];
    const names = dp !== undefined ? [dps.get(dp) ?? '?'] : groups.get(list(f, 'logical_dp_group')[0] ?? '') ?? ['?'];
    for (const n of names) out.push(`F ${n} ${map(f, 'external_ids')['stage-name']} ${String(f['priority'])} ${str(f, 'match')} ${str(f, 'actions')} ${map(f, 'external_ids')['nb-row'] ?? ''}`);
  }
  const pbName = new Map<string, string>();
  const haName = new Map((await sb.select('HA_Chassis_Group')).map((g) => [g._uuid, str(g, 'name')]));
  for (const p of await sb.select('Port_Binding')) {
    pbName.set(p._uuid, str(p, 'logical_port'));
    out.push(`P ${str(p, 'logical_port')} ${dps.get(str(p, 'datapath'))} ${String(p['tunnel_key'])} ${str(p, 'type')} ${JSON.stringify(p['mac'])} ${mapText(p['options'])} ha=${haName.get(list(p, 'ha_chassis_group')[0] ?? '') ?? ''} nat=${list(p, 'nat_addresses').join('|')}`);
  }
  const hac = new Map((await sb.select('HA_Chassis')).map((h) => [h._uuid, `${map(h, 'external_ids')['chassis-name']}:${String(h['priority'])}`]));
  for (const g of await sb.select('HA_Chassis_Group')) out.push(`H ${str(g, 'name')} ${list(g, 'ha_chassis').map((u) => hac.get(u)).sort().join(',')}`);
  for (const d of await sb.select('DNS')) out.push(`N ${map(d, 'external_ids')['dns_id']} ${mapText(d['records'])} ${list(d, 'datapaths').map((u) => dps.get(u)).sort().join(',')}`);
  const bands = new Map((await sb.select('Meter_Band')).map((b) => [b._uuid, `${String(b['rate'])}/${String(b['burst_size'])}`]));
  for (const m of await sb.select('Meter')) out.push(`T ${str(m, 'name')} ${str(m, 'unit')} ${list(m, 'bands').map((u) => bands.get(u)).sort().join(',')}`);
  for (const m of await sb.select('IP_Multicast')) out.push(`I ${dps.get(str(m, 'datapath'))} ${String(m['enabled'])} ${String(m['querier'])} ${String(m['idle_timeout'])} ${String(m['query_interval'])} ${str(m, 'eth_src')}`);
  for (const m of await sb.select('Service_Monitor')) out.push(`S ${str(m, 'logical_port')} ${str(m, 'ip')} ${String(m['port'])} ${str(m, 'protocol')} ${str(m, 'src_ip')} ${str(m, 'src_mac')} ${mapText(m['options'])}`);
  for (const l of await sb.select('Load_Balancer')) {
    out.push(`L ${map(l, 'external_ids')['lb_id']} ${str(l, 'name')} ${mapText(l['vips'])} ${groups.get(list(l, 'datapath_group')[0] ?? '')?.sort().join(',')} ${mapText(l['options'])}`);
  }
  for (const m of await sb.select('Multicast_Group')) out.push(`M ${dps.get(str(m, 'datapath'))} ${str(m, 'name')} ${list(m, 'ports').map((u) => pbName.get(u)).sort().join(',')}`);
  for (const a of await sb.select('Address_Set')) out.push(`A ${str(a, 'name')} ${list(a, 'addresses').join(',')}`);
  for (const g of await sb.select('Port_Group')) out.push(`G ${str(g, 'name')} ${list(g, 'ports').join(',')}`);
  for (const d of dps.values()) out.push(`D ${d}`);
  return out.sort();
}

function expected(c: SbContent): string[] {
  const dpName = new Map([...c.datapaths.values()].map((d) => [d.nb, `${d.name}#${d.tunnel_key}`]));
  const out: string[] = [];
  for (const f of c.flows.values()) for (const dp of f.dps.keys()) out.push(`F ${dpName.get(dp)} ${f.flow.stage} ${f.flow.priority} ${f.flow.match} ${f.flow.actions} ${f.flow.nbRow}`);
  for (const p of c.portBindings.values()) out.push(`P ${p.logical_port} ${dpName.get(p.datapath)} ${p.tunnel_key} ${p.type} ${JSON.stringify([...p.mac])} ${mapText(p.options)} ha=${p.ha_chassis_group ?? ''} nat=${[...p.nat_addresses].sort().join('|')}`);
  for (const g of c.haChassisGroups.values()) out.push(`H ${g.name} ${g.ha_chassis.map((h) => `${h.chassis_name}:${h.priority}`).sort().join(',')}`);
  for (const d of c.dns.values()) out.push(`N ${d.nb} ${mapText(d.records)} ${d.datapaths.map((u) => dpName.get(u)).sort().join(',')}`);
  for (const m of c.meters.values()) out.push(`T ${m.name} ${m.unit} ${m.bands.map((b) => `${b.rate}/${b.burst_size}`).sort().join(',')}`);
  for (const m of c.ipMulticast.values()) out.push(`I ${dpName.get(m.datapath)} ${String(m.enabled)} ${String(m.querier)} ${m.idle_timeout} ${m.query_interval} ${m.eth_src}`);
  for (const m of c.serviceMonitors.values()) out.push(`S ${m.logical_port} ${m.ip} ${m.port} ${m.protocol} ${m.src_ip} ${m.src_mac} ${mapText(m.options)}`);
  for (const l of c.loadBalancers.values()) out.push(`L ${l.nb} ${l.name} ${mapText(l.vips)} ${l.datapaths.map((u) => dpName.get(u)).sort().join(',')} ${mapText(l.options)}`);
  for (const m of c.multicastGroups.values()) out.push(`M ${dpName.get(m.datapath)} ${m.name} ${[...m.ports].sort().join(',')}`);
  for (const [n, a] of c.addressSets) out.push(`A ${n} ${a.join(',')}`);
  for (const [n, g] of c.portGroups) out.push(`G ${n} ${g.join(',')}`);
  for (const d of dpName.values()) out.push(`D ${d}`);
  return out.sort();
}

test('SB written through SbSync equals the compiled content after every batch', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-sbsync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 3 }), { minLength: 3, maxLength: 25 }), fc.boolean(), async (batches, phased) => {
      const sb = SqliteStore.open(join(dir, `sb${++run}.db`), sbSchema);
      try {
        const nb: Nb = emptySnapshot();
        const engine = new NorthdEngine();
        let sync = new SbSync();
        for (const [i, ops] of batches.entries()) {
          const before = clone(nb);
          for (const op of ops) applyOp(nb, op);
          engine.apply(diff(before, nb));
          if (i === Math.floor(batches.length / 2)) {
            // a northd restart: forget everything, learn SB, resync all keys
            const rows: { [t: string]: readonly Row[] } = {};
            for (const tb of SB_TABLES) rows[tb] = await sb.select(tb);
            sync = new SbSync();
            sync.load(rows);
            engine.takeChanges();
          }
          const ch = i === Math.floor(batches.length / 2) ? sync.allKeys(engine) : engine.takeChanges();
          for (const phase of phased ? sync.phases(engine, ch, 7) : [ch]) {
            const txn = sync.ops(engine, phase, i);
            if (txn.ops.length === 0) continue;
            sync.committed(txn, await sb.transact(txn.ops));
          }
          assert.deepEqual(await view(sb), expected(engine));
          // every datapath group is used by some flow or load balancer
          const used = new Set([...(await sb.select('Logical_Flow')).flatMap((f) => list(f, 'logical_dp_group')), ...(await sb.select('Load_Balancer')).flatMap((l) => list(l, 'datapath_group'))]);
          for (const g of await sb.select('Logical_DP_Group')) assert.ok(used.has(g._uuid), 'unreferenced Logical_DP_Group');
          // HA_Chassis rows live only as long as their group refers to them
          const live = new Set((await sb.select('HA_Chassis_Group')).flatMap((g) => list(g, 'ha_chassis')));
          for (const h of await sb.select('HA_Chassis')) assert.ok(live.has(h._uuid), 'orphan HA_Chassis');
          assert.equal((await sb.select('SB_Global'))[0]?.['nb_cfg'], i);
        }
      } finally {
        await sb.close();
      }
    }),
    { numRuns: 40, seed: 99 },
  );
});
