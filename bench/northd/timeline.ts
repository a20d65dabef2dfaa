// bench/northd/timeline.ts — where one increment's time goes when nbdb and sbdb are their own
// processes: each hop of a port add and an ACL add timestamped from the CMS's commit.
//
//   node --import tsx bench/northd/timeline.ts [--ports 50000] [--steps 6] [--gap-ms 200] [--sbdb-profile DIR]
//
// nbdb and sbdb run as processes (as `loom nbdb` / `loom sbdb`); northd runs in this
// process over HTTP, its NB and SB stores wrapped so that every transaction it sends and
// every watch event it receives is stamped. Per step: the CMS's NB commit answered, the
// NB change reaching northd, northd's SB transaction (sent, answered), its batch (wall,
// compile, CPU), the status write to NB, and the CMS's watch seeing sb_cfg. Then, with
// nothing running, the CPU the two servers spend per second (work left in the background
// shows here) and a few trivial SB requests (client time and the server's Server-Timing).
// This is how session 6 found sbdb filing a compile's rows behind every increment.
// --sbdb-profile DIR: sbdb under node --cpu-prof (100 µs samples), its profile in DIR at exit.
// Never asserts: numbers only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startNorthd } from '../../northd/index.js';
import { tap } from 'rxjs';
import type { Operation, Store } from '../../store/types.js';
import { RemoteStore } from '../../store/client.js';
import { spawnDbServer } from '../../store/server-process.js';
import { waitSbCfg } from './wait.js';
import { aclAddOps, portAddOps, tenantOps } from '../../northd/reference-topology.js';
import { processCpuMs as cpuOf } from '../proc-cpu.js';

const { values } = parseArgs({ options: { ports: { type: 'string', default: '50000' }, steps: { type: 'string', default: '6' }, 'gap-ms': { type: 'string', default: '200' }, 'sbdb-profile': { type: 'string' } } });
const ports = Number(values.ports);
const tenants = Math.max(1, Math.floor(ports / 100));
const per = Math.floor(ports / tenants);
const gap = (): Promise<void> => new Promise((r) => setTimeout(r, Number(values['gap-ms'])));

let t0 = 0;
const marks: string[] = [];
const mark = (what: string): void => void marks.push(`${(performance.now() - t0).toFixed(1).padStart(7)} ms  ${what}`);

/** The store with its transactions and watch events stamped as `name`. */
function stamped(store: Store, name: string): Store {
  return new Proxy(store, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (prop === 'transact') {
        return async (ops: readonly Operation[], ...rest: unknown[]) => {
          mark(`${name}: transaction sent (${ops.length} operations)`);
          const r = await (v as Store['transact']).call(target, ops, ...(rest as []));
          mark(`${name}: transaction answered`);
          return r;
        };
      }
      if (prop === 'watch') {
        return (...args: Parameters<Store['watch']>) =>
          (v as Store['watch']).apply(target, args).pipe(tap((e) => {
            if (e.type === 'change') mark(`${name}: watch event (${e.changes.length} changes)`);
          }));
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const dir = mkdtempSync(join(tmpdir(), 'loom-bench-timeline-'));
const nbdb = await spawnDbServer('nbdb', join(dir, 'nb.db'));
const sbdb = await spawnDbServer('sbdb', join(dir, 'sb.db'), '127.0.0.1:0', 20_000, values['sbdb-profile'] !== undefined ? { nodeArgs: ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${values['sbdb-profile']}`] } : {});
const nb = await RemoteStore.connect(nbdb.url);
try {
  await nb.transact([{ op: 'insert', table: 'NB_Global', row: {} }]);
  process.stdout.write(`loading ${ports} ports (${tenants} tenants)...\n`);
  for (let t = 1; t <= tenants; t++) await nb.transact(tenantOps(t, per));
  const northd = await startNorthd({
    nb: stamped(await RemoteStore.connect(nbdb.url), 'northd → nbdb'),
    sb: stamped(await RemoteStore.connect(sbdb.url), 'northd → sbdb'),
    onBatch: (b) => mark(`northd: batch done (${b.ms.toFixed(1)} ms, compile ${b.compileMs.toFixed(1)} ms, CPU ${b.cpuMs.toFixed(1)} ms)`),
  });
  const bump: Operation = { op: 'mutate', table: 'NB_Global', where: [], mutations: [['nb_cfg', '+=', 1]] };
  let cfg = 0;
  const step = async (title: string, ops: Operation[]): Promise<void> => {
    marks.length = 0;
    t0 = performance.now();
    await nb.transact([...ops, bump]);
    mark('CMS: NB commit answered');
    await waitSbCfg(nb, ++cfg);
    mark('CMS: sb_cfg seen (--wait=sb done)');
    if (title !== '') process.stdout.write(`--- ${title}\n${marks.join('\n')}\n`);
  };
  process.stdout.write('full compile...\n');
  await step('', []);
  await northd.idle();
  await step('', []);
  await northd.idle();
  for (let i = 1; i <= Number(values.steps); i++) {
    await gap();
    await step(`port add ${i}`, portAddOps(i));
    await gap();
    await step(`ACL add ${i}`, aclAddOps(i));
  }
  await northd.close();
  for (let k = 0; k < 3; k++) {
    const s0 = cpuOf(sbdb.pid);
    const n0 = cpuOf(nbdb.pid);
    const times: string[] = [];
    for (let i = 0; i < 10; i++) {
      const a = performance.now();
      const r = await fetch(`${sbdb.url}/v1/transact`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ops":[{"op":"select","table":"Chassis","where":[]}]}' });
      await r.text();
      times.push(`${(performance.now() - a).toFixed(1)} (${r.headers.get('server-timing') ?? ''})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    process.stdout.write(`idle second ${k + 1}: sbdb CPU ${cpuOf(sbdb.pid) - s0} ms, nbdb CPU ${cpuOf(nbdb.pid) - n0} ms; trivial SB requests, ms (server): ${times.join(', ')}\n`);
  }
} finally {
  await nb.close();
  await nbdb.kill('SIGTERM');
  await sbdb.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
