// Replays the reference benchmark's tenant files through the CLI exactly as the script
// replays them through ovn-nbctl: `eval "loom $(tr '\n' ' ' < FILE)"`, one process per file,
// against a real nbdb server; then checks the topology landed whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nbdbFixture, residentClient, root } from './fixtures.js';
import { tenantCmds, writeTenantFiles } from '../bench/store/replay-tenants.js';

const REF = '/work/shared/bench/ref-ovn-northd.sh';

test('generated tenant files are byte-identical to what ref-ovn-northd.sh writes', { skip: !existsSync(REF) && 'reference script not present' }, () => {
  // Run just the script's own file-writing block (no OVN needed) for tenant 3 of 7 ports.
  const script = readFileSync(REF, 'utf8');
  const block = /\n\{\n[\s\S]*?\n\} >"\$C"\n/.exec(script)?.[0];
  assert.ok(block !== undefined, 'the script still writes its tenant file in one { ... } >"$C" block');
  const dir = mkdtempSync(join(tmpdir(), 'loom-cli-ref-'));
  try {
    const file = join(dir, 'tenant.cmds');
    execFileSync('bash', ['-c', `set -eu; t=3; PER=7; C='${file}'\n${block}`]);
    assert.equal(tenantCmds(3, 7), readFileSync(file, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replaying tenant files (one loom process per file) builds the whole topology', async (t) => {
  const { dir, url, store } = await nbdbFixture(t, 'loom-cli-replay-');
  const ports = 24;
  const tenants = 2;
  const files = writeTenantFiles(join(dir, 'cmds'), ports, tenants);
  const loom = `node --import tsx ${join(root, 'cli', 'main.ts')} --db=${url}`;
  for (const f of files) {
    const before = await store.revision();
    await new Promise<void>((resolve, reject) => {
      execFile('bash', ['-c', `eval "${loom} $(tr '\\n' ' ' < '${f}')"`], { cwd: root, timeout: 60_000 }, (err, _stdout, stderr) =>
        err === null ? resolve() : reject(new Error(`${f}: ${stderr}`)),
      );
    });
    assert.equal(await store.revision(), before + 1, `${f} is one transaction`);
  }
  const count = async (table: string) => (await store.select(table)).length;
  assert.equal(await count('Logical_Switch'), tenants);
  assert.equal(await count('Logical_Router'), tenants);
  assert.equal(await count('Logical_Router_Port'), tenants);
  assert.equal(await count('Logical_Switch_Port'), ports + tenants);
  assert.equal(await count('ACL'), 3 * tenants);
  const pgs = await store.select('Port_Group');
  assert.deepEqual(pgs.map((g) => (g['ports'] as string[]).length), [ports / tenants, ports / tenants]);
  const p = (await store.select('Logical_Switch_Port', [['name', '==', 'p2-5']]))[0];
  assert.deepEqual(p?.['addresses'], ['0a:00:02:00:00:05 10.0.2.6']);
  assert.deepEqual(p?.['port_security'], ['0a:00:02:00:00:05 10.0.2.6']);
  const rp = (await store.select('Logical_Switch_Port', [['name', '==', 'ls1-lr']]))[0];
  assert.deepEqual([rp?.['type'], rp?.['addresses'], rp?.['options']], ['router', ['router'], { 'router-port': 'lrp1' }]);
  const acls = (await store.select('ACL')).map((a) => a['match']).sort();
  assert.ok(acls.includes('outport == @pg1 && ip4 && ip4.src == $pg1_ip4'));
});

test('replaying tenant files through the resident client (LOOM_NB_DAEMON, bin/loom + nc) builds the same topology', { skip: execFileSync('sh', ['-c', 'command -v nc || true']).toString() === '' && 'no nc' }, async (t) => {
  const { dir, store, env } = await nbdbFixture(t, 'loom-cli-replay-d-');
  const { socket } = await residentClient(t, env);
  const files = writeTenantFiles(join(dir, 'cmds'), 24, 2);
  for (const f of files) {
    const before = await store.revision();
    await new Promise<void>((resolve, reject) => {
      execFile('bash', ['-c', `eval "${join(root, 'bin', 'loom')} $(tr '\\n' ' ' < '${f}')"`], { cwd: root, env: { ...env, LOOM_NB_DAEMON: socket }, timeout: 60_000 }, (err, _stdout, stderr) =>
        err === null ? resolve() : reject(new Error(`${f}: ${stderr}`)),
      );
    });
    assert.equal(await store.revision(), before + 1, `${f} is one transaction`);
  }
  assert.equal((await store.select('Logical_Switch_Port')).length, 24 + 2);
  assert.equal((await store.select('ACL')).length, 6);
  const p = (await store.select('Logical_Switch_Port', [['name', '==', 'p2-5']]))[0];
  assert.deepEqual(p?.['port_security'], ['0a:00:02:00:00:05 10.0.2.6']);
});
