// cli/table-format.ts — printing rows the way ovs-vsctl's table library does.
//
// Owns: the output shapes of `list`/`find` and of every command that prints records:
// list (`name : value` blocks, the default), table (headings, a dashed rule, aligned
// columns), csv, json ({"headings": [...], "data": [[...]]} with RFC 7047 values), and
// --bare (values only, records separated by a blank line), honouring --columns and
// --no-headings.
// Reads: a TableSchema for column types.
// Called by: cli/db-commands.ts.
// Must never: reorder columns the caller asked for, or print a column the table lacks.
// Invariants: every format prints the same rows in the same order.

import type { Row, TableSchema } from '../store/types.js';
import { formatBare, formatValue, toWire } from './values.js';

export type OutputFormat = 'list' | 'table' | 'csv' | 'json';

export interface FormatOptions {
  readonly format: OutputFormat;
  readonly bare: boolean;
  readonly headings: boolean;
}

const uuidColumn = { key: { type: 'uuid' as const }, min: 1, max: 1 };

/** Columns shown by default: _uuid first, then the schema's columns alphabetically (ovs-vsctl order). */
export function defaultColumns(ts: TableSchema): string[] {
  return ['_uuid', ...Object.keys(ts.columns).sort()];
}

export function formatRows(ts: TableSchema, rows: readonly Row[], columns: readonly string[], opts: FormatOptions): string {
  const col = (c: string) => (c === '_uuid' || c === '_version' ? uuidColumn : ts.columns[c] ?? uuidColumn);
  if (opts.format === 'json') {
    return JSON.stringify({ data: rows.map((r) => columns.map((c) => toWire(col(c), r[c]))), headings: columns }) + '\n';
  }
  if (opts.bare) {
    // --bare: one value per line, records separated by a blank line.
    return rows.map((r) => columns.map((c) => formatBare(col(c), r[c]) + '\n').join('')).join('\n');
  }
  if (opts.format === 'list') {
    // ovs-vsctl pads the column name to 20 characters, whatever the table.
    return rows
      .map((r) => columns.map((c) => `${opts.headings ? `${c.padEnd(20)}: ` : ''}${formatValue(col(c), r[c])}\n`).join(''))
      .join('\n');
  }
  const cells = rows.map((r) => columns.map((c) => formatValue(col(c), r[c])));
  if (opts.format === 'csv') {
    const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = cells.map((row) => row.map(esc).join(','));
    if (opts.headings) lines.unshift(columns.join(','));
    return lines.map((l) => l + '\n').join('');
  }
  const widths = columns.map((c, i) => Math.max(opts.headings ? c.length : 0, ...cells.map((row) => (row[i] as string).length)));
  const line = (vals: readonly string[]) =>
    vals
      .map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i] as number)))
      .join(' ')
      .trimEnd() + '\n';
  let out = '';
  if (opts.headings) {
    out += line(columns);
    out += line(widths.map((w) => '-'.repeat(w)));
  }
  for (const row of cells) out += line(row);
  return out;
}
