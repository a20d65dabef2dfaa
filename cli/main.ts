// cli/main.ts — runs `loom` from the compiled modules (dist/cli/entry.js) with argv.
//
// Owns: nothing but that call. bin/loom.js prefers the one-file bundle
// (dist/cli/loom.bundle.cjs, built by cli/bundle.ts) while it is fresh, and comes here when
// it is missing or older than any module it was built from.
// Called by: bin/loom.js (compiled form), `node --import tsx cli/main.ts` in development.
// Must never: load anything a northbound command does not need (entry.ts imports daemons
// lazily).

import { main } from './entry.js';

process.exitCode = await main(process.argv.slice(2));
