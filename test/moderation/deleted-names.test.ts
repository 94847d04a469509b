// A deleted account's names leave moderation's record: reports and log entries about it, and
// the entries it wrote as a moderator, name it by its tombstone; the rows stay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { accountsService } from '../../server/accounts/index.js';
import { tombstoneName } from '../../server/accounts/lifecycle/deletion.js';

let node: TestNode;
const as = (u: { token: string }, body?: unknown) => ({ token: u.token, body });
before(async () => {
  node = await startTestNode({ name: 'moderation-deleted-names' });
});
after(async () => {
  await node?.stop();
});

test("a deleted account's names are gone from reports and the log", async () => {
  const moderator = await node.user('moderator', 'mod_realname');
  const lena = await node.user('listener', 'lena_dn');
  const target = await node.user('listener', 'jane_realname');
  await node.ctx.db.query(`UPDATE users SET display_name = 'Jane Real Doe' WHERE id = :id`, { replacements: { id: target.user.id } });
  const rep = await node.api('POST', '/api/v1/reports', as(lena, { target: { kind: 'account', id: target.user.id }, category: 'abuse', reason: 'rude' }));
  assert.equal(rep.status, 201, rep.text);
  assert.equal(rep.body.target.name, 'Jane Real Doe');
  const acted = await node.api('POST', `/api/v1/admin/moderation/reports/${rep.body.id}/actions`, as(moderator, { action: 'silence', note: 'rude' }));
  assert.equal(acted.status, 200, acted.text);

  const accounts = accountsService(node.ctx);
  for (const who of [target, moderator]) {
    const user = (await accounts.byId(who.user.id))!;
    for (const hook of accounts.deletingHooks) await hook(user);
  }
  const rows = JSON.stringify([
    await node.ctx.db.query('SELECT * FROM moderation_reports', { type: 'SELECT' as never }),
    await node.ctx.db.query('SELECT * FROM moderation_log', { type: 'SELECT' as never }),
  ]);
  for (const name of ['jane_realname', 'Jane Real Doe', 'mod_realname']) assert.ok(!rows.includes(name), `${name} is gone: ${rows}`);
  assert.ok(rows.includes(tombstoneName(target.user.id)));
  assert.ok(rows.includes(tombstoneName(moderator.user.id)));
});
