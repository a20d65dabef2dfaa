// cli/bundle.ts — builds dist/cli/loom.bundle.cjs: the CLI's modules in one CommonJS file,
// and loom.bundle.json: the modules it was built from (bin/loom.js runs the bundle only
// while none of them is newer).
//
// Owns: the esbuild call (CommonJS, node platform, minified; rxjs and every daemon module
// stay outside: they are loaded at run time by URL, only when asked for) and the manifest.
// Reads: dist/cli/entry.js (run `npm run build` first).
// Called by: setup/install.sh after the TypeScript build (`node dist/cli/bundle.js`),
// bench/store/replay.ts, test/cli-launch.test.ts.
// Must never: bundle a daemon or rxjs (a plain command would pay to load them).
// Invariants: manifest paths are relative to the repository root; import.meta.url inside
// the bundle is the bundle's own file URL (it sits beside entry.js, so relative URLs agree).

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  // The ES-module bundle (and code cache) of earlier builds are no longer used.
  rmSync(join(distCli, 'loom.bundle.js'), { force: true });
  rmSync(join(distCli, 'loom.bundle.cache'), { force: true });
  return out;
}

if (process.argv[1] !== undefined && /cli[\\/]bundle\.(ts|js)$/.test(process.argv[1])) {
  const out = await buildBundle();
  console.log(out === undefined ? 'loom bundle: skipped (no dist/cli/entry.js or no esbuild)' : `loom bundle: ${out}`);
}
