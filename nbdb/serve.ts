// nbdb/serve.ts — runs one nbdb as its own process (tests and bench kill it with SIGKILL):
// `node --import tsx nbdb/serve.ts --db FILE --listen HOST:PORT` prints {"url","pid"} once
// listening. Operators use `loom nbdb` (cli/), which calls the same startNbdb.
import { serveMain } from '../store/server-process.js';
import { startNbdb } from './index.js';

await serveMain(startNbdb);
