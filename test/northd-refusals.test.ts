// Refusals at write time, with the expression parser, through the NB store's validate hook
// (nbdb/validate.ts): a malformed ACL match, an unknown address set or
// port group, a router port with an invalid network. Each error names table, column and
// the position; nothing is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateNbTxn } from '../nbdb/validate.js';
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { LoomError, type Operation } from '../store/types.js';

test('NB refuses bad matches, unknown $sets/@groups and bad networks; nothing is written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-northd-refusals-'));
  const nb = SqliteStore.open(join(dir, 'nb.db'), nbSchema, {
    validate: validateNbTxn,
  });
  t.after(async () => {
    await nb.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await nb.transact([
    { op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': 'p1', row: { name: 'p1', addresses: ['0a:00:00:00:00:01 10.0.0.1'] } },
    { op: 'insert', table: 'Logical_Switch', row: { name: 'ls1', ports: ['set', [['named-uuid', 'p1']]] } },
    { op: 'insert', table: 'Port_Group', row: { name: 'pg1', ports: ['set', [['named-uuid', 'p1']]] } },
    { op: 'insert', table: 'Address_Set', row: { name: 'as1', addresses: ['10.0.0.9'] } },
  ]);
  const aclOps = (match: string): Operation[] => [
    { op: 'insert', table: 'ACL', 'uuid-name': 'a', row: { direction: 'to-lport', priority: 1002, match, action: 'allow-related' } },
    { op: 'mutate', table: 'Logical_Switch', where: [['name', '==', 'ls1']], mutations: [['acls', 'insert', ['set', [['named-uuid', 'a']]]]] },
  ];
  const refused = async (ops: Operation[]): Promise<LoomError> => {
    const rev = await nb.revision();
    const acls = (await nb.select('ACL')).length;
    const err = await nb.transact(ops).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof LoomError, `expected a refusal, got ${String(err)}`);
    assert.equal(await nb.revision(), rev, 'nothing committed');
    assert.equal((await nb.select('ACL')).length, acls);
    return err;
  };

  const e1 = await refused(aclOps('outport == @pg1 && ip4 &&& tcp'));
  assert.equal(e1.code, 'invalid-match');
  assert.equal(e1.table, 'ACL');
  assert.equal(e1.column, 'match');
  assert.match(e1.message, /at column \d+/);

  const m2 = 'outport == @pg1 && ip4.src == $nope';
  const e2 = await refused(aclOps(m2));
  assert.equal(e2.code, 'invalid-match');
  assert.equal(e2.column, 'match');
  assert.match(e2.message, /nope/);
  assert.ok(e2.message.includes(`at column ${m2.indexOf('$nope') + 1}`), e2.message);

  const e3 = await refused(aclOps('outport == @nogroup && ip4'));
  assert.equal(e3.code, 'invalid-match');
  assert.match(e3.message, /nogroup/);

  const e4 = await refused([
    { op: 'insert', table: 'Logical_Router_Port', 'uuid-name': 'r', row: { name: 'lrp1', mac: '00:00:00:00:01:01', networks: ['10.0.0.1/33'] } },
    { op: 'insert', table: 'Logical_Router', row: { name: 'lr1', ports: ['set', [['named-uuid', 'r']]] } },
  ]);
  assert.equal(e4.code, 'invalid-value');
  assert.equal(e4.table, 'Logical_Router_Port');
  assert.equal(e4.column, 'networks');
  assert.equal(e4.value, '10.0.0.1/33');

  // the same matches with names that exist are accepted, derived $pg1_ip4 included
  await nb.transact(aclOps('outport == @pg1 && ip4 && ip4.src == $pg1_ip4 && ip4.dst != $as1'));
  // and a group still used by a match cannot be deleted
  const e5 = await nb.transact([{ op: 'delete', table: 'Port_Group', where: [['name', '==', 'pg1']] }]).then(() => null, (e: unknown) => e);
  assert.ok(e5 instanceof LoomError);
  assert.equal(e5.code, 'invalid-match');
  assert.equal((await nb.select('Port_Group')).length, 1);
});
