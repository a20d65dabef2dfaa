#!/usr/bin/env node
// The `loom` command: runs the compiled CLI from dist/ (built by setup/install.sh or `npm run build`).
import { existsSync } from 'node:fs';
const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('loom: not built yet — run `npm run build` (or `bash setup/install.sh`) first');
  process.exit(1);
}
await import(main.href);
