import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { nbSchema, sbSchema, compileValidators, fromOvsSchema } from './index.js';
import { Ajv } from 'ajv';
import { rowJsonSchema } from './json-schema.js';

const nbRequired = ['NB_Global', 'Logical_Switch', 'Logical_Switch_Port', 'Logical_Router', 'Logical_Router_Port', 'Logical_Router_Static_Route', 'ACL', 'Port_Group', 'Address_Set', 'NAT', 'Load_Balancer', 'DHCP_Options', 'Gateway_Chassis', 'Logical_Router_Policy', 'Meter', 'Load_Balancer_Group', 'DNS', 'QoS', 'Connection'];
const sbRequired = ['SB_Global', 'Chassis', 'Chassis_Private', 'Encap', 'Datapath_Binding', 'Port_Binding', 'Logical_Flow', 'Logical_DP_Group', 'Multicast_Group', 'MAC_Binding', 'Gateway_Chassis', 'Address_Set', 'Port_Group', 'Load_Balancer', 'DHCP_Options'];

test('NB and SB schemas hold the tables loom needs', () => {
  for (const t of nbRequired) assert.ok(t in nbSchema.tables, t);
  for (const t of sbRequired) assert.ok(t in sbSchema.tables, t);
  assert.equal(nbSchema.name, 'OVN_Northbound');
  assert.equal(sbSchema.name, 'OVN_Southbound');
});

test('schema details follow OVN: refs, refType, isRoot, indexes, enums, maxRows', () => {
  const ls = nbSchema.tables['Logical_Switch'];
  assert.equal(ls?.isRoot, true);
  assert.deepEqual(ls?.columns['ports']?.key, { type: 'uuid', refTable: 'Logical_Switch_Port', refType: 'strong' });
  assert.equal(ls?.columns['ports']?.max, 'unlimited');
  assert.equal(nbSchema.tables['Logical_Switch_Port']?.isRoot, false);
  assert.deepEqual(nbSchema.tables['Logical_Switch_Port']?.indexes, [['name']]);
  assert.deepEqual(nbSchema.tables['ACL']?.columns['action']?.key.enum, ['allow', 'allow-related', 'allow-stateless', 'drop', 'reject']);
  assert.equal(nbSchema.tables['ACL']?.columns['priority']?.key.maxInteger, 32767);
  assert.equal(nbSchema.tables['Logical_Router']?.columns['load_balancer']?.key.refType, 'weak');
  assert.equal(nbSchema.tables['NB_Global']?.maxRows, 1);
  assert.equal(sbSchema.tables['SB_Global']?.maxRows, 1);
  assert.deepEqual(sbSchema.tables['Port_Binding']?.indexes, [['datapath', 'tunnel_key'], ['logical_port']]);
  assert.equal(sbSchema.tables['Port_Binding']?.columns['chassis']?.key.refType, 'weak');
});

test('committed schemas equal a fresh conversion of the installed OVN files', { skip: !existsSync('/usr/share/ovn/ovn-nb.ovsschema') }, () => {
  const nb = fromOvsSchema(JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')) as unknown);
  const sb = fromOvsSchema(JSON.parse(readFileSync('/usr/share/ovn/ovn-sb.ovsschema', 'utf8')) as unknown);
  assert.deepEqual(nbSchema, nb);
  assert.deepEqual(sbSchema, sb);
});

test('fromOvsSchema refuses unknown keys and dangling refTables', () => {
  assert.throws(() => fromOvsSchema({ name: 'X', version: '1', tables: { A: { columns: { c: { type: 'string', frob: 1 } } } } }), { code: 'bad-request' });
  assert.throws(() => fromOvsSchema({ name: 'X', version: '1', tables: { A: { columns: { c: { type: { key: { type: 'uuid', refTable: 'B' } } } } } } }), { code: 'bad-request' });
  const s = fromOvsSchema({ name: 'X', version: '1', tables: { A: { columns: { c: { type: { key: { type: 'uuid', refTable: 'A' }, min: 0, max: 1 } } } } } });
  assert.equal(s.tables['A']?.columns['c']?.key.refType, 'strong');
  assert.equal(s.tables['A']?.isRoot, false);
});

test('ajv validators accept plain-form rows and refuse wrong shapes', () => {
  const v = compileValidators(nbSchema, { partial: true });
  const acl = v['ACL'];
  assert.ok(acl);
  assert.equal(acl({ priority: 1000, direction: 'to-lport', action: 'drop', match: 'ip4', severity: null, external_ids: { a: 'b' } }), true);
  assert.equal(acl({ priority: 40000 }), false);
  assert.equal(acl.errors?.[0]?.instancePath, '/priority');
  assert.equal(acl({ action: 'permit' }), false);
  assert.equal(acl({ nosuch: 1 }), false);
  assert.equal(acl({ external_ids: { a: 1 } }), false);
  const ls = v['Logical_Switch'];
  assert.ok(ls);
  assert.equal(ls({ ports: ['5f0c3b9a-1d3e-4c1b-9a63-2f0f6f6f6f6f'] }), true);
  assert.equal(ls({ ports: ['not-a-uuid'] }), false);
  const full = compileValidators(sbSchema);
  assert.equal(full['SB_Global']?.({ _uuid: '5f0c3b9a-1d3e-4c1b-9a63-2f0f6f6f6f6f' }), false, 'full validators require every column');
});

test('validators are compiled once per schema and table, on first use', () => {
  const a = compileValidators(nbSchema);
  const b = compileValidators(nbSchema);
  assert.equal(a, b);
  assert.equal(a['ACL'], b['ACL']);
  assert.notEqual(compileValidators(nbSchema, { partial: true }), a);
  assert.deepEqual(Object.keys(a).sort(), Object.keys(nbSchema.tables).sort());
});

test('every generated row schema is valid draft-07 (the store compiles them without the meta-schema check)', () => {
  const ajv = new Ajv({ strict: true });
  for (const schema of [nbSchema, sbSchema]) {
    for (const t of Object.values(schema.tables)) {
      for (const partial of [false, true]) {
        const s = rowJsonSchema(t, partial);
        assert.equal(ajv.validateSchema(s), true, `${t.name}${partial ? ' (partial)' : ''}: ${ajv.errorsText(ajv.errors)}`);
      }
    }
  }
});
