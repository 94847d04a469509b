// Reading HTTP signature headers before and beside verification: which key a request names,
// whether an RFC 9421 signature covers what an inbox post must cover, and the signature
// value itself (what the replay guard keys on, whatever the header's formatting).
// Both specs are parsed as Fedify's verifier parses them (RFC 9421 through the same
// structured-field parser), so what is checked here is what is verified there.
import { createHash } from 'node:crypto';
import { decodeDict } from 'structured-field-values';

export type HeaderBag = Record<string, string | string[] | undefined>;

const header = (headers: HeaderBag, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

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

interface Rfc9421Input {
  label: string;
  keyId: string | undefined;
  components: string[];
}

function rfc9421Inputs(sigInput: string): Rfc9421Input[] | null {
  try {
    const dict = decodeDict(sigInput) as Record<string, { value: unknown; params: Record<string, unknown> }>;
    return Object.entries(dict).map(([label, item]) => ({
      label,
      keyId: typeof item.params?.keyid === 'string' ? item.params.keyid : undefined,
      components: Array.isArray(item.value) ? item.value.map((c: { value: unknown }) => String(c.value)) : [],
    }));
  } catch {
    return null;
  }
}

export const isRfc9421 = (headers: HeaderBag): boolean => header(headers, 'signature-input') !== undefined;

/** The key ids a request's signature(s) name (unverified: for routing and logging only). */
export function signatureKeyIds(headers: HeaderBag): string[] {
  if (isRfc9421(headers)) return (rfc9421Inputs(header(headers, 'signature-input')!) ?? []).flatMap((i) => (i.keyId ? [i.keyId] : []));
  const sig = header(headers, 'signature');
  const keyId = sig ? cavageParams(sig).keyId : undefined;
  return keyId ? [keyId] : [];
}

/**
 * An RFC 9421 signature on an inbox post must cover the method, the target URI and the body's
 * Content-Digest; otherwise a captured signature could be replayed on another route or with
 * another body. Every signature label is checked, since the verifier accepts any label that
 * verifies. (Cavage signatures: Fedify already requires (request-target), date and digest.)
 */
export function missingCoveredComponents(headers: HeaderBag, hasBody: boolean): string[] {
  if (!isRfc9421(headers)) return [];
  const inputs = rfc9421Inputs(header(headers, 'signature-input')!);
  const required = ['@method', '@target-uri', ...(hasBody ? ['content-digest'] : [])];
  if (!inputs?.length) return required;
  const missing = new Set<string>();
  for (const input of inputs) for (const c of required) if (!input.components.includes(c)) missing.add(c);
  return [...missing];
}

/**
 * A digest of the signature value(s) themselves: the bytes of the signature, not the header's
 * text, so re-ordering parameters, adding spaces or re-encoding base64 cannot make a replayed
 * request look new. Null when there is no signature to read.
 */
export function signatureValueDigest(headers: HeaderBag): string | null {
  const sig = header(headers, 'signature');
  if (!sig) return null;
  const values: Buffer[] = [];
  if (isRfc9421(headers)) {
    try {
      const dict = decodeDict(sig) as Record<string, { value: unknown }>;
      for (const label of Object.keys(dict).sort()) {
        const v = dict[label].value;
        if (v instanceof Uint8Array) values.push(Buffer.from(v));
      }
    } catch {
      return null;
    }
  } else {
    const value = cavageParams(sig).signature;
    if (value) values.push(Buffer.from(value, 'base64'));
  }
  if (!values.length) return null;
  const h = createHash('sha256');
  for (const v of values.sort(Buffer.compare)) h.update(v.toString('base64')).update('\n');
  return h.digest('hex');
}
