// cli/test-support.ts — what the CLI's in-process tests share: an nbdb-like SqliteStore in a
// temporary directory (opened with nbdb's own write-time validation, removed when the test
// ends) and `nb(store, ...argv)`, which runs one ovn-nbctl-style invocation against it.
// Tests only; nothing in the CLI itself imports this file.
import type { TestContext } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nbSchema } from '../schemas/index.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { validateNbTxn } from '../nbdb/validate.js';
import type { Store } from '../store/types.js';
import { parseArgs } from './args.js';
import { nbCommands } from './nbctl.js';
import { runInvocation } from './run.js';

/** A fresh NB store opened as nbdb opens it; closed and deleted after the test. */
export function openNbStore(t: TestContext, prefix = 'loom-cli-'): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = SqliteStore.open(join(dir, 'nb.db'), nbSchema, { validate: validateNbTxn });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** Runs `loom ARGV...` (one invocation, `--` chains included) and returns what it prints. */
export async function nb(store: Store, ...argv: string[]): Promise<string> {
  return (await runInvocation(store, parseArgs(argv, nbCommands))).output;
}

/** The same with the words as one array (a topology line from northd/testdata/nbctl.ts). */
export async function nbctl(store: Store, words: readonly string[]): Promise<string> {
  return (await runInvocation(store, parseArgs(words, nbCommands))).output;
}
