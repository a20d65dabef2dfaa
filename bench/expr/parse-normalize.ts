// bench/expr/parse-normalize.ts — throughput of expr/ on typical ACL matches.
//
// Measures, per match: parseMatch alone, and parseMatch + normalize (what nbdb pays per
// ACL write is the first; what a controller pays per logical flow is roughly the second),
// plus one pass over the OVN 23.03 northd corpus (expr/testdata) and a deliberate blow-up.
// Run: node --import tsx bench/expr/parse-normalize.ts [SECONDS_PER_CASE=1]
// Never asserts: numbers only (expr/*.test.ts check correctness). No reference run: OVN's
// expression parser is not exposed by any installed binary.

import { readFileSync } from 'node:fs';
import { normalize, parseMatch, type SymbolContext } from '../../expr/index.js';

const seconds = Number(process.argv[2] ?? '1');
const members = Array.from({ length: 50 }, (_, i) => `10.0.${i >> 8}.${(i % 250) + 1}`);
const ctx: SymbolContext = {
  addressSets: (n) => (n === 'pg1_ip4' ? members : n === 'pg1_ip6' ? [] : undefined),
  portGroups: (n) => (n === 'pg1' ? Array.from({ length: 50 }, (_, i) => `p${i}`) : undefined),
};

/**
 * Calls per CPU-second of this process (user + system), not per wall second: the machine is
 * shared, and CPU time is what a busy neighbour does not inflate much.
 */
function rate(fn: () => void): { perSec: number; usEach: number } {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  const budget = seconds * 1e6;
  const c0 = process.cpuUsage();
  let n = 0;
  let used = 0;
  while (used < budget) {
    for (let i = 0; i < 20; i++) fn();
    n += 20;
    const c = process.cpuUsage(c0);
    used = c.user + c.system;
  }
  return { perSec: (n * 1e6) / used, usEach: used / n };
}

const cases = [
  'outport == @pg1 && ip4 && ip4.src == $pg1_ip4 && tcp.dst == 22',
  'inport == "p1" && ip4 && tcp && 1024 <= tcp.dst <= 65535',
  'ip4.src == {10.0.0.0/8, 192.168.0.0/16} && udp.dst == {53, 123}',
  'ct.est && !ct.rel && !ct.new && !ct.inv && ct.rpl && ct_mark.blocked == 0',
  'ip4.src != {10.0.0.1, 10.0.0.2, 10.0.0.3} && tcp',
  'ip6.src != {fe80::1, fe80::2, fe80::3, fe80::4} && udp',
];
for (const text of cases) {
  const e = parseMatch(text, ctx);
  const conj = normalize(e, ctx).length;
  const p = rate(() => parseMatch(text, ctx));
  const pn = rate(() => normalize(parseMatch(text, ctx), ctx));
  console.log(`${JSON.stringify(text)}\n  conjunctions=${conj} parse=${Math.round(p.perSec)}/s (${p.usEach.toFixed(1)} µs) parse+normalize=${Math.round(pn.perSec)}/s (${pn.usEach.toFixed(1)} µs)`);
}

const corpus = JSON.parse(readFileSync(new URL('../../expr/testdata/ovn-23.03-flows.json', import.meta.url), 'utf8')) as {
  address_sets: Record<string, string[]>; port_groups: Record<string, string[]>; matches: string[];
};
const cctx: SymbolContext = { addressSets: (n) => corpus.address_sets[n], portGroups: (n) => corpus.port_groups[n] };
const all = rate(() => { for (const m of corpus.matches) normalize(parseMatch(m, cctx), cctx); });
console.log(`OVN 23.03 corpus: ${corpus.matches.length} matches parse+normalize in ${(all.usEach / 1e3).toFixed(2)} ms (${Math.round(all.perSec * corpus.matches.length)} matches/s)`);

const t0 = process.cpuUsage();
try {
  const many = (n: number): string => `{${Array.from({ length: n }, (_, i) => 2 * i + 1).join(', ')}}`; // odd numbers: no two merge
  normalize(parseMatch(`tcp.src == ${many(120)} && tcp.dst == ${many(100)}`, ctx), ctx);
} catch (e) {
  const c = process.cpuUsage(t0);
  console.log(`blow-up refused after ${((c.user + c.system) / 1e3).toFixed(0)} ms CPU: ${(e as Error).message}`);
}
