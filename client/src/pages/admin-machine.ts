// (Skeleton: filled in by issue 17's work.)
import type { PageContext } from '../router.js';
export function adminMachinePage({ main }: PageContext): void { main.textContent = 'Not yet'; }
