// expr/index.ts — the public surface of loom's logical-flow expression language.
//
// Matches:  parseMatch, checkMatch, formatMatch, normalize, evaluate, evaluateConjunctions,
//           formatConjunction, matchReferences.
// Actions:  parseActions, formatActions, actionPrerequisites.
// Symbols:  FIELDS (name → width, kind, prerequisite, definition), BASE_FIELDS.
// Errors:   ExprError (a LoomError with code 'invalid-match', position, expected).

import type { Action, Conjunction, FieldValues, MatchExpr, SymbolContext } from './ast.js';
import { evaluateMatch } from './evaluate.js';
import { normalizeMatch, type NormalizeOptions } from './normalize.js';
import { parseActionsText } from './actions.js';
import { ExprError } from './error.js';
import { parseMatchText } from './parser.js';
import type { LoomErrorData } from '../store/types.js';

export type {
  Action, Backend, CallArg, Conjunction, Constant, EqOp, FieldRef, FieldValues, MatchExpr, OrderOp, RelOp, StringTerm, SymbolContext, Term,
} from './ast.js';
export { ExprError, type ExprErrorData } from './error.js';
export { BASE_FIELDS, FIELDS, lookupField, type FieldDef, type FieldKind, type Piece } from './fields.js';
export { formatConjunction, formatConstant, formatMatch } from './format.js';

/** Parses and type-checks a match. Throws ExprError. With `ctx`, unknown $sets / @groups are errors. */
export function parseMatch(text: string, ctx?: SymbolContext): MatchExpr {
  return parseMatchText(text, ctx);
}

/** For validators: null when `text` is a valid match, else the error as data. */
export function checkMatch(text: string, ctx?: SymbolContext): LoomErrorData | null {
  try {
    parseMatchText(text, ctx);
    return null;
  } catch (e) {
    if (e instanceof ExprError) return e.toJSON();
    throw e;
  }
}

export { actionPrerequisites, BLOCK_ACTIONS, formatActions, GENERIC_FUNCTIONS_NOTE, KEYWORD_ACTIONS } from './actions.js';

/** Parses and checks an action list ("" is the empty list, which drops). Throws ExprError. */
export function parseActions(text: string, ctx?: SymbolContext): Action[] {
  return parseActionsText(text, ctx);
}

export { complementPrefixes, DEFAULT_MAX_CONJUNCTIONS, prefixes, unionPrefixes, type NormalizeOptions } from './normalize.js';
export { evaluateConjunctions, readRef } from './evaluate.js';
export { matchReferences, type MatchReferences } from './references.js';

/**
 * The match as a disjunction of conjunctions of { field, value, mask } terms over base
 * fields (plus inport/outport/is_chassis_resident string terms), with sets, ranges, CIDRs,
 * negations, predicates, prerequisites, address sets and port groups expanded.
 * [] matches nothing; [{ terms: [], strings: [] }] matches everything.
 */
export function normalize(expr: MatchExpr, ctx: SymbolContext, options?: NormalizeOptions): Conjunction[] {
  return normalizeMatch(expr, ctx, options);
}

/** Reference evaluator: does `packet` (base field values) match `expr`? */
export function evaluate(expr: MatchExpr, packet: FieldValues, ctx: SymbolContext): boolean {
  return evaluateMatch(expr, packet, ctx);
}
