// The web client's API types (shared/api/generated.ts) come from the OpenAPI description, so
// the two cannot drift: this fails when a capability's openapi.ts changed and the types were
// not generated again, or when the client no longer compiles against them. The other tests
// pin how schemas become TypeScript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { apiTypesSource, generatedFile } from '../../scripts/api-types.js';
import { projectRoot } from '../../server/config/index.js';
import { schemaTypes } from '../../server/api/schema-types.js';

test('shared/api/generated.ts is what the OpenAPI description generates', () => {
  const onDisk = readFileSync(generatedFile, 'utf8').split('\n');
  const wanted = apiTypesSource().split('\n');
  const line = wanted.findIndex((l, i) => l !== onDisk[i]);
  const at = line === -1 && onDisk.length !== wanted.length ? wanted.length : line;
  assert.equal(
    at,
    -1,
    `shared/api/generated.ts differs from the OpenAPI description at line ${at + 1} (has ${JSON.stringify(onDisk[at])}, the description gives ${JSON.stringify(wanted[at])}): run \`npm run api-types\``,
  );
});

// The suite's typecheck covers server, shared and tests; the client has its own tsconfig.
test('the web client type-checks against them', () => {
  const tsc = spawnSync(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'client/tsconfig.json', '--noEmit'], { cwd: projectRoot, encoding: 'utf8' });
  assert.equal(tsc.status, 0, `tsc -p client/tsconfig.json:\n${tsc.stdout}${tsc.stderr}`);
});

const body = (ts: string) => ts.slice(ts.indexOf('export '));

test('required properties are plain, the others optional; null and $ref become types', () => {
  const ts = schemaTypes({
    Owner: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
    Thing: {
      type: 'object',
      description: 'A thing',
      required: ['id', 'owner', 'note', 'tags'],
      properties: {
        id: { type: 'string', format: 'uuid' },
        owner: { oneOf: [{ $ref: '#/components/schemas/Owner' }, { type: 'null' }] },
        note: { type: ['string', 'null'], description: 'Free text' },
        tags: { type: 'array', items: { enum: ['a', 'b'] } },
        size: { type: 'integer' },
        extra: { type: 'object' },
      },
    },
  });
  assert.equal(
    body(ts),
    `export interface Owner {
  id: string;
}

/** A thing */
export interface Thing {
  id: string;
  owner: Owner | null;
  /** Free text */
  note: string | null;
  tags: ('a' | 'b')[];
  size?: number;
  extra?: Record<string, unknown>;
}
`,
  );
});

test('allOf is an intersection, const a literal, additionalProperties an index', () => {
  const ts = schemaTypes({
    Base: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
    Counts: { type: 'object', additionalProperties: { type: 'integer' } },
    More: { allOf: [{ $ref: '#/components/schemas/Base' }, { type: 'object', required: ['kind'], properties: { kind: { const: 'more' } } }] },
  });
  assert.match(ts, /export type Counts = Record<string, number>;/);
  assert.match(ts, /export type More = Base & \{\n {2}kind: 'more';\n\};/);
});

test('a keyword or reference it cannot render fails instead of guessing', () => {
  assert.throws(() => schemaTypes({ Old: { type: 'object', properties: { a: { type: 'string', nullable: true } } } }), /components\.schemas\.Old\.a: the keyword "nullable"/);
  assert.throws(() => schemaTypes({ A: { $ref: '#/components/schemas/Missing' } }), /names no schema/);
  assert.throws(() => schemaTypes({ A: { type: 'object', required: ['b'], properties: { a: { type: 'string' } } } }), /"b" is required but not a property/);
});
