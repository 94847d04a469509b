// The texts of the mails accounts sends: address verification, password reset, and the notice
// to the old address when an account's address changes. Plain text first, a simple HTML twin.
import type { LinkMailKind, OutgoingMail } from './contract.js';

export interface NodeIdentity {
  nodeName: string;
  publicUrl: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const inWords = (seconds: number) =>
  seconds % 86_400 === 0 ? `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}` : seconds % 3600 === 0 ? `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}` : `${Math.round(seconds / 60)} minutes`;

/** A mail of paragraphs and at most one link (a button in the HTML twin). */
function compose(node: NodeIdentity, to: string, kind: string, subject: string, paragraphs: string[], link?: { url: string; label: string }): OutgoingMail {
  const footer = `${node.nodeName} · ${node.publicUrl}`;
  const text = [...paragraphs.slice(0, 1), ...(link ? [link.url] : []), ...paragraphs.slice(1), '--', footer].join('\n\n') + '\n';
  const html = [
    `<p>${escapeHtml(paragraphs[0])}</p>`,
    link ? `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p><p style="color:#666;font-size:small">${escapeHtml(link.url)}</p>` : '',
    ...paragraphs.slice(1).map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p style="color:#666;font-size:small">${escapeHtml(footer)}</p>`,
  ].join('\n');
  return { to, kind, subject, text, html };
}

/** A mail whose point is one single-use link to a page of the web app (…/page?token=…). */
const linkMail = (node: NodeIdentity, to: string, kind: LinkMailKind, subject: string, paragraphs: string[], link: { page: string; token: string; label: string }) =>
  compose(node, to, kind, subject, paragraphs, { url: `${node.publicUrl}/${link.page}?token=${encodeURIComponent(link.token)}`, label: link.label });

export function verificationMail(node: NodeIdentity, to: string, username: string, token: string, lifetimeSeconds: number): OutgoingMail {
  return linkMail(node, to, 'verify-email', `Confirm your e-mail address on ${node.nodeName}`, [
    `Hello ${username}, please confirm that ${to} is your address on ${node.nodeName} by opening this link:`,
    `The link works once, for ${inWords(lifetimeSeconds)}.`,
    'If you did not sign up or change your address, ignore this mail: nothing changes.',
  ], { page: 'verify-email', token, label: 'Confirm my address' });
}

export function passwordResetMail(node: NodeIdentity, to: string, username: string, token: string, lifetimeSeconds: number): OutgoingMail {
  return linkMail(node, to, 'password-reset', `Reset your password on ${node.nodeName}`, [
    `Hello ${username}, someone (we hope you) asked to reset the password of your account on ${node.nodeName}. To choose a new one, open this link:`,
    `The link works once, for ${inWords(lifetimeSeconds)}. Setting a new password signs you out everywhere, and the API keys of your apps stop working.`,
    'If you did not ask for this, ignore this mail: your password stays as it is.',
  ], { page: 'reset-password', token, label: 'Choose a new password' });
}

export function addressChangedMail(node: NodeIdentity, to: string, username: string, newAddress: string): OutgoingMail {
  return compose(node, to, 'email-changed', `Your e-mail address on ${node.nodeName} is changing`, [
    `Hello ${username}, the e-mail address of your account on ${node.nodeName} is being changed from ${to} to ${newAddress}.`,
    'If you did not do this, change your password and tell the node\'s admins.',
  ]);
}
