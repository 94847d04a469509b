// Minimal types for pg-copy-streams (no @types package installed).
declare module 'pg-copy-streams' {
  import type { Writable } from 'node:stream';
  import type { Submittable } from 'pg';
  export function from(sql: string): Submittable & Writable;
}
