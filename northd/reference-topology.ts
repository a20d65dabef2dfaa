// northd/reference-topology.ts — the reference topology of /work/shared/bench/ref-ovn-northd.sh
// as NB transactions: per tenant a switch, a router with one port, the switch's router
// port, PORTS/TENANTS ports with addresses and port security, a port group of them with
// three ACLs (ssh allow-related, member-source allow-related via $pgN_ip4, drop ip).
// Same names, MACs and IPs as the script, one transaction per tenant; and its two
// incremental steps (a port, an ACL).
// Called by: northd/warm-up.ts (one small tenant and the steps, run on a scratch northd),
// bench/northd and bench/store (the topology at scale), tests.
import type { Operation } from '../store/types.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

export function tenantOps(t: number, per: number): Operation[] {
  const ops: Operation[] = [];
  const ports: unknown[] = [];
  for (let p = 1; p <= per; p++) {
    const mac = `0a:${hex2((t >> 8) & 255)}:${hex2(t & 255)}:00:${hex2((p >> 8) & 255)}:${hex2(p & 255)}`;
    const ip = `10.${(t >> 8) & 255}.${t & 255}.${(p % 250) + 1}`;
    ops.push({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `p${p}`, row: { name: `p${t}-${p}`, addresses: [`${mac} ${ip}`], port_security: [`${mac} ${ip}`] } });
    ports.push(['named-uuid', `p${p}`]);
  }
  ops.push({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'rp', row: { name: `ls${t}-lr`, type: 'router', addresses: ['router'], options: { 'router-port': `lrp${t}` } } });
  ops.push({ op: 'insert', table: 'Logical_Switch', row: { name: `ls${t}`, ports: ['set', [...ports, ['named-uuid', 'rp']]] } });
  ops.push({ op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'lrp', row: { name: `lrp${t}`, mac: `00:00:01:00:${hex2((t >> 8) & 255)}:${hex2(t & 255)}`, networks: [`10.${(t >> 8) & 255}.${t & 255}.254/24`] } });
  ops.push({ op: 'insert', table: 'Logical_Router', row: { name: `lr${t}`, ports: ['set', [['named-uuid', 'lrp']]] } });
  const acls: [string, number, string, string][] = [
    ['to-lport', 1002, `outport == @pg${t} && ip4 && tcp.dst == 22`, 'allow-related'],
    ['to-lport', 1002, `outport == @pg${t} && ip4 && ip4.src == $pg${t}_ip4`, 'allow-related'],
    ['to-lport', 1001, `outport == @pg${t} && ip`, 'drop'],
  ];
  acls.forEach(([direction, priority, match, action], i) => {
    ops.push({ op: 'insert', table: 'ACL', 'uuid-name': `a${i}`, row: { direction, priority, match, action } });
  });
  ops.push({ op: 'insert', table: 'Port_Group', row: { name: `pg${t}`, ports: ['set', ports], acls: ['set', acls.map((_, i) => ['named-uuid', `a${i}`])] } });
  return ops;
}

/** The script's incremental steps: one port on ls1, one ACL on pg1 (the i-th of each: extra<i>, tcp.dst == 442+i). */
export function portAddOps(i = 1): Operation[] {
  return [
    { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'x', row: { name: `extra${i}`, addresses: [`0a:ff:00:00:00:${hex2(i)} 10.0.1.${251 - i}`] } },
    { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls1']], mutations: [['ports', 'insert', ['set', [['named-uuid', 'x']]]]] },
  ];
}

export function aclAddOps(i = 1): Operation[] {
  return [
    { op: 'insert', table: 'ACL', 'uuid-name': 'a', row: { direction: 'to-lport', priority: 1003, match: `outport == @pg1 && tcp.dst == ${442 + i}`, action: 'allow-related' } },
    { op: 'mutate', table: 'Port_Group', where: [['name', '==', 'pg1']], mutations: [['acls', 'insert', ['set', [['named-uuid', 'a']]]]] },
  ];
}
