#!/usr/bin/env node
// bin/loom.js — the `loom` command. CommonJS on purpose (bin/package.json): a CMS runs one
// process per command chain, and an ES-module entry would make every one of them start
// node's ES module loader (~10 ms of CPU) before doing anything.
//
// Owns: choosing what to run, cheapest first:
//   1. dist/cli/loom.bundle.cjs (built by cli/bundle.ts after `tsc`), only while FRESH: it
//      exists, and so does every module it was built from (listed in loom.bundle.json), none
//      newer than it. Its V8 code cache (loom.bundle.cache, written by the first run after a
//      build) spares compiling it again; the cache is keyed by the bundle's size, mtime, the
//      node version and V8 flags, and is ignored (then rewritten) when anything differs or V8
//      rejects it.
//   2. otherwise dist/cli/main.js (the compiled modules), as an ES module.
// Reads: dist/cli/; LOOM_LAUNCH_DEBUG=1 prints the choice on stderr (tests use it).
// Must never: run a stale bundle or a cache built for other bytes; fail because the cache
// cannot be read or written (a read-only install just runs without it).

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

/** Loads the bundle as a CommonJS module through vm.Script, with the V8 code cache when valid. */
function loadBundle(st) {
  const vm = require('node:vm');
  const source = fs.readFileSync(bundle, 'utf8');
  const cacheFile = path.join(dist, 'loom.bundle.cache');
  const key = Buffer.from(`loom-cc1 ${st.size} ${st.mtimeMs} ${process.version} ${process.execArgv.join(' ')}\n`);
  let cachedData;
  try {
    const buf = fs.readFileSync(cacheFile);
    if (buf.length > key.length && buf.subarray(0, key.length).equals(key)) cachedData = buf.subarray(key.length);
  } catch {
    cachedData = undefined;
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapper, {
    filename: bundle,
    ...(cachedData !== undefined ? { cachedData } : {}),
    // The bundle imports daemon modules and rxjs only at run time, by URL or bare name.
    importModuleDynamically: (specifier) => import(specifier),
  });
  const usedCache = cachedData !== undefined && !script.cachedDataRejected;
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, require, mod, bundle, dist);
  if (debug) process.stderr.write(`loom launch: bundle (code cache ${usedCache ? 'used' : cachedData === undefined ? 'absent' : 'rejected'})\n`);
  const saveCache = () => {
    if (usedCache) return;
    try {
      // After the run, so the functions it compiled are in the cache too.
      const tmp = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
      fs.renameSync(tmp, cacheFile);
    } catch {
      // Read-only install: run without a cache.
    }
  };
  return { main: mod.exports.main, saveCache };
}

const st = freshBundle();
if (st !== undefined) {
  const { main, saveCache } = loadBundle(st);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      saveCache();
    },
    (e) => {
      process.exitCode = 1;
      throw e;
    },
  );
} else {
  const main = path.join(dist, 'main.js');
  if (!fs.existsSync(main)) {
    console.error('loom: not built yet — run `npm run build` (or `bash setup/install.sh`) first');
    process.exit(1);
  }
  if (debug) process.stderr.write('loom launch: modules\n');
  import(require('node:url').pathToFileURL(main).href);
}
