// A small XML writer for the feeds: elements with escaped attributes and text, nothing else.

/** An element: name, attributes (undefined ones left out) and children (text or elements). */
export interface XmlElement {
  name: string;
  attrs: Record<string, string | number | undefined>;
  children: (XmlElement | string)[];
}

export const el = (name: string, attrs: XmlElement['attrs'] = {}, ...children: (XmlElement | string | null | undefined | false)[]): XmlElement => ({
  name,
  attrs,
  children: children.filter((c): c is XmlElement | string => typeof c === 'string' || (!!c && typeof c === 'object')),
});

// Characters XML 1.0 does not allow anywhere (a tag could carry them); dropped.
const invalidChars = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text or a double-quoted attribute value, in XML or HTML. */
export function escapeXml(text: string): string {
  return text.replace(invalidChars, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function write(e: XmlElement, indent: string, out: string[]): void {
  const attrs = Object.entries(e.attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  if (e.children.length === 0) return void out.push(`${indent}<${e.name}${attrs}/>`);
  if (e.children.every((c) => typeof c === 'string')) return void out.push(`${indent}<${e.name}${attrs}>${escapeXml(e.children.join(''))}</${e.name}>`);
  out.push(`${indent}<${e.name}${attrs}>`);
  for (const c of e.children) {
    if (typeof c === 'string') out.push(`${indent}  ${escapeXml(c)}`);
    else write(c, `${indent}  `, out);
  }
  out.push(`${indent}</${e.name}>`);
}

/** The document: the XML declaration and the root element, indented. */
export function xmlDocument(root: XmlElement): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  write(root, '', out);
  return `${out.join('\n')}\n`;
}
