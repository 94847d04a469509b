// Shared steps for the federation tests: several real nodes on loopback, waiting for
// what crossed, and signing raw inbox posts as a real actor of another node.
import { signRequest } from '@fedify/fedify/sig';
import { startTestNode, type TestNode, type TestNodeOptions } from '../helpers/node.js';
import { federationService } from '../../server/federation/index.js';

export async function startNodes(names: string[], options: Omit<TestNodeOptions, 'name'> = {}): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (const name of names) nodes.push(await startTestNode({ ...options, name }));
  return nodes;
}

export { waitFor } from '../helpers/wait.js';

export const hostOf = (node: TestNode) => new URL(node.ctx.config.publicUrl).host;

export interface SignedPostOptions {
  /** Sign this body but send another (digest mismatch). */
  sendBody?: string;
  /** Override the Date header before signing (replay outside the window). */
  date?: Date;
  contentType?: string;
}

/** Builds a signed POST exactly as a remote server would, signed by a real local actor of `signer`. */
export async function signedRequest(signer: TestNode, actorUri: string, inbox: string, body: string, opts: SignedPostOptions = {}): Promise<Request> {
  // A user's actor and keys are made in the background after sign-up: make sure they exist (as sending does).
  const actors = federationService(signer.ctx).actors;
  if (!(await actors.resolveUri(actorUri))) throw new Error(`${actorUri} is no local actor of ${signer.name}`);
  const { privateKey, keyId } = await actors.signer(actorUri);
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/activity+json' };
  if (opts.date) headers.date = opts.date.toUTCString();
  const req = new Request(inbox, { method: 'POST', headers, body });
  const signed = await signRequest(req, privateKey, keyId);
  if (opts.sendBody === undefined) return signed;
  return new Request(inbox, { method: 'POST', headers: signed.headers, body: opts.sendBody });
}

export async function post(req: Request): Promise<{ status: number; text: string }> {
  const res = await fetch(req);
  return { status: res.status, text: await res.text() };
}

/** Counts rows of a table on a node (what changed, or did not). */
export async function count(node: TestNode, table: string, where = 'true'): Promise<number> {
  const [rows] = await node.ctx.db.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`);
  return Number((rows as { n: string }[])[0].n);
}
