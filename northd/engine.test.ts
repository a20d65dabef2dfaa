// incremental == recompute: random NB change sequences (switches, ports, addresses, port
// groups, ACLs, routers, router ports, NAT, static routes, load balancers) applied batch by
// batch to one NorthdEngine; after every batch its SB content equals compileFull of the
// same NB with the same tunnel keys. Also: the hot paths recompute only what they must.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Row } from '../store/types.js';
import { compileFull, keysOf } from './compile.js';
import { canonical } from './content.js';
import { checkSources } from './lflow.js';
import { NorthdEngine } from './engine.js';
import { emptySnapshot } from './nb.js';
import { applyOp, clone, diff, lbOpArb, opArb, routerOpArb, set, upd, uuid, type Nb } from './testdata/random-nb.js';

/** Equal canonical texts, or a failure naming the first differing section and entry. */
function assertSame(inc: string, full: string): void {
  if (inc === full) return;
  const a = JSON.parse(inc) as { [k: string]: unknown[] };
  const b = JSON.parse(full) as { [k: string]: unknown[] };
  for (const k of Object.keys(a)) {
    const x = (a[k] ?? []).map((e) => JSON.stringify(e));
    const y = new Set((b[k] ?? []).map((e) => JSON.stringify(e)));
    const xs = new Set(x);
    const onlyInc = x.filter((e) => !y.has(e));
    const onlyFull = [...y].filter((e) => !xs.has(e));
    if (onlyInc.length + onlyFull.length > 0) if (onlyInc.length + onlyFull.length > 0) assert.fail(`${k}: incremental only ${onlyInc.slice(0, 3).join(' | ')}\nfull only ${onlyFull.slice(0, 3).join(' | ')}`);
  }
}


test('incremental == recompute on random NB change sequences', (t) => {
  checkSources(true); // every flow's source line captured, and one shape never has two sources
  t.after(() => checkSources(false));
  let changes = 0;
  fc.assert(
    fc.property(fc.array(fc.array(opArb, { minLength: 1, maxLength: 3 }), { minLength: 5, maxLength: 60 }), (batches) => {
      const nb: Nb = emptySnapshot();
      const engine = new NorthdEngine();
      for (const ops of batches) {
        const before = clone(nb);
        for (const op of ops) applyOp(nb, op);
        const batch = diff(before, nb);
        changes += batch.length;
        engine.apply(batch);
        const full = compileFull(nb, keysOf(engine));
        assertSame(canonical(engine), canonical(full));
        // tunnel keys: unique, in range
        const dpKeys = [...engine.datapaths.values()].map((d) => d.tunnel_key);
        assert.equal(new Set(dpKeys).size, dpKeys.length);
      }
    }),
    { numRuns: 300, seed: 4242 },
  );
  assert.ok(changes > 2000, `only ${changes} row changes exercised`);
});

test('deferred units: apply(deferUnits) then buildPending in slices gives a plain apply\'s content and changed keys', (t) => {
  checkSources(true);
  t.after(() => checkSources(false));
  let deferredUnits = 0;
  const keysOf2 = (c: ReturnType<NorthdEngine['takeChanges']>): string => JSON.stringify(Object.entries(c).map(([k, v]) => [k, [...(v as Set<string>)].sort()]));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(opArb, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.integer({ min: 1, max: 4 }), fc.boolean()), { minLength: 3, maxLength: 30 }), (steps) => {
      const nb: Nb = emptySnapshot();
      const plain = new NorthdEngine();
      const deferred = new NorthdEngine();
      let carried = false;
      for (const [ops, recompute, slice, leave] of steps) {
        const before = clone(nb);
        for (const op of ops) applyOp(nb, op);
        const batch = diff(before, nb);
        plain.apply(batch, { recompute });
        deferred.apply(batch, { recompute, deferUnits: true });
        const want = plain.takeChanges();
        const got = [deferred.takeChanges()];
        if (leave) {
          // left for the next apply (or setServiceStatus) to finish first
          carried = true;
          continue;
        }
        for (let left = deferred.buildPending(0); left > 0; left = deferred.buildPending(slice)) {
          deferredUnits += Math.min(slice, left);
          got.push(deferred.takeChanges());
        }
        got.push(deferred.takeChanges());
        assert.equal(canonical(deferred), canonical(plain));
        if (carried) { carried = false; continue; }
        const merged = got.reduce((a, c) => { for (const [k, v] of Object.entries(c)) for (const x of v as Set<string>) (a as unknown as { [k: string]: Set<string> })[k]?.add(x); return a; });
        assert.equal(keysOf2(merged), keysOf2(want));
      }
      deferred.buildPending();
      assert.equal(canonical(deferred), canonical(plain));
    }),
    { numRuns: 150, seed: 4646 },
  );
  assert.ok(deferredUnits > 500, `only ${deferredUnits} deferred units built`);
});

test('incremental == recompute on router-heavy sequences (gateway ports, distributed NAT, router LBs)', (t) => {
  checkSources(true);
  t.after(() => checkSources(false));
  let crSeen = 0;
  let peerSeen = 0;
  fc.assert(
    fc.property(fc.array(fc.array(routerOpArb, { minLength: 1, maxLength: 3 }), { minLength: 5, maxLength: 40 }), (batches) => {
      const nb: Nb = emptySnapshot();
      const engine = new NorthdEngine();
      for (const ops of batches) {
        const before = clone(nb);
        for (const op of ops) applyOp(nb, op);
        engine.apply(diff(before, nb));
        const inc = canonical(engine);
        assertSame(inc, canonical(compileFull(nb, keysOf(engine))));
        for (const pb of engine.portBindings.values()) if (pb.type === 'chassisredirect') crSeen++;
        // routers patched directly (LRP peer column): the next hop's MAC on the other side
        if (inc.includes('reg0== ')) peerSeen++;
      }
    }),
    { numRuns: 150, seed: 4343 },
  );
  assert.ok(crSeen > 50, `only ${crSeen} chassisredirect bindings exercised`);
  assert.ok(peerSeen > 50, `only ${peerSeen} router-to-router peers exercised`);
});

test('incremental == recompute with LB health checks and Service_Monitor status changes between NB batches', (t) => {
  checkSources(true);
  t.after(() => checkSources(false));
  let monitors = 0;
  let down = 0;
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.array(lbOpArb, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(20), fc.constantFrom(null, 'online', 'offline', 'error')), { maxLength: 3 })), { minLength: 5, maxLength: 40 }), (steps) => {
      const nb: Nb = emptySnapshot();
      const engine = new NorthdEngine();
      const status = new Map<string, string>();
      for (const [ops, reports] of steps) {
        const before = clone(nb);
        for (const op of ops) applyOp(nb, op);
        engine.apply(diff(before, nb));
        // the controller reports on some monitors (or on ones since gone: the status stays in SB until the row goes)
        const keys = [...engine.serviceMonitors.keys()].sort();
        const updates = reports.flatMap(([i, st]) => { const key = keys[i % Math.max(1, keys.length)]; return key === undefined ? [] : [{ key, status: st }]; });
        for (const u of updates) if (u.status === null) status.delete(u.key); else status.set(u.key, u.status);
        engine.setServiceStatus(updates);
        assertSame(canonical(engine), canonical(compileFull(nb, keysOf(engine), status)));
        monitors += engine.serviceMonitors.size;
        down += [...status.values()].filter((s) => s !== 'online').length;
      }
    }),
    { numRuns: 150, seed: 4444 },
  );
  assert.ok(monitors > 50 && down > 30, `only ${monitors} monitors, ${down} down reports exercised`);
});

test('a backend reported offline leaves its VIP\'s ct_lb_mark: only that load balancer recomputes', () => {
  const nb: Nb = emptySnapshot();
  const engine = new NorthdEngine();
  const vm1: Row = { _uuid: uuid(), name: 'vm1', type: '', addresses: ['0a:00:00:00:00:01 10.0.0.1'], port_security: [], options: {} };
  const vm2: Row = { _uuid: uuid(), name: 'vm2', type: '', addresses: ['0a:00:00:00:00:02 10.0.0.2'], port_security: [], options: {} };
  const hc: Row = { _uuid: uuid(), vip: '10.0.0.100:80', options: { interval: '5' }, external_ids: {} };
  const lb: Row = { _uuid: uuid(), name: 'lb1', vips: { '10.0.0.100:80': '10.0.0.1:8080,10.0.0.2:8080' }, protocol: 'tcp', options: {}, health_check: [hc._uuid],
    ip_port_mappings: { '10.0.0.1': 'vm1:10.0.0.99', '10.0.0.2': 'vm2:10.0.0.99' } };
  const ls: Row = { _uuid: uuid(), name: 'ls1', ports: [vm1._uuid, vm2._uuid].sort(), acls: [], load_balancer: [lb._uuid] };
  const b0 = clone(nb);
  for (const [tb, r] of [['Logical_Switch_Port', vm1], ['Logical_Switch_Port', vm2], ['Load_Balancer_Health_Check', hc], ['Load_Balancer', lb], ['Logical_Switch', ls]] as const) set(nb, tb, r);
  engine.apply(diff(b0, nb));
  const lbFlow = (): string | undefined => [...engine.flows.values()].find((f) => f.flow.stage === 'ls_in_lb' && f.flow.match.includes('10.0.0.100'))?.flow.actions;
  assert.equal(lbFlow(), 'reg0[1] = 0; ct_lb_mark(backends=10.0.0.1:8080,10.0.0.2:8080);');
  assert.deepEqual([...engine.serviceMonitors.keys()].sort(), ['vm1 10.0.0.1 8080 tcp', 'vm2 10.0.0.2 8080 tcp']);
  assert.equal(engine.serviceMonitors.get('vm1 10.0.0.1 8080 tcp')?.options['interval'], '5');
  engine.takeChanges();

  const r1 = engine.setServiceStatus([{ key: 'vm2 10.0.0.2 8080 tcp', status: 'offline' }]);
  assert.deepEqual(r1.recomputed, []);
  assert.deepEqual(engine.stats().units, [`lb:${lb._uuid}`]);
  assert.equal(lbFlow(), 'reg0[1] = 0; ct_lb_mark(backends=10.0.0.1:8080);');
  assert.ok(engine.takeChanges().flows.size > 0);
  engine.setServiceStatus([{ key: 'vm1 10.0.0.1 8080 tcp', status: 'error' }]);
  assert.equal(lbFlow(), 'drop;');
  engine.setServiceStatus([{ key: 'vm1 10.0.0.1 8080 tcp', status: 'online' }, { key: 'vm2 10.0.0.2 8080 tcp', status: null }]);
  assert.equal(lbFlow(), 'reg0[1] = 0; ct_lb_mark(backends=10.0.0.1:8080,10.0.0.2:8080);');
  // a status for a key no load balancer monitors changes nothing
  assert.deepEqual(engine.setServiceStatus([{ key: 'vm9 10.0.0.9 80 tcp', status: 'offline' }]).handled, []);
});

test('hot paths: a port add recomputes only that port and its switch facts; an ACL add only that ACL', () => {
  const nb: Nb = emptySnapshot();
  const engine = new NorthdEngine();
  const ls: Row = { _uuid: uuid(), name: 'ls1', ports: [], acls: [], load_balancer: [] };
  const ports: Row[] = [];
  for (let i = 1; i <= 20; i++) ports.push({ _uuid: uuid(), name: `p${i}`, type: '', addresses: [`0a:00:00:00:00:${i.toString(16).padStart(2, '0')} 10.0.0.${i}`], port_security: [], options: {} });
  const pg: Row = { _uuid: uuid(), name: 'pg1', ports: ports.map((p) => p._uuid).sort(), acls: [] };
  const before = clone(nb);
  set(nb, 'Logical_Switch', { ...ls, ports: ports.map((p) => p._uuid).sort() });
  for (const p of ports) set(nb, 'Logical_Switch_Port', p);
  set(nb, 'Port_Group', pg);
  engine.apply(diff(before, nb));

  // port add
  const b1 = clone(nb);
  const np: Row = { _uuid: uuid(), name: 'extra', type: '', addresses: ['0a:ff:00:00:00:01 10.0.0.250'], port_security: [], options: {} };
  set(nb, 'Logical_Switch_Port', np);
  upd(nb, 'Logical_Switch', nb.Logical_Switch.get(ls._uuid) ?? ls, { ports: [...ports.map((p) => p._uuid), np._uuid].sort() });
  const r1 = engine.apply(diff(b1, nb));
  assert.deepEqual(r1.recomputed, []);
  assert.deepEqual(engine.stats().units, [`lsp:${np._uuid}`]);
  assert.ok(engine.multicastGroups.get(`${ls._uuid} _MC_flood`)?.ports.includes('extra'));

  // first stateful ACL on the group: switch facts change, so the switch unit recomputes too
  const b2 = clone(nb);
  const acl: Row = { _uuid: uuid(), direction: 'to-lport', priority: 1002, match: 'outport == @pg1 && ip4 && ip4.src == $pg1_ip4', action: 'allow-related', options: {}, label: 0 };
  set(nb, 'ACL', acl);
  upd(nb, 'Port_Group', nb.Port_Group.get(pg._uuid) ?? pg, { acls: [acl._uuid] });
  engine.apply(diff(b2, nb));
  assert.ok(engine.stats().units.includes(`acl:${acl._uuid}`));

  // second ACL: only that ACL's unit
  const b3 = clone(nb);
  const acl2: Row = { ...acl, _uuid: uuid(), match: 'outport == @pg1 && tcp.dst == 443' };
  set(nb, 'ACL', acl2);
  upd(nb, 'Port_Group', nb.Port_Group.get(pg._uuid) ?? pg, { acls: [acl._uuid, acl2._uuid].sort() });
  const r3 = engine.apply(diff(b3, nb));
  assert.deepEqual(r3.recomputed, []);
  assert.deepEqual([...engine.stats().units].sort(), [`acl:${acl._uuid}`, `acl:${acl2._uuid}`].sort());
  assert.equal(canonical(engine), canonical(compileFull(nb, keysOf(engine))));

  // NB_Global has no handler: everything recomputes
  const b4 = clone(nb);
  set(nb, 'NB_Global', { _uuid: uuid(), options: { svc_monitor_mac: '0a:0b:0c:0d:0e:0f' }, nb_cfg: 0 });
  const r4 = engine.apply(diff(b4, nb));
  assert.ok(r4.recomputed.includes('northd_data'));
  assert.equal(canonical(engine), canonical(compileFull(nb, keysOf(engine))));
});

test('hot paths on a distributed router: a NAT add recomputes that router and its switches; a gateway chassis priority change nothing', () => {
  const nb: Nb = emptySnapshot();
  const engine = new NorthdEngine();
  const gc: Row = { _uuid: uuid(), name: 'lr1-public-hv1', chassis_name: 'hv1', priority: 20, options: {}, external_ids: {} };
  const lrpIn: Row = { _uuid: uuid(), name: 'lrp1', mac: '00:00:00:00:01:01', networks: ['10.0.1.1/24'], options: {} };
  const lrpOut: Row = { _uuid: uuid(), name: 'lr1-public', mac: '00:00:00:00:ff:01', networks: ['172.16.0.1/24'], options: {}, gateway_chassis: [gc._uuid] };
  const lr: Row = { _uuid: uuid(), name: 'lr1', ports: [lrpIn._uuid, lrpOut._uuid].sort(), nat: [], static_routes: [], policies: [], load_balancer: [], options: {} };
  const rp1: Row = { _uuid: uuid(), name: 'ls1-lr1', type: 'router', addresses: ['router'], port_security: [], options: { 'router-port': 'lrp1' } };
  const rp2: Row = { _uuid: uuid(), name: 'public-lr1', type: 'router', addresses: ['router'], port_security: [], options: { 'router-port': 'lr1-public' } };
  const vms: Row[] = [];
  for (let i = 1; i <= 10; i++) vms.push({ _uuid: uuid(), name: `vm${i}`, type: '', addresses: [`0a:00:00:00:01:${i.toString(16).padStart(2, '0')} 10.0.1.${i + 10}`], port_security: [], options: {} });
  const ls1: Row = { _uuid: uuid(), name: 'ls1', ports: [rp1._uuid, ...vms.map((v) => v._uuid)].sort(), acls: [], load_balancer: [] };
  const pub: Row = { _uuid: uuid(), name: 'public', ports: [rp2._uuid], acls: [], load_balancer: [] };
  const b0 = clone(nb);
  for (const [t, r] of [['Gateway_Chassis', gc], ['Logical_Router_Port', lrpIn], ['Logical_Router_Port', lrpOut], ['Logical_Router', lr], ['Logical_Switch_Port', rp1],
    ['Logical_Switch_Port', rp2], ['Logical_Switch', ls1], ['Logical_Switch', pub], ...vms.map((v) => ['Logical_Switch_Port', v] as const)] as const) set(nb, t, r);
  engine.apply(diff(b0, nb));
  assert.equal(engine.portBindings.get('cr-lr1-public')?.type, 'chassisredirect');

  // a distributed dnat_and_snat: the router, the attached switches' router ports (ARP for
  // the NAT address, the NAT MAC's residence), the chassisredirect binding; no VM port
  const b1 = clone(nb);
  const nat: Row = { _uuid: uuid(), type: 'dnat_and_snat', external_ip: '172.16.0.11', logical_ip: '10.0.1.11', logical_port: ['vm1'], external_mac: ['0a:00:00:00:ff:0b'], options: {} };
  set(nb, 'NAT', nat);
  upd(nb, 'Logical_Router', nb.Logical_Router.get(lr._uuid) ?? lr, { nat: [nat._uuid] });
  const r1 = engine.apply(diff(b1, nb));
  assert.deepEqual(r1.recomputed, []);
  assert.deepEqual([...engine.stats().units].sort(), [`lr:${lr._uuid}`, `ls:${ls1._uuid}`, `ls:${pub._uuid}`, `lsp:${rp1._uuid}`, `lsp:${rp2._uuid}`].sort());
  assert.equal(engine.portBindings.get('cr-lr1-public')?.options['always-redirect'], undefined, 'distributed NAT: no always-redirect');
  assert.equal(canonical(engine), canonical(compileFull(nb, keysOf(engine))));

  // the gateway chassis' priority: nothing northd writes depends on it
  const b2 = clone(nb);
  upd(nb, 'Gateway_Chassis', gc, { priority: 5 });
  const r2 = engine.apply(diff(b2, nb));
  assert.deepEqual(r2.recomputed, []);
  assert.deepEqual(engine.stats().units, []);
  assert.equal(canonical(engine), canonical(compileFull(nb, keysOf(engine))));
});
