// Property test: rows of bulk commits (≥ 2000 changes) stay in their pending record until a
// change takes them out (store/sqlite-store.ts); whatever mix of bulk inserts, updates,
// set mutations, deletes and collected children follows, a reopen reads exactly what was
// committed, and the in-memory indexes stay sound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { SqliteStore } from './sqlite-store.js';
import type { DatabaseSchema, Operation, Row } from './types.js';

// P rows hold big sets (strong refs to K, collected when unreferenced) and a map; K rows are
// small. A bulk inserts enough of both to be deferred.
const schema: DatabaseSchema = {
  name: 'Pending',
  version: '1.0.0',
  tables: {
    P: {
      name: 'P',
      isRoot: true,
      indexes: [['name']],
      columns: {
        name: { key: { type: 'string' }, min: 1, max: 1 },
        kids: { key: { type: 'uuid', refTable: 'K', refType: 'strong' }, min: 0, max: 'unlimited' },
        tags: { key: { type: 'string' }, value: { type: 'string' }, min: 0, max: 'unlimited' },
        n: { key: { type: 'integer' }, min: 1, max: 1 },
      },
    },
    K: { name: 'K', isRoot: false, indexes: [], columns: { v: { key: { type: 'integer' }, min: 1, max: 1 } } },
  },
};

type Step =
  | { k: 'bulk'; ps: number; kidsEach: number }
  | { k: 'update'; pick: number; n: number }
  | { k: 'dropKid'; pick: number }
  | { k: 'addKid'; pick: number; v: number }
  | { k: 'tag'; pick: number; key: string }
  | { k: 'delete'; pick: number }
  | { k: 'reopen' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('bulk' as const), ps: fc.integer({ min: 100, max: 700 }), kidsEach: fc.integer({ min: 2, max: 40 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('update' as const), pick: fc.nat(), n: fc.integer({ min: 0, max: 99 }) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('dropKid' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('addKid' as const), pick: fc.nat(), v: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('tag' as const), pick: fc.nat(), key: fc.constantFrom('a', 'b', 'c') }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ k: 'reopen' as const }) },
);

const state = (s: SqliteStore): Map<string, Row> => new Map([...s.selectSync('P'), ...s.selectSync('K')].map((r) => [r._uuid, r]));

test('pending rows: any mix of bulk commits, changes to their rows and reopens reads back what was committed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-pending-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let run = 0;
  // that the runs did what they are for: rows read back pending, and changes taking rows out
  let reopenedPending = 0;
  let takenOut = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 10 }), async (steps) => {
      const file = join(dir, `p${run++}.db`);
      let s = SqliteStore.open(file, schema);
      let made = 0;
      try {
        for (const st of steps) {
          const ps = s.selectSync('P');
          const p = ps.length === 0 ? undefined : ps[('pick' in st ? st.pick : 0) % ps.length];
          const where = p === undefined ? [] : [['_uuid', '==', ['uuid', p._uuid]] as const];
          const ops: Operation[] = [];
          if (st.k === 'bulk') {
            for (let i = 0; i < st.ps; i++) {
              const kids = Array.from({ length: st.kidsEach }, (_, j) => {
                ops.push({ op: 'insert', table: 'K', 'uuid-name': `k${i}_${j}`, row: { v: j } });
                return ['named-uuid', `k${i}_${j}`];
              });
              ops.push({ op: 'insert', table: 'P', row: { name: `p${made++}`, n: i, kids: ['set', kids], tags: ['map', [['x', String(i)]]] } });
            }
          } else if (st.k === 'reopen') {
            const before = state(s);
            await s.close();
            s = SqliteStore.open(file, schema);
            assert.deepEqual(state(s), before, 'a reopen reads what was committed');
            assert.deepEqual(s.checkInvariants(), []);
            if (s.pendingRows() > 0) reopenedPending++;
            continue;
          } else if (p === undefined) {
            continue;
          } else if (st.k === 'update') {
            ops.push({ op: 'update', table: 'P', where: [...where], row: { n: st.n } });
          } else if (st.k === 'dropKid') {
            const kids = p['kids'] as string[];
            if (kids.length === 0) continue;
            ops.push({ op: 'mutate', table: 'P', where: [...where], mutations: [['kids', 'delete', ['uuid', kids[0] as string]]] });
          } else if (st.k === 'addKid') {
            ops.push({ op: 'insert', table: 'K', 'uuid-name': 'nk', row: { v: st.v } });
            ops.push({ op: 'mutate', table: 'P', where: [...where], mutations: [['kids', 'insert', ['named-uuid', 'nk']]] });
          } else if (st.k === 'tag') {
            ops.push({ op: 'mutate', table: 'P', where: [...where], mutations: [['tags', 'insert', ['map', [[st.key, 'v']]]]] });
          } else {
            ops.push({ op: 'delete', table: 'P', where: [...where] });
          }
          const pending = s.pendingRows();
          await s.transact(ops);
          if (st.k !== 'bulk' && s.pendingRows() < pending) takenOut++;
        }
        // and once more at the end, whatever the last step was
        const before = state(s);
        await s.close();
        s = SqliteStore.open(file, schema);
        assert.deepEqual(state(s), before);
        assert.deepEqual(s.checkInvariants(), []);
      } finally {
        await s.close();
        rmSync(file, { force: true });
        rmSync(`${file}-wal`, { force: true });
        rmSync(`${file}-shm`, { force: true });
      }
    }),
    { numRuns: 25 },
  );
  assert.ok(reopenedPending > 0 && takenOut > 0, `reopened with pending rows ${reopenedPending} times, took rows out ${takenOut} times`);
});
