// End-to-end: the nbdb service refuses, at write time, what the expression language or the
// NB rules refuse — a malformed ACL match, a match naming an unknown address set or port
// group, a router port with an invalid network — with a 4xx structured error that names
// the table, the column and (for matches) the position, and nothing is written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNbdb } from '../nbdb/index.js';
import type { RunningService } from '../store/server.js';

let dir: string;
let svc: RunningService;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loom-nbdb-refusals-'));
  svc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
});
after(async () => {
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly table?: string; readonly column?: string; readonly value?: unknown };
}

async function transact(ops: unknown[]): Promise<{ status: number; body: ErrorBody }> {
  const res = await fetch(`${svc.url}/v1/transact`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ops }) });
  // a 200 body has no `error`; the tests only read `error` after checking for a 4xx
  return { status: res.status, body: (await res.json()) as ErrorBody };
}

async function revision(): Promise<number> {
  const res = await fetch(`${svc.url}/v1/health`);
  return ((await res.json()) as { revision: number }).revision;
}

/** A port group pg1 holding one port, and an ACL on it with the given match, in one transaction. */
function aclOps(match: string): unknown[] {
  return [
    { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'p1', row: { name: 'p1', addresses: ['0a:00:00:00:00:01 10.0.0.1'] } },
    { op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', ports: ['set', [['named-uuid', 'p1']]] } },
    { op: 'insert', table: 'ACL', 'uuid-name': 'a1', row: { direction: 'to-lport', priority: 1002, match, action: 'allow-related' } },
    { op: 'insert', table: 'Port_Group', row: { name: 'pg1', ports: ['set', [['named-uuid', 'p1']]], acls: ['set', [['named-uuid', 'a1']]] } },
  ];
}

describe('nbdb refuses bad intent at write time', { timeout: 60_000 }, () => {
  test('an ACL whose match uses the group and its derived $pg1_ip4 set is accepted', async () => {
    const r = await transact(aclOps('outport == @pg1 && ip4 && ip4.src == $pg1_ip4'));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // clean up so the refusals below start from the same empty NB
    const d = await transact([{ op: 'delete', table: 'Port_Group', where: [] }, { op: 'delete', table: 'Logical_Switch', where: [] }]);
    assert.equal(d.status, 200, JSON.stringify(d.body));
  });

  const cases: { name: string; match: string; position: number; text: RegExp }[] = [
    { name: 'a malformed match', match: 'outport == @pg1 && ip4.src = 10.0.0.1', position: 27, text: /expected/ },
    { name: 'an unknown address set', match: 'outport == @pg1 && ip4.src == $nosuch', position: 30, text: /unknown address set \$nosuch/ },
    { name: 'an unknown port group', match: 'outport == @nosuch && ip4', position: 11, text: /unknown port group @nosuch/ },
  ];
  for (const c of cases) {
    test(`${c.name}: 400 invalid-match naming ACL.match and the position; nothing written`, async () => {
      const before = await revision();
      const r = await transact(aclOps(c.match));
      assert.equal(r.status, 400, JSON.stringify(r.body));
      const e = r.body.error;
      assert.equal(e.code, 'invalid-match');
      assert.equal(e.table, 'ACL');
      assert.equal(e.column, 'match');
      assert.equal(e.value, c.match);
      assert.match(e.message, c.text);
      assert.match(e.message, new RegExp(`column ${c.position + 1}\\b`), e.message);
      assert.equal(await revision(), before);
      for (const table of ['ACL', 'Port_Group', 'Logical_Switch', 'Logical_Switch_Port']) {
        const rows = (await (await fetch(`${svc.url}/v1/tables/${table}`)).json()) as { rows: unknown[] };
        assert.deepEqual(rows.rows, [], `${table} must stay empty`);
      }
    });
  }

  test('a router port with an invalid network: 400 naming Logical_Router_Port.networks; nothing written', async () => {
    const before = await revision();
    const r = await transact([
      { op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'rp', row: { name: 'lrp1', mac: '00:00:00:00:01:01', networks: ['10.0.0.300/24'] } },
      { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', ports: ['set', [['named-uuid', 'rp']]] } },
    ]);
    assert.ok(r.status >= 400 && r.status < 500, JSON.stringify(r.body));
    const e = r.body.error;
    assert.equal(e.table, 'Logical_Router_Port');
    assert.equal(e.column, 'networks');
    assert.equal(e.value, '10.0.0.300/24');
    assert.equal(await revision(), before);
  });
});
