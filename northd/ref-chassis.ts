// northd/ref-chassis.ts — HA_Chassis_Group.ref_chassis as OVN 23.03 computes it: for the
// group of a distributed gateway port with at least two chassis, the chassis where some
// switch port is bound on a switch attached to any router of the gateway port's router
// group (routers connected through switches). ovn-controller uses it to decide which
// chassis keep BFD sessions to the gateway chassis.
//
// Owns: the router-group walk and the chassis collection. Reads: NbModel (read-only: its
// gatewayLrps, the only ports that can be gateway ports) and the
// Port_Binding.chassis the daemon learns from SB. Called by daemon.ts after each batch and
// when a binding's chassis changes. Never: writes anything; keeps no state.
// Invariant: a pure function of the model and the bindings' chassis; groups with fewer than
// two chassis (no BFD choice to make) get an empty set, as in OVN.

import type { Uuid } from '../store/types.js';
import { isDgp, type NbModel } from './model.js';
import { list, str } from './nb.js';
import { haGroupOfLrp } from './sb-tables.js';

/** Group name → Chassis row UUIDs (sorted), for every gateway-port group with two chassis or more. */
export function refChassis(m: NbModel, chassisOfPort: (lport: string) => Uuid | undefined): Map<string, Uuid[]> {
  const out = new Map<string, Uuid[]>();
  const groupOfRouter = new Map<Uuid, Uuid[]>(); // router → switches of its router group (memo)
  // only the LRPs that can be gateway ports (the model keeps them): after every batch, a
  // walk of every router's ports cost ≈0.5 ms at 50k ports for topologies with none
  for (const p of m.gatewayLrps) {
    const lrp = m.nb.Logical_Router_Port.get(p);
    const lrU = m.lrOfLrp.get(p);
    const lr = lrU === undefined ? undefined : m.nb.Logical_Router.get(lrU);
    if (lrp === undefined || lrU === undefined || lr === undefined || !isDgp(lr, lrp)) continue;
    const g = haGroupOfLrp(m, lrp);
    if (g === null || g.ha_chassis.length < 2) continue;
    let switches = groupOfRouter.get(lrU);
    if (switches === undefined) {
      const { routers, lss } = routerGroup(m, lrU);
      for (const r of routers) groupOfRouter.set(r, lss);
      switches = lss;
    }
    const chassis = new Set<Uuid>(out.get(g.name) ?? []);
    for (const ls of switches) {
      const row = m.nb.Logical_Switch.get(ls);
      for (const u of row === undefined ? [] : list(row, 'ports')) {
        const lsp = m.nb.Logical_Switch_Port.get(u);
        const c = lsp === undefined ? undefined : chassisOfPort(str(lsp, 'name'));
        if (c !== undefined) chassis.add(c);
      }
    }
    out.set(g.name, [...chassis].sort());
  }
  return out;
}

/** The routers connected to `start` through switches, and the switches attached to them. */
function routerGroup(m: NbModel, start: Uuid): { routers: Uuid[]; lss: Uuid[] } {
  const routers = new Set<Uuid>([start]);
  const lss = new Set<Uuid>();
  const todo: Uuid[] = [start];
  for (let lr = todo.pop(); lr !== undefined; lr = todo.pop()) {
    for (const ls of m.routerSwitches(lr)) {
      if (lss.has(ls)) continue;
      lss.add(ls);
      const row = m.nb.Logical_Switch.get(ls);
      for (const u of row === undefined ? [] : list(row, 'ports')) {
        const lsp = m.nb.Logical_Switch_Port.get(u);
        const lrp = lsp === undefined ? undefined : m.peerLrp(lsp);
        const other = lrp === undefined ? undefined : m.lrOfLrp.get(lrp._uuid);
        if (other !== undefined && !routers.has(other)) {
          routers.add(other);
          todo.push(other);
        }
      }
    }
  }
  return { routers: [...routers], lss: [...lss] };
}
