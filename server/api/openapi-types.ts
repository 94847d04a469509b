// The shape of a capability's part of the OpenAPI 3.1 description.
export interface OpenApiFragment {
  tags?: { name: string; description: string }[];
  paths: Record<string, Record<string, unknown>>;
  schemas?: Record<string, unknown>;
}

/** Standard reusable bits for fragments: bearer auth and problem responses. */
export const bearer = [{ bearerAuth: [] }];

export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export const json = (description: string, schema: unknown) => ({
  description,
  content: { 'application/json': { schema } },
});

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A required JSON request body. */
export const jsonBody = (schema: unknown) => ({ required: true, content: { 'application/json': { schema } } });

/** A path parameter (a UUID unless told otherwise). */
export const pathParam = (name: string, schema: unknown = { type: 'string', format: 'uuid' }, description?: string) =>
  description === undefined ? { name, in: 'path', required: true, schema } : { name, in: 'path', required: true, description, schema };
