// What other capabilities may ask of notifications: sending mail (accounts' mail port).
// Notifications themselves arrive as the `user.notify` domain event (server/events.ts).
import type { MailPort } from '../accounts/contract.js';

export type NotificationsApi = MailPort;
