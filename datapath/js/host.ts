// datapath/js/host.ts — runs one Datapath in its own process, driven over node's IPC channel.
//
// Owns: the child side of DatapathProcess (process.ts): decodes {id, method, args},
//   calls the Datapath, answers {id, result} or {id, error}; forwards packet-ins as
//   {event: 'packet_in', packet}. EAL is once per process, so tests, bench and a restarted
//   datapath each get a fresh host.
// Reads: argv[2] = JSON DatapathOptions. Called by: process.ts (fork).
// Never: outlives its parent: a closed IPC channel or SIGTERM stops the datapath and exits.

import { LoomError } from '../../store/types.js';
import { Datapath, type DatapathOptions } from './datapath.js';

interface Request { readonly id: number; readonly method: string; readonly args: readonly unknown[] }

function isRequest(m: unknown): m is Request {
  return typeof m === 'object' && m !== null && typeof (m as Request).id === 'number' && typeof (m as Request).method === 'string' && Array.isArray((m as Request).args);
}

function errorData(e: unknown): unknown {
  if (e instanceof LoomError) return e.toJSON();
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};

let dp: Datapath | undefined;
function shutdown(code: number): never {
  try {
    dp?.stop();
  } finally {
    process.exit(code);
  }
}

try {
  const opts = JSON.parse(process.argv[2] ?? '{}') as DatapathOptions;
  dp = Datapath.start(opts);
  dp.on('packet_in', (p) => send({ event: 'packet_in', packet: p }));
  send({ event: 'ready', pid: process.pid });
} catch (e) {
  send({ event: 'failed', error: errorData(e) });
  process.exit(1);
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('disconnect', () => shutdown(0));
process.on('message', (m: unknown) => {
  if (!isRequest(m) || !dp) return;
  const d = dp;
  try {
    let result: unknown;
    switch (m.method) {
      case 'addPort': result = d.addPort(m.args[0] as Parameters<Datapath['addPort']>[0]); break;
      case 'removePort': d.removePort(String(m.args[0])); break;
      case 'ports': result = d.ports(); break;
      case 'applyBatch': result = d.applyBatch(m.args[0]); break;
      case 'stats': result = d.stats(); break;
      case 'packetOut': result = d.packetOut(m.args[0] as Parameters<Datapath['packetOut']>[0], Buffer.from(m.args[1] as Uint8Array)); break;
      case 'trace': result = d.trace(m.args[0] as Parameters<Datapath['trace']>[0], Buffer.from(m.args[1] as Uint8Array)); break;
      case 'stop':
        send({ id: m.id, result: null });
        shutdown(0);
        break;
      default: throw new LoomError({ code: 'bad-request', message: `unknown method ${m.method}` });
    }
    send({ id: m.id, result });
  } catch (e) {
    send({ id: m.id, error: errorData(e) });
  }
});
