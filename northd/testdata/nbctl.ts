// northd/testdata/nbctl.ts — test support: applies the ovn-nbctl verbs that topologies.sh
// uses to an in-memory NB (plain rows), so golden tests build the same intent loom-side as
// gen-golden.sh built in OVN. Not the CLI (cli/ owns that); only what the goldens need.

import { randomUUID } from 'node:crypto';
import type { Row, Uuid } from '../../store/types.js';
import { emptySnapshot, list, map, str, type NbTable } from '../nb.js';

export type MutableNb = { [T in NbTable]: Map<Uuid, Row> };

/**
 * Splits one shell-quoted line into words as bash does: "..." and '...' segments lose their
 * quotes and join the text around them (ip_prefix='"fd31::/64"' is ip_prefix="fd31::/64");
 * no escapes needed.
 */
export function shellWords(line: string): string[] {
  const out: string[] = [];
  const re = /\s+|"([^"]*)"|'([^']*)'|([^\s"']+)/g;
  let cur: string | null = null;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    if (/^\s/.test(m[0])) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else cur = (cur ?? '') + (m[1] ?? m[2] ?? m[3] ?? '');
  }
  if (cur !== null) out.push(cur);
  return out;
}

/** An OVSDB string as ovn-nbctl reads it: "..." with backslash escapes, else as is. */
function unquote(x: string): string {
  if (!/^".*"$/.test(x)) return x;
  try {
    const v: unknown = JSON.parse(x);
    return typeof v === 'string' ? v : x.slice(1, -1);
  } catch {
    return x.slice(1, -1);
  }
}

export function readTopologies(text: string): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  let cur: string[][] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('topology ')) {
      cur = [];
      out.set(line.slice(9), cur);
      continue;
    }
    cur?.push(shellWords(line));
  }
  return out;
}

export class Nbctl {
  readonly nb: MutableNb = emptySnapshot();

  private find(t: NbTable, name: string): Row {
    // "." is the only row of NB_Global (made on first use)
    if (t === 'NB_Global' && name === '.') {
      const g = [...this.nb.NB_Global.values()][0];
      return g ?? this.nb.NB_Global.get(this.insert('NB_Global', { options: {} })) as Row;
    }
    for (const r of this.nb[t].values()) if (str(r, 'name') === name) return r;
    throw new Error(`nbctl: no ${t} named ${name}`);
  }
  private insert(t: NbTable, row: Omit<Row, '_uuid'>): Uuid {
    const u = randomUUID();
    this.nb[t].set(u, { ...row, _uuid: u } as Row);
    return u;
  }
  private update(t: NbTable, r: Row, cols: { [c: string]: unknown }): void {
    this.nb[t].set(r._uuid, { ...r, ...cols } as Row);
  }
  private push(t: NbTable, r: Row, col: string, u: Uuid): void {
    this.update(t, this.nb[t].get(r._uuid) ?? r, { [col]: [...list(this.nb[t].get(r._uuid) ?? r, col), u].sort() });
  }

  /** Runs one ovn-nbctl invocation (commands joined by --). */
  run(words: readonly string[]): void {
    const cmds: string[][] = [[]];
    for (const w of words) {
      if (w === '--') cmds.push([]);
      else cmds[cmds.length - 1]?.push(w);
    }
    for (const c of cmds) if (c.length > 0) this.one(c);
  }

  private readonly ids = new Map<string, Uuid>();

  private one(words: string[]): void {
    const opts = words.filter((w) => w.startsWith('--'));
    const id = opts.find((o) => o.startsWith('--id=@'))?.slice(5);
    const [verb, ...a] = words.filter((w) => !w.startsWith('--'));
    const arg = (i: number): string => {
      const v = a[i];
      if (v === undefined) throw new Error(`nbctl ${verb}: missing argument ${i}`);
      return v;
    };
    switch (verb) {
      case 'ls-add': this.insert('Logical_Switch', { name: arg(0), ports: [], acls: [], load_balancer: [] }); break;
      case 'lr-add': this.insert('Logical_Router', { name: arg(0), ports: [], nat: [], static_routes: [], policies: [], load_balancer: [], options: {} }); break;
      case 'lsp-add': {
        const u = this.insert('Logical_Switch_Port', { name: arg(1), type: '', addresses: [], port_security: [], options: {} });
        this.push('Logical_Switch', this.find('Logical_Switch', arg(0)), 'ports', u);
        break;
      }
      case 'lsp-set-addresses': this.update('Logical_Switch_Port', this.find('Logical_Switch_Port', arg(0)), { addresses: a.slice(1).sort() }); break;
      case 'lsp-set-port-security': this.update('Logical_Switch_Port', this.find('Logical_Switch_Port', arg(0)), { port_security: a.slice(1).sort() }); break;
      case 'lsp-set-enabled': this.update('Logical_Switch_Port', this.find('Logical_Switch_Port', arg(0)), { enabled: [arg(1) === 'enabled'] }); break;
      case 'lsp-set-type': this.update('Logical_Switch_Port', this.find('Logical_Switch_Port', arg(0)), { type: arg(1) }); break;
      case 'lsp-set-options': {
        const o: { [k: string]: string } = {};
        for (const kv of a.slice(1)) { const [k, v] = kv.split('='); if (k !== undefined) o[k] = v ?? ''; }
        this.update('Logical_Switch_Port', this.find('Logical_Switch_Port', arg(0)), { options: o });
        break;
      }
      case 'lrp-add': {
        // lrp-add ROUTER PORT MAC NETWORK... [peer=PEER]
        const peer = a.slice(3).find((x) => x.startsWith('peer='))?.slice(5);
        const u = this.insert('Logical_Router_Port', { name: arg(1), mac: arg(2), networks: a.slice(3).filter((x) => !x.startsWith('peer=')).sort(), options: {}, ...(peer !== undefined ? { peer: [peer] } : {}) });
        this.push('Logical_Router', this.find('Logical_Router', arg(0)), 'ports', u);
        break;
      }
      case 'create': {
        const row: { [k: string]: unknown } = {};
        for (const kv of a.slice(1)) {
          const m = /^(\w+):("[^"]*"|[\w.-]+)=(.*)$/.exec(kv);
          if (m !== null && m[1] !== undefined && m[2] !== undefined) row[m[1]] = { ...(row[m[1]] as object | undefined), [unquote(m[2])]: unquote(m[3] ?? '') };
          else {
            const i = kv.indexOf('=');
            const k = kv.slice(0, i);
            const v = unquote(kv.slice(i + 1));
            if (v.startsWith('@')) row[k] = v.split(',').map((x) => this.ids.get(x) ?? '').sort();
            else row[k] = /^\d+$/.test(v) ? Number(v) : v === 'true' || v === 'false' ? v === 'true' : v;
          }
        }
        const u = this.insert(arg(0) as NbTable, row as Omit<Row, '_uuid'>);
        if (id !== undefined) this.ids.set(id, u);
        break;
      }
      case 'set': {
        const t = arg(0) as NbTable;
        const r = this.find(t, arg(1));
        for (const kv of a.slice(2)) {
          const ref = /^(\w+)=(@\w+(?:,@\w+)*)$/.exec(kv);
          if (ref !== null && ref[1] !== undefined && ref[2] !== undefined) {
            this.update(t, this.nb[t].get(r._uuid) ?? r, { [ref[1]]: ref[2].split(',').map((x) => this.ids.get(x) ?? '').sort() });
            continue;
          }
          const plain = /^(\w+)=(true|false|\d+)$/.exec(kv);
          if (plain !== null && plain[1] !== undefined && plain[2] !== undefined) {
            const v = plain[2];
            this.update(t, this.nb[t].get(r._uuid) ?? r, { [plain[1]]: v === 'true' || v === 'false' ? [v === 'true'] : [Number(v)] });
            continue;
          }
          // col:key=value, the key or value "quoted" when it holds ':' (IPv6)
          const m = /^(\w+):("[^"]*"|[\w.-]+)=(.*)$/.exec(kv);
          if (m === null || m[1] === undefined || m[2] === undefined) throw new Error(`nbctl set: ${kv}`);
          const unq = unquote;
          this.update(t, this.nb[t].get(r._uuid) ?? r, { [m[1]]: { ...map(this.nb[t].get(r._uuid) ?? r, m[1]), [unq(m[2])]: unq(m[3] ?? '') } });
        }
        break;
      }
      case 'add': {
        // add TABLE RECORD COLUMN VALUE...: set members (@refs or values) or map key=value pairs
        const t = arg(0) as NbTable;
        const r = this.find(t, arg(1));
        const col = arg(2);
        for (const v of a.slice(3)) {
          const cur = this.nb[t].get(r._uuid) ?? r;
          const kv = /^("[^"]*"|[\w.:-]+)=(.*)$/.exec(v);
          if (kv !== null && kv[1] !== undefined && !v.startsWith('@')) {
            const unq = unquote;
            this.update(t, cur, { [col]: { ...map(cur, col), [unq(kv[1])]: unq(kv[2] ?? '') } });
          } else {
            const x = v.startsWith('@') ? this.ids.get(v) ?? '' : v;
            this.update(t, cur, { [col]: [...new Set([...list(cur, col), x])].sort() });
          }
        }
        break;
      }
      case 'pg-add': {
        const ports = a.slice(1).map((n) => this.find('Logical_Switch_Port', n)._uuid).sort();
        this.insert('Port_Group', { name: arg(0), ports, acls: [] });
        break;
      }
      case 'acl-add': {
        const pg = opts.includes('--type=port-group');
        const label = Number(opts.find((o) => o.startsWith('--label='))?.slice(8) ?? 0);
        const options: { [k: string]: string } = opts.includes('--apply-after-lb') ? { 'apply-after-lb': 'true' } : {};
        const opt = (k: string): string[] => { const o = opts.find((x) => x.startsWith(`--${k}=`)); return o === undefined ? [] : [o.slice(k.length + 3)]; };
        const log = opts.includes('--log') || opt('name').length + opt('severity').length + opt('meter').length > 0;
        const u = this.insert('ACL', {
          direction: arg(1), priority: Number(arg(2)), match: arg(3), action: arg(4), options, label,
          log, name: opt('name'), severity: opt('severity'), meter: opt('meter'),
        });
        if (pg) this.push('Port_Group', this.find('Port_Group', arg(0)), 'acls', u);
        else this.push('Logical_Switch', this.find('Logical_Switch', arg(0)), 'acls', u);
        break;
      }
      case 'qos-add': {
        const action: { [k: string]: string } = {};
        const bandwidth: { [k: string]: string } = {};
        for (const kv of a.slice(4)) {
          const [k, v] = kv.split('=');
          if (k === 'dscp' && v !== undefined) action['dscp'] = v;
          else if ((k === 'rate' || k === 'burst') && v !== undefined) bandwidth[k] = v;
        }
        const u = this.insert('QoS', { direction: arg(1), priority: Number(arg(2)), match: arg(3), action, bandwidth, external_ids: {} });
        this.push('Logical_Switch', this.find('Logical_Switch', arg(0)), 'qos_rules', u);
        break;
      }
      case 'meter-add': {
        // meter-add NAME ACTION RATE UNIT [BURST], --fair
        const band = this.insert('Meter_Band', { action: arg(1), rate: Number(arg(2)), burst_size: Number(a[4] ?? 0), external_ids: {} });
        this.insert('Meter', { name: arg(0), unit: arg(3), bands: [band], fair: opts.includes('--fair') ? [true] : [], external_ids: {} });
        break;
      }
      case 'lb-add': this.insert('Load_Balancer', { name: arg(0), vips: { [arg(1)]: arg(2) }, protocol: a[3] ?? 'tcp', options: {} }); break;
      case 'lr-lb-add': this.push('Logical_Router', this.find('Logical_Router', arg(0)), 'load_balancer', this.find('Load_Balancer', arg(1))._uuid); break;
      case 'ls-lb-add': this.push('Logical_Switch', this.find('Logical_Switch', arg(0)), 'load_balancer', this.find('Load_Balancer', arg(1))._uuid); break;
      case 'lrp-set-gateway-chassis': {
        const lrp = this.find('Logical_Router_Port', arg(0));
        const u = this.insert('Gateway_Chassis', { name: `${arg(0)}-${arg(1)}`, chassis_name: arg(1), priority: Number(a[2] ?? 0), options: {}, external_ids: {} });
        this.push('Logical_Router_Port', lrp, 'gateway_chassis', u);
        break;
      }
      case 'lr-nat-add': {
        const extra: { [k: string]: string[] } = a[4] !== undefined ? { logical_port: [a[4]], external_mac: a[5] !== undefined ? [a[5]] : [] } : {};
        const gp = opts.find((o) => o.startsWith('--gateway-port='))?.slice(15);
        if (opts.includes('--stateless')) extra['options'] = [] as string[]; // marker, replaced below
        if (gp !== undefined) extra['gateway_port'] = [this.find('Logical_Router_Port', gp)._uuid];
        const { options: stateless, ...cols } = extra;
        const u = this.insert('NAT', { type: arg(1), external_ip: arg(2), logical_ip: arg(3), options: stateless !== undefined ? { stateless: 'true' } : {}, ...cols });
        this.push('Logical_Router', this.find('Logical_Router', arg(0)), 'nat', u);
        break;
      }
      case 'lr-route-add': {
        const policy = opts.find((o) => o.startsWith('--policy='))?.slice(9);
        const options: { [k: string]: string } = opts.includes('--ecmp-symmetric-reply') ? { ecmp_symmetric_reply: 'true' } : {};
        const u = this.insert('Logical_Router_Static_Route', {
          ip_prefix: arg(1), nexthop: arg(2), route_table: '', options, ...(a[3] !== undefined ? { output_port: a[3] } : {}), ...(policy !== undefined ? { policy: [policy] } : {}),
        });
        this.push('Logical_Router', this.find('Logical_Router', arg(0)), 'static_routes', u);
        break;
      }
      case 'lr-policy-add': {
        // a reroute names its nexthops comma-separated (several: ECMP)
        const u = this.insert('Logical_Router_Policy', { priority: Number(arg(1)), match: arg(2), action: arg(3), nexthops: a[4] !== undefined ? a[4].split(',').sort() : [], options: {} });
        this.push('Logical_Router', this.find('Logical_Router', arg(0)), 'policies', u);
        break;
      }
      case 'sb-svc-status': break; // SB-side (a controller's health check): the golden test applies it
      default:
        throw new Error(`nbctl: verb ${verb} not supported by the test helper`);
    }
  }
}
