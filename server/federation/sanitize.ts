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

export function sanitizeText(text: string, max = 500): string {
  return sanitize(text.slice(0, max * 4), { allowedTags: [], allowedAttributes: {} }).replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').slice(0, max);
}

/** Escapes text for our own HTML (fallback Note content). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
