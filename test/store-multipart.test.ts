// Multi-part transactions over HTTP: a transaction bigger than the server's body limit goes
// through RemoteStore in parts and commits as ONE transaction (one revision, one watch
// event), a refused one leaves nothing, bad part sequences get structured 4xx errors, and
// held parts are dropped after the timeout or when over the per-server bound.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNbdb } from '../nbdb/index.js';
import { RemoteStore } from '../store/client.js';
import { parseTxnHeader, type RunningService } from '../store/server.js';
import { LoomError, type Operation, type WatchEvent } from '../store/types.js';

const BODY = 64 * 1024;
const TIMEOUT_MS = 300;
let dir: string;
let svc: RunningService;
let client: RemoteStore;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loom-store-multipart-'));
  svc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false, maxBodyBytes: BODY, multipartTimeoutMs: TIMEOUT_MS, maxTxnBytes: 1024 * 1024 });
  client = await RemoteStore.connect(svc.url);
});
after(async () => {
  await client?.close();
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** n ports and a switch holding them (the switch refers to every port by uuid-name, across parts). */
function switchOf(prefix: string, n: number): Operation {
  return { op: 'insert', table: 'Logical_Switch', row: { name: `ls-${prefix}`, ports: ['set', Array.from({ length: n }, (_, i) => ['named-uuid', `${prefix}_${i}`])] } } as Operation;
}

function ports(prefix: string, n: number): Operation[] {
  const ops: Operation[] = Array.from({ length: n }, (_, i) => ({ op: 'insert', table: 'Logical_Switch_Port', 'uuid-name': `${prefix}_${i}`, row: { name: `${prefix}-${i}`, addresses: [`0a:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')} 10.0.${(i >> 8) & 255}.${i & 255}`] } }) as Operation);
  ops.push({ op: 'insert', table: 'Logical_Switch', row: { name: `ls-${prefix}`, ports: ['set', Array.from({ length: n }, (_, i) => ['named-uuid', `${prefix}_${i}`])] } } as Operation);
  return ops;
}

async function post(body: unknown, txn?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${svc.url}/v1/transact`, { method: 'POST', headers: { 'content-type': 'application/json', ...(txn === undefined ? {} : { 'Loom-Txn': txn }) }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function code(json: Record<string, unknown>): unknown {
  return (json['error'] as Record<string, unknown> | undefined)?.['code'];
}

interface Counts {
  held: number;
  held_bytes: number;
  committed: number;
  failed: number;
  expired: number;
  aborted: number;
}

async function multipart(): Promise<Counts> {
  const h = (await (await fetch(`${svc.url}/v1/health`)).json()) as { multipart: Counts };
  return h.multipart;
}

async function portCount(): Promise<number> {
  return (await client.select('Logical_Switch_Port')).length;
}

describe('multi-part transactions', { timeout: 60_000 }, () => {
  test('a transaction over the body limit commits as one revision and one watch event', async () => {
    // the last op (the switch) refers to inserts of every part by uuid-name
    const ops = ports('big', 2000);
    assert.ok(Buffer.byteLength(JSON.stringify({ ops })) > 3 * BODY, 'the test transaction must need several parts');
    const rev0 = await client.revision();
    const events: WatchEvent[] = [];
    let done!: () => void;
    const seen = new Promise<void>((r) => (done = r));
    const sub = client.watch({ fromRevision: rev0, tables: { Logical_Switch_Port: {}, Logical_Switch: {} } }).subscribe((e) => {
      events.push(e);
      if (e.type === 'change') done();
    });
    try {
      const r = await client.transact(ops);
      assert.equal(r.results.length, ops.length);
      assert.equal(r.revision, rev0 + 1);
      await seen;
      const changes = events.filter((e) => e.type === 'change');
      assert.equal(changes.length, 1);
      const ev = changes[0];
      assert.ok(ev !== undefined && ev.type === 'change');
      assert.equal(ev.revision, rev0 + 1);
      assert.equal(ev.changes.filter((c) => c.table === 'Logical_Switch_Port' && c.old === null).length, 2000);
      const ls = await client.select('Logical_Switch', [['name', '==', 'ls-big']]);
      assert.equal(ls.length, 1);
    } finally {
      sub.unsubscribe();
    }
    assert.equal(await client.revision(), rev0 + 1);
  });

  test('a multi-part transaction whose last operation fails leaves nothing', async () => {
    const before = await portCount();
    const rev = await client.revision();
    const ops = ports('fail', 1500);
    ops.push({ op: 'abort' } as Operation);
    await assert.rejects(client.transact(ops), (e: unknown) => e instanceof LoomError && e.code === 'aborted');
    assert.equal(await client.revision(), rev);
    assert.equal(await portCount(), before);
  });

  test('bad part sequences are refused with structured errors', async () => {
    const rev = await client.revision();
    const one = { ops: ports('seq', 2) };
    // malformed header
    for (const h of ['id=a; part=0', 'id=a b; part=0; last=0', 'id=a; part=x; last=1', 'id=a; part=0; last=2; extra=1']) {
      const r = await post(one, h);
      assert.equal(r.status, 400, h);
      assert.equal(code(r.json), 'bad-request');
    }
    // a later part of a transaction never begun
    let r = await post(one, 'id=nobody; part=1; last=1');
    assert.equal(r.status, 404);
    assert.equal(code(r.json), 'not-found');
    // out of order: refused, and the held part is dropped
    assert.equal((await post(one, 'id=ooo; part=0; last=0')).status, 202);
    r = await post(one, 'id=ooo; part=2; last=1');
    assert.equal(r.status, 400);
    assert.equal(code(r.json), 'bad-request');
    r = await post(one, 'id=ooo; part=1; last=1');
    assert.equal(r.status, 404);
    // part 0 twice
    assert.equal((await post(one, 'id=twice; part=0; last=0')).status, 202);
    assert.equal((await post(one, 'id=twice; part=0; last=0')).status, 400);
    // a part that is not a transaction ends its transaction
    assert.equal((await post(one, 'id=shape; part=0; last=0')).status, 202);
    assert.equal((await post({ nope: 1 }, 'id=shape; part=1; last=0')).status, 400);
    assert.equal((await post(one, 'id=shape; part=2; last=1')).status, 404);
    assert.equal(await client.revision(), rev);
    // in order, by hand: all parts' operations in one answer
    assert.equal((await post({ ops: ports('hand_a', 2) }, 'id=hand; part=0; last=0')).status, 202);
    r = await post({ ops: ports('hand_b', 3) }, 'id=hand; part=1; last=1');
    assert.equal(r.status, 200);
    assert.equal((r.json['results'] as unknown[]).length, 7);
    assert.equal(r.json['revision'], rev + 1);
  });

  test('held parts are dropped after the timeout', async () => {
    const rev = await client.revision();
    const expired = (await multipart()).expired;
    assert.equal((await post({ ops: ports('late', 2) }, 'id=late; part=0; last=0')).status, 202);
    assert.ok((await multipart()).held_bytes > 0);
    // the server's timer fires with no sign but its counter: ask until it moved (bounded)
    for (let i = 0; i < 100 && (await multipart()).expired === expired; i++) await new Promise((r) => setTimeout(r, TIMEOUT_MS / 5));
    const m = await multipart();
    assert.equal(m.expired, expired + 1);
    assert.equal(m.held_bytes, 0);
    const r = await post({ ops: ports('late_b', 2) }, 'id=late; part=1; last=1');
    assert.equal(r.status, 404);
    assert.equal(code(r.json), 'not-found');
    assert.equal(await client.revision(), rev);
  });

  test('parts over the per-server bound are refused and leave nothing', async () => {
    const rev = await client.revision();
    const before = await portCount();
    // about 1.5 MiB against a 1 MiB bound
    const ops = ports('huge', 14000);
    await assert.rejects(client.transact(ops), (e: unknown) => e instanceof LoomError && e.code === 'too-large' && e.value === 1024 * 1024);
    assert.equal(await client.revision(), rev);
    assert.equal(await portCount(), before);
    // the bound is free again: a normal multi-part transaction still goes through
    const r = await client.transact(ports('after', 800));
    assert.equal(r.revision, rev + 1);
  });

  test('transactParts over HTTP: parts sent as added, split over the body limit, one revision and one watch event', async () => {
    const rev0 = await client.revision();
    const before = await multipart();
    const events: WatchEvent[] = [];
    let done!: () => void;
    const seen = new Promise<void>((r) => (done = r));
    const sub = client.watch({ fromRevision: rev0, tables: { Logical_Switch_Port: {}, Logical_Switch: {} } }).subscribe((e) => {
      events.push(e);
      if (e.type === 'change') done();
    });
    try {
      const txn = client.transactParts();
      const a = ports('pa', 1200).slice(0, 1200);
      const b = ports('pb', 1200).slice(0, 1200);
      assert.ok(Buffer.byteLength(JSON.stringify(a)) > BODY, 'a part must need splitting');
      await txn.add(a);
      // held on the server now, not committed
      const held = await multipart();
      assert.equal(held.held, before.held + 1);
      assert.ok(held.held_bytes > 0);
      await txn.add(b);
      assert.equal(await client.revision(), rev0);
      const r = await txn.commit([switchOf('pa', 1200), switchOf('pb', 1200)]);
      assert.equal(r.revision, rev0 + 1);
      assert.equal(r.results.length, 2402);
      await seen;
      const changes = events.filter((e) => e.type === 'change');
      assert.equal(changes.length, 1);
      const m = await multipart();
      assert.equal(m.committed, before.committed + 1);
      assert.equal(m.held_bytes, 0);
    } finally {
      sub.unsubscribe();
    }
  });

  test('transactParts over HTTP: a failing operation in the last part leaves nothing', async () => {
    const rev = await client.revision();
    const before = await portCount();
    const failed = (await multipart()).failed;
    const txn = client.transactParts();
    await txn.add(ports('fa', 500).slice(0, 500));
    await txn.add(ports('fb', 500).slice(0, 500));
    await assert.rejects(txn.commit([switchOf('fa', 500), { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-bad', ports: ['named-uuid', 'fb_9999'] } } as Operation]), (e: unknown) => e instanceof LoomError && e.code === 'bad-request' && e.op === 1001);
    assert.equal(await client.revision(), rev);
    assert.equal(await portCount(), before);
    const m = await multipart();
    assert.equal(m.failed, failed + 1);
    assert.equal(m.held_bytes, 0);
  });

  test('transactParts over HTTP: abort frees the held parts at once', async () => {
    const rev = await client.revision();
    const aborted = (await multipart()).aborted;
    const txn = client.transactParts();
    await txn.add(ports('ab', 800).slice(0, 800));
    assert.ok((await multipart()).held_bytes > 0);
    await txn.abort();
    const m = await multipart();
    assert.equal(m.aborted, aborted + 1);
    assert.equal(m.held, 0);
    assert.equal(m.held_bytes, 0);
    await assert.rejects(txn.commit([]), (e: unknown) => e instanceof LoomError && e.code === 'aborted');
    assert.equal(await client.revision(), rev);
    // the metrics say the same
    const text = await (await fetch(`${svc.url}/v1/metrics`)).text();
    assert.match(text, new RegExp(`loom_multipart_transactions_total\\{[^}]*result="aborted"\\} ${aborted + 1}\n`));
    // an explicit abort of a transaction nobody holds says so
    const res = await fetch(`${svc.url}/v1/transact/nobody`, { method: 'DELETE' });
    assert.deepEqual(await res.json(), { txn: 'nobody', aborted: false });
  });

  test('transactParts over HTTP: a part the store refuses fails the transaction at the next request, and frees it', async () => {
    const rev = await client.revision();
    const failed = (await multipart()).failed;
    const txn = client.transactParts();
    await txn.add(ports('dup', 3).slice(0, 3));
    // the same uuid-name again: refused by the store, told with the next part or the commit
    await txn.add(ports('dup', 1).slice(0, 1)).catch(() => undefined);
    await assert.rejects(txn.commit([switchOf('dup', 3)]), (e: unknown) => e instanceof LoomError && e.code === 'bad-request' && e.op === 3);
    const m = await multipart();
    assert.equal(m.failed, failed + 1);
    assert.equal(m.held_bytes, 0);
    assert.equal(await client.revision(), rev);
  });

  test('transactParts over HTTP with nothing added is a plain transaction', async () => {
    const rev = await client.revision();
    const r = await client.transactParts().commit(ports('plain', 2));
    assert.equal(r.revision, rev + 1);
  });

  test('the health answer names the body limit', async () => {
    const res = await fetch(`${svc.url}/v1/health`);
    const h = (await res.json()) as Record<string, unknown>;
    assert.equal(h['max_body_bytes'], BODY);
  });

  test('Loom-Txn header parsing', () => {
    assert.deepEqual(parseTxnHeader('id=a-1.b_2; part=3; last=0'), { id: 'a-1.b_2', part: 3, last: false });
    assert.deepEqual(parseTxnHeader('last=1;part=0;id=x'), { id: 'x', part: 0, last: true });
    assert.ok(parseTxnHeader('id=x; id=y; part=0; last=1') instanceof LoomError);
    assert.ok(parseTxnHeader('') instanceof LoomError);
  });
});
