// The chaincode stub of the embedded engine: the subset of fabric-shim's ChaincodeStub
// the contracts use, simulating a transaction against committed world state. Like a
// Fabric peer it records a read set (key versions, range results) and a write set, and
// a transaction does not see its own uncommitted writes.
import { createHash } from 'node:crypto';
import { LedgerError, type LedgerIdentity } from './types.js';

export const PUBLIC = ''; // the collection name of public world state
const NS = '\u0000';
const MAX_RUNE = '\u{10FFFF}';
const EMPTY_KEY_SUBSTITUTE = '\u0001';

export interface VersionedValue {
  key: Buffer;
  value: Buffer;
  version: number;
}

/** Reads committed world state (implemented by the embedded engine on Postgres). */
export interface StateReader {
  get(collection: string, key: Buffer): Promise<VersionedValue | undefined>;
  /** Keys in [start, end) (end null: unbounded), ordered by key bytes, after `after` if set. */
  range(collection: string, start: Buffer, end: Buffer | null, after: Buffer | null, limit: number): Promise<VersionedValue[]>;
}

export interface RangeRead {
  collection: string;
  start: Buffer;
  end: Buffer | null;
  /** What the transaction iterated: keys and versions, in order. */
  seen: { key: Buffer; version: number }[];
  exhausted: boolean;
}

export interface WriteEntry {
  collection: string;
  key: Buffer;
  /** null: delete. */
  value: Buffer | null;
}

export interface ChaincodeEvent {
  name: string;
  payload: Buffer;
}

const entryKey = (collection: string, key: Buffer) => `${collection}\u0000${key.toString('hex')}`;

/** A minimal google.protobuf.Timestamp whose `seconds` behaves like a Long and a number. */
function timestampOf(date: Date) {
  const ms = date.getTime();
  const secs = Math.floor(ms / 1000);
  const seconds = {
    low: secs | 0,
    high: Math.floor(secs / 2 ** 32),
    unsigned: false,
    toNumber: () => secs,
    toInt: () => secs,
    toString: () => String(secs),
    valueOf: () => secs,
    toJSON: () => secs,
  };
  return { seconds, nanos: (ms % 1000) * 1_000_000 };
}

export interface KV {
  key: string;
  value: Buffer;
}

/** Fabric's StateQueryIterator shape: next()/close() and `for await`. */
export class StateQueryIterator {
  private buffer: VersionedValue[] = [];
  private last: Buffer | null = null;
  private done = false;
  private closed = false;

  constructor(
    private readonly reader: StateReader,
    private readonly read: RangeRead,
    private readonly pageSize = 2000,
  ) {}

  async next(): Promise<{ value: KV; done: false } | { value: undefined; done: true }> {
    if (this.closed) return { value: undefined, done: true };
    if (!this.buffer.length && !this.done) {
      this.buffer = await this.reader.range(this.read.collection, this.read.start, this.read.end, this.last, this.pageSize);
      if (this.buffer.length < this.pageSize) this.done = true;
    }
    const row = this.buffer.shift();
    if (!row) {
      this.read.exhausted = true;
      return { value: undefined, done: true };
    }
    this.last = row.key;
    this.read.seen.push({ key: row.key, version: row.version });
    return { value: { key: row.key.toString('utf8'), value: row.value }, done: false };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<KV> {
    try {
      for (;;) {
        const r = await this.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await this.close();
    }
  }
}

/** A promise of an iterator that is also async-iterable, as fabric-shim returns. */
function iterable(p: Promise<StateQueryIterator>): Promise<StateQueryIterator> & AsyncIterable<KV> {
  return Object.assign(p, {
    async *[Symbol.asyncIterator]() {
      yield* await p;
    },
  });
}

export class ClientIdentity {
  constructor(private readonly identity: LedgerIdentity) {}
  getMSPID(): string {
    return this.identity.mspId;
  }
  /** Fabric's format: `x509::<subject>::<issuer>`; the subject's CN is the node id. */
  getID(): string {
    return `x509::/CN=${this.identity.nodeId}::/CN=ca.${this.identity.mspId}`;
  }
  getAttributeValue(): string | null {
    return null;
  }
  assertAttributeValue(): boolean {
    return false;
  }
}

export interface SimulationInput {
  txId: string;
  channel: string;
  timestamp: Date;
  identity: LedgerIdentity;
  transient: Record<string, string>;
  /** Writes throw (a read-only function called for submit). */
  forbidWrites: boolean;
}

export class SimulationStub {
  readonly reads = new Map<string, { collection: string; key: Buffer; version: number | null }>();
  readonly ranges: RangeRead[] = [];
  readonly writes = new Map<string, WriteEntry>();
  readonly events: ChaincodeEvent[] = [];
  private transientMap: Map<string, Buffer>;

  constructor(
    private readonly reader: StateReader,
    private readonly input: SimulationInput,
  ) {
    this.transientMap = new Map(Object.entries(input.transient).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
  }

  private keyBuf(key: string): Buffer {
    if (typeof key !== 'string' || key.length === 0) throw new LedgerError('chaincode', 'key must not be an empty string');
    return Buffer.from(key, 'utf8');
  }

  private async readKey(collection: string, key: string): Promise<Buffer> {
    const k = this.keyBuf(key);
    const row = await this.reader.get(collection, k);
    const id = entryKey(collection, k);
    if (!this.reads.has(id)) this.reads.set(id, { collection, key: k, version: row?.version ?? null });
    return row ? row.value : Buffer.alloc(0);
  }

  private write(collection: string, key: string, value: Buffer | null): void {
    if (this.input.forbidWrites) throw new LedgerError('read_only_write', `a read-only transaction tried to write ${JSON.stringify(key)}`);
    const k = this.keyBuf(key);
    this.writes.set(entryKey(collection, k), { collection, key: k, value });
  }

  private rangeOf(collection: string, startKey: string, endKey: string | null): Promise<StateQueryIterator> {
    const read: RangeRead = {
      collection,
      start: Buffer.from(startKey, 'utf8'),
      end: endKey ? Buffer.from(endKey, 'utf8') : null,
      seen: [],
      exhausted: false,
    };
    this.ranges.push(read);
    return Promise.resolve(new StateQueryIterator(this.reader, read));
  }

  getState(key: string): Promise<Buffer> {
    return this.readKey(PUBLIC, key);
  }
  async putState(key: string, value: Uint8Array): Promise<void> {
    this.write(PUBLIC, key, Buffer.from(value));
  }
  async deleteState(key: string): Promise<void> {
    this.write(PUBLIC, key, null);
  }
  getStateByRange(startKey: string, endKey: string) {
    return iterable(this.rangeOf(PUBLIC, startKey || EMPTY_KEY_SUBSTITUTE, endKey || null));
  }
  getStateByPartialCompositeKey(objectType: string, attributes: string[]) {
    const partial = this.createCompositeKey(objectType, attributes);
    return iterable(this.rangeOf(PUBLIC, partial, partial + MAX_RUNE));
  }
  createCompositeKey(objectType: string, attributes: string[]): string {
    return NS + objectType + NS + attributes.map((a) => a + NS).join('');
  }
  splitCompositeKey(compositeKey: string): { objectType: string | null; attributes: string[] } {
    const result: { objectType: string | null; attributes: string[] } = { objectType: null, attributes: [] };
    if (compositeKey && compositeKey.length > 1 && compositeKey.charAt(0) === NS) {
      const split = compositeKey.substring(1).split(NS);
      if (split[0]) {
        result.objectType = split[0];
        split.pop();
        if (split.length > 1) {
          split.shift();
          result.attributes = split;
        }
      }
    }
    return result;
  }
  getPrivateData(collection: string, key: string): Promise<Buffer> {
    return this.readKey(`private:${collection}`, key);
  }
  async putPrivateData(collection: string, key: string, value: Uint8Array): Promise<void> {
    this.write(`private:${collection}`, key, Buffer.from(value));
  }
  async deletePrivateData(collection: string, key: string): Promise<void> {
    this.write(`private:${collection}`, key, null);
  }
  getPrivateDataByPartialCompositeKey(collection: string, objectType: string, attributes: string[]) {
    const partial = this.createCompositeKey(objectType, attributes);
    return iterable(this.rangeOf(`private:${collection}`, partial, partial + MAX_RUNE));
  }
  getPrivateDataByRange(collection: string, startKey: string, endKey: string) {
    return iterable(this.rangeOf(`private:${collection}`, startKey || EMPTY_KEY_SUBSTITUTE, endKey || null));
  }
  getTransient(): Map<string, Buffer> {
    return this.transientMap;
  }
  getTxID(): string {
    return this.input.txId;
  }
  getChannelID(): string {
    return this.input.channel;
  }
  getTxTimestamp() {
    return timestampOf(this.input.timestamp);
  }
  getDateTimestamp(): Date {
    return new Date(this.input.timestamp);
  }
  getCreator() {
    return { mspid: this.input.identity.mspId, idBytes: Buffer.from(this.input.identity.nodeId) };
  }
  setEvent(name: string, payload: Uint8Array): void {
    if (!name) throw new LedgerError('chaincode', 'event name must not be empty');
    this.events.push({ name, payload: Buffer.from(payload ?? []) });
  }
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
