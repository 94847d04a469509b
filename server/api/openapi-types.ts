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

/**
 * An object the node answers with: every property is always there unless named in
 * `optional`. The web client's types are generated from these (shared/api), so a property
 * the route may leave out must be listed, or the client reads it as always present.
 */
export const fields = (properties: Record<string, unknown>, optional: string[] = [], description?: string) => ({
  type: 'object',
  ...(description === undefined ? {} : { description }),
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  properties,
});

/** A page of a list: `total` across all pages and this page's `data`. */
export const page = (item: unknown) => fields({ total: { type: 'integer' }, data: { type: 'array', items: item } });

/** A value or null (OpenAPI 3.1 has no `nullable`). */
export const orNull = (schema: unknown, description?: string) => ({ ...(description === undefined ? {} : { description }), oneOf: [schema, { type: 'null' }] });

/** A required JSON request body. */
export const jsonBody = (schema: unknown) => ({ required: true, content: { 'application/json': { schema } } });

/** A path parameter (a UUID unless told otherwise). */
export const pathParam = (name: string, schema: unknown = { type: 'string', format: 'uuid' }, description?: string) =>
  description === undefined ? { name, in: 'path', required: true, schema } : { name, in: 'path', required: true, description, schema };

/** The small schemas every fragment uses. */
export const str = { type: 'string' } as const;
export const int = { type: 'integer' } as const;
export const uuid = { type: 'string', format: 'uuid' } as const;
export const dateTime = { type: 'string', format: 'date-time' } as const;
/** A JSON type or null (OpenAPI 3.1 spells it as a type list), with any other keywords. */
export const nullable = (type: string, more: Record<string, unknown> = {}) => ({ type: [type, 'null'], ...more });

/** `limit` and `offset` query parameters of a paged list. */
export const pagingParams = (defaultLimit: number, maxLimit: number) => [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit } },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
];
