// cli/show.ts — `loom show`: the northbound overview in ovn-nbctl show's layout.
//
// Owns: the switch/router block layout (switch UUID (name), its ports with parent, tag,
// type, router-port and addresses; router blocks with port mac/networks/gateway chassis
// and NAT entries).
// Reads: the transaction-local view (Logical_Switch, Logical_Switch_Port, Logical_Router,
// Logical_Router_Port, NAT, Gateway_Chassis).
// Called by: the `show` verb in cli/nbctl.ts.
// Must never: write.
// Invariants: deterministic output: switches, routers and their ports are listed by name
// (ovn-nbctl lists them in hash/UUID order, which differs run to run), NAT entries by
// type, external ip, logical ip.

import type { Row } from '../store/types.js';
import { fail, str } from './command.js';
import { asArray, asMap } from './values.js';
import type { TxnView } from './txn-view.js';

const byName = (a: Row, b: Row) => (str(a['name']) < str(b['name']) ? -1 : str(a['name']) > str(b['name']) ? 1 : a._uuid < b._uuid ? -1 : 1);

function children(view: TxnView, table: string, ids: unknown): Row[] {
  if (!view.isLoaded(table)) return [];
  return asArray(ids as never)
    .map((u) => view.get(table, String(u)))
    .filter((r): r is Row => r !== undefined);
}

const quoted = (xs: readonly unknown[]) => `[${xs.map((x) => JSON.stringify(String(x))).join(', ')}]`;

function alias(r: Row, key: string): string {
  const v = asMap(r['external_ids'])[key];
  return v === undefined ? '' : ` (aka ${String(v)})`;
}

export function showSwitch(view: TxnView, ls: Row): string {
  let out = `switch ${ls._uuid} (${str(ls['name'])})${alias(ls, 'neutron:network_name')}\n`;
  for (const p of children(view, 'Logical_Switch_Port', ls['ports']).sort(byName)) {
    out += `    port ${str(p['name'])}${alias(p, 'neutron:port_name')}\n`;
    const parent = asArray(p['parent_name'])[0];
    if (parent !== undefined) out += `        parent: ${String(parent)}\n`;
    const tag = asArray(p['tag'])[0];
    if (tag !== undefined) out += `        tag: ${String(tag)}\n`;
    const type = str(p['type']);
    if (type !== '') out += `        type: ${type}\n`;
    if (type === 'router') {
      const rp = asMap(p['options'])['router-port'];
      if (rp !== undefined) out += `        router-port: ${String(rp)}\n`;
    }
    const addrs = asArray(p['addresses']);
    // A lone "router" address is clutter (ovn-nbctl hides it too).
    if (addrs.length > 0 && !(addrs.length === 1 && addrs[0] === 'router')) out += `        addresses: ${quoted(addrs)}\n`;
  }
  return out;
}

export function showRouter(view: TxnView, lr: Row): string {
  let out = `router ${lr._uuid} (${str(lr['name'])})${alias(lr, 'neutron:router_name')}\n`;
  for (const p of children(view, 'Logical_Router_Port', lr['ports']).sort(byName)) {
    out += `    port ${str(p['name'])}\n`;
    out += `        mac: ${JSON.stringify(str(p['mac']))}\n`;
    out += `        networks: ${quoted(asArray(p['networks']))}\n`;
    const gws = children(view, 'Gateway_Chassis', p['gateway_chassis']).sort(
      (a, b) => Number(b['priority']) - Number(a['priority']) || str(a['chassis_name']).localeCompare(str(b['chassis_name'])),
    );
    if (gws.length > 0) out += `        gateway chassis: [${gws.map((g) => str(g['chassis_name'])).join(' ')}]\n`;
  }
  const nats = children(view, 'NAT', lr['nat']).sort(
    (a, b) => str(a['type']).localeCompare(str(b['type'])) || str(a['external_ip']).localeCompare(str(b['external_ip'])) || str(a['logical_ip']).localeCompare(str(b['logical_ip'])),
  );
  for (const n of nats) {
    out += `    nat ${n._uuid}\n`;
    out += `        external ip: ${JSON.stringify(str(n['external_ip']))}\n`;
    out += `        logical ip: ${JSON.stringify(str(n['logical_ip']))}\n`;
    out += `        type: ${JSON.stringify(str(n['type']))}\n`;
  }
  return out;
}

/** The whole overview, or one switch's or router's block. */
export function showNb(view: TxnView, which?: string): string {
  const switches = view.rows('Logical_Switch').sort(byName);
  const routers = view.rows('Logical_Router').sort(byName);
  if (which !== undefined) {
    const pick = (rows: Row[]) => rows.filter((r) => r._uuid === which.toLowerCase() || r['name'] === which);
    const s = pick(switches);
    const r = pick(routers);
    if (s.length === 0 && r.length === 0) fail('not-found', `${which}: switch or router name not found`, { value: which, hint: 'list them with ls-list and lr-list' });
    return s.map((x) => showSwitch(view, x)).join('') + r.map((x) => showRouter(view, x)).join('');
  }
  return switches.map((x) => showSwitch(view, x)).join('') + routers.map((x) => showRouter(view, x)).join('');
}

/** `show` with --json: the same content, structured (for scripts; no layout to parse). */
export function showNbJson(view: TxnView, which?: string): unknown {
  const pick = (rows: Row[]) => (which === undefined ? rows : rows.filter((r) => r._uuid === which.toLowerCase() || r['name'] === which));
  const switches = pick(view.rows('Logical_Switch').sort(byName));
  const routers = pick(view.rows('Logical_Router').sort(byName));
  if (which !== undefined && switches.length === 0 && routers.length === 0) fail('not-found', `${which}: switch or router name not found`, { value: which });
  return {
    switches: switches.map((ls) => ({
      uuid: ls._uuid,
      name: str(ls['name']),
      ports: children(view, 'Logical_Switch_Port', ls['ports'])
        .sort(byName)
        .map((p) => ({
          uuid: p._uuid,
          name: str(p['name']),
          type: str(p['type']),
          addresses: asArray(p['addresses']),
          ...(asArray(p['parent_name']).length > 0 ? { parent: asArray(p['parent_name'])[0] } : {}),
          ...(asArray(p['tag']).length > 0 ? { tag: asArray(p['tag'])[0] } : {}),
          ...(asMap(p['options'])['router-port'] !== undefined ? { router_port: asMap(p['options'])['router-port'] } : {}),
        })),
    })),
    routers: routers.map((lr) => ({
      uuid: lr._uuid,
      name: str(lr['name']),
      ports: children(view, 'Logical_Router_Port', lr['ports'])
        .sort(byName)
        .map((p) => ({
          uuid: p._uuid,
          name: str(p['name']),
          mac: str(p['mac']),
          networks: asArray(p['networks']),
          gateway_chassis: children(view, 'Gateway_Chassis', p['gateway_chassis'])
            .sort((a, b) => Number(b['priority']) - Number(a['priority']))
            .map((g) => ({ chassis: str(g['chassis_name']), priority: Number(g['priority']) })),
        })),
      nat: children(view, 'NAT', lr['nat']).map((n) => ({ uuid: n._uuid, type: str(n['type']), external_ip: str(n['external_ip']), logical_ip: str(n['logical_ip']) })),
    })),
  };
}
