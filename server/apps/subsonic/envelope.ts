// The Subsonic response envelope, in XML (the default) or JSON (`f=json`): every answer carries
// status, version, type, serverVersion and openSubsonic. Errors are answered with HTTP 200 and a
// Subsonic error code, as clients expect.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Response } from 'express';
import { projectRoot } from '../../config/index.js';

export const subsonicApiVersion = '1.16.1';
export const serverVersion = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** Subsonic's error codes (http://www.subsonic.org/pages/api.jsp; OpenSubsonic adds 42-44). */
export const SubsonicCode = {
  generic: 0,
  missingParameter: 10,
  clientTooOld: 20,
  wrongCredentials: 40,
  authMechanismNotSupported: 42,
  conflictingAuth: 43,
  invalidApiKey: 44,
  notAuthorized: 50,
  notFound: 70,
} as const;

/** A Subsonic error: answered in the envelope with HTTP 200. */
export class SubsonicError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export const missing = (name: string) => new SubsonicError(SubsonicCode.missingParameter, `Required parameter is missing: ${name}`);
export const notFoundError = (what: string) => new SubsonicError(SubsonicCode.notFound, `${what} not found`);

/**
 * A response body: attributes are primitive values, child elements objects or arrays of
 * objects, and `value` a text node (a genre's name). The JSON form is the same object.
 */
export type Body = { [key: string]: Value };
type Value = string | number | boolean | null | undefined | Body | Body[] | (string | number)[];

export type Format = 'xml' | 'json' | 'jsonp';

const escapeXml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

function element(name: string, body: Body): string {
  let attrs = '';
  let children = '';
  let text = '';
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined || v === null) continue;
    if (k === 'value' && typeof v !== 'object') text = escapeXml(String(v));
    else if (Array.isArray(v)) for (const item of v) children += typeof item === 'object' ? element(k, item) : `<${k}>${escapeXml(String(item))}</${k}>`;
    else if (typeof v === 'object') children += element(k, v);
    else attrs += ` ${k}="${escapeXml(String(v))}"`;
  }
  return children || text ? `<${name}${attrs}>${text}${children}</${name}>` : `<${name}${attrs}/>`;
}

/** Drops undefined values (JSON.stringify would too) and keeps the rest. */
export function envelope(status: 'ok' | 'failed', body: Body): Body {
  return { status, version: subsonicApiVersion, type: '9ten', serverVersion, openSubsonic: true, ...body };
}

export function send(res: Response, format: Format, body: Body, callback?: string): void {
  res.status(200).set('Cache-Control', 'no-store');
  if (format === 'xml') {
    res.type('application/xml; charset=utf-8').send(`<?xml version="1.0" encoding="UTF-8"?>${element('subsonic-response', { xmlns: 'http://subsonic.org/restapi', ...body })}`);
    return;
  }
  const json = JSON.stringify({ 'subsonic-response': body });
  if (format === 'jsonp' && callback && /^[A-Za-z_$][\w$.]{0,100}$/.test(callback)) res.type('application/javascript').send(`${callback}(${json});`);
  else res.type('application/json; charset=utf-8').send(json);
}

export function sendError(res: Response, format: Format, err: SubsonicError, callback?: string): void {
  send(res, format, envelope('failed', { error: { code: err.code, message: err.message } }), callback);
}
