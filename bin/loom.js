#!/usr/bin/env node
// bin/loom.js — runs `loom` in node (bin/loom, the sh launcher users run, execs this).
// CommonJS on purpose (bin/package.json): a CMS runs one process per command chain, and an
// ES-module entry would make every one of them start node's ES module loader (~10 ms of
// CPU) before doing anything.
//
// Owns: choosing what to run:
//   1. dist/cli/loom.bundle.cjs (built by cli/bundle.ts after `tsc`), only while FRESH: it
//      exists, and so does every module it was built from (listed in loom.bundle.json),
//      none newer than it.
//      a. A plain northbound/southbound command, with loom.bundle.cache made for exactly
//         this bundle (its size and mtime, this node version and arch; V8 itself also
//         refuses data from another V8 or other flags): compiled with that V8 code cache,
//         recorded after a warm-up run (cli/warm-up.ts), so the functions a command calls
//         start as bytecode instead of being parsed and compiled again in every process.
//      b. Anything else (daemons, --detach, --wait, no usable cache): require()d, so its
//         run-time import() of daemon modules and rxjs goes through node's ordinary loader
//         (on node 20 a vm.Script can only borrow it through an experimental option that
//         warns when used).
//   2. otherwise dist/cli/main.js (the compiled modules), as an ES module.
// Also exports compileBundle() (when require()d, not run): cli/bundle.ts records the code
// cache through it, so the wrapper source is byte for byte the one used here.
// Reads: dist/cli/; LOOM_LAUNCH_DEBUG=1 prints the choice on stderr (tests use it).
// Must never: run a stale bundle, or use a code cache recorded for another bundle.

'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist', 'cli');
const bundle = path.join(dist, 'loom.bundle.cjs');
const cacheFile = path.join(dist, 'loom.bundle.cache');
const cacheMeta = path.join(dist, 'loom.bundle.cache.json');
const debug = process.env.LOOM_LAUNCH_DEBUG === '1';

/** The bundle's stat while it is fresh, else undefined. */
function freshBundle() {
  try {
    const st = fs.statSync(bundle);
    const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'loom.bundle.json'), 'utf8'));
    if (!Array.isArray(manifest.inputs) || manifest.inputs.length === 0) return undefined;
    const root = path.join(__dirname, '..');
    for (const f of manifest.inputs) {
      if (typeof f !== 'string' || fs.statSync(path.join(root, f)).mtimeMs > st.mtimeMs) return undefined;
    }
    return st;
  } catch {
    return undefined;
  }
}

/** What the cache must say about the bundle it was recorded for. */
function cacheKey(st) {
  return { size: st.size, mtimeMs: st.mtimeMs, node: process.version, arch: process.arch };
}

/** The code cache recorded for exactly this bundle, or undefined. */
function cacheFor(st) {
  try {
    const meta = JSON.parse(fs.readFileSync(cacheMeta, 'utf8'));
    const want = cacheKey(st);
    for (const k of Object.keys(want)) if (meta[k] !== want[k]) return undefined;
    return fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/** Compiles the bundle as node's CommonJS loader would, optionally from a code cache. */
function compileBundle(cachedData) {
  const vm = require('node:vm');
  const source = '(function (exports, require, module, __filename, __dirname) { ' + fs.readFileSync(bundle, 'utf8') + '\n})';
  // Commands that import at run time are not sent here (plainCommand); should one slip
  // through, node's own loader still serves it (with an experimental warning) rather than
  // the import failing.
  const loader = vm.constants !== undefined ? vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER : undefined;
  const script = new vm.Script(source, {
    filename: bundle,
    ...(cachedData !== undefined ? { cachedData } : {}),
    ...(loader !== undefined ? { importModuleDynamically: loader } : {}),
  });
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require('node:module').createRequire(bundle), mod, bundle, dist);
  return { script, exports: mod.exports };
}

/** A command that never imports at run time (no daemon, no --detach, no --wait). */
function plainCommand(argv) {
  const first = argv[0];
  if (first === undefined || first === 'nbdb' || first === 'sbdb' || first === 'northd' || first === 'up' || first === '__loom-ctl-daemon') return false;
  return !argv.some((a) => a === '--detach' || a === '--wait' || a.startsWith('--wait='));
}

function run() {
  const argv = process.argv.slice(2);
  const st = freshBundle();
  if (st !== undefined) {
    const cached = plainCommand(argv) ? cacheFor(st) : undefined;
    let entry;
    if (cached !== undefined) {
      const c = compileBundle(cached);
      if (debug) process.stderr.write(`loom launch: bundle (code cache${c.script.cachedDataRejected ? ' rejected by V8' : ''})\n`);
      entry = c.exports;
    } else {
      if (debug) process.stderr.write('loom launch: bundle\n');
      entry = require(bundle);
    }
    entry.main(argv).then((code) => {
      process.exitCode = code;
    });
    return;
  }
  const main = path.join(dist, 'main.js');
  if (!fs.existsSync(main)) {
    console.error('loom: not built yet — run `npm run build` (or `bash setup/install.sh`) first');
    process.exit(1);
  }
  if (debug) process.stderr.write('loom launch: modules\n');
  import(require('node:url').pathToFileURL(main).href);
}

if (require.main === module) run();
else module.exports = { compileBundle, cacheKey, bundle, cacheFile, cacheMeta };
