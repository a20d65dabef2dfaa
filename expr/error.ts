// expr/error.ts — the one error type of the expression language.
//
// Owns: ExprError (a LoomError with code 'invalid-match') and the rendering of its message
// with a caret line under the offending column.
// Reads: nothing. Called by: the lexer, parser, action parser and normalizer.
// Never: throw anything else from expr/ for bad input — callers (nbdb validation, northd,
// the controller) catch ExprError and render it; any other exception is a bug.
// Invariants: `position` is a 0-based offset into `text`; the message names column
// position + 1 (editors count from 1), so "at column 14" points at text[13].

import { LoomError, type LoomErrorData } from '../store/types.js';

export interface ExprErrorInit {
  /** The text being parsed; undefined when the error is not tied to a text (e.g. a blow-up in normalize). */
  readonly text: string | undefined;
  readonly position: number;
  /** One line, without the "at column N" prefix. */
  readonly detail: string;
  /** True for grammar errors ("syntax error at ..."), false for meaning errors ("error at ..."). */
  readonly syntax?: boolean;
  /** What the parser would have accepted here, for tooling. */
  readonly expected?: readonly string[];
  readonly hint?: string;
}

export interface ExprErrorData extends LoomErrorData {
  readonly position: number;
  readonly expected: readonly string[];
  /** The message's first line, without the caret display. */
  readonly summary: string;
}

export class ExprError extends LoomError implements ExprErrorData {
  readonly position: number;
  readonly expected: readonly string[];
  /** The first line of the message, without the caret display. */
  readonly summary: string;
  constructor(init: ExprErrorInit) {
    const where = init.text === undefined ? '' : ` at column ${init.position + 1}`;
    const summary = `${init.syntax === true ? 'syntax error' : 'error'}${where}: ${init.detail}`;
    const data: LoomErrorData = {
      code: 'invalid-match',
      message: init.text === undefined ? summary : `${summary}\n${caretLines(init.text, init.position)}`,
      ...(init.text !== undefined ? { value: init.text } : {}),
      ...(init.hint !== undefined ? { hint: init.hint } : {}),
    };
    super(data);
    this.name = 'ExprError';
    this.position = init.position;
    this.expected = init.expected ?? [];
    this.summary = summary;
  }
  override toJSON(): ExprErrorData {
    return { ...super.toJSON(), position: this.position, expected: this.expected, summary: this.summary };
  }
}

/** The offending line of `text` and a caret under `position` (tabs kept so they line up). */
export function caretLines(text: string, position: number): string {
  const start = text.lastIndexOf('\n', position - 1) + 1;
  const endNl = text.indexOf('\n', position);
  const line = text.slice(start, endNl < 0 ? text.length : endNl);
  const pad = line.slice(0, position - start).replace(/[^\t]/g, ' ');
  return `  ${line}\n  ${pad}^`;
}

/** Quotes an expected/found item the way messages show them. */
export function q(s: string): string {
  return `"${s}"`;
}

/** "a", "a or b", "a, b or c". */
export function oneOf(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}
