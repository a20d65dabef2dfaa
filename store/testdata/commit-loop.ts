// Child process for store/durability.test.ts: commits one Chassis_Private row per
// transaction into the file named by argv[2], forever, printing each acknowledged
// revision on its own line. The parent kills it with SIGKILL at a moment of its choosing.
import { SqliteStore } from '../sqlite-store.js';
import { sbSchema } from '../../schemas/index.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: commit-loop.ts FILE');
const s = SqliteStore.open(file, sbSchema, { changeLogLimit: 50 });
for (let i = 0; ; i++) {
  const r = await s.transact([{ op: 'insert', table: 'Chassis_Private', row: { name: `c${s.currentRevision + 1}`, nb_cfg: i } }]);
  process.stdout.write(`${r.revision}\n`);
  if (i % 16 === 0) await new Promise((res) => setImmediate(res));
}
