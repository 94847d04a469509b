// The node's capabilities, in the order they initialise (a capability may use the
// services of those before it).
import type { Capability } from './context.js';
import { accountsCapability } from './accounts/index.js';
import { ledgerCapability } from './ledger/index.js';
import { moneyCapability } from './money/index.js';
import { mediaCapability } from './media/index.js';
import { listeningCapability } from './listening/index.js';
import { federationCapability } from './federation/index.js';
import { disputesCapability } from './disputes/index.js';
import { liveCapability } from './live/index.js';
import { appsCapability } from './apps/index.js';
import { feedsCapability } from './feeds/index.js';
import { moderationCapability } from './moderation/index.js';
import { notificationsCapability } from './notifications/index.js';

export const capabilities: Capability[] = [
  accountsCapability,
  ledgerCapability,
  moneyCapability,
  mediaCapability,
  listeningCapability,
  federationCapability,
  disputesCapability,
  liveCapability,
  appsCapability,
  feedsCapability,
  moderationCapability,
  notificationsCapability,
];
