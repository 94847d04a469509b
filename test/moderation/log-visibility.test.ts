// The moderation log as a moderator reads it leaves out what their queue leaves out: entries
// about staff (a report about a moderator, an admin's measure on a moderator) and about
// themselves; a hidden report named by id is not there (404). An admin reads everything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';

let node: TestNode;
const as = (u: { token: string }, body?: unknown) => ({ token: u.token, body });
before(async () => {
  node = await startTestNode({ name: 'moderation-log-visibility' });
});
after(async () => {
  await node?.stop();
});

test("a moderator's log leaves out entries about staff and themselves", async () => {
  const admin = await node.user('admin');
  const admin2 = await node.user('admin');
  const mod1 = await node.user('moderator');
  const mod2 = await node.user('moderator');
  const lena = await node.user('listener', 'lena_lv');
  const lou = await node.user('listener', 'lou_lv');
  const rep = await node.api('POST', '/api/v1/reports', as(lena, { target: { kind: 'account', id: mod1.user.id }, category: 'abuse', reason: 'mod1 harassed me' }));
  assert.equal(rep.status, 201, rep.text);
  const silenced = await node.api('POST', `/api/v1/admin/moderation/reports/${rep.body.id}/actions`, as(admin, { action: 'silence', note: 'about mod1: confirmed by screenshots' }));
  assert.equal(silenced.status, 200, silenced.text);
  const direct = await node.api('PUT', `/api/v1/admin/moderation/accounts/${mod2.user.id}/standing`, as(admin2, { silenced: true, note: 'internal: mod2 under investigation' }));
  assert.equal(direct.status, 200, direct.text);
  const plain = await node.api('PUT', `/api/v1/admin/moderation/accounts/${lou.user.id}/standing`, as(mod2, { silenced: true, note: 'lou spams' }));
  assert.equal(plain.status, 200, plain.text);

  const byReport = await node.api('GET', `/api/v1/admin/moderation/log?reportId=${rep.body.id}`, as(mod1));
  assert.equal(byReport.status, 404, byReport.text);
  for (const mod of [mod1, mod2]) {
    const all = await node.api('GET', '/api/v1/admin/moderation/log', as(mod));
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.data.map((e: { note: string }) => e.note), ['lou spams']);
    assert.equal(all.body.total, 1);
  }
  const adminView = await node.api('GET', '/api/v1/admin/moderation/log', as(admin));
  assert.equal(adminView.body.total, 3);
  const adminByReport = await node.api('GET', `/api/v1/admin/moderation/log?reportId=${rep.body.id}`, as(admin));
  assert.equal(adminByReport.status, 200);
  assert.equal(adminByReport.body.total, 1);
});
