// (Skeleton: filled in by issue 17's work.)
import type { PageContext } from '../router.js';
export function moderationQueuePage({ main }: PageContext): void { main.textContent = 'Not yet'; }
export function moderationLogPage({ main }: PageContext): void { main.textContent = 'Not yet'; }
