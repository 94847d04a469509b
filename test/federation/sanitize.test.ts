// Remote text is untrusted: sanitizeText strips markup and never turns escaped markup
// (entities, double-encoded entities) back into tags; sanitizeHtml keeps a safe subset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeText, sanitizeHtml } from '../../server/federation/sanitize.js';

const payloads = [
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;',
  '&amp;amp;lt;img src=x onerror=alert(1)&amp;amp;gt;',
  '&#60;img src=x onerror=alert(1)&#62;',
  '&#x3C;svg onload=alert(1)&#x3E;',
  '&#0000060;iframe src=javascript:alert(1)&#0000062;',
  '<<script>script>alert(1)<</script>/script>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<b>&lt;</b>script<b>&gt;</b>alert(1)',
  '<img src=x onerror="alert(1)">',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<!-- --><script>alert(1)</script>',
  'a < b > c',
];

test('escaped markup never comes back as a tag', () => {
  for (const input of payloads) {
    const out = sanitizeText(input);
    assert.doesNotMatch(out, /[<>]/, `${JSON.stringify(input)} gave ${JSON.stringify(out)}`);
  }
  assert.equal(sanitizeText('&lt;script&gt;alert(1)&lt;/script&gt;'), '&lt;script&gt;alert(1)&lt;/script&gt;', 'shown as the text it was');
  assert.equal(sanitizeText('&#60;b&#62;bold&#60;/b&#62;'), '&lt;b&gt;bold&lt;/b&gt;');
});

test('entities are decoded once, never twice', () => {
  // "&amp;lt;" is the text "&lt;": decoding it again would make a "<".
  assert.equal(sanitizeText('&amp;lt;b&amp;gt;'), '&lt;b&gt;');
  assert.equal(sanitizeText('Tom &amp;amp; Jerry'), 'Tom &amp; Jerry');
});

test('ordinary titles read as written', () => {
  assert.equal(sanitizeText('Rock & Roll'), 'Rock & Roll');
  assert.equal(sanitizeText('Rock &amp; Roll'), 'Rock & Roll');
  assert.equal(sanitizeText('"Quoted" it\'s'), '"Quoted" it\'s');
  assert.equal(sanitizeText('<p>Night <em>Drive</em></p>'), 'Night Drive');
  assert.equal(sanitizeText('Ünïcödé 🎵'), 'Ünïcödé 🎵');
  assert.equal(sanitizeText('<script>alert(1)</script>Title'), 'Title', 'script bodies are dropped, not kept as text');
});

test('the limit holds after escaping, and never cuts an entity in half', () => {
  assert.equal(sanitizeText('x'.repeat(1000), 300).length, 300);
  for (let max = 1; max <= 12; max++) {
    const out = sanitizeText('ab&lt;&lt;&lt;&lt;', max);
    assert.ok(out.length <= max, `${JSON.stringify(out)} is longer than ${max}`);
    assert.doesNotMatch(out, /&(?!lt;|gt;|amp;)/, `an entity was cut: ${JSON.stringify(out)}`);
  }
});

test('sanitizeHtml keeps the safe subset and drops scripts and handlers', () => {
  const out = sanitizeHtml('<p onclick="x()">Hi <a href="javascript:alert(1)">x</a> <a href="https://example.org">ok</a><script>alert(1)</script></p>');
  assert.doesNotMatch(out, /script|onclick|javascript:/);
  assert.match(out, /<a href="https:\/\/example.org" rel="nofollow noopener noreferrer">ok<\/a>/);
  assert.doesNotMatch(sanitizeHtml('&lt;script&gt;alert(1)&lt;/script&gt;'), /<script/);
});
