// Remote text and HTML are untrusted: HTML keeps a small safe subset, text loses all markup.
import sanitize from 'sanitize-html';

const htmlOptions: sanitize.IOptions = {
  allowedTags: ['p', 'br', 'a', 'span', 'strong', 'em', 'b', 'i', 'ul', 'ol', 'li', 'blockquote', 'code', 'pre'],
  allowedAttributes: { a: ['href', 'rel', 'class'], span: ['class'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  transformTags: { a: sanitize.simpleTransform('a', { rel: 'nofollow noopener noreferrer' }) },
};

export function sanitizeHtml(html: string): string {
  return sanitize(html.slice(0, 50_000), htmlOptions);
}

// sanitize-html returns text with these escaped; each is undone exactly once, in one pass,
// so "&amp;lt;" becomes the text "&lt;", never a "<".
const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/**
 * Plain text from untrusted text or HTML: markup is stripped, entities decoded once, and then
 * `<` and `>` are escaped again, so the result never holds a tag, whatever decodes or inserts
 * it later (a remote title of `&lt;script&gt;` stays that text). At most `max` characters,
 * never ending in half an entity.
 */
export function sanitizeText(text: string, max = 500): string {
  const stripped = sanitize(text.slice(0, max * 4), { allowedTags: [], allowedAttributes: {} });
  const plain = stripped.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => entities[e]);
  let out = '';
  for (const ch of plain) {
    const piece = ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch;
    if (out.length + piece.length > max) break;
    out += piece;
  }
  return out;
}

/** Escapes text for our own HTML (fallback Note content). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
