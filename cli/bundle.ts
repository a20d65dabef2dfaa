// cli/bundle.ts — builds dist/cli/loom.bundle.js: the CLI's modules in one file.
//
// Owns: the esbuild call (ESM, node platform, minified; rxjs and every daemon module stay
// outside: they are loaded at run time by URL, only when asked for).
// Reads: dist/cli/entry.js (run `npm run build` first).
// Called by: `node dist/cli/bundle.js` after the TypeScript build, bench/store/replay.ts.
// Must never: bundle a daemon or rxjs (a plain command would pay to load them).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function buildBundle(): Promise<string | undefined> {
  const here = fileURLToPath(import.meta.url);
  // Works from cli/bundle.ts (tsx) and from dist/cli/bundle.js.
  const distCli = here.includes('/dist/cli/') ? fileURLToPath(new URL('.', import.meta.url)) : fileURLToPath(new URL('../dist/cli/', import.meta.url));
  const from = `${distCli}entry.js`;
  if (!existsSync(from)) return undefined;
  let esbuild: { build(o: Record<string, unknown>): Promise<unknown> };
  try {
    esbuild = (await import('esbuild' as string)) as typeof esbuild;
  } catch {
    return undefined;
  }
  const out = `${distCli}loom.bundle.js`;
  await esbuild.build({ entryPoints: [from], outfile: out, bundle: true, platform: 'node', format: 'esm', minify: true, external: ['rxjs'], logLevel: 'error' });
  return out;
}

if (process.argv[1] !== undefined && /cli[\\/]bundle\.(ts|js)$/.test(process.argv[1])) {
  const out = await buildBundle();
  console.log(out === undefined ? 'loom bundle: skipped (no dist/cli/entry.js or no esbuild)' : `loom bundle: ${out}`);
}
