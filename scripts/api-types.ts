// `npm run api-types`: writes shared/api/generated.ts, the TypeScript of every named schema in
// the node's OpenAPI description, which the web client imports through shared/api. Run it after
// changing a capability's openapi.ts; test/foundation/api-types.test.ts fails until then.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { capabilities } from '../server/capabilities.js';
import { openApiFor } from '../server/app.js';
import { schemaTypes } from '../server/api/schema-types.js';

export const generatedFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../shared/api/generated.ts');

/** The generated module's text, from the description the node serves. */
export function apiTypesSource(): string {
  // Only components.schemas is read, so the server URL does not matter here.
  const doc = openApiFor(capabilities, 'http://localhost');
  return schemaTypes(doc.components.schemas);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(generatedFile, apiTypesSource());
  console.log(`wrote ${path.relative(process.cwd(), generatedFile)}`);
}
