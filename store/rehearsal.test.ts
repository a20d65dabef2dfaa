// A store rehearses small transactions once idle after a bulk commit (store/rehearsal.ts,
// SqliteStore.rehearse): on the NB schema, after a bulk of 2100 ports on one switch, the
// rehearsal reaches the file for the switch (its big ports set) and the ports (their
// external_ids), and leaves nothing behind — same revision, same rows in memory and after a
// reopen, rows still pending, sound indexes, no watch event. None with rehearse: false, none
// after small commits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from './sqlite-store.js';
import { rehearsalOps, REHEARSAL_KEY } from './rehearsal.js';
import type { Operation, Row, RowChange } from './types.js';
import { Database } from './database.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function bulk(ports: number): Operation[] {
  const ops: Operation[] = [];
  for (let i = 0; i < ports; i++) ops.push({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `p${i}`, row: { name: `p${i}`, addresses: [`0a:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`] } });
  ops.push({ op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', ports: ['set', Array.from({ length: ports }, (_, i) => ['named-uuid', `p${i}`])] } });
  return ops;
}

async function everything(s: SqliteStore): Promise<Row[]> {
  const out: Row[] = [];
  for (const t of Object.keys(nbSchema.tables)) out.push(...(await s.select(t)));
  return out.sort((a, b) => (a._uuid < b._uuid ? -1 : 1));
}

async function until(f: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (f()) return true;
  return f();
}

test('after a bulk commit the store rehearses on real rows and keeps nothing of it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-rehearsal-'));
  const file = join(dir, 'nb.db');
  let s = SqliteStore.open(file, nbSchema);
  t.after(async () => {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await s.transact([{ op: 'insert', table: 'NB_Global', row: {} }]);
  await s.transact(bulk(2100));
  const events: number[] = [];
  const sub = s.watch({ tables: { Logical_Switch: {}, Logical_Switch_Port: {} } }).subscribe((e) => {
    if (e.type === 'change') events.push(e.revision);
  });
  const rev = await s.revision();
  const before = await everything(s);
  const pending = s.pendingRows();
  assert.ok(pending >= 2000, `${pending} rows pending`);

  assert.ok(await until(() => s.rehearsals().runs === 1, 10_000), 'a rehearsal ran');
  // the switch (a big set: a port deleted, the port collected) and a port (external_ids)
  assert.ok(s.rehearsals().transactions >= 2, `${s.rehearsals().transactions} rehearsed transactions reached the file`);
  assert.equal(await s.revision(), rev);
  assert.deepEqual(await everything(s), before);
  assert.equal(s.pendingRows(), pending);
  assert.deepEqual(s.checkInvariants(), []);
  assert.ok(!JSON.stringify(before).includes(REHEARSAL_KEY));
  sub.unsubscribe();
  assert.deepEqual(events, []);

  // a commit after it works as ever, and what is in the file is what was committed
  await s.transact([{ op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls1']], mutations: [['ports', 'delete', ['set', [['uuid', (before.find((r) => r['name'] === 'p0') as Row)._uuid]]]]] }]);
  const after = await everything(s);
  await s.close();
  s = SqliteStore.open(file, nbSchema);
  assert.deepEqual(await everything(s), after);
  assert.equal(after.length, before.length - 1);
});

test('no rehearsal with rehearse: false, nor after small commits', async (t) => {
  const off = SqliteStore.open(':memory:', nbSchema, { rehearse: false });
  const small = SqliteStore.open(':memory:', nbSchema);
  t.after(async () => {
    await off.close();
    await small.close();
  });
  await off.transact(bulk(2100));
  for (let i = 0; i < 20; i++) await small.transact(bulk(50).map((o) => (o.op === 'insert' && o.table === 'Logical_Switch' ? { ...o, row: { ...o.row, name: `ls${i}` } } : o.op === 'insert' ? { ...o, row: { ...o.row, name: `s${i}-${String(o.row['name'])}` } } : o)));
  await sleep(400);
  assert.equal(off.rehearsals().runs, 0);
  assert.equal(small.rehearsals().runs, 0);
});

test('the rehearsed operations: a key into a free-form string map, one element out of a big set', async () => {
  const s = SqliteStore.open(':memory:', nbSchema, { rehearse: false });
  try {
    await s.transact(bulk(70));
    // the committed state, as the store holds it in memory
    const db = new Database(nbSchema);
    const rows: RowChange[] = [];
    for (const t of Object.keys(nbSchema.tables)) for (const r of await s.select(t)) rows.push({ table: t, uuid: r._uuid, old: null, new: r });
    db.apply(rows);
    const perTable = rehearsalOps(db, () => false);
    const ls = perTable.find((ops) => (ops[0] as { table?: string } | undefined)?.table === 'Logical_Switch');
    assert.ok(ls !== undefined);
    assert.deepEqual(ls.map((o) => (o.op === 'mutate' ? o.mutations[0]?.slice(0, 2) : o.op)), [['external_ids', 'insert'], ['ports', 'delete']]);
    const lsp = perTable.find((ops) => (ops[0] as { table?: string } | undefined)?.table === 'Logical_Switch_Port');
    assert.deepEqual(lsp?.map((o) => (o.op === 'mutate' ? o.mutations[0]?.slice(0, 2) : o.op)), [['external_ids', 'insert']]);
  } finally {
    await s.close();
  }
});
