// Loads the chaincode's contract classes (built by tsc to CommonJS) and dispatches
// `Contract:function` calls to them the way fabric-contract-api does: only decorated
// transactions are callable, `@Transaction(false)` marks a read-only one, and string
// arguments are converted by the parameter schema the decorators recorded.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, quietChaincodeLogging } from '../config/index.js';
import { LedgerError } from './types.js';

quietChaincodeLogging();

const require = createRequire(import.meta.url);

export const defaultContractsPath = path.join(projectRoot, 'chaincode/dist/index.js');

interface ParamMeta {
  name?: string;
  schema?: { type?: string; $ref?: string };
}
interface TxMeta {
  name: string;
  tag?: string[];
  parameters?: ParamMeta[];
}

export interface ContractInstance {
  getName?(): string;
  createContext(): ChaincodeContext;
  beforeTransaction?(ctx: ChaincodeContext): Promise<void>;
  afterTransaction?(ctx: ChaincodeContext, result: unknown): Promise<void>;
  unknownTransaction?(ctx: ChaincodeContext): Promise<void>;
  [fn: string]: unknown;
}

export interface ChaincodeContext {
  stub: unknown;
  clientIdentity: unknown;
  setChaincodeStub?(stub: unknown): void;
  setClientIdentity?(ci: unknown): void;
}

type ContractClass = new () => ContractInstance;

export interface ResolvedTransaction {
  contract: ContractInstance;
  contractName: string;
  method: string;
  readOnly: boolean;
  params: ParamMeta[];
}

export class ContractSet {
  private byName = new Map<string, { instance: ContractInstance; txs: Map<string, TxMeta> }>();
  readonly defaultName: string;

  constructor(classes: ContractClass[]) {
    if (!classes.length) throw new Error('no contract classes');
    for (const C of classes) {
      const instance = new C();
      const name = typeof instance.getName === 'function' ? instance.getName() : C.name;
      const meta = ((Reflect as unknown as { getMetadata(k: string, t: object): TxMeta[] | undefined }).getMetadata?.('fabric:transactions', C.prototype) ?? []) as TxMeta[];
      this.byName.set(name, { instance, txs: new Map(meta.map((m) => [m.name, m])) });
    }
    this.defaultName = [...this.byName.keys()][0];
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(fn: string): boolean {
    try {
      this.resolve(fn);
      return true;
    } catch {
      return false;
    }
  }

  /** `Contract:function` (or a bare function of the first contract) to the class method. */
  resolve(fn: string): ResolvedTransaction {
    const i = fn.indexOf(':');
    const contractName = i >= 0 ? fn.slice(0, i) : this.defaultName;
    const method = i >= 0 ? fn.slice(i + 1) : fn;
    const entry = this.byName.get(contractName);
    const tx = entry?.txs.get(method);
    if (!entry || !tx || typeof entry.instance[method] !== 'function') {
      throw new LedgerError('unknown_function', `You've asked to invoke a function that does not exist: ${fn}`);
    }
    return { contract: entry.instance, contractName, method, readOnly: !(tx.tag ?? []).includes('SUBMIT'), params: tx.parameters ?? [] };
  }
}

/** Converts string arguments the way fabric-contract-api's JSON serializer does. */
export function convertArgs(params: ParamMeta[], args: string[]): unknown[] {
  return args.map((raw, i) => {
    const type = params[i]?.schema?.type;
    if (type === undefined || type === 'string') return raw;
    if (type === 'number' || type === 'integer') {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw new LedgerError('chaincode', `Argument ${i} (${params[i]?.name}) must be a number`);
      return n;
    }
    if (type === 'boolean') return raw === 'true';
    try {
      return JSON.parse(raw);
    } catch {
      throw new LedgerError('chaincode', `Argument ${i} (${params[i]?.name}) must be JSON`);
    }
  });
}

/** Encodes a contract's return value to the bytes a peer would return. */
export function encodeResult(value: unknown): Buffer {
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(JSON.stringify(value), 'utf8');
}

const cache = new Map<string, ContractSet>();

/** Loads `contracts` from a CommonJS module (the chaincode's dist, or a test fixture). */
export function loadContracts(modulePath: string = defaultContractsPath): ContractSet {
  const abs = path.resolve(modulePath);
  let set = cache.get(abs);
  if (!set) {
    if (!existsSync(abs)) throw new Error(`chaincode not built: ${abs} (run tsc -p chaincode/tsconfig.json)`);
    const mod = require(abs) as { contracts?: ContractClass[] };
    if (!Array.isArray(mod.contracts)) throw new Error(`${abs} does not export contracts`);
    set = new ContractSet(mod.contracts);
    cache.set(abs, set);
  }
  return set;
}

/** Whether the real chaincode is built (the node joins the registry only then). */
export function chaincodeBuilt(): boolean {
  return existsSync(defaultContractsPath);
}
