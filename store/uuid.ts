// store/uuid.ts — fresh random (version 4) uuids for the rows a transaction inserts.
//
// Owns: their text. Reads: the system's CSPRNG (crypto.randomFillSync), 512 uuids' worth at
// a time. Called by store/transaction.ts for every insert that names no uuid. Never hands
// out the same text twice from one pool, nor a text that is not 8-4-4-4-12 lower-case hex.
// Invariants: version nibble 4 and variant bits 10 (RFC 4122, as crypto.randomUUID); 122
// random bits each.
//
// Why not crypto.randomUUID: its text is built by string concatenation, a rope V8 must
// flatten the first time the text is hashed (a Map key: every inserted row's uuid is one),
// and making and first hashing 55k of them took ≈150 ms of a 10k-port compile's SB commit.
// These are sliced from one buffer of ready text: flat one-byte strings, ≈0.4 µs each.

import { randomFillSync } from 'node:crypto';

const batch = 512;
const hex = Buffer.from('0123456789abcdef', 'latin1');
const bytes = Buffer.alloc(16 * batch);
const text = Buffer.alloc(36 * batch);
let next = batch;
/** Buffer's own latin1 slice when there (toString('latin1', ...) normalizes its arguments first: twice the cost). */
const own = (text as unknown as { latin1Slice?: (start: number, end: number) => string }).latin1Slice;
const slice: (start: number, end: number) => string = typeof own === 'function' ? own.bind(text) : (start, end) => text.toString('latin1', start, end);

function refill(): void {
  randomFillSync(bytes);
  for (let k = 0; k < batch; k++) {
    const b = k * 16;
    let o = k * 36;
    bytes[b + 6] = ((bytes[b + 6] as number) & 0x0f) | 0x40;
    bytes[b + 8] = ((bytes[b + 8] as number) & 0x3f) | 0x80;
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) text[o++] = 45;
      const x = bytes[b + i] as number;
      text[o++] = hex[x >> 4] as number;
      text[o++] = hex[x & 15] as number;
    }
  }
  next = 0;
}

/** A fresh random uuid, lower-case 8-4-4-4-12 text. */
export function newUuid(): string {
  if (next === batch) refill();
  const o = next++ * 36;
  return slice(o, o + 36);
}
