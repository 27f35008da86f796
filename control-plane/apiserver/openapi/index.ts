// OpenAPI v3 for the served kinds: the documents kubectl reads (explain, the fieldValidation check, client-side
// apply's strategic merge patch), unknown-field detection for strict field validation, and schema lookup.
export { openapiDocument, openapiIndex } from './document.js';
export { swagger } from './v2.js';
export { unknownFields } from './validate.js';
export { closure, definition, definitionNameFor, schemaFor } from './schemas.js';
export type { Schema } from './dsl.js';
