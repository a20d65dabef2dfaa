// northd/nb-check.ts — NB rules that need the whole database, for nbdb's validate hook:
// an ACL (or router policy) match may name only address sets and port groups that exist
// (including the $<pg>_ip4 / $<pg>_ip6 sets northd derives from every port group), and a
// port group or address set may not be deleted or renamed while a match uses it.
//
// Owns: checkNbReferences. Reads: the transaction view (store/types.ts TxnView).
// Called by: a validate hook (compose with nbdb/validate.ts's validateNbTxn: see
// `validateNbWithReferences`). Never: writes; never throws anything but LoomError.
// Invariant: a refusal names table, column 'match', row, the match text and the position
// (expr's "at column N" and `path`), and leaves the database unchanged (the store aborts).

import { checkMatch, type SymbolContext } from '../expr/index.js';
import { LoomError, type Row, type TxnView } from '../store/types.js';
import { list, str } from './nb.js';

const MATCH_TABLES = ['ACL', 'Logical_Router_Policy', 'QoS'] as const;

function symbols(txn: TxnView): SymbolContext {
  const sets = new Map<string, readonly string[]>();
  for (const r of txn.select('Address_Set')) sets.set(str(r, 'name'), list(r, 'addresses'));
  const groups = new Map<string, readonly string[]>();
  for (const r of txn.select('Port_Group')) {
    const name = str(r, 'name');
    groups.set(name, list(r, 'ports'));
    // derived sets: contents do not matter for a name check
    if (!sets.has(`${name}_ip4`)) sets.set(`${name}_ip4`, []);
    if (!sets.has(`${name}_ip6`)) sets.set(`${name}_ip6`, []);
  }
  return { addressSets: (n) => sets.get(n), portGroups: (n) => groups.get(n) };
}

function refusal(table: string, row: Row, match: string, e: { message: string; hint?: string; position?: number }): LoomError {
  return new LoomError({
    code: 'invalid-match',
    message: `${table}.match: ${e.message}`,
    table,
    column: 'match',
    row: row._uuid,
    value: match,
    hint: e.hint ?? 'create the address set or port group first, or fix the name',
    ...(e.position !== undefined ? { path: `/match/${e.position}` } : {}),
  });
}

/** Throws LoomError when a match in the transaction's result names an unknown $set or @group. */
export function checkNbReferences(txn: TxnView): void {
  let recheckAll = false;
  const touched: { table: string; row: Row }[] = [];
  for (const c of txn.changes) {
    if ((MATCH_TABLES as readonly string[]).includes(c.table) && c.new !== null && (c.old === null || c.old['match'] !== c.new['match'])) {
      touched.push({ table: c.table, row: c.new });
    }
    // a set or group that disappears or changes name may strand matches that use it
    if ((c.table === 'Address_Set' || c.table === 'Port_Group') && c.old !== null && (c.new === null || str(c.old, 'name') !== str(c.new, 'name'))) {
      recheckAll = true;
    }
  }
  if (touched.length === 0 && !recheckAll) return;
  const ctx = symbols(txn);
  const rows = recheckAll ? MATCH_TABLES.flatMap((t) => txn.select(t).map((row) => ({ table: t as string, row }))) : touched;
  for (const { table, row } of rows) {
    const match = row['match'];
    if (typeof match !== 'string') continue;
    const e = checkMatch(match, ctx);
    if (e !== null) throw refusal(table, row, match, e as { message: string; hint?: string; position?: number });
  }
}
