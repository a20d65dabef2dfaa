// Every logical flow northd writes for the golden topologies parses and type-checks with
// loom's expression language (expr/), match and actions: what the controller will compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseActions, parseMatch, type SymbolContext } from '../expr/index.js';
import { compileFull } from '../northd/compile.js';
import { Nbctl, readTopologies } from '../northd/testdata/nbctl.js';

const topologies = readTopologies(readFileSync(new URL('../northd/testdata/topologies.sh', import.meta.url), 'utf8'));

test('northd output parses with expr/', () => {
  let flows = 0;
  const bad: string[] = [];
  for (const [name, cmds] of topologies) {
    const nbctl = new Nbctl();
    for (const c of cmds) nbctl.run(c);
    const sb = compileFull(nbctl.nb);
    // the symbols the controller will know: SB address sets and port groups by name
    const sets = new Map(sb.addressSets);
    const groups = new Map<string, readonly string[]>();
    for (const [n, ports] of sb.portGroups) groups.set(n.replace(/^\d+_/, ''), ports);
    const ctx: SymbolContext = { addressSets: (n) => sets.get(n), portGroups: (n) => groups.get(n) };
    for (const f of sb.flows.values()) {
      flows++;
      for (const [kind, text, parse] of [['match', f.flow.match, parseMatch], ['actions', f.flow.actions, parseActions]] as const) {
        try {
          parse(text, ctx);
        } catch (e) {
          bad.push(`${name} ${f.flow.stage} ${kind}: ${text}\n  ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
  }
  assert.deepEqual(bad, []);
  assert.ok(flows > 1000, `${flows} flows`);
});
