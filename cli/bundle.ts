// cli/bundle.ts — builds dist/cli/loom.bundle.cjs: the CLI's modules in one CommonJS file,
// and loom.bundle.json: the modules it was built from (bin/loom.js runs the bundle only
// while none of them is newer); then records the bundle's V8 code cache
// (loom.bundle.cache + .json) in a fresh node process after a warm-up run (cli/warm-up.ts).
//
// Owns: the esbuild call (CommonJS, node platform, minified; rxjs and every daemon module
// stay outside: they are loaded at run time by URL, only when asked for), the manifest,
// and recording the code cache (through bin/loom.js's own compileBundle, so the compiled
// source is exactly what the launcher compiles; in a child node without extra flags, as
// V8 refuses a cache made under other flags).
// Reads: dist/cli/entry.js (run `npm run build` first).
// Called by: setup/install.sh after the TypeScript build (`node dist/cli/bundle.js`),
// bench/store/replay.ts, test/cli-launch.test.ts.
// Must never: bundle a daemon or rxjs (a plain command would pay to load them).
// Invariants: manifest paths are relative to the repository root; import.meta.url inside
// the bundle is the bundle's own file URL (it sits beside entry.js, so relative URLs agree).

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Esbuild {
  build(o: Record<string, unknown>): Promise<{ metafile?: { inputs: Record<string, unknown> } }>;
}

export async function buildBundle(): Promise<string | undefined> {
  const here = fileURLToPath(import.meta.url);
  // Works from cli/bundle.ts (tsx) and from dist/cli/bundle.js.
  const root = here.includes('/dist/cli/') ? fileURLToPath(new URL('../..', import.meta.url)) : fileURLToPath(new URL('..', import.meta.url));
  const distCli = join(root, 'dist', 'cli');
  const from = join(distCli, 'entry.js');
  if (!existsSync(from)) return undefined;
  let esbuild: Esbuild;
  try {
    esbuild = (await import('esbuild' as string)) as Esbuild;
  } catch {
    return undefined;
  }
  const out = join(distCli, 'loom.bundle.cjs');
  rmSync(join(distCli, 'loom.bundle.cache'), { force: true });
  rmSync(join(distCli, 'loom.bundle.cache.json'), { force: true });
  const r = await esbuild.build({
    entryPoints: [from],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    external: ['rxjs'],
    logLevel: 'error',
    metafile: true,
    absWorkingDir: root,
    define: { 'import.meta.url': '__loomBundleUrl' },
    banner: { js: 'var __loomBundleUrl=require("node:url").pathToFileURL(__filename).href;' },
  });
  const inputs = Object.keys(r.metafile?.inputs ?? {}).map((f) => relative(root, join(root, f)));
  writeFileSync(join(distCli, 'loom.bundle.json'), JSON.stringify({ inputs }) + '\n');
  // The ES-module bundle of earlier builds is no longer used.
  rmSync(join(distCli, 'loom.bundle.js'), { force: true });
  recordCodeCache(root);
  return out;
}

const RECORD = `
const fs = require('node:fs');
const l = require(process.env.LOOM_BIN);
const c = l.compileBundle();
import(process.env.LOOM_SCHEMAS).then(async (s) => {
  await c.exports.warmUp(s.nbSchema);
  fs.writeFileSync(l.cacheFile, c.script.createCachedData());
  fs.writeFileSync(l.cacheMeta, JSON.stringify(l.cacheKey(fs.statSync(l.bundle))) + '\\n');
});
`;

/** Writes loom.bundle.cache(.json); without them bin/loom.js simply compiles the bundle. */
function recordCodeCache(root: string): void {
  const schemas = join(root, 'dist', 'schemas', 'index.js');
  if (!existsSync(schemas)) return;
  const env: NodeJS.ProcessEnv = { ...process.env, LOOM_BIN: join(root, 'bin', 'loom.js'), LOOM_SCHEMAS: pathToFileURL(schemas).href };
  delete env['NODE_OPTIONS'];
  const r = spawnSync(process.execPath, ['-e', RECORD], { env, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) process.stderr.write(`loom bundle: no code cache (${r.stderr.trim().split('\n').pop() ?? `exit ${String(r.status)}`})\n`);
}

if (process.argv[1] !== undefined && /cli[\\/]bundle\.(ts|js)$/.test(process.argv[1])) {
  const out = await buildBundle();
  console.log(out === undefined ? 'loom bundle: skipped (no dist/cli/entry.js or no esbuild)' : `loom bundle: ${out}`);
}
