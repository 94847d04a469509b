// The credentials of pay-per-segment access, in the shape of L402 (bLIP-0026): an invoice of
// this node for a span of a track, and a macaroon whose identifier carries the invoice's
// payment hash. Paying the invoice from a wallet reveals the preimage; the player then sends
// `Authorization: L402 <macaroon>:<preimage>`, which the node checks from the request alone:
// the macaroon's HMAC chain from a root key derived from the node's secret and the token id,
// its caveats, and sha256(preimage) against the identifier's payment hash.
//
// Everything is derived from one 32-byte secret (money_metered_keys) and the token id, so an
// invoice, its preimage and its macaroon can be made again from the invoice alone: nothing is
// stored until a purchase is paid.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as macaroon from 'macaroon';

/** What one purchase buys: a span of segments of a track in some renditions, until an expiry. */
export interface SpanTerms {
  /** 32 random bytes, hex: the invoice's id and the macaroon's token id. */
  tokenId: string;
  trackId: string;
  /** The renditions covered: the one asked for and every cheaper one. */
  renditions: string[];
  /** Segment indices, inclusive. */
  from: number;
  to: number;
  amount: number;
  currency: string;
  /** Who is paid: the local owner's user id, or a remote track's channel actor URI. */
  payee: string;
  /** Unix seconds: the invoice may be paid until then. */
  payBy: number;
  /** Unix seconds: the credential works until then. */
  expires: number;
  /** Only this user may pay the invoice (an offer at a subscriber's discount); absent: anyone. */
  payer?: string;
}

/** What a valid credential allows, as its caveats say (several caveats of a kind narrow each other). */
export interface Grant {
  tokenId: string;
  trackId: string;
  renditions: Set<string>;
  from: number;
  to: number;
  expires: number;
}

export type CredentialError = 'malformed' | 'forged' | 'wrong_preimage';

const INVOICE_PREFIX = '9ten1';
/** The longest Authorization value checked, and the most caveats a credential may carry (5 made, the rest a holder's narrowing). */
const MAX_CREDENTIAL_CHARS = 4096;
const MAX_CAVEATS = 16;
const IDENTIFIER_VERSION = 0;
/** The caveat names, in the 9ten namespace. */
const CAVEATS = ['9ten_track', '9ten_renditions', '9ten_segments', '9ten_expires', '9ten_amount'] as const;

const b64url = (b: Buffer | Uint8Array) => Buffer.from(b).toString('base64url');

/**
 * The v2 binary form of a macaroon with first-party caveats only. macaroon 3.0.4's own
 * exportBinary grows its buffer twofold on every field (its capacity check reads a property
 * that does not exist) and runs out of memory past a few caveats; its import is sound and is
 * what reads these back. Layout: version 2; [location] identifier EOS; per caveat: identifier
 * EOS; EOS; signature. A field is its type, a uvarint length and the bytes.
 */
function macaroonV2(location: string, identifier: Buffer, caveats: string[], signature: Uint8Array): Buffer {
  const parts: Buffer[] = [Buffer.from([2])];
  const uvarint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  const field = (type: number, data?: Buffer) => {
    parts.push(Buffer.from([type]));
    if (data) parts.push(uvarint(data.length), data);
  };
  const EOS = 0;
  const LOCATION = 1;
  const IDENTIFIER = 2;
  const SIGNATURE = 6;
  field(LOCATION, Buffer.from(location));
  field(IDENTIFIER, identifier);
  field(EOS);
  for (const c of caveats) {
    field(IDENTIFIER, Buffer.from(c));
    field(EOS);
  }
  field(EOS);
  field(SIGNATURE, Buffer.from(signature));
  return Buffer.concat(parts);
}

/**
 * A narrower copy of a macaroon (base64): the holder adds a first-party caveat, for example
 * `9ten_expires=<unix seconds>` or `9ten_segments=0-3`, before handing it on. No key is needed.
 */
export function attenuate(macaroonBase64: string, caveat: string): string {
  const m = macaroon.importMacaroon(macaroonBase64);
  if (m.caveats.some((c) => c.vid)) throw new Error('only macaroons with first-party caveats are supported');
  const caveats = m.caveats.map((c) => Buffer.from(c.identifier).toString('utf8'));
  m.addFirstPartyCaveat(caveat);
  return macaroonV2(m.location, Buffer.from(m.identifier), [...caveats, caveat], m.signature).toString('base64');
}

export class L402 {
  constructor(
    private readonly secret: Buffer,
    /** Where the macaroon is for (the node's public URL). */
    private readonly location: string,
  ) {}

  private derive(purpose: string, tokenId: string): Buffer {
    return createHmac('sha256', this.secret).update(`${purpose}\0${tokenId}`).digest();
  }

  newTokenId(): string {
    return randomBytes(32).toString('hex');
  }

  preimage(tokenId: string): Buffer {
    return this.derive('preimage', tokenId);
  }

  paymentHash(tokenId: string): Buffer {
    return createHash('sha256').update(this.preimage(tokenId)).digest();
  }

  /** The invoice: the terms, readable by anyone, signed with the node's secret. */
  invoice(terms: SpanTerms): string {
    const payload = b64url(Buffer.from(JSON.stringify({ v: 1, ...terms, paymentHash: this.paymentHash(terms.tokenId).toString('hex') })));
    return `${INVOICE_PREFIX}${payload}.${b64url(this.derive('invoice', payload))}`;
  }

  /** The terms of an invoice this node made, or undefined (not one, or altered). */
  readInvoice(invoice: string): SpanTerms | undefined {
    if (typeof invoice !== 'string' || invoice.length > 4096 || !invoice.startsWith(INVOICE_PREFIX)) return undefined;
    const [payload, sig, extra] = invoice.slice(INVOICE_PREFIX.length).split('.');
    if (!payload || !sig || extra !== undefined) return undefined;
    const expected = this.derive('invoice', payload);
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const { v, paymentHash: _hash, ...terms } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SpanTerms & { v: number; paymentHash: string };
      return v === 1 ? terms : undefined;
    } catch {
      return undefined;
    }
  }

  /** The macaroon of a span (base64), the same every time for the same terms. */
  macaroon(terms: SpanTerms): string {
    const identifier = Buffer.alloc(66);
    identifier.writeUInt16BE(IDENTIFIER_VERSION, 0);
    this.paymentHash(terms.tokenId).copy(identifier, 2);
    Buffer.from(terms.tokenId, 'hex').copy(identifier, 34);
    const m = macaroon.newMacaroon({ identifier, location: this.location, rootKey: this.derive('macaroon', terms.tokenId), version: 2 });
    const caveats = [
      `9ten_track=${terms.trackId}`,
      `9ten_renditions=${terms.renditions.join(',')}`,
      `9ten_segments=${terms.from}-${terms.to}`,
      `9ten_expires=${terms.expires}`,
      `9ten_amount=${terms.amount} ${terms.currency}`,
    ];
    for (const c of caveats) m.addFirstPartyCaveat(c);
    return macaroonV2(this.location, identifier, caveats, m.signature).toString('base64');
  }

  /** The WWW-Authenticate value of a 402 or 401 (bLIP-0026). */
  challenge(terms: SpanTerms): string {
    return `L402 macaroon="${this.macaroon(terms)}", invoice="${this.invoice(terms)}"`;
  }

  /**
   * Checks `L402 <macaroon>:<preimage>` (or `LSAT …`) and returns what it grants, or why not.
   * Holders may add caveats (attenuate); several of a kind narrow each other.
   */
  verify(authorization: string): Grant | CredentialError {
    // Ours are about 400 characters with 5 caveats: anything far larger is refused before any HMAC.
    if (authorization.length > MAX_CREDENTIAL_CHARS) return 'malformed';
    const m = /^(?:L402|LSAT) ([A-Za-z0-9+/=_-]+):([0-9a-fA-F]{64})$/i.exec(authorization.trim());
    if (!m) return 'malformed';
    let mac: macaroon.Macaroon;
    try {
      mac = macaroon.importMacaroon(m[1]);
    } catch {
      return 'malformed';
    }
    if (mac.caveats.length > MAX_CAVEATS) return 'malformed';
    const id = Buffer.from(mac.identifier);
    if (id.length !== 66 || id.readUInt16BE(0) !== IDENTIFIER_VERSION) return 'malformed';
    const tokenId = id.subarray(34).toString('hex');
    const grant: Grant = { tokenId, trackId: '', renditions: new Set(), from: 0, to: Number.MAX_SAFE_INTEGER, expires: Number.MAX_SAFE_INTEGER };
    let renditions: Set<string> | undefined;
    let tracks = 0;
    const check = (condition: string): string | null => {
      const eq = condition.indexOf('=');
      if (eq <= 0) return 'not a name=value caveat';
      const name = condition.slice(0, eq);
      const value = condition.slice(eq + 1);
      switch (name as (typeof CAVEATS)[number]) {
        case '9ten_track':
          if (tracks++ && value !== grant.trackId) return 'two tracks';
          grant.trackId = value;
          return null;
        case '9ten_renditions': {
          const these = new Set(value.split(','));
          renditions = renditions ? new Set([...renditions].filter((r) => these.has(r))) : these;
          return null;
        }
        case '9ten_segments': {
          const s = /^(\d{1,9})-(\d{1,9})$/.exec(value);
          if (!s) return 'bad segments';
          grant.from = Math.max(grant.from, Number(s[1]));
          grant.to = Math.min(grant.to, Number(s[2]));
          return null;
        }
        case '9ten_expires':
          if (!/^\d{1,12}$/.test(value)) return 'bad expiry';
          grant.expires = Math.min(grant.expires, Number(value));
          return null;
        case '9ten_amount':
          return null;
        default:
          return `unknown caveat ${name}`;
      }
    };
    try {
      mac.verify(this.derive('macaroon', tokenId), check);
    } catch {
      return 'forged';
    }
    if (!tracks || !renditions || grant.expires === Number.MAX_SAFE_INTEGER) return 'forged';
    grant.renditions = renditions;
    const preimage = Buffer.from(m[2], 'hex');
    if (!timingSafeEqual(createHash('sha256').update(preimage).digest(), id.subarray(2, 34))) return 'wrong_preimage';
    return grant;
  }
}
