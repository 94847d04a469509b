// The node's REST API types, for the web client and any other TypeScript caller. They are
// generated from the OpenAPI description (scripts/api-types.ts), so they change only with it;
// docs/api.md says how.
import type { User } from './generated.js';

export type * from './generated.js';

/** A user account's role. */
export type Role = User['role'];
