// Whether a URI names this node, whatever its spelling: a string prefix of publicUrl would take
// http://EXAMPLE.org:443/…, https://example.org./… or http://0x7f000001/… for another server's,
// and a report, a block or a fetch would then treat the node's own objects as remote. The
// WHATWG parser already lowercases the host, drops a default port and reads the numeric forms
// of an IPv4 address; a trailing dot (the same DNS name) is dropped here.

interface Place {
  hostname: string;
  port: string;
}

const defaultPorts: Record<string, string> = { 'http:': '80', 'https:': '443' };

function placeOf(uri: string): Place | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const port = url.port || defaultPorts[url.protocol];
  if (!port) return undefined;
  return { hostname: url.hostname.replace(/\.$/, ''), port };
}

/**
 * True when `uri` (http or https: the same host and port answer both through a proxy) is on the
 * host and port of `publicUrl`.
 */
export function isLocalUri(publicUrl: string, uri: string): boolean {
  const ours = placeOf(publicUrl);
  const theirs = placeOf(uri);
  return !!ours && !!theirs && ours.hostname === theirs.hostname && ours.port === theirs.port;
}

/** True when a host (`name` or `name:port`, as a domain block names it) is this node's. */
export function isLocalHost(publicUrl: string, host: string): boolean {
  const h = host.trim();
  if (!h || /[/?#@\s]/.test(h)) return false;
  const ours = placeOf(publicUrl);
  const url = placeOf(`${new URL(publicUrl).protocol}//${h}/`);
  // A bare name blocks every port of it: ours among them.
  return !!ours && !!url && ours.hostname === url.hostname && (ours.port === url.port || !/:\d+$/.test(h));
}

/** A local URI spelled as publicUrl spells it (path, query and fragment kept); undefined when not local. */
export function canonicalLocalUri(publicUrl: string, uri: string): string | undefined {
  if (!isLocalUri(publicUrl, uri)) return undefined;
  const url = new URL(uri);
  return `${publicUrl.replace(/\/+$/, '')}${url.pathname}${url.search}${url.hash}`;
}
