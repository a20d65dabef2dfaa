// Property test: the engine against a small reference model of OVSDB semantics (strong
// references keep non-root rows alive, unreferenced ones are collected, weak references
// to gone rows are cleared, a unique index, integer ranges, all-or-nothing), and the
// watch against the engine (a watcher's reconstruction equals the committed state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SqliteStore } from './sqlite-store.js';
import { LoomError } from './types.js';
import type { DatabaseSchema, Operation, Row, WatchEvent } from './types.js';

const schema: DatabaseSchema = {
  name: 'Model',
  version: '1.0.0',
  tables: {
    P: {
      name: 'P',
      isRoot: true,
      indexes: [['name']],
      columns: {
        name: { key: { type: 'string' }, min: 1, max: 1 },
        kids: { key: { type: 'uuid', refTable: 'K', refType: 'strong' }, min: 0, max: 'unlimited' },
        friend: { key: { type: 'uuid', refTable: 'P', refType: 'weak' }, min: 0, max: 1 },
      },
    },
    K: { name: 'K', isRoot: false, indexes: [], columns: { v: { key: { type: 'integer', minInteger: 0, maxInteger: 20 }, min: 1, max: 1 } } },
  },
};

type Step =
  | { k: 'insP'; name: string; kids: number[] }
  | { k: 'delP'; name: string }
  | { k: 'friend'; name: string; to: string }
  | { k: 'dropKids'; name: string }
  | { k: 'addK'; name: string; v: number }
  | { k: 'bump'; min: number; delta: number }
  | { k: 'rename'; name: string; to: string }
  | { k: 'delK'; v: number };

const names = fc.constantFrom('a', 'b', 'c', 'd');
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ k: fc.constant('insP' as const), name: names, kids: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 2 }) }),
  fc.record({ k: fc.constant('delP' as const), name: names }),
  fc.record({ k: fc.constant('friend' as const), name: names, to: names }),
  fc.record({ k: fc.constant('dropKids' as const), name: names }),
  fc.record({ k: fc.constant('addK' as const), name: names, v: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ k: fc.constant('bump' as const), min: fc.integer({ min: 0, max: 20 }), delta: fc.integer({ min: -3, max: 3 }) }),
  fc.record({ k: fc.constant('rename' as const), name: names, to: names }),
  fc.record({ k: fc.constant('delK' as const), v: fc.integer({ min: 0, max: 20 }) }),
);

interface P { name: string; kids: Set<string>; friend: string | null }
interface State { P: Map<string, P>; K: Map<string, number> }
const clone = (s: State): State => ({ P: new Map([...s.P].map(([u, p]) => [u, { ...p, kids: new Set(p.kids) }])), K: new Map(s.K) });

let counter = 0;
const nextUuid = (): string => `00000000-0000-4000-8000-${(++counter).toString(16).padStart(12, '0')}`;

/** Builds the ops for one step and applies it to the model; returns null if the model says the transaction fails. */
function plan(s: State, st: Step, ops: Operation[]): boolean {
  const byName = (n: string): string | undefined => [...s.P].find(([, p]) => p.name === n)?.[0];
  switch (st.k) {
    case 'insP': {
      const u = nextUuid();
      const kids = st.kids.map((v) => {
        const ku = nextUuid();
        ops.push({ op: 'insert', table: 'K', uuid: ku, row: { v } });
        s.K.set(ku, v);
        return ku;
      });
      ops.push({ op: 'insert', table: 'P', uuid: u, row: { name: st.name, kids: ['set', kids.map((k) => ['uuid', k])] } });
      s.P.set(u, { name: st.name, kids: new Set(kids), friend: null });
      return true;
    }
    case 'delP': {
      ops.push({ op: 'delete', table: 'P', where: [['name', '==', st.name]] });
      for (const [u, p] of s.P) if (p.name === st.name) s.P.delete(u);
      return true;
    }
    case 'friend': {
      const to = byName(st.to);
      ops.push({ op: 'update', table: 'P', where: [['name', '==', st.name]], row: { friend: to === undefined ? ['set', []] : ['uuid', to] } });
      for (const p of s.P.values()) if (p.name === st.name) p.friend = to ?? null;
      return true;
    }
    case 'dropKids':
      ops.push({ op: 'update', table: 'P', where: [['name', '==', st.name]], row: { kids: [] } });
      for (const p of s.P.values()) if (p.name === st.name) p.kids.clear();
      return true;
    case 'addK': {
      const ku = nextUuid();
      ops.push({ op: 'insert', table: 'K', uuid: ku, row: { v: st.v } });
      ops.push({ op: 'mutate', table: 'P', where: [['name', '==', st.name]], mutations: [['kids', 'insert', ['uuid', ku]]] });
      s.K.set(ku, st.v);
      for (const p of s.P.values()) if (p.name === st.name) p.kids.add(ku);
      return true;
    }
    case 'bump': {
      ops.push({ op: 'mutate', table: 'K', where: [['v', '>=', st.min]], mutations: [['v', '+=', st.delta]] });
      for (const [u, v] of s.K) {
        if (v < st.min) continue;
        if (v + st.delta < 0 || v + st.delta > 20) return false;
        s.K.set(u, v + st.delta);
      }
      return true;
    }
    case 'delK':
      ops.push({ op: 'delete', table: 'K', where: [['v', '==', st.v]] });
      for (const [u, v] of s.K) if (v === st.v) s.K.delete(u);
      return true;
    case 'rename':
      ops.push({ op: 'update', table: 'P', where: [['name', '==', st.name]], row: { name: st.to } });
      for (const p of s.P.values()) if (p.name === st.name) p.name = st.to;
      return true;
  }
}

/** Commit-time rules of the model: GC, weak clean-up, unique names. */
function commitModel(s: State): boolean {
  // A child deleted explicitly while a parent still holds it: referential-integrity.
  for (const p of s.P.values()) for (const k of p.kids) if (!s.K.has(k)) return false;
  const live = new Set<string>();
  for (const p of s.P.values()) for (const k of p.kids) live.add(k);
  for (const u of s.K.keys()) if (!live.has(u)) s.K.delete(u);
  for (const p of s.P.values()) if (p.friend !== null && !s.P.has(p.friend)) p.friend = null;
  const seen = new Set<string>();
  for (const p of s.P.values()) {
    if (seen.has(p.name)) return false;
    seen.add(p.name);
  }
  return true;
}

function view(rows: { P: readonly Row[]; K: readonly Row[] }): unknown {
  return {
    P: rows.P.map((r) => [r._uuid, r['name'], r['kids'], r['friend']]).sort(),
    K: rows.K.map((r) => [r._uuid, r['v']]).sort(),
  };
}

function modelView(s: State): unknown {
  return {
    P: [...s.P].map(([u, p]) => [u, p.name, [...p.kids].sort(), p.friend]).sort(),
    K: [...s.K].map(([u, v]) => [u, v]).sort(),
  };
}

function applyEvent(held: Map<string, Map<string, Row>>, e: WatchEvent): void {
  if (e.type === 'snapshot') {
    held.clear();
    for (const [t, rows] of Object.entries(e.tables)) held.set(t, new Map(rows.map((r) => [r._uuid, r])));
  } else if (e.type === 'change') {
    for (const c of e.changes) {
      let m = held.get(c.table);
      if (m === undefined) held.set(c.table, (m = new Map()));
      if (c.new === null) m.delete(c.uuid);
      else m.set(c.uuid, c.new);
    }
  }
}

test('engine == model on random transactions; watchers reconstruct the state', () => {
  const stats = { txns: 0, revisions: 0 };
  fc.assert(
    fc.property(fc.array(fc.array(step, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 }), (txns) => {
      const store = SqliteStore.open(':memory:', schema, { changeLogLimit: 5 });
      try {
        const live = new Map<string, Map<string, Row>>();
        let lastRev = 0;
        const sub = store.watch({}).subscribe((e) => {
          applyEvent(live, e);
          if (e.type !== 'snapshot') assert.equal(e.revision, lastRev + 1, 'live watch skipped or repeated a revision');
          lastRev = e.revision;
        });
        let model: State = { P: new Map(), K: new Map() };
        let revision = 0;
        for (const txn of txns) {
          const next = clone(model);
          const ops: Operation[] = [];
          let ok = txn.every((st) => plan(next, st, ops));
          // Plan all ops even if the model already knows it fails (the engine must fail too).
          ok = ok && commitModel(next);
          let engineOk = true;
          try {
            const r = store.transactSync(ops);
            if (JSON.stringify(modelView(next)) !== JSON.stringify(modelView(model))) revision++;
            assert.equal(r.revision, revision);
          } catch (e) {
            if (!(e instanceof LoomError)) throw e;
            assert.ok(['duplicate', 'constraint-violation', 'referential-integrity'].includes(e.code), `${e.code}: ${e.message}`);
            engineOk = false;
          }
          assert.equal(engineOk, ok, `engine ${engineOk ? 'accepted' : 'refused'} ${JSON.stringify(txn)}`);
          if (ok) model = next;
          const rows = { P: store.selectSync('P'), K: store.selectSync('K') };
          assert.deepEqual(view(rows), modelView(model));
          assert.deepEqual(store.checkInvariants(), []);
        }
        sub.unsubscribe();
        const rows = { P: store.selectSync('P'), K: store.selectSync('K') };
        assert.deepEqual(view({ P: [...(live.get('P')?.values() ?? [])], K: [...(live.get('K')?.values() ?? [])] }), view(rows));
        // A late watcher from revision 0 converges too: by replay, or by snapshot once compacted.
        const late = new Map<string, Map<string, Row>>();
        const types: string[] = [];
        store.watch({ fromRevision: 0 }).subscribe((e) => { types.push(e.type); applyEvent(late, e); }).unsubscribe();
        assert.equal(types[0] === 'snapshot', store.compactedThrough > 0);
        assert.deepEqual(view({ P: [...(late.get('P')?.values() ?? [])], K: [...(late.get('K')?.values() ?? [])] }), view(rows));
        stats.revisions += revision;
        stats.txns += txns.length;
      } finally {
        void store.close();
      }
    }),
    { numRuns: 150 },
  );
  // The generator must exercise both outcomes, or the property says little.
  assert.ok(stats.revisions > stats.txns / 4 && stats.revisions < stats.txns, JSON.stringify(stats));
});
