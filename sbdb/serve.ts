// sbdb/serve.ts — runs one sbdb as its own process (tests and bench kill it with SIGKILL):
// `node --import tsx sbdb/serve.ts --db FILE --listen HOST:PORT` prints {"url","pid"} once
// listening. Operators use `loom sbdb` (cli/), which calls the same startSbdb.
import { serveMain } from '../store/server-process.js';
import { startSbdb } from './index.js';

await serveMain(startSbdb);
