// cli/daemon.ts — `loom --detach`: a resident northbound client, as `ovn-nbctl --detach`
// with OVN_NB_DAEMON. Each `loom` run with LOOM_NB_DAEMON=SOCKET hands its argv to this
// process over a unix socket and prints the answer, so a command chain costs one socket
// round trip instead of a whole node start-up.
//
// Owns: the socket server (one request at a time, in arrival order), the wire format of a
// request and its answer, the schema cache per database URL, and detaching (`loom --detach`
// starts this in a child and prints the socket path once it listens).
// Reads: requests: argv words, each ended by one NUL byte, then end of stream. Answers: one
// line "STATUS FD" (exit status; 1 = stdout, 2 = stderr), then the text for that stream.
// bin/loom (sh) speaks it with `nc -U`; sendToDaemon() below is the node side of it.
// Called by: cli/entry.ts (--detach, and the hidden child mode that runs the server).
// Must never: run a daemon (nbdb, northd, ...) or another --detach for a client; keep a
// connection to the database between requests (a stale keep-alive socket would turn a
// write into "may or may not have committed"); accept a socket other users can open
// (umask 077 while it is created).
// Invariants: the answer of a request is exactly what the same `loom` would have printed
// and its exit status; a request without its end of stream is never run.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { unlinkSync } from 'node:fs';
import { LoomError, type DatabaseSchema } from '../store/types.js';

export interface CtlIo {
  out(text: string): void;
  err(text: string): void;
}

/** Runs one forwarded invocation; the entry point supplies it (cli/entry.ts ctlMain). */
export type CtlRunner = (argv: readonly string[], io: CtlIo, schemas: Map<string, DatabaseSchema>) => Promise<number>;

export interface CtlDaemon {
  readonly socket: string;
  close(): Promise<void>;
}

/** Splits a request body into argv words (each ends with NUL). */
export function decodeRequest(body: Buffer): string[] | undefined {
  if (body.length === 0 || body[body.length - 1] !== 0) return undefined;
  return body.toString('utf8').slice(0, -1).split('\0');
}

export function encodeRequest(argv: readonly string[]): Buffer {
  return Buffer.from(argv.map((a) => a + '\0').join(''), 'utf8');
}

export async function startCtlDaemon(socket: string, run: CtlRunner): Promise<CtlDaemon> {
  const schemas = new Map<string, DatabaseSchema>();
  let queue: Promise<void> = Promise.resolve();
  const serve = (conn: Socket) => {
    const chunks: Buffer[] = [];
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('error', () => conn.destroy());
    conn.on('end', () => {
      const argv = decodeRequest(Buffer.concat(chunks));
      queue = queue.then(async () => {
        if (argv === undefined) {
          conn.end(`1 2\nloom: malformed request to the loom daemon (argv words each ended by NUL)\n`);
          return;
        }
        let out = '';
        let err = '';
        const code = await run(argv, { out: (t) => (out += t), err: (t) => (err += t) }, schemas).catch((e: unknown) => {
          err += `loom: ${e instanceof Error ? e.message : String(e)}\n`;
          return 1;
        });
        // One stream per answer: a command prints either its output or its error. Should
        // both ever be there, the error wins the stream and the output is put before it.
        conn.end(err === '' ? `${code} 1\n${out}` : `${code === 0 ? 1 : code} 2\n${out}${err}`);
      });
    });
  };
  // allowHalfOpen: the client ends its side to say "that was all of argv" and still reads the answer.
  const server: Server = createServer({ allowHalfOpen: true }, serve);
  const old = process.umask(0o077);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  return {
    socket,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          unlinkSync(socket);
        } catch {
          // already gone
        }
      }),
  };
}

export interface Answer {
  readonly status: number;
  readonly stream: 1 | 2;
  readonly text: string;
}

/** The client side in node (tests, and bin/loom.js when LOOM_NB_DAEMON is set). */
export function sendToDaemon(socket: string, argv: readonly string[]): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const conn = createConnection(socket);
    const chunks: Buffer[] = [];
    conn.on('data', (c: Buffer) => chunks.push(c));
    conn.on('error', (e: Error & { code?: string }) =>
      reject(new LoomError({ code: 'unavailable', message: `cannot reach the loom daemon at ${socket}: ${e.code ?? e.message}`, hint: 'start one with `export LOOM_NB_DAEMON=$(loom --detach)`, or unset LOOM_NB_DAEMON' })),
    );
    conn.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^(\d+) ([12])\n/.exec(text);
      if (m === null) return reject(new LoomError({ code: 'unavailable', message: `the loom daemon at ${socket} gave no answer`, hint: 'is it still running? unset LOOM_NB_DAEMON to run commands directly' }));
      resolve({ status: Number(m[1]), stream: m[2] === '2' ? 2 : 1, text: text.slice(m[0].length) });
    });
    conn.end(encodeRequest(argv));
  });
}
