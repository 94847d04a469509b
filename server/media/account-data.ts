// A user's media when their account is deleted or exported (issue 17, account lifecycle).
// (Skeleton: filled in by the account-lifecycle work.)
import type { NodeContext } from '../context.js';
import type { MediaService } from './service.js';
import type { Channel } from './model.js';

export async function channelsOwnedBy(_media: MediaService, _userId: string): Promise<Channel[]> {
  throw new Error('channelsOwnedBy: not implemented yet');
}

/** Registers media's part of deleting and exporting an account with accounts. */
export function registerMediaAccountData(_ctx: NodeContext, _media: MediaService): void {}
