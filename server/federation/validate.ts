// Incoming activities are checked against these schemas before anything is stored.
// Custom types travel multi-typed (["Subscription", "Join"]); the 9ten type wins.
import { z } from 'zod';
import { hostOf, idOf, typesOf } from './vocabulary.js';

const iri = z.string().max(2048).url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) IRI');
const ref = z.union([iri, z.object({ id: iri }).passthrough()]);
const typeField = z.union([z.string().min(1).max(100), z.array(z.string().min(1).max(100)).min(1).max(8)]);
const audience = z.union([iri, z.array(z.union([iri, z.object({ id: iri }).passthrough()])).max(1000)]).optional();

export const baseActivitySchema = z
  .object({
    '@context': z.unknown().optional(),
    id: iri,
    type: typeField,
    actor: ref,
    to: audience,
    cc: audience,
    published: z.string().max(64).optional(),
  })
  .passthrough();

export type IncomingActivity = z.infer<typeof baseActivitySchema> & Record<string, unknown>;

export const activityTypes = ['Follow', 'Accept', 'Reject', 'Undo', 'Create', 'Update', 'Delete', 'Like', 'Announce', 'Listen', 'Stream', 'Subscription', 'Flag', 'Tip'] as const;
export type ActivityType = (typeof activityTypes)[number];

/** The type 9ten processes: a 9ten custom type first, then the first known core type. */
export function primaryType(type: unknown): ActivityType | undefined {
  const types = typesOf(type).map((t) => t.replace(/^(nt|https:\/\/9ten\.org\/ns#):?/, ''));
  if (types.includes('Stream')) return 'Stream';
  if (types.includes('Subscription')) return 'Subscription';
  if (types.includes('Tip')) return 'Tip';
  return types.find((t): t is ActivityType => (activityTypes as readonly string[]).includes(t));
}

const objectWithId = z.object({ id: iri, type: typeField }).passthrough();

// xsd:dateTime as AS2 asks (Date.parse alone takes strings such as "%00\ufeff" that PostgreSQL refuses).
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const dateTime = z.string().max(64).refine((s) => isoDateTime.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time');

const schemas: Record<ActivityType, z.ZodTypeAny> = {
  Follow: z.object({ object: ref }).passthrough(),
  Accept: z.object({ object: ref }).passthrough(),
  Reject: z.object({ object: ref }).passthrough(),
  Undo: z.object({ object: ref }).passthrough(),
  Create: z.object({ object: objectWithId }).passthrough(),
  Update: z.object({ object: objectWithId }).passthrough(),
  Delete: z.object({ object: ref }).passthrough(),
  Like: z.object({ object: ref }).passthrough(),
  Announce: z.object({ object: ref }).passthrough(),
  Listen: z
    .object({
      object: ref,
      qualifiedSeconds: z.number().int().min(0).max(86_400),
      endTime: dateTime.optional(),
      published: dateTime.optional(),
    })
    .passthrough(),
  Stream: z
    .object({
      object: z.union([iri, objectWithId]),
      streamState: z.enum(['started', 'ended']),
      published: dateTime.optional(),
    })
    .passthrough(),
  // A report (AS2 Flag): 9ten's dispute review requests carry a `disputeRef` (checked by disputes).
  Flag: z.object({ object: z.union([ref, z.array(ref).min(1).max(100)]) }).passthrough(),
  // A tip (["Tip", "Like"]): an amount the sender's node owes the artist, with an optional message.
  Tip: z
    .object({
      object: ref,
      amount: z.number().int().min(1).max(1e12),
      currency: z.string().regex(/^[A-Z]{3,5}$/),
      content: z.string().max(2000).optional(),
      published: dateTime.optional(),
    })
    .passthrough(),
  Subscription: z
    .object({
      object: ref,
      subscriptionStatus: z.enum(['active', 'renewed', 'past_due', 'cancelled', 'lapsed', 'ended']).default('active'),
      period: z.string().max(64).optional(),
      amount: z.number().int().min(0).max(1e12).optional(),
      currency: z.string().regex(/^[A-Z]{3,5}$/).optional(),
    })
    .passthrough(),
};

export type ValidationResult =
  | { ok: true; type: ActivityType; activity: IncomingActivity; actorUri: string }
  | { ok: false; status: number; code: string; message: string };

/** Deepest nesting an incoming activity may have (real ones stay under ten levels). */
export const MAX_ACTIVITY_DEPTH = 64;
const unpairedSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a parsed body cannot be stored as it is, or null: nesting deeper than
 * MAX_ACTIVITY_DEPTH (JSON.stringify and PostgreSQL recurse), or text PostgreSQL's jsonb
 * refuses (U+0000, an unpaired surrogate) in any key or string. Walked without recursion.
 */
export function unstorableJson(json: unknown): string | null {
  const stack: [unknown, number][] = [[json, 1]];
  const badText = (t: string) => t.includes('\u0000') || unpairedSurrogate.test(t);
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === 'string') {
      if (badText(v)) return 'text with U+0000 or an unpaired surrogate';
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    if (depth > MAX_ACTIVITY_DEPTH) return `nested deeper than ${MAX_ACTIVITY_DEPTH} levels`;
    for (const [k, child] of Object.entries(v)) {
      if (badText(k)) return 'a key with U+0000 or an unpaired surrogate';
      stack.push([child, depth + 1]);
    }
  }
  return null;
}

/** Checks shape, type and origin (an actor only creates, updates or deletes its own server's objects). */
export function validateActivity(json: unknown): ValidationResult {
  const unstorable = unstorableJson(json);
  if (unstorable) return { ok: false, status: 400, code: 'invalid_activity', message: `The activity has ${unstorable}` };
  const base = baseActivitySchema.safeParse(json);
  if (!base.success) return { ok: false, status: 400, code: 'invalid_activity', message: base.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 500) };
  const type = primaryType(base.data.type);
  if (!type) return { ok: false, status: 400, code: 'unsupported_type', message: `Activity type ${JSON.stringify(base.data.type).slice(0, 100)} is not supported` };
  const specific = schemas[type].safeParse(base.data);
  if (!specific.success) return { ok: false, status: 400, code: 'invalid_activity', message: specific.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 500) };
  const activity = specific.data as IncomingActivity;
  const actorUri = idOf(activity.actor)!;
  if (hostOf(activity.id) !== hostOf(actorUri)) return { ok: false, status: 403, code: 'origin_mismatch', message: 'The activity id is not on the actor\'s server' };
  if (type === 'Create' || type === 'Update' || type === 'Delete') {
    const objectId = idOf(activity.object);
    if (!objectId || hostOf(objectId) !== hostOf(actorUri)) return { ok: false, status: 403, code: 'origin_mismatch', message: 'Actors may only create, update or delete objects of their own server' };
  }
  return { ok: true, type, activity, actorUri };
}
