// Reading an inbox post's HTTP signature headers once, before verification: which key it names,
// what it covers, and the signature value itself (what the replay guard keys on, whatever the
// header's formatting). Both specs are parsed as Fedify's verifier parses them (RFC 9421 through
// the same structured-field parser), so what is checked here is what is verified there.
import { createHash } from 'node:crypto';
import { decodeDict } from 'structured-field-values';

export type HeaderBag = Record<string, string | string[] | undefined>;

/** One signature, as the post carries it (unverified). */
export interface SignatureInput {
  spec: 'draft-cavage-http-signatures-12' | 'rfc9421';
  keyId: string;
  /** Covered components (RFC 9421) or signed header names (cavage), lower-case. */
  covers: string[];
  /** SHA-256 of the signature bytes. */
  valueDigest: string;
}

export type ReadSignature = { ok: true; signature: SignatureInput } | { ok: false; status: number; code: string; message: string };

const header = (headers: HeaderBag, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

const refused = (code: string, message: string): ReadSignature => ({ ok: false, status: 401, code, message });
const digestOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The cavage `Signature` header's parameters, parsed as Fedify parses them. */
function cavageParams(sig: string): Record<string, string> {
  return Object.fromEntries(
    sig
      .split(',')
      .map((pair) => pair.match(/^\s*([A-Za-z]+)=(?:"([^"]*)"|(\d+))\s*$/))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => [m[1], m[2] ?? m[3]]),
  );
}

/**
 * The one signature of an inbox post, and whether it covers what a post must cover:
 * - exactly one signature (Fedify's RFC 9421 verifier tries every label, fetching each one's
 *   key, so many labels would be many outbound fetches, and an extra junk label would make a
 *   replay look new);
 * - RFC 9421: `@method`, `@target-uri` and, with a body, `content-digest`;
 * - cavage: `(request-target)`, `host`, `date` and, with a body, `digest` (the verifier checks
 *   the host against this node's own, so a post cannot be replayed to another node).
 */
export function readSignature(headers: HeaderBag, hasBody: boolean): ReadSignature {
  const sig = header(headers, 'signature');
  if (!sig) return refused('signature_required', 'Inbox posts must carry an HTTP signature');
  const input = header(headers, 'signature-input');
  if (input !== undefined) {
    let inputs: Record<string, { value: unknown; params: Record<string, unknown> }>;
    let values: Record<string, { value: unknown }>;
    try {
      inputs = decodeDict(input) as typeof inputs;
      values = decodeDict(sig) as typeof values;
    } catch {
      return refused('invalid_signature', 'The Signature or Signature-Input header is not a structured-field dictionary');
    }
    const labels = Object.keys(inputs);
    if (labels.length !== 1 || Object.keys(values).length !== 1) return refused('signature_count', 'An inbox post must carry exactly one signature');
    const item = inputs[labels[0]];
    const value = values[labels[0]]?.value;
    const keyId = item.params?.keyid;
    if (typeof keyId !== 'string' || !(value instanceof Uint8Array)) return refused('invalid_signature', 'The signature has no keyid or no value');
    const covers = Array.isArray(item.value) ? item.value.map((c: { value: unknown }) => String(c.value).toLowerCase()) : [];
    const missing = ['@method', '@target-uri', ...(hasBody ? ['content-digest'] : [])].filter((c) => !covers.includes(c));
    if (missing.length) return refused('signature_incomplete', `The signature must cover ${missing.join(', ')}`);
    return { ok: true, signature: { spec: 'rfc9421', keyId, covers, valueDigest: digestOf(value) } };
  }
  const params = cavageParams(sig);
  if (!params.keyId || !params.signature) return refused('invalid_signature', 'The Signature header has no keyId or no signature');
  const covers = (params.headers ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  const missing = ['(request-target)', 'host', 'date', ...(hasBody ? ['digest'] : [])].filter((c) => !covers.includes(c));
  if (missing.length) return refused('signature_incomplete', `The signature must cover ${missing.join(', ')}`);
  return { ok: true, signature: { spec: 'draft-cavage-http-signatures-12', keyId: params.keyId, covers, valueDigest: digestOf(Buffer.from(params.signature, 'base64')) } };
}
