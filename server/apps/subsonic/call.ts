// One Subsonic request, signed in: the user, their parameters and the HTTP exchange. A method
// answers the body of its envelope, or 'sent' when it wrote a file (stream, download, cover).
import type { Request, Response } from 'express';
import type { User } from '../../accounts/index.js';
import type { NodeContext } from '../../context.js';
import type { Body } from './envelope.js';
import type { Params } from './params.js';
import type { SubsonicLibrary } from './library.js';
import type { AppsStore } from '../store.js';

export interface Call {
  ctx: NodeContext;
  user: User;
  params: Params;
  req: Request;
  res: Response;
  /** The user's client name (`c`), for the play queue's changedBy. */
  client: string;
  library: SubsonicLibrary;
  store: AppsStore;
}

export type Method = (call: Call) => Promise<Body | 'sent'>;
