// Fabric's block hashes, as hyperledger/fabric protoutil computes them: a block's data hash
// covers its transactions, and each block names the header hash of the block before it.
// Used to verify the chain read from a peer, and by the test stand-in peer to cut blocks.
import { createHash } from 'node:crypto';

export interface BlockHeaderFields {
  number: number | bigint;
  previousHash: Uint8Array;
  dataHash: Uint8Array;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const octets: number[] = [];
  for (let v = length; v > 0; v = Math.floor(v / 256)) octets.unshift(v & 0xff);
  return Buffer.from([0x80 | octets.length, ...octets]);
}

const derElement = (tag: number, content: Uint8Array) => Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);

/** A non-negative INTEGER: big-endian, minimal, with a 0x00 in front when the top bit is set (two's complement). */
function derUnsignedInteger(value: bigint): Buffer {
  if (value < 0n) throw new RangeError('block numbers are unsigned');
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const magnitude = Buffer.from(hex, 'hex');
  return derElement(0x02, magnitude[0] & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);
}

/**
 * protoutil.BlockHeaderBytes: the ASN.1 DER encoding of
 * SEQUENCE { number INTEGER, previousHash OCTET STRING, dataHash OCTET STRING }
 * (Go's asn1.Marshal of a struct with a *big.Int and two []byte).
 */
export function blockHeaderBytes(header: BlockHeaderFields): Buffer {
  return derElement(
    0x30,
    Buffer.concat([derUnsignedInteger(BigInt(header.number)), derElement(0x04, header.previousHash), derElement(0x04, header.dataHash)]),
  );
}

/** protoutil.BlockHeaderHash: what the next block's previous_hash must be. */
export function blockHeaderHash(header: BlockHeaderFields): Buffer {
  return sha256(blockHeaderBytes(header));
}

/** protoutil.BlockDataHash: SHA-256 over the block's data entries (the envelopes' bytes) concatenated. */
export function blockDataHash(data: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const entry of data) hash.update(entry);
  return hash.digest();
}
