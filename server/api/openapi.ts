// Composes the OpenAPI 3.1 description from every capability's fragment.
import type { Capability } from '../context.js';
import type { OpenApiFragment } from './openapi-types.js';

export function buildOpenApi(fragments: OpenApiFragment[], publicUrl: string, version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details; some carry more members that say what to do (e.g. `received` for an upload to resume from)',
      required: ['type', 'title', 'status', 'code', 'detail'],
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        code: { type: 'string' },
        detail: { type: 'string' },
      },
      additionalProperties: true,
    },
  };
  const tags: { name: string; description: string }[] = [];
  for (const f of fragments) {
    for (const [p, item] of Object.entries(f.paths)) paths[p] = { ...(paths[p] ?? {}), ...item };
    Object.assign(schemas, f.schemas ?? {});
    tags.push(...(f.tags ?? []));
  }
  return {
    openapi: '3.1.0',
    info: {
      title: '9ten node API',
      version,
      description: 'REST API of a 9ten node: accounts, media, listening, money, ledger, disputes. Errors are application/problem+json.',
      license: { name: 'AGPL-3.0-or-later', identifier: 'AGPL-3.0-or-later' },
    },
    servers: [{ url: publicUrl }],
    tags,
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'Token from POST /api/v1/oauth/token' } },
      schemas,
    },
  };
}

export const fragmentsOf = (caps: Capability[]): OpenApiFragment[] => caps.flatMap((c) => (c.openapi ? [c.openapi] : []));
