// Test world for the chaincode: the BUILT contracts (chaincode/dist, compiled by tsc with decorator
// metadata) run against fabric-shim's ChaincodeStub stubbed by sinon over an in-memory world state.
// It behaves like a Fabric peer for the methods the contracts use: reads see committed state
// only, writes commit when the transaction function returns, a refused transaction (thrown
// Error) commits nothing, and no write follows a range query on private data. The contracts are
// also run on a real Fabric network by `npm run test:fabric` (test-fabric/).
import { createRequire } from 'node:module';
import { artistTotalsOf } from '../../shared/money/index.js';

process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'error';
const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
// sinon ships no types here (no @types/sinon installed): load it untyped.
const sinon: Any = require('sinon');
const shim: Any = require('fabric-shim');
const api: Any = require('fabric-contract-api');
export const chaincode: Any = require('../../chaincode/dist/index.js');

const MAX_RUNE = '\u{10FFFF}';

export interface Write {
  tx: string;
  op: 'put' | 'delete';
  collection: string;
  key: string;
  value: string;
}

export class RefusedError extends Error {}

export class World {
  readonly state = new Map<string, Uint8Array>();
  readonly privateState = new Map<string, Map<string, Uint8Array>>();
  readonly writes: Write[] = [];
  readonly events: { tx: string; name: string; payload: unknown }[] = [];
  /** Transaction time in ms since the epoch; tests move it forward. */
  now = Date.UTC(2026, 10, 2, 12, 0, 0);
  /** Engines may iterate in another native order; the contracts must not depend on it. */
  iteratorOrder: 'ascending' | 'descending' = 'ascending';
  private txSeq = 0;
  readonly contracts: Record<string, Any> = {};

  constructor() {
    for (const C of chaincode.contracts as Any[]) {
      const instance = new C();
      this.contracts[instance.getName()] = instance;
    }
  }

  private collection(name: string): Map<string, Uint8Array> {
    let c = this.privateState.get(name);
    if (!c) {
      c = new Map();
      this.privateState.set(name, c);
    }
    return c;
  }

  private iterator(source: Map<string, Uint8Array>, prefix: string): Any {
    const rows = [...source.entries()]
      .filter(([k]) => k >= prefix && k < prefix + MAX_RUNE)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (this.iteratorOrder === 'descending') rows.reverse();
    let i = 0;
    const it = {
      next: async () => (i < rows.length ? { value: { key: rows[i][0], value: Buffer.from(rows[i++][1]) }, done: false } : { done: true }),
      close: sinon.spy(async () => {}),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Builds a Context whose stub is a sinon stub instance of fabric-shim's ChaincodeStub. */
  context(msp: string, transient: Record<string, string> = {}): { ctx: Any; commit: () => void; stub: Any } {
    const txId = `tx${String(++this.txSeq).padStart(4, '0')}`;
    const pending: Write[] = [];
    // A Fabric peer refuses any write after a range query on private data (such a read cannot
    // be re-validated at commit): "Transaction has already performed queries on pvt data".
    let privateRangeRead = false;
    const writable = () => {
      if (privateRangeRead) throw new Error(`txid [${txId}]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed`);
    };
    const stub = sinon.createStubInstance(shim.ChaincodeStub) as Any;
    const real = shim.ChaincodeStub.prototype;
    stub.createCompositeKey.callsFake((t: string, a: string[]) => real.createCompositeKey.call(stub, t, a));
    stub.splitCompositeKey.callsFake((k: string) => real.splitCompositeKey.call(stub, k));
    stub.getTxID.returns(txId);
    stub.getChannelID.returns('ninetenchannel');
    const seconds = Math.floor(this.now / 1000);
    stub.getTxTimestamp.returns({ seconds: { low: seconds, high: 0, unsigned: true, toNumber: () => seconds }, nanos: (this.now % 1000) * 1e6 });
    stub.getTransient.returns(new Map(Object.entries(transient).map(([k, v]) => [k, Buffer.from(v)])));
    stub.getState.callsFake(async (k: string) => Buffer.from(this.state.get(k) ?? new Uint8Array()));
    stub.putState.callsFake(async (k: string, v: Uint8Array) => {
      writable();
      pending.push({ tx: txId, op: 'put', collection: '', key: k, value: Buffer.from(v).toString('utf8') });
    });
    stub.deleteState.callsFake(async (k: string) => {
      writable();
      pending.push({ tx: txId, op: 'delete', collection: '', key: k, value: '' });
    });
    stub.getStateByPartialCompositeKey.callsFake((t: string, a: string[]) => Promise.resolve(this.iterator(this.state, real.createCompositeKey.call(stub, t, a))));
    stub.getStateByRange.callsFake((s: string, e: string) =>
      Promise.resolve(this.iterator(new Map([...this.state].filter(([k]) => k >= s && (!e || k < e))), s)),
    );
    stub.getPrivateData.callsFake(async (c: string, k: string) => Buffer.from(this.collection(c).get(k) ?? new Uint8Array()));
    stub.putPrivateData.callsFake(async (c: string, k: string, v: Uint8Array) => {
      writable();
      pending.push({ tx: txId, op: 'put', collection: c, key: k, value: Buffer.from(v).toString('utf8') });
    });
    stub.deletePrivateData.callsFake(async (c: string, k: string) => {
      writable();
      pending.push({ tx: txId, op: 'delete', collection: c, key: k, value: '' });
    });
    stub.getPrivateDataByPartialCompositeKey.callsFake((c: string, t: string, a: string[]) => {
      privateRangeRead = true;
      return Promise.resolve(this.iterator(this.collection(c), real.createCompositeKey.call(stub, t, a)));
    });
    stub.setEvent.callsFake((name: string, payload: Uint8Array) => {
      this.events.push({ tx: txId, name, payload: JSON.parse(Buffer.from(payload).toString('utf8')) });
    });

    const identity = sinon.createStubInstance(shim.ClientIdentity) as Any;
    identity.getMSPID.returns(msp);
    identity.getID.returns(`x509::/CN=admin/OU=client::/CN=ca.${msp}`);

    const ctx = new api.Context();
    ctx.stub = stub;
    ctx.clientIdentity = identity;
    const commit = () => {
      for (const w of pending) {
        const target = w.collection ? this.collection(w.collection) : this.state;
        if (w.op === 'put') target.set(w.key, Buffer.from(w.value, 'utf8'));
        else target.delete(w.key);
        this.writes.push(w);
      }
    };
    return { ctx, commit, stub };
  }

  /** Runs `Contract:fn(args)` as `msp`; commits on success and returns the parsed JSON result. */
  async invoke(msp: string, fcn: string, args: string[], transient: Record<string, string> = {}): Promise<Any> {
    const [contractName, fn] = fcn.split(':');
    const contract = this.contracts[contractName];
    if (!contract || typeof contract[fn] !== 'function') throw new Error(`no transaction ${fcn}`);
    const { ctx, commit } = this.context(msp, transient);
    const result: string = await contract[fn](ctx, ...args);
    commit();
    return JSON.parse(result);
  }

  /** Same as invoke with the single JSON argument most writes take. */
  async submit(msp: string, fcn: string, input: unknown, transient: Record<string, string> = {}): Promise<Any> {
    return this.invoke(msp, fcn, [JSON.stringify(input)], transient);
  }

  /** Every public and private value, serialized in key order (for byte-for-byte comparisons). */
  dump(): string {
    const lines: string[] = [];
    for (const [k, v] of [...this.state].sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`${JSON.stringify(k)}=${Buffer.from(v).toString('utf8')}`);
    for (const [c, m] of [...this.privateState].sort(([a], [b]) => (a < b ? -1 : 1))) {
      for (const [k, v] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`${c}:${JSON.stringify(k)}=${Buffer.from(v).toString('utf8')}`);
    }
    return lines.join('\n');
  }
}

// ---- fixtures ----

/** A test node's id and actor URL. */
export const nodeUri = (name: string): string => `https://${name}.example/actor`;

export interface NodeSpec {
  name: string;
  cluster: string;
  org: string;
}

/** A world with these nodes joined, each by its own organisation. */
export async function worldWithNodes(specs: NodeSpec[]): Promise<World> {
  const w = new World();
  for (const n of specs) await w.submit(n.org, 'NodeRegistryContract:join', { nodeId: nodeUri(n.name), actorUrl: nodeUri(n.name), cluster: n.cluster, organisation: n.org });
  return w;
}

export const ORG1 = 'Org1MSP';
export const ORG2 = 'Org2MSP';
export const ORG3 = 'Org3MSP';

export interface Row {
  pseudonym: string;
  artist: string;
  seconds: number;
  plays: number;
}

/** The public per-artist totals of a day's rows, as the node computes them. */
export const artistTotals = (rows: Row[]) => artistTotalsOf(rows);

/**
 * The transient map a close needs when credit rolls over: each pseudonym of the month mapped to
 * the same listener's pseudonym of the next month (here `<pseudonym>~next`, or as given).
 */
export function nextPseudonyms(pseudonyms: string[], to: (p: string) => string = (p) => `${p}~next`): Record<string, string> {
  return { nextPseudonyms: JSON.stringify(Object.fromEntries(pseudonyms.map((p) => [p, to(p)]))) };
}

/** Submits the day's report from `msp` with correct totals and hash (overridable). */
export async function submitDay(world: World, msp: string, nodeId: string, day: string, rows: Row[], extra: Record<string, unknown> = {}): Promise<Any> {
  return world.submit(
    msp,
    'ReportContract:submit',
    { nodeId, day, artistTotals: artistTotals(rows), hash: chaincode.reportRowsHash(rows), ...extra },
    { rows: JSON.stringify(rows) },
  );
}

export function monthDays(month: string): string[] {
  const [y, m] = month.split('-').map(Number);
  const n = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: n }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}
