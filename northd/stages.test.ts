import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { STAGES, findStage, stage } from './stages.js';

test('tables are dense per pipeline and names unique', () => {
  const names = new Set<string>();
  for (const dp of ['switch', 'router'] as const) {
    for (const pl of ['ingress', 'egress'] as const) {
      const tables = STAGES.filter((s) => s.datapath === dp && s.pipeline === pl).map((s) => s.table);
      assert.deepEqual(tables, tables.map((_, i) => i));
    }
  }
  for (const s of STAGES) {
    assert.ok(!names.has(s.name), s.name);
    names.add(s.name);
  }
  assert.equal(stage('ls_in_l2_lkup').table, 25);
});

test('every stage OVN 23.03 used in the golden files has the same table here', () => {
  const dir = new URL('./testdata/', import.meta.url);
  let seen = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.golden.json'))) {
    const golden = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as { flows: [string, string, number, string][] };
    for (const [, pipeline, table, name] of golden.flows) {
      const s = findStage(name);
      assert.ok(s, `unknown stage ${name}`);
      assert.equal(s.pipeline, pipeline, name);
      assert.equal(s.table, table, name);
      seen++;
    }
  }
  assert.ok(seen > 100);
});
