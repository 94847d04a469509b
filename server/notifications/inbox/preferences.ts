// What each kind of notification does for a user who never changed it: every kind shows in
// the app; mail for what concerns the user's account, money or standing, not for the news of
// the channels they follow (a busy artist would fill the mailbox; PeerTube keeps those to the
// web by default too). See docs/notifications.md.
import { z } from 'zod';
import { notificationKinds, type NotificationKind } from '../../events.js';

export interface Channels {
  web: boolean;
  email: boolean;
}

export type Preferences = Record<NotificationKind, Channels>;

export const defaultPreferences: Readonly<Preferences> = {
  follower: { web: true, email: true },
  'new-track': { web: true, email: false },
  tip: { web: true, email: true },
  payout: { web: true, email: true },
  dispute: { web: true, email: true },
  live: { web: true, email: false },
  report: { web: true, email: true },
  account: { web: true, email: true },
};

/** A user's stored choices over the defaults. */
export function withDefaults(stored: { kind: string; web: boolean; email: boolean }[]): Preferences {
  const prefs = Object.fromEntries(notificationKinds.map((k) => [k, { ...defaultPreferences[k] }])) as Preferences;
  for (const s of stored) if (s.kind in prefs) prefs[s.kind as NotificationKind] = { web: s.web, email: s.email };
  return prefs;
}

/** A change to some kinds: each named kind with one or both of its channels. */
export const preferencesChangeSchema = z.object({
  settings: z.partialRecord(z.enum(notificationKinds), z.object({ web: z.boolean().optional(), email: z.boolean().optional() }).strict()),
}).strict();

export type PreferencesChange = z.infer<typeof preferencesChangeSchema>;
