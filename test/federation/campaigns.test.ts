// Investment campaigns federate, on two real nodes: a listener on B follows a channel on A; the
// artist's campaign reaches B when it opens (a 9ten Campaign; software without 9ten's vocabulary
// gets a Note), and again when it is funded. Pledges stay on A (the campaign's home node).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { fan, sweepPastDeadline } from '../helpers/campaigns.js';
import { campaignNote } from '../../server/federation/campaigns.js';
import { federationService } from '../../server/federation/index.js';
import { money } from '../money/helpers.js';
import { startNodes, waitFor, hostOf } from './support.js';

let a: TestNode, b: TestNode;
before(async () => {
  [a, b] = await startNodes(['camp-a', 'camp-b']);
});
after(async () => {
  await Promise.all([a, b].map((n) => n?.stop()));
});

test("a channel's campaign reaches its followers on another node when it opens and when it is funded", async () => {
  const artist = await makeArtist(a, 'crowd_band');
  const channelUri = `${a.ctx.config.publicUrl}/ap/channels/crowd_band`;
  const listener = await b.user('listener');
  const f = await b.api('POST', '/api/v1/federation/follows', { token: listener.token, body: { handle: `crowd_band@${hostOf(a)}` } });
  assert.equal(f.status, 201, f.text);
  await waitFor('follow accepted', async () => (await b.api('GET', '/api/v1/federation/follows', { token: listener.token })).body.data.find((x: any) => x.state === 'accepted'));

  const deadline = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const opened = await a.api('POST', '/api/v1/channels/crowd_band/campaigns', {
    token: artist.token,
    body: { title: 'Tour van', description: 'Wheels <b>and</b> fuel', goal: 1000, minPledge: 100, deadline, shareBasisPoints: 1500, capMultiple: 1.5 },
  });
  assert.equal(opened.status, 201, opened.text);
  const uri = `${a.ctx.config.publicUrl}/ap/campaigns/${opened.body.id}`;

  // Its ActivityPub document on A.
  const doc = JSON.parse((await a.api('GET', `/ap/campaigns/${opened.body.id}`)).text);
  assert.equal(doc.type, 'Campaign');
  assert.equal(doc.attributedTo, channelUri);
  assert.equal(doc.goal, 1000);
  assert.equal(doc.campaignStatus, 'open');
  assert.equal((await a.api('GET', '/ap/campaigns/not-a-campaign')).status, 404);

  const seen = await waitFor('campaign listed on B', async () => (await b.api('GET', `/api/v1/federation/campaigns?channel=${encodeURIComponent(channelUri)}`)).body.data[0]);
  assert.deepEqual(
    { uri: seen.uri, title: seen.title, goal: seen.goal, raised: seen.raised, minPledge: seen.minPledge, share: seen.shareBasisPoints, cap: seen.capMultiple, status: seen.status, deadline: seen.deadline },
    { uri, title: 'Tour van', goal: 1000, raised: 0, minPledge: 100, share: 1500, cap: 1.5, status: 'open', deadline },
  );
  assert.equal(seen.url, `${a.ctx.config.publicUrl}/channels/crowd_band`, 'pledges are made on its home node');
  assert.doesNotMatch(seen.summary, /<b>/, 'the description arrives escaped');

  // Funded at the deadline: B hears of it.
  const investor = await fan(a, 5000);
  assert.equal((await a.api('POST', `/api/v1/campaigns/${opened.body.id}/pledges`, { token: investor.token, body: { amount: 1200 } })).status, 201);
  await sweepPastDeadline(a, 8);
  const funded = await waitFor('funded on B', async () => {
    const c = (await b.api('GET', '/api/v1/federation/campaigns')).body.data.find((x: any) => x.uri === uri);
    return c?.status === 'funded' ? c : undefined;
  });
  assert.equal(funded.raised, 1200);
  assert.equal(funded.investors, 1);

  // Software without 9ten's vocabulary gets a Note saying what the campaign asks and promises.
  const note = campaignNote(federationService(a.ctx).rt, (await money(a).campaigns.get(opened.body.id)));
  assert.equal(note.type, 'Note');
  assert.match(String(note.content), /Tour van/);
  assert.match(String(note.content), /15 % of the artist's income until each has 1\.5× back/);
  assert.match(String(note.content), /funded with 12\.00/);
});

test('a Campaign is kept only from its own channel, and well formed', async () => {
  const svc = federationService(b.ctx);
  const actor = `${a.ctx.config.publicUrl}/ap/channels/crowd_band`;
  const base = { id: `${a.ctx.config.publicUrl}/ap/campaigns/x1`, type: 'Campaign', attributedTo: actor, name: 'X', goal: 100, raised: 0, shareBasisPoints: 100, capMultiple: 1, campaignStatus: 'open', endTime: new Date().toISOString(), currency: 'USD' };
  assert.equal(await svc.campaigns.upsert(actor, base), true);
  assert.equal(await svc.campaigns.upsert(actor, { ...base, attributedTo: 'https://elsewhere.example/ap/channels/x' }), false, 'another actor');
  assert.equal(await svc.campaigns.upsert(actor, { ...base, id: 'https://elsewhere.example/ap/campaigns/x1' }), false, 'another host');
  assert.equal(await svc.campaigns.upsert(actor, { ...base, shareBasisPoints: 20_000 }), false, 'share over 100 %');
  assert.equal(await svc.campaigns.upsert(actor, { ...base, capMultiple: 0.5 }), false, 'cap below 1x');
  assert.equal(await svc.campaigns.upsert(actor, { ...base, campaignStatus: 'paid' }), false, 'unknown status');
  assert.equal(await svc.campaigns.upsert(actor, { ...base, goal: -5 }), false, 'negative goal');
});
