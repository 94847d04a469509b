// `npm run api-types`: writes shared/api/generated.ts, the TypeScript of every named schema in
// the node's OpenAPI description, which the web client imports through shared/api. Run it after
// changing a capability's openapi.ts; test/foundation/api-types.test.ts fails until then.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { capabilities } from '../server/capabilities.js';
import { systemOpenApi } from '../server/api/system.js';
import { buildOpenApi, fragmentsOf } from '../server/api/openapi.js';
import { schemaTypes } from '../server/api/schema-types.js';

export const generatedFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../shared/api/generated.ts');

/** The generated module's text: the description is composed as the node serves it (app.ts). */
export function apiTypesSource(): string {
  // Only components.schemas is read, so the server URL and version do not matter here.
  const doc = buildOpenApi([systemOpenApi, ...fragmentsOf(capabilities)], 'http://localhost', '0');
  return schemaTypes(doc.components.schemas);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(generatedFile, apiTypesSource());
  console.log(`wrote ${path.relative(process.cwd(), generatedFile)}`);
}
