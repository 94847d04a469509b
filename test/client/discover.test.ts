// Discovery in a real browser on two real nodes on loopback: node A's admin follows node B
// from the admin federation page, an artist on B uploads a track, and A's Discover page lists
// it under "New on the network" (with the Other nodes / This node filter); a lookup of the
// artist's @channel@hostB shows the channel, and a malformed lookup gets a clear message.
// Then B's admin removes A from B's followers, and A's follow shows as ended.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ensureClientBuilt, logIn, openBrowser, skipWithoutChromium, type BrowserSession } from './browser-support.js';
import type { TestNode } from '../helpers/node.js';
import { makeAudio, mediaDir, removeMediaDir } from '../helpers/media.js';
import { makeArtist, upload, waitTrack } from '../media/support.js';
import { hostOf, startNodes, waitFor } from '../federation/support.js';

const skip = skipWithoutChromium;

let a: TestNode, b: TestNode;
let dir: string;
let session: BrowserSession;
let page: Page;

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  [a, b] = await startNodes(['disc-a', 'disc-b'], { overrides: { media: { audioBitratesKbps: [64] } } });
  dir = mediaDir('discover');
  session = await openBrowser(a.url);
  ({ page } = session);
});

after(async () => {
  await session?.close();
  await Promise.all([a, b].map((n) => n?.stop()));
  if (dir) removeMediaDir(dir);
});

test("A's admin follows node B from the admin page; B's new track shows in A's Discover; B's channel is found by @name@host", { skip, timeout: 90_000 }, async () => {
  const [adminA, artistB] = await Promise.all([a.user('admin'), makeArtist(b, 'b_tunes')]);
  const hostB = hostOf(b);
  const title = 'Found On Discover';
  // B's artist uploads while A's admin follows B (the track comes by the outbox or by Create).
  const uploaded = (async () => {
    const up = await upload(b, artistB.token, artistB.channel.id, await makeAudio(dir, { seconds: 3, tags: { title } }));
    assert.equal(up.status, 200, up.text);
    assert.equal((await waitTrack(b, artistB.token, up.body.trackId)).status, 'ready');
  })();

  await logIn(page, adminA.user.username, adminA.password, '/admin/federation');
  const instances = page.getByRole('region', { name: 'Instance follows' });
  await session.reach(instances.getByText('This node follows no other node.'));
  await instances.getByText('Mode: auto.').waitFor();
  await instances.getByText('No node follows this node.').waitFor();
  await instances.getByLabel('Node', { exact: true }).fill(hostB);
  await instances.getByRole('button', { name: 'Follow node' }).click();
  const followed = instances.getByRole('table', { name: 'Nodes this node follows' });
  await session.reach(followed.getByText(hostB));
  // B accepts at once; the list shows it once reloaded.
  await waitFor('B accepts', async () => (await a.api('GET', '/api/v1/federation/admin/instance-follows', { token: adminA.token })).body.data[0]?.state === 'accepted');
  await page.reload();
  await session.reach(followed.getByText('accepted: its public tracks come here'));
  await session.shot('discover-admin');

  await uploaded;
  // Wait on the node first: the page's list is cached for 10 s by the browser.
  await waitFor("B's track listed on A", async () => (await a.api('GET', '/api/v1/discover/new?origin=remote')).body.data.some((t: any) => t.title === title));

  await page.getByRole('navigation').getByRole('link', { name: 'Discover' }).click();
  await page.waitForURL((u) => u.pathname === '/discover');
  const fresh = page.getByRole('region', { name: 'New on the network' });
  const row = fresh.getByRole('row').filter({ hasText: title });
  await session.reach(row);
  await row.getByText(`@b_tunes@${hostB}`).waitFor();
  await row.getByText('remote', { exact: true }).waitFor();
  assert.match((await row.getByRole('link', { name: title }).getAttribute('href'))!, /^\/remote\/[\w-]+$/, 'links to its page on A');
  await page.getByRole('region', { name: 'Trending this week' }).getByText('No listens in the last 7 days yet.').waitFor();

  await fresh.getByLabel('Other nodes').check();
  await page.waitForURL((u) => u.search === '?origin=remote');
  await session.reach(fresh.getByRole('row').filter({ hasText: title }));
  await fresh.getByLabel('This node').check();
  await session.reach(fresh.getByText('No tracks yet.'));
  await fresh.getByLabel('All').check();
  await session.reach(fresh.getByRole('row').filter({ hasText: title }));
  await session.shot('discover-new');

  const lookup = page.getByRole('region', { name: 'Find a track or channel' });
  await lookup.getByLabel('Address or handle').fill('not a handle');
  await lookup.getByRole('button', { name: 'Look up' }).click();
  await lookup.getByText('Paste the address of a track or channel page').waitFor();

  await lookup.getByLabel('Address or handle').fill(`@b_tunes@${hostB}`);
  await lookup.getByRole('button', { name: 'Look up' }).click();
  const channel = lookup.getByRole('article', { name: 'Channel Channel b_tunes' });
  await session.reach(channel);
  await channel.getByText(`@b_tunes@${hostB}`).waitFor();
  await channel.getByText('Followed here: its new tracks come to this node.').waitFor();
  await lookup.getByRole('table', { name: 'Newest tracks of Channel b_tunes' }).getByRole('link', { name: title }).waitFor();
  await session.shot('discover-lookup');
  assert.deepEqual(session.pageErrors.filter((e) => !/status of 400/.test(e)), []);

  // B's admin sees A among its followers and ends the follow (after a confirmation); A is told.
  const adminB = await b.user('admin');
  const onB = await openBrowser(b.url);
  try {
    await logIn(onB.page, adminB.user.username, adminB.password, '/admin/federation');
    const followers = onB.page.getByRole('table', { name: 'Nodes following this node' });
    await onB.reach(followers.getByText('accepted: gets this node’s public tracks'));
    onB.page.once('dialog', (d) => void d.accept());
    await followers.getByRole('button', { name: `Remove ${hostOf(a)}` }).click();
    await onB.reach(onB.page.getByText('No node follows this node.'));
  } finally {
    await onB.close();
  }
  await waitFor('A is told the follow ended', async () => (await a.api('GET', '/api/v1/federation/admin/instance-follows', { token: adminA.token })).body.data[0]?.state === 'rejected');
});
