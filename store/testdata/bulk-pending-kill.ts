// Child process for store/durability.test.ts: bulk commits whose new rows stay in their
// pending record (store/sqlite-store.ts deferRow, unpend): one with a row changed later,
// one changed and partly deleted right after (those rows taken out of their parts by that
// commit), one untouched, then SIGKILL. Writes the rows it holds (uuid → match) to
// FILE.expect.json first, for the parent to compare after reopening.
import { writeFileSync } from 'node:fs';
import { SqliteStore } from '../sqlite-store.js';
import { sbSchema } from '../../schemas/index.js';
import type { Operation } from '../types.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: bulk-pending-kill.ts FILE');
const s = SqliteStore.open(file, sbSchema);
const bulk = (t: number): Operation[] =>
  Array.from({ length: 3000 }, (_, i) => ({ op: 'insert', table: 'Logical_Flow', row: { pipeline: 'ingress', table_id: i % 30, priority: i, match: `b${t} inport == "lp${i}"`, actions: 'next;', external_ids: { n: String(i) } } }) as Operation);
const first = s.transactSync(bulk(1)).results.map((r) => (r as { uuid: string }).uuid);
// bulk 2, then a commit that deletes and changes some of its rows while they are pending
const uuids = s.transactSync(bulk(2)).results.map((r) => (r as { uuid: string }).uuid);
const ops: Operation[] = [];
for (let i = 0; i < 3000; i += 100) ops.push({ op: 'delete', table: 'Logical_Flow', where: [['_uuid', '==', ['uuid', uuids[i] as string]]] });
for (let i = 50; i < 3000; i += 100) ops.push({ op: 'update', table: 'Logical_Flow', where: [['_uuid', '==', ['uuid', uuids[i] as string]]], row: { match: `changed ${i}` } });
s.transactSync(ops);
// another bulk right after (pending, as bulk 2's untouched rows are) and a small change to
// a row of bulk 1
s.transactSync(bulk(3));
s.transactSync([{ op: 'update', table: 'Logical_Flow', where: [['_uuid', '==', ['uuid', first[1] as string]]], row: { match: 'changed later' } }]);
const rows: Record<string, string> = {};
for (const r of s.selectSync('Logical_Flow')) rows[r._uuid] = r['match'] as string;
// written synchronously (a pipe write of this size completes later) and killed in the same
// turn of the event loop
writeFileSync(`${file}.expect.json`, JSON.stringify({ revision: s.currentRevision, rows }));
process.kill(process.pid, 'SIGKILL');
