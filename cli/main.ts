// cli/main.ts — what bin/loom.js runs: picks the one-file CLI bundle when it is fresh, else
// the modules, and runs `loom` with argv.
//
// Owns: that choice only. The bundle (dist/cli/loom.bundle.js, built by cli/bundle.ts)
// spares each invocation resolving and compiling a dozen modules (~25 ms of CPU), which
// matters when a CMS runs one process per command chain.
// Called by: bin/loom.js (compiled), `node --import tsx cli/main.ts` in development.
// Must never: run a bundle older than the modules it was built from.

import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Entry {
  main(argv: readonly string[]): Promise<number>;
}

const entry = new URL('./entry.js', import.meta.url);
const bundle = new URL('./loom.bundle.js', import.meta.url);
let target = entry.href;
try {
  // In development entry.js does not exist (tsx serves entry.ts): no bundle then.
  if (statSync(fileURLToPath(bundle)).mtimeMs >= statSync(fileURLToPath(entry)).mtimeMs) target = bundle.href;
} catch {
  target = entry.href;
}
const m = (await import(target)) as Entry;
process.exitCode = await m.main(process.argv.slice(2));
