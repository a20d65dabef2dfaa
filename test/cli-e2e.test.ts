// The `loom` CLI as a process against a real nbdb server (startNbdb over HTTP/WS):
// exit status, stdout/stderr shapes, --json errors, LOOM_NB, and --wait=sb driven by
// NB_Global nb_cfg/sb_cfg as OVN does (the test plays northd's part of bumping sb_cfg).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNbdb } from '../nbdb/index.js';
import { RemoteStore } from '../store/client.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(root, 'cli', 'main.ts');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function loom(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 99;
      resolve({ code, stdout, stderr });
    });
  });
}

test('loom against a real nbdb server: chain, show, errors, --json, LOOM_NB, --wait=sb', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-cli-e2e-'));
  const svc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
  t.after(async () => {
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const db = `--db=${svc.url}`;

  let r = await loom([db, 'init']);
  assert.equal(r.code, 0, r.stderr);
  r = await loom([db, '--', 'ls-add', 'sw0', '--', 'lsp-add', 'sw0', 'vm1', '--', 'lsp-set-addresses', 'vm1', '0a:00:00:00:00:01 10.0.0.11', '--', 'lsp-add', 'sw0', 'vm2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');

  r = await loom(['show'], { LOOM_NB: svc.url });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^switch [0-9a-f-]{36} \(sw0\)\n {4}port vm1\n {8}addresses: \["0a:00:00:00:00:01 10\.0\.0\.11"\]\n {4}port vm2\n$/);

  r = await loom([db, '--', 'ls-add', 'sw1', '--', 'ls-add', 'sw0']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'loom: sw0: a switch with this name already exists\nhint: use --may-exist to accept an existing switch\n');

  r = await loom([db, '--json', 'lsp-add', 'nosw', 'p']);
  assert.equal(r.code, 1);
  const err = JSON.parse(r.stdout) as { error: { code: string; message: string; table: string; value: string } };
  assert.deepEqual([err.error.code, err.error.message, err.error.table, err.error.value], ['not-found', 'nosw: switch name not found', 'Logical_Switch', 'nosw']);

  r = await loom([db, 'ls-lis']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^loom: unknown command 'ls-lis'; use --help for help\nhint: did you mean: ls-list/);

  r = await loom(['--db=http://127.0.0.1:1', 'show']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^loom: .*127\.0\.0\.1:1/);

  // Nothing from the failed invocations landed.
  r = await loom([db, 'ls-list']);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.replace(/^\S+ /, '')), ['(sw0)']);

  // --wait=sb: the CLI bumps nb_cfg in its transaction and returns once sb_cfg reaches it.
  const store = await RemoteStore.connect(svc.url);
  t.after(() => store.close());
  const northd = store.watch({ tables: { NB_Global: {} } }).subscribe((ev) => {
    const rows = ev.type === 'snapshot' ? (ev.tables['NB_Global'] ?? []) : ev.type === 'change' ? ev.changes.map((c) => c.new).filter((x) => x !== null) : [];
    for (const row of rows) {
      if (Number(row['nb_cfg']) > Number(row['sb_cfg'])) {
        void store.transact([{ op: 'update', table: 'NB_Global', where: [], row: { sb_cfg: row['nb_cfg'] } }]);
      }
    }
  });
  t.after(() => northd.unsubscribe());
  const cfgBefore = Number((await store.select('NB_Global'))[0]?.['nb_cfg']);
  r = await loom([db, '--wait=sb', '--timeout=20', 'lsp-add', 'sw0', 'vm3']);
  assert.equal(r.code, 0, r.stderr);
  const g = (await store.select('NB_Global'))[0];
  assert.equal(Number(g?.['nb_cfg']), cfgBefore + 1);
  assert.ok(Number(g?.['sb_cfg']) >= cfgBefore + 1);
  northd.unsubscribe();

  // Nobody advances hv_cfg: the wait is bounded by --timeout and says why.
  r = await loom([db, '--wait=hv', '--timeout=4', 'sync']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^loom: timed out after 4 s waiting for the hypervisors \(hv_cfg\) to reach nb_cfg \d+\nhint: /);
});

test('loom --help reads like a manual; every command has --help', async () => {
  const r = await loom(['--help']);
  assert.equal(r.code, 0);
  for (const section of ['SYNOPSIS', 'DAEMONS', 'LOGICAL SWITCH COMMANDS', 'ACL COMMANDS', 'DATABASE COMMANDS', 'SOUTHBOUND COMMANDS', 'GLOBAL OPTIONS', 'ENVIRONMENT', 'EXIT STATUS']) {
    assert.ok(r.stdout.includes(`\n${section}`), section);
  }
  const c = await loom(['lr-nat-add', '--help']);
  assert.equal(c.code, 0);
  assert.match(c.stdout, /^usage: loom .*lr-nat-add ROUTER TYPE EXTERNAL_IP LOGICAL_IP \[LOGICAL_PORT EXTERNAL_MAC\]\n/);
  assert.match(c.stdout, /\nexample:\n {2}loom lr-nat-add lr0 dnat_and_snat /);
  const d = await loom(['nbdb', '--help']);
  assert.match(d.stdout, /^usage: loom nbdb --db FILE --listen HOST:PORT\n/);
});

test('loom nbdb runs until SIGTERM and says where it listens', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-cli-daemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'nbdb', '--db', join(dir, 'nb.db'), '--listen', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no listen line: ${buf}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (\S+)/.exec(buf);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.on('exit', () => reject(new Error(`exited early: ${buf}`)));
  });
  const r = await loom([`--db=${url}`, 'ls-add', 'x']);
  assert.equal(r.code, 0, r.stderr);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('loom up (nbdb + sbdb + northd): --wait=sb returns once compiled; sb lflow-list shows the ACL with its NB source', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-cli-up-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'up', '--state-dir', dir, '--nb-listen', '127.0.0.1:0', '--sb-listen', '127.0.0.1:0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const banner = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`loom up did not come up: ${buf} ${stderr}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('stop with SIGTERM')) {
        clearTimeout(timer);
        resolve(buf);
      }
    });
    child.on('exit', () => reject(new Error(`loom up exited: ${buf} ${stderr}`)));
  });
  const nbUrl = /nbdb: (\S+)/.exec(banner)?.[1] as string;
  const sbUrl = /sbdb: (\S+)/.exec(banner)?.[1] as string;
  assert.match(banner, /northd: running/);
  const env = { LOOM_NB: nbUrl, LOOM_SB: sbUrl };
  let r = await loom(
    ['--wait=sb', '--timeout=30', '--', 'ls-add', 'sw0', '--', 'lsp-add', 'sw0', 'vm1', '--', 'lsp-set-addresses', 'vm1', '0a:00:00:00:00:01 10.0.0.11',
      '--', 'pg-add', 'pg1', 'vm1', '--', '--type=port-group', 'acl-add', 'pg1', 'to-lport', '1002', 'outport == @pg1 && ip4 && tcp.dst == 22', 'allow-related'],
    env,
  );
  assert.equal(r.code, 0, r.stderr);
  // No sleep: --wait=sb returned, so SB already holds the compiled flows.
  r = await loom(['sb', '--show-source', 'lflow-list', 'sw0'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Datapath: "sw0" \([0-9a-f-]{36}\)  Pipeline: ingress\n {2}table=0 \(ls_in_check_port_sec\), priority=/);
  assert.match(r.stdout, /match=\([^\n]*outport == @pg1 && ip4 && tcp\.dst == 22[^\n]*\n {6}from ACL [0-9a-f-]{36}/);
  r = await loom(['sb', '--bare', '--columns=logical_port', 'find', 'Port_Binding', 'logical_port=vm1'], env);
  assert.equal(r.stdout, 'vm1\n');
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
