// bench/store/replay.ts — how long loading the reference topology into the northbound
// database takes through the `loom` CLI, beside ovn-nbctl + ovsdb-server doing the same
// thing in the same run, file by file, interleaved.
//
// Measures: per variant, the wall time, the CPU of the client processes (bash's eval,
// tr, the launcher, node or nc) and of the server side (the database server, plus the
// resident client in daemon modes) of replaying the reference's per-tenant argument files
// exactly as /work/shared/bench/ref-ovn-northd.sh replays them:
//   eval "CMD $(tr '\n' ' ' < FILE)" >/dev/null      (one CMD process per file)
// All variants run from ONE bash loop: for each file, each variant in turn (the order
// rotates per file), each against its own fresh database:
//   ovn-nbctl           ovn-nbctl --db=unix:SANDBOX/nb.sock   (ovsdb-server, ovn-northd paused)
//   ovn-nbctl(daemon)   OVN_NB_DAEMON=$(ovn-nbctl --detach) ovn-nbctl   (its own sandbox)
//   loom                bin/loom --db=URL   (the sh launcher, as users run it)
//   loom(node, CA)      node bin/loom.js --db=URL   (only when NODE_EXTRA_CA_CERTS is set:
//                       the node entry with that variable kept, as `loom` ran before the
//                       sh launcher)
//   loom(daemon)        LOOM_NB_DAEMON=$(loom --detach) bin/loom   (nc -U to the resident client)
// With --ref it also runs the whole reference script (its nb_load_s includes writing the
// files in bash — ~100 `$(printf)` forks per file — so it is shown, not used for ratios).
// Run: npm run build && flock /tmp/loom-bench.lock node --import tsx bench/store/replay.ts [PORTS=10000] [--tenants T] [--no-ovn] [--ref]
//      EMIT_DIR=DIR replays the files the reference script wrote there instead of generating.
// Never asserts: numbers only (test/cli-replay.test.ts, test/cli-daemon.test.ts check
// correctness). Ends only the processes it started, by pid (sandboxes by their pidfiles).
//
// History (10k ports, 100 files; "ratio" = ovn-nbctl / loom):
//   ES-module launcher + bundle, load ~5-6: 30.3 s vs 45.7 s of the reference script, 1.51x.
//   CommonJS launcher + bundle: 14.24 s vs 28.65 s, 2.01x (3.17x without NODE_EXTRA_CA_CERTS).
//   Quiet machine, node launcher: 12.97 s vs 19.81 s (script's nb_load_s), 1.53x (2.42x w/o CA).
//   This bench (one bash loop, interleaved), sh launcher + bundle code cache + resident
//   client, load 7.3-9.0: ovn-nbctl 35.70 s (113 + 43 ms CPU per file), ovn-nbctl daemon
//   19.35 s, loom 18.90 s (70 + 13), node bin/loom.js with the CA variable 28.78 s, loom
//   daemon 6.02 s (7 + 20): 1.89x node per file, 5.93x wall / 5.79x CPU in daemon mode,
//   3.22x daemon against daemon. The reference script's own nb_load_s: 44.85 s.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RemoteStore } from '../../store/client.js';
import { tenantCount, writeTenantFiles } from './replay-tenants.js';
import { buildBundle } from '../../cli/bundle.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const LOOM = join(root, 'bin', 'loom');
const LOOM_JS = join(root, 'bin', 'loom.js');
const REF = '/work/shared/bench/ref-ovn-northd.sh';
const SANDBOX = '/work/shared/bench/ovn-sandbox.sh';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { ref: { type: 'boolean', default: false }, 'no-ovn': { type: 'boolean', default: false }, tenants: { type: 'string' } },
});
const ports = Number(positionals[0] ?? 10000);
const tenants = values.tenants !== undefined ? Number(values.tenants) : tenantCount(ports);

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function built(): boolean {
  const main = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(main)) return false;
  const t = statSync(main).mtimeMs;
  return readdirSync(join(root, 'cli')).every((f) => !f.endsWith('.ts') || f.endsWith('.test.ts') || statSync(join(root, 'cli', f)).mtimeMs <= t);
}

interface Proc {
  readonly pid: number;
  stop(): Promise<void>;
}

async function startNbdb(dir: string): Promise<Proc & { url: string }> {
  // As users start it (bin/loom execs node, so the pid is node's).
  const child = spawn(LOOM, ['nbdb', '--db', join(dir, 'nb.db'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`nbdb did not start: ${buf}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (\S+)/.exec(buf);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`nbdb exited (${String(code)}): ${buf}`)));
  });
  const init = spawnSync(LOOM, [`--db=${url}`, 'init'], { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`loom init failed: ${init.stderr}`);
  return {
    url,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `loom --detach` against url: the resident client's socket and pid (the socket is named after it). */
function startLoomDaemon(url: string): Proc & { socket: string } {
  const r = spawnSync(LOOM, ['--detach', `--db=${url}`], { encoding: 'utf8', timeout: 30_000 });
  const socket = r.stdout.trim();
  const m = /loom-nbctl\.(\d+)\.ctl$/.exec(socket);
  if (r.status !== 0 || m === null) throw new Error(`loom --detach failed: ${r.stderr}`);
  const pid = Number(m[1]);
  return { socket, pid, stop: async () => void killAndWait(pid) };
}

function killAndWait(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) spawnSync('sleep', ['0.05']);
}

interface Sandbox {
  readonly dir: string;
  readonly nbPid: number;
  destroy(): void;
}

function startSandbox(): Sandbox | undefined {
  const r = spawnSync('bash', [SANDBOX, 'start'], { encoding: 'utf8', timeout: 120_000 });
  const dir = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || dir === '' || !existsSync(join(dir, 'nb.pid'))) {
    console.log(`ovn sandbox did not start (${String(r.status)}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return undefined;
  }
  // As the reference does while loading: ovn-northd paused, so it takes no CPU.
  spawnSync('ovn-appctl', ['-t', join(dir, 'ovn-northd.ctl'), 'pause']);
  return { dir, nbPid: Number(readFileSync(join(dir, 'nb.pid'), 'utf8').trim()), destroy: () => void spawnSync('bash', [SANDBOX, 'destroy', dir]) };
}

interface Variant {
  readonly label: string;
  /** Shell words put before the file's arguments inside eval. */
  readonly cmd: string;
  /** Server-side processes whose CPU this variant's work is charged. */
  readonly pids: readonly number[];
  count(): Promise<number>;
}

function load(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

// One bash for the whole replay, so every variant pays exactly the same shell work per file.
// CPU from /proc (ticks of 10 ms; per-file means over 100 files are good to ~0.1 ms).
const DRIVER = `
set -u
declare -a W C S
cc() { read -r -a _f < /proc/$$/stat; CC=$(( _f[15] + _f[16] )); }
pc() { PC=0; local p; for p in $1; do read -r -a _f < /proc/$p/stat; PC=$(( PC + _f[13] + _f[14] )); done; }
n=\${#LABELS[@]}
for ((i = 0; i < n; i++)); do W[i]=0; C[i]=0; S[i]=0; done
k=0
for f in "\${FILES[@]}"; do
  for ((j = 0; j < n; j++)); do
    i=$(( (j + k) % n ))
    pc "\${PIDS[i]}"; p0=$PC; cc; c0=$CC; t0=\${EPOCHREALTIME/./}
    eval "\${CMDS[i]} $(tr '\\n' ' ' < "$f")" >/dev/null || { echo "FAIL \${LABELS[i]} $f" >&2; exit 1; }
    t1=\${EPOCHREALTIME/./}; cc; pc "\${PIDS[i]}"
    W[i]=$(( W[i] + t1 - t0 )); C[i]=$(( C[i] + CC - c0 )); S[i]=$(( S[i] + PC - p0 ))
  done
  k=$(( k + 1 ))
done
for ((i = 0; i < n; i++)); do echo "RESULT $i \${W[i]} \${C[i]} \${S[i]}"; done
`;

async function main(): Promise<void> {
  if (!built()) {
    console.error('bench/store/replay: dist/cli is missing or older than cli/*.ts — run `npm run build` first (the bench times bin/loom, as users run it)');
    process.exit(1);
  }
  const bundle = await buildBundle();
  console.log(`loom cli: ${bundle ?? 'modules (no bundle: esbuild missing)'}; load ${load()}`);
  const work = mkdtempSync(join(tmpdir(), 'loom-replay-'));
  const stops: Array<() => Promise<void> | void> = [];
  try {
    const emit = process.env['EMIT_DIR'];
    let files: string[];
    if (emit !== undefined && emit !== '' && existsSync(emit) && readdirSync(emit).some((f) => /^tenant-\d+\.cmds$/.test(f))) {
      files = readdirSync(emit)
        .filter((f) => /^tenant-\d+\.cmds$/.test(f))
        .sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]))
        .map((f) => join(emit, f));
    } else files = writeTenantFiles(join(work, 'cmds'), ports, tenants);

    const variants: Variant[] = [];
    const loomCount = (url: string) => async () => {
      const s = await RemoteStore.connect(url);
      try {
        return (await s.select('Logical_Switch_Port')).length;
      } finally {
        await s.close();
      }
    };
    const ovnCount = (db: string) => async () =>
      spawnSync('ovn-nbctl', [`--db=${db}`, '--bare', '--columns=_uuid', 'list', 'Logical_Switch_Port'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '').length;

    if (!values['no-ovn'] && spawnSync('ovn-nbctl', ['--version']).status === 0) {
      const a = startSandbox();
      if (a !== undefined) {
        stops.push(() => a.destroy());
        const db = `unix:${a.dir}/nb.sock`;
        variants.push({ label: 'ovn-nbctl', cmd: `ovn-nbctl --db=${db}`, pids: [a.nbPid], count: ovnCount(db) });
      }
      const b = startSandbox();
      if (b !== undefined) {
        stops.push(() => b.destroy());
        const db = `unix:${b.dir}/nb.sock`;
        const r = spawnSync('ovn-nbctl', [`--db=${db}`, `--pidfile=${b.dir}/nbctl.pid`, `--log-file=${b.dir}/nbctl.log`, '--detach'], {
          encoding: 'utf8',
          env: { ...process.env, OVN_RUNDIR: b.dir, OVS_RUNDIR: b.dir },
        });
        const sock = r.stdout.trim();
        if (r.status === 0 && sock !== '') {
          const pid = Number(readFileSync(join(b.dir, 'nbctl.pid'), 'utf8').trim());
          stops.unshift(() => killAndWait(pid));
          variants.push({ label: 'ovn-nbctl(daemon)', cmd: `OVN_NB_DAEMON=${sock} ovn-nbctl`, pids: [b.nbPid, pid], count: ovnCount(db) });
        } else console.log(`ovn-nbctl --detach failed: ${r.stderr.trim()}`);
      }
    }
    const n1 = await startNbdb(mkdtempSync(join(work, 'db-')));
    stops.push(() => n1.stop());
    variants.push({ label: 'loom', cmd: `${LOOM} --db=${n1.url}`, pids: [n1.pid], count: loomCount(n1.url) });
    if (process.env['NODE_EXTRA_CA_CERTS'] !== undefined) {
      const n2 = await startNbdb(mkdtempSync(join(work, 'db-')));
      stops.push(() => n2.stop());
      variants.push({ label: 'loom(node, CA)', cmd: `${process.execPath} ${LOOM_JS} --db=${n2.url}`, pids: [n2.pid], count: loomCount(n2.url) });
    }
    const n3 = await startNbdb(mkdtempSync(join(work, 'db-')));
    stops.push(() => n3.stop());
    const d = startLoomDaemon(n3.url);
    stops.unshift(() => d.stop());
    variants.push({ label: 'loom(daemon)', cmd: `LOOM_NB_DAEMON=${d.socket} ${LOOM}`, pids: [n3.pid, d.pid], count: loomCount(n3.url) });

    const script =
      `LABELS=(${variants.map((v) => q(v.label)).join(' ')})\nCMDS=(${variants.map((v) => q(v.cmd)).join(' ')})\n` +
      `PIDS=(${variants.map((v) => q(v.pids.join(' '))).join(' ')})\nFILES=(${files.map(q).join(' ')})\n${DRIVER}`;
    const loadBefore = load();
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`replay failed: ${r.stderr}`);
    const res = new Map<string, { wall: number; client: number; server: number }>();
    for (const line of r.stdout.split('\n')) {
      const m = /^RESULT (\d+) (\d+) (\d+) (\d+)$/.exec(line);
      if (m === null) continue;
      const v = variants[Number(m[1])] as Variant;
      res.set(v.label, { wall: Number(m[2]) / 1e6, client: Number(m[3]) / 100, server: Number(m[4]) / 100 });
    }
    console.log(`files=${files.length} ports=${ports} load before ${loadBefore}, after ${load()}`);
    for (const v of variants) {
      const x = res.get(v.label);
      if (x === undefined) continue;
      const per = (s: number) => ((s * 1000) / files.length).toFixed(1);
      console.log(
        `${v.label.padEnd(18)} nb_load_s=${x.wall.toFixed(2)} per_file_ms=${per(x.wall)} client_cpu_ms=${per(x.client)} server_cpu_ms=${per(x.server)} lsps=${await v.count()}`,
      );
    }
    const ratio = (a: string, b: string) => {
      const x = res.get(a);
      const y = res.get(b);
      // CPU (client + server side) as well: on a loaded machine wall time mostly measures the others.
      if (x !== undefined && y !== undefined) {
        console.log(`ratio ${a} / ${b} = ${(x.wall / y.wall).toFixed(2)}x wall, ${((x.client + x.server) / (y.client + y.server)).toFixed(2)}x cpu`);
      }
    };
    ratio('ovn-nbctl', 'loom');
    ratio('ovn-nbctl', 'loom(node, CA)');
    ratio('ovn-nbctl', 'loom(daemon)');
    ratio('ovn-nbctl(daemon)', 'loom(daemon)');
  } finally {
    for (const s of stops) await s();
    rmSync(work, { recursive: true, force: true });
  }
  if (values.ref) {
    const r = spawnSync('bash', [REF, String(ports), String(tenants)], { encoding: 'utf8' });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    console.log(r.status === 0 ? `reference script (its nb_load_s includes writing the files): ${last} load ${load()}` : `reference script failed (${String(r.status)})`);
  }
}

await main();
