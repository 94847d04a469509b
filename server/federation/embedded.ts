// Embedded objects are trusted only from their own origin. An activity signed by an actor of
// origin A may embed an object whose id is on origin B; nothing proves B said so. Such an
// object is kept as a bare reference (its id): a processor that needs its content looks it up
// locally or fetches it from B, never reads the embedded copy (FEP-fe34).
import { originOf } from './vocabulary.js';

const EMBEDDING_FIELDS = ['object', 'target', 'origin', 'result', 'instrument'] as const;

function reference(value: unknown, origin: string | null): unknown {
  if (Array.isArray(value)) return value.map((v) => reference(v, origin));
  if (!value || typeof value !== 'object') return value;
  const id = (value as { id?: unknown }).id;
  if (typeof id !== 'string') return value; // an anonymous embedded object is part of the activity itself
  return originOf(id) === origin ? value : id;
}

/** The activity with every embedded object of another origin than its actor's replaced by its id. */
export function referenceForeignEmbeds<T extends Record<string, unknown>>(activity: T, actorUri: string): T {
  const origin = originOf(actorUri);
  const out: Record<string, unknown> = { ...activity };
  for (const field of EMBEDDING_FIELDS) if (field in out) out[field] = reference(out[field], origin);
  return out as T;
}
