#!/usr/bin/env node
// bin/loom.js — the `loom` command. CommonJS on purpose (bin/package.json): a CMS runs one
// process per command chain, and an ES-module entry would make every one of them start
// node's ES module loader (~10 ms of CPU) before doing anything.
//
// Owns: choosing what to run:
//   1. dist/cli/loom.bundle.cjs (built by cli/bundle.ts after `tsc`), only while FRESH: it
//      exists, and so does every module it was built from (listed in loom.bundle.json),
//      none newer than it. Loaded with require(), so its run-time import() of daemon
//      modules and rxjs goes through node's ordinary loader.
//   2. otherwise dist/cli/main.js (the compiled modules), as an ES module.
// Reads: dist/cli/; LOOM_LAUNCH_DEBUG=1 prints the choice on stderr (tests use it).
// Must never: run a stale bundle.
// (A V8 code cache for the bundle through vm.Script was measured at ~2-3 ms saved per
// process, but on node 20 a script compiled from cached data loses its dynamic-import
// callback, and the main-context loader option prints an experimental warning: not kept.)

'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist', 'cli');
const bundle = path.join(dist, 'loom.bundle.cjs');
const debug = process.env.LOOM_LAUNCH_DEBUG === '1';

function freshBundle() {
  try {
    const st = fs.statSync(bundle);
    const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'loom.bundle.json'), 'utf8'));
    if (!Array.isArray(manifest.inputs) || manifest.inputs.length === 0) return false;
    const root = path.join(__dirname, '..');
    for (const f of manifest.inputs) {
      if (typeof f !== 'string' || fs.statSync(path.join(root, f)).mtimeMs > st.mtimeMs) return false;
    }
    return true;
  } catch {
    return false;
  }
}

if (freshBundle()) {
  if (debug) process.stderr.write('loom launch: bundle\n');
  require(bundle)
    .main(process.argv.slice(2))
    .then((code) => {
      process.exitCode = code;
    });
} else {
  const main = path.join(dist, 'main.js');
  if (!fs.existsSync(main)) {
    console.error('loom: not built yet — run `npm run build` (or `bash setup/install.sh`) first');
    process.exit(1);
  }
  if (debug) process.stderr.write('loom launch: modules\n');
  import(require('node:url').pathToFileURL(main).href);
}
