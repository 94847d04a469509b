// Where a notification may lead: checked when it is stored and again when it is read (rows kept
// from before the check), so no client is handed a link it should not draw.

/** Longest link kept. */
const longest = 2000;

/**
 * A link the app and a mail may follow: a path of the app (not `//host`, which leaves it) or an
 * http(s) address. Nothing else (javascript:, data:, ...); no spaces, controls or backslashes,
 * which browsers drop or read as slashes (`/\host` is `//host`). The web app checks the same.
 */
export function safeLink(url: string | null | undefined): string | null {
  if (!url || url.length > longest || /[\s\\\u0000-\u001f\u007f]/.test(url)) return null;
  if (url.startsWith('/')) return url.startsWith('//') ? null : url;
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol) ? url : null;
  } catch {
    return null;
  }
}
