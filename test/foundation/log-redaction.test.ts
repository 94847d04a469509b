// Credentials never reach the HTTP log: Subsonic apps put API keys and tokens in the query
// (apiKey, p, t, s), ListenBrainz clients a token, web clients a bearer token in a header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { buildApp } from '../../server/app.js';
import { capabilities } from '../../server/capabilities.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'log-redaction' });
});
after(async () => node?.stop());

test('API keys, Subsonic tokens and bearer tokens are redacted from the request log', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  // The request log is made from the context's logger when the app is built.
  const own = node.ctx.logger;
  (node.ctx as { logger: unknown }).logger = logger;
  const app = buildApp(node.ctx, capabilities);
  (node.ctx as { logger: unknown }).logger = own;
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    await (await fetch(`${base}/rest/ping.view?u=someone&apiKey=SECRET_KEY_1&p=SECRET_P_2&t=SECRET_T_3&s=SECRET_S_4&f=json&v=1.16.1&c=test`)).text();
    await (await fetch(`${base}/1/validate-token?token=SECRET_LB_5`)).text();
    await (await fetch(`${base}/api/v1/users/me`, { headers: { authorization: 'Bearer SECRET_BEARER_6', cookie: 'session=SECRET_COOKIE_7' } })).text();
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    server.close();
  }
  const log = lines.join('');
  assert.match(log, /\/rest\/ping\.view/, 'the requests were logged');
  assert.match(log, /apiKey=\[redacted\]/);
  assert.doesNotMatch(log, /SECRET_/, 'no credential in the log');
});
