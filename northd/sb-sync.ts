// northd/sb-sync.ts — turns SbContent changes into one southbound transaction.
//
// Owns: the map from northd's natural keys (datapath NB uuid, logical_port, flow identity,
// datapath set, address set / port group name, HA group / meter name, DNS / load balancer NB
// uuid, service monitor key, IP_Multicast's switch) to SB row UUIDs, and the operations that
// make SB equal to the content: insert new, update changed, delete gone. HA_Chassis and
// Meter_Band rows are rewritten with their group / meter (not root: old ones go with the last
// reference); HA_Chassis.chassis is linked to the SB Chassis of that name (`chassisChanged`).
// Reads: SB rows once at (re)sync (`load`). Called by daemon.ts. Never: writes
// Port_Binding.chassis (the controller owns it), Service_Monitor.status, IP_Multicast.seq_no
// after the insert, or any column northd does not own; never mutates a Logical_DP_Group
// in place (a flow whose datapath set changes moves to the group of its new set; load
// balancers hold groups as flows do).
// Invariant: after a successful transaction of `ops(...)` followed by `committed(...)`,
// the maps equal SB's rows for the keys northd owns.

import type { Operation, Row, TransactResult, Uuid } from '../store/types.js';
import { emptyChanges, type ContentChanges } from './engine.js';
import type { SbContent, SbDatapath, SbDns, SbHaChassisGroup, SbLoadBalancer, SbMeter, SbMulticastGroup, SbPortBinding, SbServiceMonitor } from './content.js';
import { svcKey } from './sb-tables.js';
import { flowExternalIds, flowKey, type SharedFlow } from './lflow.js';
import { findStage } from './stages.js';
import { int, list, map, str } from './nb.js';

/**
 * A row northd tracks: its SB uuid (a plain string: no object per tracked row once
 * committed), or until its insert commits the insert's uuid-name, or (rows no other
 * operation refers to: logical flows) just the insert's operation index (a number: no
 * object per flow either).
 */
type Ref = Uuid | { name: string } | number;
const isUuidRef = (r: Ref): r is Uuid => typeof r === 'string';
const refValue = (r: Ref): unknown => (isUuidRef(r) ? ['uuid', r] : typeof r === 'number' ? null : ['named-uuid', r.name]);

interface Tracked {
  ref: Ref;
  /** JSON text of the row as last written ('' when unknown: rewrite on change) */
  sig: string;
  /**
   * the row as inserted, its text not yet taken (a full compile inserts 10k+ rows whose
   * text is only ever needed if they change again): `sigOf` turns it into `sig`
   */
  row?: { [k: string]: unknown } | undefined;
  /** refValue(ref), built once: 44k flows refer to ~200 datapaths */
  val?: unknown;
}

function sigOf(t: Tracked): string {
  if (t.row !== undefined) {
    t.sig = JSON.stringify(t.row);
    t.row = undefined;
  }
  return t.sig;
}

interface FlowRow {
  ref: Ref;
  /** the datapath set the row refers to, as a group key */
  dps: string;
}

interface GroupRow {
  ref: Ref;
  count: number;
}

/** One pending transaction: operations plus what to record once it commits. */
export interface SbTxn {
  readonly ops: Operation[];
  /** operation index of each insert, by uuid-name, to learn the new UUIDs */
  readonly inserted: Map<string, number>;
  /** the tracking entries that hold a uuid-name or op index until the transaction commits */
  readonly holders: { ref: Ref; val?: unknown }[];
}

const dpsKey = (dps: Iterable<Uuid>): string => [...dps].sort().join(',');

export class SbSync {
  private readonly dps = new Map<Uuid, Tracked>();
  private readonly pbs = new Map<string, Tracked>();
  private readonly mcs = new Map<string, Tracked>();
  private readonly flows = new Map<string, FlowRow>();
  private readonly groups = new Map<string, GroupRow>();
  /** groups whose count dropped to 0 in this transaction (deleted at its end unless reused) */
  private readonly unused = new Set<string>();
  private readonly ass = new Map<string, Tracked>();
  private readonly pgs = new Map<string, Tracked>();
  private readonly has = new Map<string, Tracked>();
  private readonly dnss = new Map<string, Tracked>();
  private readonly meters = new Map<string, Tracked>();
  private readonly svms = new Map<string, Tracked>();
  private readonly ipms = new Map<string, Tracked>();
  /** load balancers, with the datapath-group key they hold */
  private readonly lbs = new Map<string, Tracked & { dps: string }>();
  /** SB Chassis by name: HA_Chassis.chassis points at the row named by its chassis-name */
  private readonly chassis = new Map<string, Uuid>();
  /** chassis name → the HA groups northd wrote naming it (re-linked when the chassis comes or goes) */
  private readonly haByChassis = new Map<string, Set<string>>();
  /** HA group → ref_chassis (Chassis UUIDs) as the daemon computed it (ref-chassis.ts) */
  private readonly refs = new Map<string, readonly Uuid[]>();
  /** HA group → the chassis names of its last write */
  private readonly haNames = new Map<string, string[]>();
  private globalUuid: Uuid | null = null;
  private globalNbCfg = -1;
  private nameSeq = 0;
  /** rows found in SB at load time that northd owns but no longer wants */
  private stale: { table: string; uuid: Uuid }[] = [];

  /** Learns SB's current rows (start, reconnect, failed transaction). */
  load(rows: { readonly [table: string]: readonly Row[] }): void {
    for (const m of [this.dps, this.pbs, this.mcs, this.flows, this.groups, this.ass, this.pgs, this.has, this.dnss, this.meters, this.svms, this.ipms, this.lbs, this.chassis, this.haByChassis, this.haNames] as Map<string, unknown>[]) m.clear();
    this.unused.clear();
    this.stale = [];
    const dpNb = new Map<Uuid, Uuid>();
    for (const r of rows['Datapath_Binding'] ?? []) {
      const ids = map(r, 'external_ids');
      const nb = ids['logical-switch'] ?? ids['logical-router'];
      if (nb === undefined || this.dps.has(nb)) { this.stale.push({ table: 'Datapath_Binding', uuid: r._uuid }); continue; }
      dpNb.set(r._uuid, nb);
      this.dps.set(nb, { ref: r._uuid, sig: '' });
    }
    const pbName = new Map<Uuid, string>();
    for (const r of rows['Port_Binding'] ?? []) {
      const n = str(r, 'logical_port');
      if (this.pbs.has(n)) { this.stale.push({ table: 'Port_Binding', uuid: r._uuid }); continue; }
      pbName.set(r._uuid, n);
      this.pbs.set(n, { ref: r._uuid, sig: '' });
    }
    for (const r of rows['Multicast_Group'] ?? []) {
      const dp = dpNb.get(str(r, 'datapath'));
      const k = `${dp} ${str(r, 'name')}`;
      if (dp === undefined || this.mcs.has(k)) { this.stale.push({ table: 'Multicast_Group', uuid: r._uuid }); continue; }
      this.mcs.set(k, { ref: r._uuid, sig: '' });
    }
    const groupDps = new Map<Uuid, string>();
    for (const r of rows['Logical_DP_Group'] ?? []) {
      const k = dpsKey(list(r, 'datapaths').map((u) => dpNb.get(u) ?? `?${u}`));
      groupDps.set(r._uuid, k);
      if (this.groups.has(k)) this.stale.push({ table: 'Logical_DP_Group', uuid: r._uuid });
      else this.groups.set(k, { ref: r._uuid, count: 0 });
    }
    for (const r of rows['Logical_Flow'] ?? []) {
      const ids = map(r, 'external_ids');
      const st = findStage(ids['stage-name'] ?? '');
      const dpU = list(r, 'logical_datapath')[0];
      const grU = list(r, 'logical_dp_group')[0];
      const dps = dpU !== undefined ? dpNb.get(dpU) : grU !== undefined ? groupDps.get(grU) : undefined;
      const k = st === undefined ? undefined : flowKey({
        stage: st.name as SharedFlow['flow']['stage'], pipeline: st.pipeline, table: st.table, priority: int(r, 'priority') ?? -1,
        match: str(r, 'match'), actions: str(r, 'actions'), nbRow: ids['nb-row'] ?? '', source: ids['source'] ?? '',
      });
      if (k === undefined || dps === undefined || this.flows.has(k)) {
        this.stale.push({ table: 'Logical_Flow', uuid: r._uuid });
        continue;
      }
      // a flow whose group row is a duplicate we dropped: treat as stale, re-insert
      const g = grU !== undefined ? this.groups.get(dps) : undefined;
      if (grU !== undefined && (g === undefined || g.ref !== grU)) {
        this.stale.push({ table: 'Logical_Flow', uuid: r._uuid });
        continue;
      }
      if (g !== undefined) g.count++;
      this.flows.set(k, { ref: r._uuid, dps });
    }
    for (const r of rows['Load_Balancer'] ?? []) {
      const id = map(r, 'external_ids')['lb_id'];
      const grU = list(r, 'datapath_group')[0];
      const k = grU === undefined ? undefined : groupDps.get(grU);
      const g = k === undefined ? undefined : this.groups.get(k);
      if (id === undefined || this.lbs.has(id) || k === undefined || g === undefined || g.ref !== grU) { this.stale.push({ table: 'Load_Balancer', uuid: r._uuid }); continue; }
      g.count++;
      this.lbs.set(id, { ref: r._uuid, sig: '', dps: k });
    }
    for (const [k, g] of this.groups) if (g.count === 0) this.unused.add(k);
    const byName = (table: string, col: string, into: Map<string, Tracked>, key: (r: Row) => string | undefined = (r) => str(r, col)): void => {
      for (const r of rows[table] ?? []) {
        const k = key(r);
        if (k === undefined || into.has(k)) this.stale.push({ table, uuid: r._uuid });
        else into.set(k, { ref: r._uuid, sig: '' });
      }
    };
    byName('HA_Chassis_Group', 'name', this.has);
    byName('Meter', 'name', this.meters);
    byName('DNS', '', this.dnss, (r) => map(r, 'external_ids')['dns_id']);
    byName('IP_Multicast', '', this.ipms, (r) => dpNb.get(str(r, 'datapath')));
    byName('Service_Monitor', '', this.svms, (r) => svcKey(str(r, 'logical_port'), str(r, 'ip'), int(r, 'port') ?? 0, str(r, 'protocol') || 'tcp'));
    for (const r of rows['Chassis'] ?? []) this.chassis.set(str(r, 'name'), r._uuid);
    for (const r of rows['Address_Set'] ?? []) this.ass.set(str(r, 'name'), { ref: r._uuid, sig: '' });
    for (const r of rows['Port_Group'] ?? []) this.pgs.set(str(r, 'name'), { ref: r._uuid, sig: '' });
    const g = (rows['SB_Global'] ?? [])[0];
    this.globalUuid = g === undefined ? null : g._uuid;
    this.globalNbCfg = g === undefined ? -1 : int(g, 'nb_cfg') ?? 0;
  }

  /** Every key SB holds or the content wants: for a full resync after `load`. */
  allKeys(c: SbContent): ContentChanges {
    const union = <K>(a: ReadonlyMap<K, unknown>, b: ReadonlyMap<K, unknown>): Set<K> => {
      const s = new Set(b.keys());
      for (const k of a.keys()) s.add(k);
      return s;
    };
    return {
      datapaths: union(this.dps, c.datapaths),
      portBindings: union(this.pbs, c.portBindings),
      multicastGroups: union(this.mcs, c.multicastGroups),
      flows: union(this.flows, c.flows),
      addressSets: union(this.ass, c.addressSets),
      portGroups: union(this.pgs, c.portGroups),
      haChassisGroups: union(this.has, c.haChassisGroups),
      dns: union(this.dnss, c.dns),
      meters: union(this.meters, c.meters),
      loadBalancers: union(this.lbs, c.loadBalancers),
      serviceMonitors: union(this.svms, c.serviceMonitors),
      ipMulticast: union(this.ipms, c.ipMulticast),
    };
  }

  /**
   * A Chassis row appeared, changed name or went (uuid null): the HA groups whose
   * HA_Chassis name it, which the next `ops` must rewrite to link (or unlink) it.
   */
  /** A group's ref_chassis changed: true when the next `ops` for it must rewrite the row. */
  setRefChassis(group: string, chassis: readonly Uuid[]): boolean {
    const old = this.refs.get(group) ?? [];
    if (old.length === chassis.length && old.every((c, i) => c === chassis[i])) return false;
    if (chassis.length === 0) this.refs.delete(group);
    else this.refs.set(group, [...chassis]);
    return true;
  }

  /** The groups that have a ref_chassis set (the daemon clears those no longer computed). */
  refGroups(): string[] {
    return [...this.refs.keys()];
  }

  chassisChanged(name: string, uuid: Uuid | null): string[] {
    if (uuid === null) this.chassis.delete(name);
    else this.chassis.set(name, uuid);
    for (const k of this.haByChassis.get(name) ?? []) { const t = this.has.get(k); if (t !== undefined) t.sig = ''; }
    return [...(this.haByChassis.get(name) ?? [])];
  }

  /**
   * The changes as one transaction when small, else as consecutive phases that each stay
   * under `maxKeys` keys (a store caps operations per transaction): datapaths, port
   * bindings, multicast groups, flows (with their groups), address sets and port groups,
   * then deleted datapaths last. Each phase only refers to rows of earlier phases.
   */
  phases(c: SbContent, ch: ContentChanges, maxKeys = 40000): ContentChanges[] {
    const total = ch.datapaths.size + ch.portBindings.size + ch.multicastGroups.size + ch.flows.size + ch.addressSets.size + ch.portGroups.size + this.stale.length
      + ch.haChassisGroups.size + ch.dns.size + ch.meters.size + ch.loadBalancers.size + ch.serviceMonitors.size + ch.ipMulticast.size;
    if (total <= maxKeys) return [ch];
    const none = emptyChanges;
    const out: ContentChanges[] = [];
    const slice = <K extends keyof ContentChanges>(field: K, keys: Iterable<string>): void => {
      let cur = none();
      for (const k of keys) {
        cur[field].add(k);
        if (cur[field].size >= maxKeys) { out.push(cur); cur = none(); }
      }
      if (cur[field].size > 0) out.push(cur);
    };
    const gone = [...ch.datapaths].filter((k) => !c.datapaths.has(k));
    slice('datapaths', [...ch.datapaths].filter((k) => c.datapaths.has(k)));
    // bindings name HA groups: groups first, a group's deletion after the bindings let go
    slice('haChassisGroups', [...ch.haChassisGroups].filter((k) => c.haChassisGroups.has(k)));
    slice('portBindings', ch.portBindings);
    slice('multicastGroups', ch.multicastGroups);
    slice('flows', ch.flows);
    slice('addressSets', ch.addressSets);
    slice('portGroups', ch.portGroups);
    slice('dns', ch.dns);
    slice('meters', ch.meters);
    slice('loadBalancers', ch.loadBalancers);
    slice('serviceMonitors', ch.serviceMonitors);
    slice('ipMulticast', ch.ipMulticast);
    const last = none();
    for (const k of gone) last.datapaths.add(k);
    for (const k of ch.haChassisGroups) if (!c.haChassisGroups.has(k)) last.haChassisGroups.add(k);
    out.push(last);
    return out;
  }

  private newName(prefix: string): string {
    return `${prefix}${++this.nameSeq}`;
  }

  /** The operations that bring SB from the tracked state to `c` for the changed keys. */
  ops(c: SbContent, ch: ContentChanges, nbCfg: number | null): SbTxn {
    const ops: Operation[] = [];
    const inserted = new Map<string, number>();
    const holders: { ref: Ref; val?: unknown }[] = [];
    const hold = <T extends { ref: Ref; val?: unknown }>(h: T): T => {
      holders.push(h);
      return h;
    };
    const insert = (table: string, row: { [k: string]: unknown }, prefix: string): Ref => {
      const name = this.newName(prefix);
      inserted.set(name, ops.length);
      ops.push({ op: 'insert', table, row, 'uuid-name': name });
      return { name };
    };
    // a row nothing else in the transaction refers to needs no uuid-name (nor the store a name map entry)
    const insertUnnamed = (table: string, row: { [k: string]: unknown }): Ref => {
      ops.push({ op: 'insert', table, row });
      return ops.length - 1;
    };
    const byUuid = (r: Ref): readonly ['_uuid', '==', unknown] => ['_uuid', '==', refValue(r)];
    const update = (table: string, r: Ref, row: { [k: string]: unknown }): void => {
      if (isUuidRef(r)) ops.push({ op: 'update', table, where: [byUuid(r)], row });
    };
    const del = (table: string, r: Ref): void => {
      if (isUuidRef(r)) ops.push({ op: 'delete', table, where: [byUuid(r)] });
    };
    /**
     * The common shape of a table northd owns: for each changed key, delete the row whose
     * content is gone, insert a new one, or rewrite it when its text changed. `insertOnly`
     * columns are written once, at insert (a column its reader owns after that).
     */
    const syncRows = <W>(keys: Iterable<string>, wants: ReadonlyMap<string, W>, haves: Map<string, Tracked>, table: string, prefix: string,
      build: (want: W, key: string) => { [k: string]: unknown }, insertOnly?: { [k: string]: unknown }): void => {
      for (const k of keys) {
        const want = wants.get(k);
        const have = haves.get(k);
        if (want === undefined) {
          if (have !== undefined) { del(table, have.ref); haves.delete(k); }
          continue;
        }
        const row = build(want, k);
        if (have === undefined) {
          haves.set(k, hold({ ref: insert(table, insertOnly === undefined ? row : { ...row, ...insertOnly }, prefix), sig: '', row }));
          continue;
        }
        const sig = JSON.stringify(row);
        if (sigOf(have) !== sig) { update(table, have.ref, row); have.sig = sig; }
      }
    };
    for (const s of this.stale) ops.push({ op: 'delete', table: s.table, where: [['_uuid', '==', ['uuid', s.uuid]]] });
    this.stale = [];

    // datapaths first (everything else refers to them); deletions at the very end
    const dpDeletes: Ref[] = [];
    for (const k of ch.datapaths) {
      const want = c.datapaths.get(k);
      const have = this.dps.get(k);
      if (want === undefined) {
        if (have !== undefined) { dpDeletes.push(have.ref); this.dps.delete(k); }
        continue;
      }
      const row = dpRow(want);
      const sig = JSON.stringify(row);
      if (have === undefined) this.dps.set(k, hold({ ref: insert('Datapath_Binding', row, 'dp'), sig }));
      else if (have.sig !== sig) { update('Datapath_Binding', have.ref, row); have.sig = sig; }
    }
    const dpRef = (nb: Uuid): unknown => {
      const t = this.dps.get(nb);
      if (t === undefined) throw new Error(`sb-sync: no datapath for ${nb}`);
      return (t.val ??= refValue(t.ref));
    };

    // HA groups before the bindings that name them; each write brings fresh HA_Chassis rows
    // (not root: the old ones go with the last reference)
    for (const k of ch.haChassisGroups) {
      const want = c.haChassisGroups.get(k);
      const have = this.has.get(k);
      for (const ha of this.haNames.get(k) ?? []) this.haByChassis.get(ha)?.delete(k);
      this.haNames.delete(k);
      if (want === undefined) {
        if (have !== undefined) { del('HA_Chassis_Group', have.ref); this.has.delete(k); }
        continue;
      }
      const chassisOf = want.ha_chassis.map((h) => this.chassis.get(h.chassis_name) ?? null);
      const refs = this.refs.get(k) ?? [];
      const sig = JSON.stringify({ g: want, linked: chassisOf, refs });
      this.haNames.set(k, want.ha_chassis.map((h) => h.chassis_name));
      for (const h of want.ha_chassis) {
        let s = this.haByChassis.get(h.chassis_name);
        if (s === undefined) this.haByChassis.set(h.chassis_name, (s = new Set()));
        s.add(k);
      }
      if (have !== undefined && have.sig === sig) continue;
      const haRefs = want.ha_chassis.map((h, i) => refValue(insert('HA_Chassis', {
        chassis: chassisOf[i] === null ? ['set', []] : ['uuid', chassisOf[i]], priority: h.priority, external_ids: { 'chassis-name': h.chassis_name },
      }, 'hac')));
      const row = { name: want.name, ha_chassis: ['set', haRefs], ref_chassis: ['set', refs.map((u) => ['uuid', u])] };
      if (have === undefined) this.has.set(k, hold({ ref: insert('HA_Chassis_Group', row, 'hag'), sig }));
      else { update('HA_Chassis_Group', have.ref, row); have.sig = sig; }
    }
    const haRef = (name: string | null): unknown => {
      if (name === null) return ['set', []];
      const t = this.has.get(name);
      if (t === undefined) throw new Error(`sb-sync: no HA_Chassis_Group ${name}`);
      return refValue(t.ref);
    };

    syncRows(ch.portBindings, c.portBindings, this.pbs, 'Port_Binding', 'pb', (want) => pbRow(want, dpRef(want.datapath), haRef(want.ha_chassis_group)));

    syncRows(ch.multicastGroups, c.multicastGroups, this.mcs, 'Multicast_Group', 'mc',
      (want) => mcRow(want, dpRef(want.datapath), (n) => { const t = this.pbs.get(n); return t === undefined ? undefined : refValue(t.ref); }));

    // flows, with datapath groups shared by flows that apply to the same datapath set
    const groupRef = (dps: string, members: readonly Uuid[]): Ref => {
      let g = this.groups.get(dps);
      if (g === undefined) {
        g = hold({ ref: insert('Logical_DP_Group', { datapaths: ['set', members.map(dpRef)] }, 'g'), count: 0 });
        this.groups.set(dps, g);
      }
      g.count++;
      return g.ref;
    };
    const release = (dps: string): void => {
      const g = this.groups.get(dps);
      if (g === undefined) return;
      g.count--;
      if (g.count <= 0) this.unused.add(dps);
    };
    for (const k of ch.flows) {
      const want = c.flows.get(k);
      const have = this.flows.get(k);
      if (want === undefined) {
        if (have !== undefined) {
          del('Logical_Flow', have.ref);
          if (have.dps.includes(',')) release(have.dps);
          this.flows.delete(k);
        }
        continue;
      }
      let dps: string;
      let members: Uuid[] | null = null;
      const one = want.dps.only();
      if (one !== undefined) dps = one;
      else {
        members = [...want.dps.keys()].sort();
        dps = members.join(',');
      }
      if (have !== undefined && have.dps === dps) continue;
      const single = members === null;
      if (have !== undefined) {
        if (have.dps.includes(',')) release(have.dps);
        const dpCol = single ? dpRef(dps) : ['set', []];
        const groupCol = single ? ['set', []] : refValue(groupRef(dps, members ?? []));
        update('Logical_Flow', have.ref, { logical_datapath: dpCol, logical_dp_group: groupCol });
        have.dps = dps;
      } else {
        const f = want.flow;
        // a new row leaves the other reference column at its default (empty); one literal
        // per case (a computed key made each of 44k rows a slower shape)
        const ref = single
          ? insertUnnamed('Logical_Flow', { logical_datapath: dpRef(dps), pipeline: f.pipeline, table_id: f.table, priority: f.priority, match: f.match, actions: f.actions, external_ids: flowExternalIds(f) })
          : insertUnnamed('Logical_Flow', { logical_dp_group: refValue(groupRef(dps, members ?? [])), pipeline: f.pipeline, table_id: f.table, priority: f.priority, match: f.match, actions: f.actions, external_ids: flowExternalIds(f) });
        this.flows.set(k, hold({ ref, dps }));
      }
    }

    syncRows(ch.addressSets, c.addressSets, this.ass, 'Address_Set', 'as', (want, n) => ({ name: n, addresses: [...want] }));
    syncRows(ch.portGroups, c.portGroups, this.pgs, 'Port_Group', 'pg', (want, n) => ({ name: n, ports: [...want] }));

    syncRows(ch.dns, c.dns, this.dnss, 'DNS', 'dns', (want) => dnsSbRow(want, want.datapaths.map(dpRef)));

    for (const k of ch.meters) {
      const want = c.meters.get(k);
      const have = this.meters.get(k);
      if (want === undefined) {
        if (have !== undefined) { del('Meter', have.ref); this.meters.delete(k); }
        continue;
      }
      const sig = JSON.stringify(want);
      if (have !== undefined && have.sig === sig) continue;
      const row = meterSbRow(want, want.bands.map((b) => refValue(insert('Meter_Band', { action: b.action, rate: b.rate, burst_size: b.burst_size }, 'mb'))));
      if (have === undefined) this.meters.set(k, hold({ ref: insert('Meter', row, 'meter'), sig }));
      else { update('Meter', have.ref, row); have.sig = sig; }
    }

    // load balancers name their switches through a datapath group (even of one)
    for (const k of ch.loadBalancers) {
      const want = c.loadBalancers.get(k);
      const have = this.lbs.get(k);
      if (want === undefined) {
        if (have !== undefined) { del('Load_Balancer', have.ref); release(have.dps); this.lbs.delete(k); }
        continue;
      }
      const dps = dpsKey(want.datapaths);
      const sig = JSON.stringify(want);
      if (have !== undefined && have.sig === sig && have.dps === dps) continue;
      if (have !== undefined && have.dps === dps) {
        const g = this.groups.get(dps);
        update('Load_Balancer', have.ref, lbSbRow(want, g === undefined ? ['set', []] : refValue(g.ref)));
        have.sig = sig;
        continue;
      }
      const g = refValue(groupRef(dps, want.datapaths));
      if (have !== undefined) {
        release(have.dps);
        update('Load_Balancer', have.ref, lbSbRow(want, g));
        have.sig = sig;
        have.dps = dps;
      } else this.lbs.set(k, hold({ ref: insert('Load_Balancer', lbSbRow(want, g), 'lb'), sig, dps }));
    }
    // datapath groups no flow or balancer uses any more (after both: a balancer may take over a group flows left)
    for (const k of this.unused) {
      const g = this.groups.get(k);
      if (g === undefined || g.count > 0) continue;
      del('Logical_DP_Group', g.ref);
      this.groups.delete(k);
    }
    this.unused.clear();

    // service monitors: northd writes what to probe; status is the controller's, never written here
    syncRows(ch.serviceMonitors, c.serviceMonitors, this.svms, 'Service_Monitor', 'svm', svmRow);

    // IP_Multicast: one per switch; seq_no is the controller's once the row exists
    syncRows(ch.ipMulticast, c.ipMulticast, this.ipms, 'IP_Multicast', 'ipm', ({ datapath, ...cols }) => ({ datapath: dpRef(datapath), ...cols }), { seq_no: 0 });

    for (const r of dpDeletes) del('Datapath_Binding', r);

    if (nbCfg !== null && nbCfg !== this.globalNbCfg) {
      if (this.globalUuid === null) ops.push({ op: 'insert', table: 'SB_Global', row: { nb_cfg: nbCfg }, 'uuid-name': 'sbglobal' });
      else ops.push({ op: 'update', table: 'SB_Global', where: [['_uuid', '==', ['uuid', this.globalUuid]]], row: { nb_cfg: nbCfg } });
      if (this.globalUuid === null) inserted.set('sbglobal', ops.length - 1);
      this.globalNbCfg = nbCfg;
    }
    return { ops, inserted, holders };
  }

  /**
   * Records the UUIDs SB gave to this transaction's inserts. `offset`: where the operations
   * of `txn` start in `result` (a part of a transaction in parts).
   */
  committed(txn: SbTxn, result: TransactResult, offset = 0): void {
    const uuidOf = new Map<string, Uuid>();
    for (const [name, i] of txn.inserted) {
      const r = result.results[offset + i];
      if (r !== undefined && 'uuid' in r && typeof r.uuid === 'string') uuidOf.set(name, r.uuid);
    }
    for (const t of txn.holders) {
      const ref = t.ref;
      if (isUuidRef(ref)) continue;
      const r = typeof ref === 'number' ? result.results[offset + ref] : undefined;
      const u = typeof ref !== 'number' ? uuidOf.get(ref.name) : r !== undefined && 'uuid' in r && typeof r.uuid === 'string' ? r.uuid : undefined;
      if (u !== undefined) {
        t.ref = u;
        t.val = undefined;
      }
    }
    const g = uuidOf.get('sbglobal');
    if (g !== undefined) this.globalUuid = g;
  }
}

function dpRow(d: SbDatapath): { [k: string]: unknown } {
  return { tunnel_key: d.tunnel_key, external_ids: { ...d.external_ids } };
}

function pbRow(p: SbPortBinding, dp: unknown, ha: unknown): { [k: string]: unknown } {
  return {
    ha_chassis_group: ha, nat_addresses: ['set', [...p.nat_addresses]],
    logical_port: p.logical_port, datapath: dp, tunnel_key: p.tunnel_key, type: p.type,
    mac: [...p.mac], port_security: [...p.port_security], options: { ...p.options },
    parent_port: p.parent_port === null ? ['set', []] : p.parent_port, tag: p.tag === null ? ['set', []] : p.tag,
    external_ids: { ...p.external_ids },
  };
}

function mcRow(m: SbMulticastGroup, dp: unknown, pb: (name: string) => unknown): { [k: string]: unknown } {
  const ports = m.ports.map(pb).filter((x) => x !== undefined);
  return { datapath: dp, name: m.name, tunnel_key: m.tunnel_key, ports: ['set', ports] };
}

function dnsSbRow(d: SbDns, dps: readonly unknown[]): { [k: string]: unknown } {
  return { records: { ...d.records }, datapaths: ['set', [...dps]], external_ids: { dns_id: d.nb } };
}

function meterSbRow(m: SbMeter, bands: readonly unknown[]): { [k: string]: unknown } {
  return { name: m.name, unit: m.unit, bands: ['set', [...bands]] };
}

function lbSbRow(l: SbLoadBalancer, group: unknown): { [k: string]: unknown } {
  return {
    name: l.name, vips: { ...l.vips }, protocol: l.protocol === null ? ['set', []] : l.protocol, datapaths: ['set', []], datapath_group: group,
    options: { ...l.options }, external_ids: { ...l.external_ids },
  };
}

function svmRow(m: SbServiceMonitor): { [k: string]: unknown } {
  return { ip: m.ip, port: m.port, protocol: m.protocol, logical_port: m.logical_port, src_mac: m.src_mac, src_ip: m.src_ip, options: { ...m.options }, external_ids: {} };
}

export type { SbHaChassisGroup };
