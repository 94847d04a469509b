// (Skeleton: filled in by issue 17's work.)
import type { PageContext } from '../router.js';
export function notificationsPage({ main }: PageContext): void { main.textContent = 'Not yet'; }
export function notificationSettingsPage({ main }: PageContext): void { main.textContent = 'Not yet'; }
