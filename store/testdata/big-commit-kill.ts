// Child process for store/durability.test.ts: commits transactions large enough to earn
// a checkpoint (store/sqlite-store.ts afterCommit) into the file named by argv[2], then
// SIGKILLs itself in the same turn of the event loop, before that checkpoint can run.
import { SqliteStore } from '../sqlite-store.js';
import { sbSchema } from '../../schemas/index.js';
import type { Operation } from '../types.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: big-commit-kill.ts FILE');
const s = SqliteStore.open(file, sbSchema);
for (let t = 0; t < 2; t++) {
  const ops: Operation[] = [];
  for (let i = 0; i < 15000; i++) ops.push({ op: 'insert', table: 'Logical_Flow', row: { pipeline: 'ingress', table_id: i % 30, priority: i % 65536, match: `t${t} inport == "lp${i}" && ip4.src == 10.0.${(i >> 8) & 255}.${i & 255}`, actions: 'next;', external_ids: { n: String(i) } } });
  s.transactSync(ops);
}
process.stdout.write(`${s.currentRevision}\n`);
process.kill(process.pid, 'SIGKILL');
