import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCidr, isMac, lspAddressProblem, nbRowProblem, portSecurityProblem } from './validate.js';

const U = '00000000-0000-4000-8000-000000000001';

test('MAC and CIDR syntax', () => {
  assert.equal(isMac('00:00:00:00:ff:01'), true);
  assert.equal(isMac('0A:bb:cc:dd:ee:FF'), true);
  for (const m of ['00:00:00:00:ff', '00-00-00-00-ff-01', '000:00:00:00:ff:01', 'zz:00:00:00:ff:01', '']) assert.equal(isMac(m), false, m);
  for (const c of ['10.0.0.1/24', '0.0.0.0/0', '10.0.0.0/32', 'fd00::1/64', '::/0', 'fd00::1/128']) assert.equal(isCidr(c), true, c);
  for (const c of ['10.0.0.1', '10.0.0.1/33', '10.0.0.256/24', 'fd00::1/129', '10.0.0.1/', '10.0.0.1/2a', 'x/24']) assert.equal(isCidr(c), false, c);
});

test('Logical_Switch_Port.addresses entries as OVN reads them', () => {
  for (const ok of ['router', 'unknown', 'dynamic', 'dynamic 10.0.0.9', '00:00:00:00:00:01', '00:00:00:00:00:01 10.0.0.1', '00:00:00:00:00:01 10.0.0.1 fd00::1', '00:00:00:00:00:01 dynamic']) {
    assert.equal(lspAddressProblem(ok), undefined, ok);
  }
  assert.match(lspAddressProblem('router 10.0.0.1') ?? '', /stands alone/);
  assert.match(lspAddressProblem('00:00:00:00:01 10.0.0.1') ?? '', /not a MAC/);
  assert.match(lspAddressProblem('00:00:00:00:00:01 10.0.0.300') ?? '', /10\.0\.0\.300/);
  assert.match(lspAddressProblem('   ') ?? '', /empty/);
  assert.equal(portSecurityProblem('00:00:00:00:00:01 10.0.0.0/24'), undefined);
  assert.match(portSecurityProblem('router') ?? '', /not a MAC/);
});

test('row rules name table, column, row and value', () => {
  const e = nbRowProblem('Logical_Router_Port', { _uuid: U, name: 'lrp1', mac: '00:00:00:00:ff:01', networks: ['10.0.0.1/24', '10.0.1.1'] });
  assert.ok(e);
  assert.equal(e.code, 'invalid-value');
  assert.equal(e.table, 'Logical_Router_Port');
  assert.equal(e.column, 'networks');
  assert.equal(e.row, U);
  assert.equal(e.value, '10.0.1.1');
  assert.ok(e.hint);
  assert.equal(nbRowProblem('Logical_Router_Port', { _uuid: U, mac: '00:00:00:00:ff:01', networks: ['10.0.0.1/24'] }), undefined);
  assert.equal(nbRowProblem('Logical_Router_Port', { _uuid: U, mac: 'nope', networks: [] })?.column, 'mac');
  assert.equal(nbRowProblem('Logical_Switch_Port', { _uuid: U, addresses: ['router', 'garbage'] })?.value, 'garbage');
  assert.equal(nbRowProblem('NAT', { _uuid: U, type: 'snat', external_ip: '172.16.0.1', logical_ip: '10.0.0.0/24' }), undefined);
  assert.equal(nbRowProblem('NAT', { _uuid: U, type: 'snat', external_ip: '172.16.0.1/24', logical_ip: '10.0.0.0/24' })?.column, 'external_ip');
  assert.equal(nbRowProblem('NAT', { _uuid: U, type: 'dnat', external_ip: '172.16.0.1', logical_ip: 'fd00::5' })?.column, 'logical_ip');
  assert.equal(nbRowProblem('Logical_Switch', { _uuid: U, name: 'anything goes' }), undefined);
});

test('ACL, QoS and router policy matches are parsed by expr/ at write time', () => {
  assert.equal(nbRowProblem('ACL', { _uuid: U, match: 'outport == @pg1 && ip4.src == $as1 && tcp.dst == {80, 443}', action: 'allow-related' }), undefined);
  const e = nbRowProblem('ACL', { _uuid: U, match: 'tcp.dsst == 22', action: 'drop' });
  assert.ok(e);
  assert.equal(e.code, 'invalid-match');
  assert.equal(e.column, 'match');
  assert.equal(e.value, 'tcp.dsst == 22');
  assert.match(e.hint ?? '', /tcp\.dst/);
  assert.equal(nbRowProblem('Logical_Router_Policy', { _uuid: U, match: 'ip4.dst ==', action: 'drop' })?.code, 'invalid-match');
  assert.equal(nbRowProblem('QoS', { _uuid: U, match: 'ip4 &&& udp', action: {} })?.code, 'invalid-match');
});

test('validateNbTxn: new and renamed switch/router names must be unique, one by one and in bulk', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { SqliteStore } = await import('../store/sqlite-store.js');
  const { nbSchema } = await import('../schemas/index.js');
  const { validateNbTxn } = await import('./validate.js');
  const dir = mkdtempSync(join(tmpdir(), 'loom-nbvalidate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  t.after(() => s.close());
  const ls = (name: string) => ({ op: 'insert' as const, table: 'Logical_Switch', row: { name } });
  await s.transact([ls('a'), ls('b'), ls(''), ls('')]);
  const dup = (p: Promise<unknown>) => assert.rejects(p, (e: unknown) => (e as { code?: string }).code === 'duplicate');
  await dup(s.transact([ls('a')]));
  await dup(s.transact(Array.from({ length: 20 }, (_, i) => ls(i === 19 ? 'b' : `bulk-${i}`))));
  await dup(s.transact(Array.from({ length: 20 }, () => ls('same'))));
  await dup(s.transact([{ op: 'update', table: 'Logical_Switch', where: [['name', '==', 'b']], row: { name: 'a' } }]));
  // Unique names pass, in bulk too; empty names may repeat; other tables are not affected.
  await s.transact(Array.from({ length: 20 }, (_, i) => ls(`ok-${i}`)));
  await s.transact([{ op: 'insert', table: 'Logical_Router', row: { name: 'a' } }]);
  assert.equal((await s.select('Logical_Switch')).length, 24);
});
