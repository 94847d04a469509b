// Moderation's vocabulary: what can be reported, why, what moderators can do, and how a
// report ends. One list each; the routes' validation, the API description and the SQL checks
// (migration 1100) say the same.

export const targetKinds = ['track', 'channel', 'playlist', 'account'] as const;
export type TargetKind = (typeof targetKinds)[number];

/** Why something is reported (PeerTube's and Mastodon's reasons, folded together). */
export const categories = ['spam', 'abuse', 'illegal', 'copyright', 'sensitive', 'other'] as const;
export type Category = (typeof categories)[number];

/** What a moderator does about a report (forward leaves it as it is; the others close it). */
export const reportActions = ['dismiss', 'hide-track', 'suspend', 'silence', 'block-actor', 'block-domain', 'forward'] as const;
export type ReportAction = (typeof reportActions)[number];

/** How a report was closed. */
export const outcomes = ['dismiss', 'hide-track', 'suspend', 'silence', 'block-actor', 'block-domain'] as const;
export type Outcome = (typeof outcomes)[number];

/** Every action the moderation log records (the report actions, and lifting a measure). */
export const actions = ['dismiss', 'hide-track', 'unhide-track', 'suspend', 'unsuspend', 'silence', 'unsilence', 'block-actor', 'block-domain', 'forward'] as const;
export type Action = (typeof actions)[number];

/** What the reporter is told when their report is closed. */
export const outcomeText: Record<Outcome, string> = {
  dismiss: 'A moderator looked at it and took no action.',
  'hide-track': 'A moderator hid the track.',
  suspend: 'A moderator suspended the account.',
  silence: 'A moderator silenced the account: it can no longer publish.',
  'block-actor': 'A moderator blocked that account: this node no longer talks with it.',
  'block-domain': 'A moderator blocked that server: this node no longer talks with it.',
};
