// northd/ref-chassis.test.ts — ref_chassis follows the model as gateway ports come and go:
// the model's gatewayLrps (what refChassis walks) is kept by every change, and the result
// after each change equals refChassis of a model built afresh from the same NB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID as uuid } from 'node:crypto';
import type { Row } from '../store/types.js';
import { NbModel, type NbChange } from './model.js';
import { emptySnapshot, type NbTable } from './nb.js';
import { refChassis } from './ref-chassis.js';

test('ref_chassis: a gateway port added, moved to an HA group, and removed, as a fresh model sees it', () => {
  const nb = emptySnapshot();
  const model = new NbModel();
  const put = (table: NbTable, row: Row): void => {
    const old = nb[table].get(row._uuid) ?? null;
    nb[table].set(row._uuid, row);
    model.apply([{ table, uuid: row._uuid, old, new: row } satisfies NbChange]);
  };
  // vm1 on ls1 behind lr1 is bound on hv1, vm2 on ls2 (not behind lr1) on hv2
  const bound = new Map([['vm1', 'chassis-hv1'], ['vm2', 'chassis-hv2']]);
  const chassisOf = (lport: string): string | undefined => bound.get(lport);
  const view = (m: NbModel): string[] => [...refChassis(m, chassisOf)].map(([g, cs]) => `${g}:${cs.join(',')}`).sort();
  const fresh = (): NbModel => NbModel.fromSnapshot(nb);

  const gc1: Row = { _uuid: uuid(), name: 'gw-hv1', chassis_name: 'hv1', priority: 20 };
  const gc2: Row = { _uuid: uuid(), name: 'gw-hv2', chassis_name: 'hv2', priority: 10 };
  const lrpIn: Row = { _uuid: uuid(), name: 'lrp1', mac: '00:00:00:00:01:01', networks: ['10.0.1.1/24'], options: {} };
  const lrpOut: Row = { _uuid: uuid(), name: 'lr1-public', mac: '00:00:00:00:ff:01', networks: ['172.16.0.1/24'], options: {} };
  const lr1: Row = { _uuid: uuid(), name: 'lr1', ports: [lrpIn._uuid, lrpOut._uuid], nat: [], static_routes: [], policies: [], load_balancer: [], options: {} };
  const rp1: Row = { _uuid: uuid(), name: 'ls1-lr1', type: 'router', addresses: ['router'], options: { 'router-port': 'lrp1' } };
  const vm1: Row = { _uuid: uuid(), name: 'vm1', type: '', addresses: ['0a:00:00:00:01:0b 10.0.1.11'], options: {} };
  const vm2: Row = { _uuid: uuid(), name: 'vm2', type: '', addresses: ['0a:00:00:00:02:0b 10.0.2.11'], options: {} };
  const ls1: Row = { _uuid: uuid(), name: 'ls1', ports: [rp1._uuid, vm1._uuid], acls: [], load_balancer: [] };
  const ls2: Row = { _uuid: uuid(), name: 'ls2', ports: [vm2._uuid], acls: [], load_balancer: [] };
  for (const [t, r] of [['Gateway_Chassis', gc1], ['Gateway_Chassis', gc2], ['Logical_Router_Port', lrpIn], ['Logical_Router_Port', lrpOut], ['Logical_Router', lr1],
    ['Logical_Switch_Port', rp1], ['Logical_Switch_Port', vm1], ['Logical_Switch_Port', vm2], ['Logical_Switch', ls1], ['Logical_Switch', ls2]] as const) put(t, r);

  // no gateway port: nothing to compute
  assert.equal(model.gatewayLrps.size, 0);
  assert.deepEqual(view(model), []);

  // two gateway chassis on lr1-public: the chassis of the ports behind lr1 (vm1's), not vm2's
  put('Logical_Router_Port', { ...lrpOut, gateway_chassis: [gc1._uuid, gc2._uuid] });
  assert.deepEqual([...model.gatewayLrps], [lrpOut._uuid]);
  assert.deepEqual(view(model), ['lr1-public:chassis-hv1']);
  assert.deepEqual(view(model), view(fresh()));

  // one chassis only: no choice to make, no ref_chassis (as OVN)
  put('Logical_Router_Port', { ...lrpOut, gateway_chassis: [gc1._uuid] });
  assert.deepEqual(view(model), []);
  assert.deepEqual(view(model), view(fresh()));

  // an HA chassis group instead of gateway_chassis
  const hc1: Row = { _uuid: uuid(), chassis_name: 'hv1', priority: 20 };
  const hc2: Row = { _uuid: uuid(), chassis_name: 'hv2', priority: 10 };
  const ha: Row = { _uuid: uuid(), name: 'ha1', ha_chassis: [hc1._uuid, hc2._uuid] };
  put('HA_Chassis', hc1);
  put('HA_Chassis', hc2);
  put('HA_Chassis_Group', ha);
  put('Logical_Router_Port', { ...lrpOut, ha_chassis_group: [ha._uuid] });
  assert.deepEqual(view(model), ['ha1:chassis-hv1']);
  assert.deepEqual(view(model), view(fresh()));

  // a router pinned to a chassis (options:chassis) has no distributed gateway port
  put('Logical_Router', { ...lr1, options: { chassis: 'hv1' } });
  assert.deepEqual(view(model), []);
  assert.deepEqual(view(model), view(fresh()));
  put('Logical_Router', lr1);
  assert.deepEqual(view(model), ['ha1:chassis-hv1']);

  // the port loses its gateway, then goes: the model forgets it
  put('Logical_Router_Port', { ...lrpOut });
  assert.equal(model.gatewayLrps.size, 0);
  assert.deepEqual(view(model), []);
  put('Logical_Router_Port', { ...lrpOut, gateway_chassis: [gc1._uuid, gc2._uuid] });
  nb.Logical_Router_Port.delete(lrpOut._uuid);
  model.apply([{ table: 'Logical_Router_Port', uuid: lrpOut._uuid, old: { ...lrpOut, gateway_chassis: [gc1._uuid, gc2._uuid] }, new: null }]);
  assert.equal(model.gatewayLrps.size, 0);
  assert.deepEqual(view(model), view(fresh()));
});
