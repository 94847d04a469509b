// Password-reset and address-verification links carry their token in the query: the HTTP log
// redacts it from the URL and from the Referer the opened page sends with its assets, and the
// web app's page asks browsers to send no Referer at all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { loggedRequest } from '../../server/app.js';
import { projectRoot } from '../../server/config/index.js';

let node: TestNode;
before(async () => {
  node = await startTestNode({ name: 'referrer' });
});
after(async () => {
  await node?.stop();
});

test('a token in the Referer (or the URL) is not logged', () => {
  const logged = loggedRequest({
    url: '/assets/app.js?v=1',
    headers: { referer: 'https://music.example/reset-password?token=SECRET123&x=1', authorization: 'Bearer abc', host: 'music.example' },
  });
  const text = JSON.stringify(logged);
  assert.ok(!text.includes('SECRET123'), text);
  assert.ok(!text.includes('Bearer abc'), text);
  assert.equal(logged.headers?.referer, 'https://music.example/reset-password?token=[redacted]&x=1');
  assert.equal(loggedRequest({ url: '/verify-email?token=SECRET9', headers: {} }).url, '/verify-email?token=[redacted]');
});

test("the web app's page sends no Referer", { skip: !existsSync(path.join(projectRoot, 'client/dist/index.html')) && 'client/dist is not built' }, async () => {
  const res = await fetch(`${node.url}/reset-password?token=SECRET123`, { headers: { accept: 'text/html' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
});

test('the page source asks for no Referer', () => {
  assert.match(readFileSync(path.join(projectRoot, 'client/index.html'), 'utf8'), /<meta name="referrer" content="no-referrer"/);
});
