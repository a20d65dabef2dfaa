// The northd daemon over real stores with the NB tables the gateway-port, DNS, QoS and
// port-type features added (Gateway_Chassis, HA_Chassis_Group, HA_Chassis, DNS, QoS): its
// NB watch sees changes to them, incremental batches leave SB equal to the pure compiler,
// and the row-only changes (a gateway chassis priority) recompute nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateNbTxn } from '../nbdb/validate.js';
import { nbSchema, sbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Store } from '../store/types.js';
import { compileFull } from './compile.js';
import { NB_TABLES, emptySnapshot, map, str } from './nb.js';
import { startNorthd } from './index.js';
import { readTopologies } from './testdata/nbctl.js';
import { nbctl } from '../cli/test-support.js';
import { within } from '../test/fixtures.js';

const topologies = readTopologies(readFileSync(new URL('./testdata/topologies.sh', import.meta.url), 'utf8'));


/** SB flows ("dp stage prio match actions", groups expanded) and bindings ("port type"). */
async function sbView(sb: Store): Promise<{ flows: string[]; ports: string[] }> {
  const dps = new Map((await sb.select('Datapath_Binding')).map((d) => [d._uuid, map(d, 'external_ids')['name'] ?? '?']));
  const groups = new Map((await sb.select('Logical_DP_Group')).map((g) => [g._uuid, (g['datapaths'] as string[]).map((u) => dps.get(u) ?? '?')]));
  const flows: string[] = [];
  for (const f of await sb.select('Logical_Flow')) {
    const dp = f['logical_datapath'];
    const names = typeof dp === 'string' ? [dps.get(dp) ?? '?'] : groups.get(String(f['logical_dp_group'])) ?? ['?'];
    for (const n of names) flows.push(`${n} ${map(f, 'external_ids')['stage-name']} ${String(f['priority'])} ${str(f, 'match')} ${str(f, 'actions')}`);
  }
  const ports = (await sb.select('Port_Binding')).map((p) => `${str(p, 'logical_port')} ${str(p, 'type')}`);
  return { flows: flows.sort(), ports: ports.sort() };
}

async function compiled(nb: Store): Promise<{ flows: string[]; ports: string[] }> {
  const s = emptySnapshot();
  for (const t of NB_TABLES) for (const r of await nb.select(t)) s[t].set(r._uuid, r);
  const c = compileFull(s);
  const dpName = new Map([...c.datapaths.values()].map((d) => [d.nb, d.name]));
  const flows: string[] = [];
  for (const f of c.flows.values()) for (const dp of f.dps.keys()) flows.push(`${dpName.get(dp)} ${f.flow.stage} ${f.flow.priority} ${f.flow.match} ${f.flow.actions}`);
  return { flows: flows.sort(), ports: [...c.portBindings.values()].map((p) => `${p.logical_port} ${p.type}`).sort() };
}


test('northd daemon: gateway ports, HA chassis groups, DNS, QoS and port types through the NB watch', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-features-'));
  const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  const sb = SqliteStore.open(join(dir, 'sb.db'), sbSchema);
  t.after(async () => {
    await nb.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await nbctl(nb, ['init']);
  for (const words of topologies.get('dgp-openstack') ?? []) await nbctl(nb, words);
  const northd = await startNorthd({ nb, sb });
  try {
    await within(northd.synced());
    assert.deepEqual(await sbView(sb), await compiled(nb));
    assert.ok((await sbView(sb)).ports.includes('cr-lr1-public chassisredirect'), 'an HA chassis group makes a gateway port');

    // the HA chassis group's membership is SB-side data: no flow changes, nothing recomputed
    await nbctl(nb, ['ha-chassis-group-add-chassis', 'gw-group', 'hv3', '10']);
    await within(northd.synced());
    assert.deepEqual(northd.stats().lastBatch?.recomputed ?? [], []);
    assert.deepEqual(await sbView(sb), await compiled(nb));

    // gateway chassis instead of the group, then none: the chassisredirect port follows
    await nbctl(nb, ['clear', 'Logical_Router_Port', 'lr1-public', 'ha_chassis_group', '--', 'lrp-set-gateway-chassis', 'lr1-public', 'hv1', '20']);
    await within(northd.synced());
    assert.deepEqual(await sbView(sb), await compiled(nb));
    assert.ok((await sbView(sb)).flows.includes('lr1 lr_in_gw_redirect 50 outport == "lr1-public" outport = "cr-lr1-public"; next;'));
    await nbctl(nb, ['lrp-set-gateway-chassis', 'lr1-public', 'hv1', '5']);
    await within(northd.synced());
    assert.deepEqual(northd.stats().lastBatch?.recomputed ?? [], [], 'a gateway chassis priority recomputes nothing');
    await nbctl(nb, ['lrp-del-gateway-chassis', 'lr1-public', 'hv1']);
    await within(northd.synced());
    const plain = await sbView(sb);
    assert.deepEqual(plain, await compiled(nb));
    assert.ok(!plain.ports.includes('cr-lr1-public chassisredirect'));

    // DNS, QoS, ACL logging, a localport and a virtual port, added through the CLI
    await nbctl(nb, ['--id=@d', 'create', 'DNS', 'records:vm1.ovn.org=10.0.1.10', '--', 'add', 'Logical_Switch', 'ls1', 'dns_records', '@d']);
    await nbctl(nb, ['qos-add', 'ls1', 'from-lport', '100', 'ip4.src == 10.0.1.10', 'dscp=12', 'rate=1000']);
    await nbctl(nb, ['meter-add', 'm1', 'drop', '10', 'pktps', '--', '--log', '--meter=m1', 'acl-add', 'ls1', 'to-lport', '1000', 'tcp.dst == 22', 'allow-related']);
    await nbctl(nb, ['lsp-add', 'ls1', 'meta', '--', 'lsp-set-type', 'meta', 'localport', '--', 'lsp-set-addresses', 'meta', '0a:00:00:00:01:fe 10.0.1.254']);
    await nbctl(nb, ['lsp-add', 'ls1', 'vip', '--', 'lsp-set-type', 'vip', 'virtual', '--', 'lsp-set-addresses', 'vip', '0a:00:00:00:01:aa 10.0.1.100',
      '--', 'lsp-set-options', 'vip', 'virtual-ip=10.0.1.100', 'virtual-parents=vm1,vm2']);
    await within(northd.synced());
    const all = await sbView(sb);
    assert.deepEqual(all, await compiled(nb));
    for (const want of [
      'ls1 ls_in_dns_lookup 100 udp.dst == 53 reg0[4] = dns_lookup(); next;',
      'ls1 ls_in_qos_mark 100 ip4.src == 10.0.1.10 ip.dscp = 12; next;',
      'ls1 ls_in_qos_meter 100 ip4.src == 10.0.1.10 set_meter(1000); next;',
      'ls1 ls_in_l2_lkup 50 eth.dst == 0a:00:00:00:01:fe outport = "meta"; output;',
    ]) assert.ok(all.flows.includes(want), want);
    assert.ok(all.flows.some((f) => f.includes('log(severity=info, verdict=allow, meter="m1")')), 'ACL log action');
    assert.ok(all.flows.some((f) => f.includes('bind_vport("vip", inport)')), 'virtual port binding');

    // a DNS record edit (a row without its own handler): everything recomputes, same result
    await nbctl(nb, ['set', 'DNS', (await nb.select('DNS'))[0]?._uuid ?? '', 'records:vm2.ovn.org=10.0.1.11']);
    await within(northd.synced());
    assert.deepEqual(await sbView(sb), await compiled(nb));
  } finally {
    await northd.close();
  }
});
