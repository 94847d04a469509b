// Turns the node's errors (problem+json with status, code and detail) into messages for people.

export interface ProblemLike {
  status: number;
  code?: string;
  detail?: string;
}

export function problemMessage(p: ProblemLike): string {
  const detail = p.detail?.trim();
  if (p.status === 401) return 'You are not signed in, or your session has expired. Log in again.';
  if (p.status === 403) return `Your account may not do this${detail ? `: ${detail}` : '.'}`;
  if (p.status === 404) return detail && !/^not found$/i.test(detail) ? detail : 'Not found.';
  if (p.status === 429) return 'Too many requests; wait a moment and try again.';
  if (p.status === 501) return `This node does not offer this${detail ? `: ${detail}` : '.'}`;
  if (p.status >= 500) return `The node had a problem (${p.status})${detail ? `: ${detail}` : ''}. Try again later.`;
  return detail || `Request failed (${p.status}${p.code ? `, ${p.code}` : ''}).`;
}
