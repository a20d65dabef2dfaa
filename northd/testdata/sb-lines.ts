// northd/testdata/sb-lines.ts — SB content as sorted text lines, read from an SB store or
// made by compileFull from an NB store, so daemon tests can check "SB equals a full
// compile of NB" with one deepEqual and a readable diff. Datapaths by name, flows of a
// datapath group listed under each member. `keys`: port lines carry the tunnel key (a
// test that compares with a fresh compile only when keys cannot differ) instead of the type.
// sbStore: the SB store such a test runs northd against, in process or over HTTP.
import { startSbdb } from '../../sbdb/index.js';
import { sbSchema } from '../../schemas/index.js';
import { RemoteStore } from '../../store/client.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/types.js';
import { compileFull } from '../compile.js';
import { NB_TABLES, emptySnapshot, list, map, str } from '../nb.js';

export interface LineOptions {
  /** port lines with the tunnel key instead of the type */
  readonly keys?: boolean;
}

export async function sbLines(sb: Store, o: LineOptions = {}): Promise<string[]> {
  const dpRows = await sb.select('Datapath_Binding');
  const dps = new Map(dpRows.map((d) => [d._uuid, map(d, 'external_ids')['name'] ?? '?']));
  const groups = new Map((await sb.select('Logical_DP_Group')).map((g) => [g._uuid, list(g, 'datapaths').map((u) => dps.get(u) ?? '?')]));
  const out: string[] = [];
  for (const f of await sb.select('Logical_Flow')) {
    const dp = f['logical_datapath'];
    const names = typeof dp === 'string' ? [dps.get(dp) ?? '?'] : groups.get(String(f['logical_dp_group'])) ?? ['?'];
    for (const n of names) out.push(`flow ${n} ${map(f, 'external_ids')['stage-name']} ${String(f['priority'])} ${str(f, 'match')} ${str(f, 'actions')}`);
  }
  const pbs = await sb.select('Port_Binding');
  const pbName = new Map(pbs.map((p) => [p._uuid, str(p, 'logical_port')]));
  for (const p of pbs) out.push(`port ${str(p, 'logical_port')} ${dps.get(str(p, 'datapath'))} ${o.keys === true ? String(p['tunnel_key']) : str(p, 'type')}`);
  for (const m of await sb.select('Multicast_Group')) out.push(`mc ${dps.get(str(m, 'datapath'))} ${str(m, 'name')} ${list(m, 'ports').map((u) => pbName.get(u)).sort().join(',')}`);
  for (const d of dpRows) out.push(`dp ${map(d, 'external_ids')['name']}`);
  return out.sort();
}

export async function compiledLines(nb: Store, o: LineOptions = {}): Promise<string[]> {
  const s = emptySnapshot();
  for (const t of NB_TABLES) for (const r of await nb.select(t)) s[t].set(r._uuid, r);
  const c = compileFull(s);
  const dpName = new Map([...c.datapaths.values()].map((d) => [d.nb, d.name]));
  const out: string[] = [];
  for (const f of c.flows.values()) for (const dp of f.dps.keys()) out.push(`flow ${dpName.get(dp)} ${f.flow.stage} ${f.flow.priority} ${f.flow.match} ${f.flow.actions}`);
  for (const p of c.portBindings.values()) out.push(`port ${p.logical_port} ${dpName.get(p.datapath)} ${o.keys === true ? p.tunnel_key : p.type}`);
  for (const m of c.multicastGroups.values()) out.push(`mc ${dpName.get(m.datapath)} ${m.name} ${[...m.ports].sort().join(',')}`);
  for (const d of c.datapaths.values()) out.push(`dp ${d.name}`);
  return out.sort();
}

/**
 * An SB store on `file` for a daemon test: `sb` to read it, `sbFor` to hand northd (the
 * store itself in process, the URL of an sbdb service over HTTP); what to close is pushed
 * onto `closers` in the order to close it in reverse.
 */
export async function sbStore(mode: 'in process' | 'over HTTP', file: string, closers: (() => Promise<unknown>)[]): Promise<{ sb: Store; sbFor: Store | string }> {
  if (mode === 'in process') {
    const sb = SqliteStore.open(file, sbSchema);
    closers.push(() => sb.close());
    return { sb, sbFor: sb };
  }
  const svc = await startSbdb({ db: file, listen: '127.0.0.1:0', handleSignals: false });
  closers.push(() => svc.close());
  const sb = await RemoteStore.connect(svc.url);
  closers.push(() => sb.close());
  return { sb, sbFor: svc.url };
}
