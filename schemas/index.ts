// schemas/index.ts — public surface of schemas/: OVN's NB and SB schemas as loom
// DatabaseSchemas, the OVSDB schema reader, and ajv validators of rows.
export { nbSchema } from './nb.js';
export { sbSchema } from './sb.js';
export { fromOvsSchema } from './ovsschema.js';
export { compileValidators, rowJsonSchema, columnJsonSchema, atomJsonSchema } from './json-schema.js';
export type { JsonSchema, Validators } from './json-schema.js';
