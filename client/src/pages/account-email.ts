// (Skeleton: filled in by issue 17's work.)
import type { PageContext } from '../router.js';
export function verifyEmailPage({ main }: PageContext): void { main.textContent = 'Not yet'; }
export function forgotPasswordPage({ main }: PageContext): void { main.textContent = 'Not yet'; }
export function resetPasswordPage({ main }: PageContext): void { main.textContent = 'Not yet'; }
