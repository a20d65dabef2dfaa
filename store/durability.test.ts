// Nothing acknowledged is lost when the process is killed (SIGKILL) mid-stream, and
// revisions continue without a gap or a repeat after reopening the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, take, toArray } from 'rxjs';
import { SqliteStore } from './sqlite-store.js';
import { sbSchema } from '../schemas/index.js';

const child = fileURLToPath(new URL('./testdata/commit-loop.ts', import.meta.url));

/** Runs the commit loop until it acknowledged `atLeast` revisions, kills it, returns the last acknowledged. */
function runAndKill(file: string, atLeast: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acked = 0;
    let buf = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) acked = Math.max(acked, Number(l));
      if (acked >= atLeast && p.exitCode === null && !p.killed) p.kill('SIGKILL');
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && acked >= atLeast) resolve(acked);
      else reject(new Error(`child ended with ${signal ?? _code} after ${acked} revisions: ${err}`));
    });
  });
}

test('SIGKILL loses nothing acknowledged; revisions resume without gap or repeat', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-kill-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sb.db');
  const first = await runAndKill(file, 200);
  let s = SqliteStore.open(file, sbSchema, { changeLogLimit: 50 });
  const rev1 = s.currentRevision;
  assert.ok(rev1 >= first, `revision ${rev1} < acknowledged ${first}`);
  const rows = s.selectSync('Chassis_Private');
  assert.equal(rows.length, rev1, 'one row per revision, none torn');
  for (let r = 1; r <= first; r++) assert.equal(s.selectSync('Chassis_Private', [['name', '==', `c${r}`]]).length, 1, `row of revision ${r}`);
  assert.deepEqual(s.checkInvariants(), []);
  await s.close();

  const second = await runAndKill(file, rev1 + 100);
  s = SqliteStore.open(file, sbSchema, { changeLogLimit: 50 });
  t.after(() => s.close());
  assert.ok(s.currentRevision >= second);
  assert.equal(s.selectSync('Chassis_Private').length, s.currentRevision);
  // The log's tail is contiguous up to the current revision.
  const from = s.currentRevision - 40;
  const ev = await firstValueFrom(s.watch({ fromRevision: from }).pipe(take(40), toArray()));
  assert.deepEqual(ev.map((e) => e.revision), Array.from({ length: 40 }, (_, i) => from + i + 1));
  assert.ok(ev.every((e) => e.type === 'change'));
});

test('SIGKILL right after large commits, before the deferred checkpoint, loses nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-kill-big-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sb.db');
  const script = fileURLToPath(new URL('./testdata/big-commit-kill.ts', import.meta.url));
  const acked = await new Promise<number>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && out.trim() !== '') resolve(Number(out.trim()));
      else reject(new Error(`child ended with ${signal ?? code}: ${err}`));
    });
  });
  assert.equal(acked, 2);
  const s = SqliteStore.open(file, sbSchema);
  t.after(() => s.close());
  assert.equal(s.currentRevision, 2);
  const rows = s.selectSync('Logical_Flow');
  assert.equal(rows.length, 30000);
  assert.equal(s.selectSync('Logical_Flow', [['match', '==', 't1 inport == "lp14999" && ip4.src == 10.0.58.151']]).length, 1);
  assert.deepEqual(s.checkInvariants(), []);
});

test('SIGKILL after bulk commits whose rows stay in their pending record (some changed or deleted meanwhile) loses nothing and resurrects nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'loom-kill-pending-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'sb.db');
  const script = fileURLToPath(new URL('./testdata/bulk-pending-kill.ts', import.meta.url));
  const said = await new Promise<{ revision: number; rows: Record<string, string> }>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && existsSync(`${file}.expect.json`)) resolve(JSON.parse(readFileSync(`${file}.expect.json`, 'utf8')) as { revision: number; rows: Record<string, string> });
      else reject(new Error(`child ended with ${signal ?? code}: ${out}${err}`));
    });
  });
  assert.equal(Object.keys(said.rows).length, 9000 - 30);
  for (let round = 0; round < 2; round++) {
    // twice: an open writes nothing back (the pending parts are read as they are)
    const s = SqliteStore.open(file, sbSchema);
    try {
      assert.equal(s.currentRevision, said.revision);
      const now: Record<string, string> = {};
      for (const r of s.selectSync('Logical_Flow')) now[r._uuid] = r['match'] as string;
      assert.deepEqual(now, said.rows);
      assert.deepEqual(s.checkInvariants(), []);
    } finally {
      await s.close();
    }
  }
});
