// End-to-end: nbdb over HTTP — atomic transactions, reads with query conditions, health and
// schema, and bad input (malformed JSON, unknown table/column, wrong type, missing reference,
// duplicate name, bad MAC, oversized body) refused with a structured 4xx and no change.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNbdb } from '../nbdb/index.js';
import { RemoteStore } from '../store/client.js';
import { LoomError, type Row } from '../store/types.js';
import type { RunningService } from '../store/server.js';

let dir: string;
let svc: RunningService;
let client: RemoteStore;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loom-store-http-'));
  svc = await startNbdb({ db: join(dir, 'nb.db'), listen: '127.0.0.1:0', handleSignals: false });
  client = await RemoteStore.connect(svc.url);
});
after(async () => {
  await client?.close();
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(body: string | unknown, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${svc.url}/v1/transact`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function get(path: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${svc.url}${path}`);
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

function errorOf(json: Record<string, unknown>): Record<string, unknown> {
  const e = json['error'];
  assert.ok(typeof e === 'object' && e !== null, `expected an error body, got ${JSON.stringify(json)}`);
  assert.equal(typeof (e as Record<string, unknown>)['message'], 'string');
  return e as Record<string, unknown>;
}

/** Runs `fn` and checks that neither the revision nor the switch/port tables moved. */
async function unchanged(fn: () => Promise<void>): Promise<void> {
  const rev = await client.revision();
  const ls = await client.select('Logical_Switch');
  const lsp = await client.select('Logical_Switch_Port');
  await fn();
  assert.equal(await client.revision(), rev, 'revision moved');
  assert.deepEqual(await client.select('Logical_Switch'), ls);
  assert.deepEqual(await client.select('Logical_Switch_Port'), lsp);
}

describe('nbdb over HTTP', { timeout: 60_000 }, () => {
  test('a transaction commits, returns its revision and results, and is readable back', async () => {
    const rev = await client.revision();
    const r = await post({ ops: [{ op: 'insert', table: 'Logical_Switch_Port', row: { name: 'lsp-a', addresses: ['00:00:00:00:00:0a 10.0.0.10'] }, 'uuid-name': 'p' }, { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-a', ports: ['set', [['named-uuid', 'p']]] } }] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json['revision'], rev + 1);
    const results = r.json['results'] as { uuid: string }[];
    assert.equal(results.length, 2);
    const got = await get('/v1/tables/Logical_Switch?name=ls-a');
    assert.equal(got.status, 200);
    assert.equal(got.json['revision'], rev + 1);
    const rows = got.json['rows'] as Row[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?._uuid, results[1]?.uuid);
    assert.deepEqual(rows[0]?.['ports'], [results[0]?.uuid]);
    // A bare array is the same request.
    const bare = await post([{ op: 'select', table: 'Logical_Switch', where: [['name', '==', 'ls-a']] }]);
    assert.equal(bare.status, 200);
    assert.equal(bare.json['revision'], rev + 1);
  });

  test('a transaction whose last op fails leaves no trace', async () => {
    await unchanged(async () => {
      const r = await post({
        ops: [
          { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-atomic' } },
          { op: 'insert', table: 'Logical_Switch_Port', row: { name: 'lsp-atomic' } },
          { op: 'update', table: 'Logical_Switch', where: [['name', '==', 'ls-atomic']], row: { ports: ['set', [['uuid', '6f3b1e0c-0000-4000-8000-00000000dead']]] } },
        ],
      });
      assert.equal(r.status, 409, JSON.stringify(r.json));
      const e = errorOf(r.json);
      assert.equal(e['code'], 'referential-integrity');
      assert.equal(e['table'], 'Logical_Switch');
    });
    assert.equal((await get('/v1/tables/Logical_Switch?name=ls-atomic')).json['rows'] instanceof Array, true);
    assert.deepEqual((await get('/v1/tables/Logical_Switch?name=ls-atomic')).json['rows'], []);
    assert.deepEqual((await get('/v1/tables/Logical_Switch_Port?name=lsp-atomic')).json['rows'], []);
  });

  test('malformed JSON, a wrong shape and an unknown op are 400 bad-request', async () => {
    await unchanged(async () => {
      const r = await post('{"ops": [ {"op": "insert", ');
      assert.equal(r.status, 400);
      assert.equal(errorOf(r.json)['code'], 'bad-request');
      const noType = await post('{"ops": [}', {});
      assert.equal(noType.status, 400);
      const shape = await post({ ops: [{ op: 'insert', table: 'Logical_Switch' }] });
      assert.equal(shape.status, 400);
      const e = errorOf(shape.json);
      assert.equal(e['code'], 'bad-request');
      assert.equal(e['path'], '/ops/0');
      assert.equal(e['op'], 0);
      const op = await post([{ op: 'upsert', table: 'Logical_Switch', row: {} }]);
      assert.equal(op.status, 400);
      assert.match(String(errorOf(op.json)['hint']), /insert/);
    });
  });

  test('unknown table is 404, unknown column and wrong type are 400, naming table, column and value', async () => {
    await unchanged(async () => {
      const t = await post([{ op: 'insert', table: 'Logical_Swtich', row: { name: 'x' } }]);
      assert.equal(t.status, 404, JSON.stringify(t.json));
      assert.equal(errorOf(t.json)['code'], 'unknown-table');
      assert.equal(errorOf(t.json)['value'], 'Logical_Swtich');
      assert.match(String(errorOf(t.json)['hint']), /Logical_Switch_Port/);
      const c = await post([{ op: 'insert', table: 'Logical_Switch', row: { name: 'x', nmae: 'y' } }]);
      assert.equal(c.status, 400, JSON.stringify(c.json));
      assert.equal(errorOf(c.json)['code'], 'unknown-column');
      assert.equal(errorOf(c.json)['value'], 'nmae');
      assert.equal(errorOf(c.json)['table'], 'Logical_Switch');
      const ty = await post([{ op: 'insert', table: 'Logical_Switch', row: { name: 5 } }]);
      assert.equal(ty.status, 400, JSON.stringify(ty.json));
      const e = errorOf(ty.json);
      assert.equal(e['code'], 'type-error');
      assert.equal(e['table'], 'Logical_Switch');
      assert.equal(e['column'], 'name');
      assert.equal(e['value'], 5);
    });
  });

  test('a reference to a missing row is 409 referential-integrity', async () => {
    await unchanged(async () => {
      const r = await post([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls-ref', ports: ['set', [['uuid', '6f3b1e0c-0000-4000-8000-00000000beef']]] } }]);
      assert.equal(r.status, 409, JSON.stringify(r.json));
      const e = errorOf(r.json);
      assert.equal(e['code'], 'referential-integrity');
      assert.equal(e['table'], 'Logical_Switch');
      assert.equal(e['column'], 'ports');
    });
  });

  test('duplicate names are 409 duplicate: indexed (Logical_Switch_Port) and nbdb-enforced (Logical_Switch)', async () => {
    // Ports are not root rows (OVN's schema): a switch must hold them or they are collected.
    const ok = await post([{ op: 'insert', table: 'Logical_Switch_Port', row: { name: 'lsp-dup' }, 'uuid-name': 'p' }, { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-dup', ports: ['named-uuid', 'p'] } }]);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    await unchanged(async () => {
      const ls = await post([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls-dup' } }]);
      assert.equal(ls.status, 409, JSON.stringify(ls.json));
      assert.equal(errorOf(ls.json)['code'], 'duplicate');
      assert.equal(errorOf(ls.json)['column'], 'name');
      assert.equal(errorOf(ls.json)['value'], 'ls-dup');
      const lsp = await post([{ op: 'insert', table: 'Logical_Switch_Port', row: { name: 'lsp-dup' }, 'uuid-name': 'p' }, { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-dup2', ports: ['named-uuid', 'p'] } }]);
      assert.equal(lsp.status, 409, JSON.stringify(lsp.json));
      assert.equal(errorOf(lsp.json)['code'], 'duplicate');
      // Two new rows with one name in one transaction are refused too.
      const twice = await post([{ op: 'insert', table: 'Logical_Router', row: { name: 'lr-twice' } }, { op: 'insert', table: 'Logical_Router', row: { name: 'lr-twice' } }]);
      assert.equal(twice.status, 409, JSON.stringify(twice.json));
      // Renaming onto an existing name as well.
      const rename = await post([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls-other' } }, { op: 'update', table: 'Logical_Switch', where: [['name', '==', 'ls-other']], row: { name: 'ls-dup' } }]);
      assert.equal(rename.status, 409, JSON.stringify(rename.json));
    });
  });

  test('NB rules: a bad MAC, CIDR, address entry or ACL match is a 400 with a hint', async () => {
    await unchanged(async () => {
      const lrp = (row: Record<string, unknown>): unknown[] => [{ op: 'insert', table: 'Logical_Router_Port', row, 'uuid-name': 'p' }, { op: 'insert', table: 'Logical_Router', row: { name: 'lr-bad', ports: ['named-uuid', 'p'] } }];
      const mac = await post(lrp({ name: 'lrp-bad', mac: '00:00:00:00:ff', networks: ['10.0.0.1/24'] }));
      assert.equal(mac.status, 400, JSON.stringify(mac.json));
      const e = errorOf(mac.json);
      assert.equal(e['code'], 'invalid-value');
      assert.equal(e['column'], 'mac');
      assert.equal(e['value'], '00:00:00:00:ff');
      assert.ok(typeof e['hint'] === 'string');
      const net = await post(lrp({ name: 'lrp-bad', mac: '00:00:00:00:ff:01', networks: ['10.0.0.1'] }));
      assert.equal(net.status, 400);
      assert.equal(errorOf(net.json)['column'], 'networks');
      const addr = await post([{ op: 'insert', table: 'Logical_Switch_Port', row: { name: 'lsp-bad', addresses: ['00:00:00:00:00:01 10.0.0.999'] }, 'uuid-name': 'p' }, { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-bad', ports: ['named-uuid', 'p'] } }]);
      assert.equal(addr.status, 400);
      assert.equal(errorOf(addr.json)['column'], 'addresses');
      const nat = await post([{ op: 'insert', table: 'NAT', row: { type: 'snat', external_ip: 'not-an-ip', logical_ip: '10.0.0.0/24' }, 'uuid-name': 'n' }, { op: 'insert', table: 'Logical_Router', row: { name: 'lr-nat', nat: ['named-uuid', 'n'] } }]);
      assert.equal(nat.status, 400);
      assert.equal(errorOf(nat.json)['column'], 'external_ip');
      const acl = await post([{ op: 'insert', table: 'ACL', row: { direction: 'to-lport', priority: 1001, match: 'outport == @pg1 && tcp.dsst == 22', action: 'allow' }, 'uuid-name': 'a' }, { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-acl', acls: ['named-uuid', 'a'] } }]);
      assert.equal(acl.status, 400, JSON.stringify(acl.json));
      assert.equal(errorOf(acl.json)['code'], 'invalid-match');
      assert.equal(errorOf(acl.json)['table'], 'ACL');
      assert.equal(errorOf(acl.json)['column'], 'match');
      assert.match(String(errorOf(acl.json)['hint']), /tcp\.dst/);
    });
  });

  test('an oversized body is 413 too-large and the hint says the limit', async () => {
    await unchanged(async () => {
      const big = JSON.stringify([{ op: 'insert', table: 'Logical_Switch', row: { name: 'big', external_ids: ['map', [['blob', 'x'.repeat(17 * 1024 * 1024)]]] } }]);
      const r = await post(big);
      assert.equal(r.status, 413);
      const e = errorOf(r.json);
      assert.equal(e['code'], 'too-large');
      assert.match(String(e['hint']), /16 MiB/);
    });
  });

  test('the client turns error bodies back into LoomError with the same fields', async () => {
    await assert.rejects(client.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 7 } }]), (e: unknown) => {
      assert.ok(e instanceof LoomError);
      assert.equal(e.code, 'type-error');
      assert.equal(e.table, 'Logical_Switch');
      assert.equal(e.column, 'name');
      return true;
    });
  });

  test('GET /v1/tables: query conditions, where=JSON, columns, and unknown names', async () => {
    const ins = await client.transact([{ op: 'insert', table: 'Logical_Switch', row: { name: 'ls-q1', external_ids: ['map', [['tenant', 't1']]] } }, { op: 'insert', table: 'Logical_Switch', row: { name: 'ls-q2', external_ids: ['map', [['tenant', 't2']]] } }]);
    const where = encodeURIComponent(JSON.stringify([['name', '==', 'ls-q2']]));
    const w = await get(`/v1/tables/Logical_Switch?where=${where}`);
    assert.equal(w.status, 200);
    assert.deepEqual((w.json['rows'] as Row[]).map((r) => r['name']), ['ls-q2']);
    assert.equal(w.json['revision'], ins.revision);
    const m = await get('/v1/tables/Logical_Switch?external_ids:tenant=t1');
    assert.equal(m.status, 200, JSON.stringify(m.json));
    assert.deepEqual((m.json['rows'] as Row[]).map((r) => r['name']), ['ls-q1']);
    const cols = await get('/v1/tables/Logical_Switch?name=ls-q1&columns=name');
    assert.equal(cols.status, 200);
    const row = (cols.json['rows'] as Row[])[0];
    assert.equal(row?.['name'], 'ls-q1');
    assert.equal(row?.['external_ids'], undefined);
    for (const odd of ['__proto__', 'constructor', 'toString']) {
      const o = await get(`/v1/tables/${odd}`);
      assert.equal(o.status, 404, odd);
      assert.equal(errorOf(o.json)['code'], 'unknown-table');
    }
    const oddCol = await get('/v1/tables/Logical_Switch?constructor=x');
    assert.equal(oddCol.status, 400);
    assert.equal(errorOf(oddCol.json)['code'], 'unknown-column');
    const t = await get('/v1/tables/Nope');
    assert.equal(t.status, 404);
    assert.equal(errorOf(t.json)['code'], 'unknown-table');
    assert.match(String(errorOf(t.json)['hint']), /Logical_Switch_Port/);
    const c = await get('/v1/tables/Logical_Switch?nmae=x');
    assert.equal(c.status, 400);
    assert.equal(errorOf(c.json)['code'], 'unknown-column');
    const bad = await get('/v1/tables/Logical_Switch?where=[[');
    assert.equal(bad.status, 400);
    assert.equal(errorOf(bad.json)['code'], 'bad-request');
  });

  test('health and schema', async () => {
    const h = await get('/v1/health');
    assert.equal(h.status, 200);
    assert.equal(h.json['status'], 'ok');
    assert.equal(h.json['database'], 'OVN_Northbound');
    assert.equal(h.json['revision'], await client.revision());
    assert.equal(typeof h.json['uptime_s'], 'number');
    assert.equal(h.json['watchers'], 0);
    // the embedded store's bulk bookkeeping: nothing pending, no rehearsal, on this small database
    assert.equal(h.json['pending_rows'], 0);
    assert.deepEqual(h.json['rehearsals'], { runs: 0, transactions: 0, lastMs: 0 });
    const s = await get('/v1/schema');
    assert.equal(s.json['name'], 'OVN_Northbound');
    assert.deepEqual(client.schema, s.json);
    const nf = await get('/v2/nothing');
    assert.equal(nf.status, 404);
    assert.equal(errorOf(nf.json)['code'], 'not-found');
  });
});

describe('nbdb over HTTP, random bad input', { timeout: 60_000 }, () => {
  test('any body gets 200 or a structured 4xx, never a 5xx, and a refused one changes nothing', async () => {
    const fc = await import('fast-check');
    const tables = ['Logical_Switch', 'Logical_Switch_Port', 'Logical_Router', 'ACL', 'NAT', 'Nope', '__proto__'];
    const columns = ['name', 'ports', 'addresses', 'external_ids', 'match', 'priority', 'nmae', 'constructor'];
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(['set', []], ['map', [['a', 'b']]], ['uuid', 'x'], ['named-uuid', 'n'], '00:00:00:00:00:01 10.0.0.1', 'tcp.dst == 22'));
    const row = fc.dictionary(fc.constantFrom(...columns), value, { maxKeys: 3 });
    const cond = fc.tuple(fc.constantFrom(...columns, '_uuid'), fc.constantFrom('==', '!=', 'includes', '<', '~'), value);
    const op = fc.oneof(
      fc.record({ op: fc.constant('insert'), table: fc.constantFrom(...tables), row }),
      fc.record({ op: fc.constant('update'), table: fc.constantFrom(...tables), where: fc.array(cond, { maxLength: 2 }), row }),
      fc.record({ op: fc.constant('mutate'), table: fc.constantFrom(...tables), where: fc.array(cond, { maxLength: 2 }), mutations: fc.array(fc.tuple(fc.constantFrom(...columns), fc.constantFrom('insert', 'delete', '+=', '?'), value), { maxLength: 2 }) }),
      fc.record({ op: fc.constant('delete'), table: fc.constantFrom(...tables), where: fc.array(cond, { maxLength: 2 }) }),
      fc.record({ op: fc.constant('select'), table: fc.constantFrom(...tables), where: fc.array(cond, { maxLength: 2 }) }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const body = fc.oneof(fc.array(op, { maxLength: 4 }), fc.record({ ops: fc.array(op, { maxLength: 4 }) }), fc.jsonValue({ maxDepth: 3 }), fc.string());
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const before = await client.revision();
        const r = await post(typeof b === 'string' ? b : JSON.stringify(b));
        assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `HTTP ${r.status}: ${JSON.stringify(r.json)} for ${JSON.stringify(b)}`);
        if (r.status === 200) return;
        const e = errorOf(r.json);
        assert.equal(typeof e['code'], 'string');
        assert.equal(await client.revision(), before);
      }),
      { numRuns: 300, seed: 20261124 },
    );
  });
});
