// Investment campaigns in a real browser against a real node: an artist opens a campaign on
// their channel page (the form's own check first), a fan is refused a pledge below the minimum
// and one over their wallet, and then pledges the goal; the deadline passes and two tips repay the fan up to the cap
// (driven through the node's services, as test/money/campaigns.test.ts does); the artist sees
// their figures and the public record and cancels a second campaign; the fan's "My
// investments" shows invested, received, remaining, the chart and the refunded pledge.
// Uses Debian's chromium through playwright-core (no browser download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { ensureClientBuilt, logIn as logInAs, openBrowser, skipWithoutChromium, type BrowserSession } from './browser-support.js';
import { startTestNode, type TestNode } from '../helpers/node.js';
import { makeArtist } from '../media/support.js';
import { credit, money } from '../money/helpers.js';

const skip = skipWithoutChromium;

let node: TestNode;
let session: BrowserSession;
let page: Page;

before(async () => {
  if (skip) return;
  await ensureClientBuilt();
  node = await startTestNode({ name: 'client-campaigns' });
  session = await openBrowser(node.url);
  ({ page } = session);
});

after(async () => {
  await session?.close();
  await node?.stop();
});

const reach = (target: Locator, timeout?: number) => session.reach(target, timeout);
const shot = (name: string) => session.shot(`campaigns-${name}`);
const amountOf = async (selector: string): Promise<number> => Number(await page.locator(selector).getAttribute('data-amount'));

async function logOut(): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

test('an artist opens a campaign, a fan pledges, is repaid to the cap and sees it in My investments; the record is public', { skip, timeout: 60_000 }, async () => {
  const artist = await makeArtist(node);
  const fan = await node.user('listener');
  const tipper = await node.user('listener');
  await credit(node, fan.user.id, 2000);
  await credit(node, tipper.user.id, 100_000);
  const channelPath = `/channels/${artist.channel.name}`;

  // The artist opens a campaign from their channel page; the form checks it as the node would.
  await logInAs(page, artist.user.username, artist.password, channelPath);
  const form = page.getByRole('form', { name: 'Open a campaign' });
  await reach(form);
  await form.getByLabel('Title').fill('New microphone');
  await form.getByLabel('Goal (USD)').fill('10.00');
  await form.getByLabel('Smallest pledge (USD)').fill('20');
  await form.getByLabel('Share of your income (%)').fill('10');
  await form.getByLabel(/^Investors get back at most/).fill('1.5');
  await form.getByText('Investors get 10 % of your income until each investor has 1.5× back.').waitFor();
  await form.getByRole('button', { name: 'Open campaign' }).click();
  await form.getByText('The minimum pledge cannot be more than the goal ($10.00).').waitFor();
  assert.equal(await form.getByLabel('Smallest pledge (USD)').getAttribute('aria-invalid'), 'true');
  await form.getByLabel('Smallest pledge (USD)').fill('2.00');
  await form.getByRole('button', { name: 'Open campaign' }).click();
  const card = page.locator('#open-campaign');
  await reach(card);
  await page.getByText(/^“New microphone” is open until /).waitFor();
  await card.getByText("Investors get 10 % of this artist's income until each investor has 1.5× back.").waitFor();
  assert.equal(await amountOf('#campaign-raised'), 0);
  assert.match((await page.locator('#campaign-time-left').textContent()) ?? '', /^(29 days 23 h|30 days) left$/);
  await card.getByRole('button', { name: 'Cancel this campaign' }).waitFor();
  await shot('artist-opened');
  await logOut();

  // A fan pledges from the channel page: below the minimum is refused with the node's reason.
  await logInAs(page, fan.user.username, fan.password, channelPath);
  const pledge = page.getByRole('form', { name: 'Pledge to this campaign' });
  await pledge.waitFor();
  await pledge.getByLabel('Pledge (USD)').fill('1.00');
  await pledge.getByRole('button', { name: 'Pledge' }).click();
  await pledge.getByText('The smallest pledge to this campaign is $2.00.').waitFor();
  await pledge.getByLabel('Pledge (USD)').fill('25');
  await pledge.getByRole('button', { name: 'Pledge' }).click();
  await pledge.getByText('Your wallet holds $20.00; this pledge needs $25.00. Add money to your wallet.').waitFor();
  await pledge.getByLabel('Pledge (USD)').fill('10.00');
  await pledge.getByRole('button', { name: 'Pledge' }).click();
  await reach(page.getByText(/^Pledged \$10\.00\. Thank you!/));
  assert.equal(await amountOf('#campaign-raised'), 1000);
  await card.getByText('100 % funded').waitFor();
  await card.getByText('1 investor', { exact: true }).waitFor();
  await shot('fan-pledged');

  // The deadline passes (funded), then the artist's income repays the fan: 10 % of a 50.00 tip,
  // then 10 % of 200.00, of which only 10.00 fits under the 15.00 cap.
  const campaigns = money(node).campaigns;
  campaigns.clock = () => Date.now() + 31 * 86_400_000;
  try {
    assert.equal((await campaigns.sweep()).settled, 1);
  } finally {
    campaigns.clock = Date.now;
  }
  for (const [amount, key] of [[5000, 'tip-1'], [20_000, 'tip-2']] as const) {
    const tip = await node.api('POST', '/api/v1/tips', { token: tipper.token, body: { channel: artist.channel.name, amount }, headers: { 'Idempotency-Key': key } });
    assert.equal(tip.status, 201, tip.text);
  }
  // A second campaign the fan pledges to, which the artist will cancel.
  const second = await node.api('POST', `/api/v1/channels/${artist.channel.name}/campaigns`, {
    token: artist.token,
    body: { title: 'Tour van', goal: 100_000, minPledge: 100, deadline: new Date(Date.now() + 10 * 86_400_000).toISOString(), shareBasisPoints: 500, capMultiple: 2 },
  });
  assert.equal(second.status, 201, second.text);
  assert.equal((await node.api('POST', `/api/v1/campaigns/${second.body.id}/pledges`, { token: fan.token, body: { amount: 300 } })).status, 201);
  await logOut();

  // The artist: raised, repaid, still owed; the public record; Cancel refunds the second campaign.
  await logInAs(page, artist.user.username, artist.password, channelPath);
  await reach(page.locator('#artist-raised'));
  assert.deepEqual([await amountOf('#artist-raised'), await amountOf('#artist-repaid'), await amountOf('#artist-owed')], [1000, 1500, 0]);
  const record = page.getByRole('table', { name: `Repayment record of @${artist.channel.name}` });
  const funded = record.getByRole('row').filter({ hasText: 'New microphone' });
  await funded.getByText('Funded, repaid in full').waitFor();
  assert.match((await funded.textContent()) ?? '', /10 % until 1\.5×\$10\.00\$10\.00\$15\.00\$0\.00/);
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Cancel this campaign' }).click();
  await reach(page.getByText('“Tour van” is cancelled: $3.00 went back to the investors.'));
  await record.getByRole('row').filter({ hasText: 'Tour van' }).getByText('Cancelled, refunded').waitFor();
  await page.getByRole('form', { name: 'Open a campaign' }).waitFor();
  await shot('artist-record');
  await logOut();

  // The fan's investments: figures, the chart of what came back, the pledges (one refunded).
  await logInAs(page, fan.user.username, fan.password, '/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Investments' }).click();
  await reach(page.locator('#received-total'));
  assert.deepEqual([await amountOf('#invested-total'), await amountOf('#received-total'), await amountOf('#remaining-total')], [1000, 1500, 0]);
  const row = page.getByRole('table', { name: 'My investments per campaign' }).getByRole('row').filter({ hasText: 'New microphone' });
  assert.match((await row.textContent()) ?? '', /\$10\.00\$15\.00\$0\.00\$15\.00Repaid in full/);
  const chart = page.getByRole('img', { name: 'Repayments received, in all' });
  await chart.waitFor();
  assert.equal(await chart.locator('circle').count(), 2, 'one step per repayment');
  assert.match((await chart.locator('desc').textContent()) ?? '', /reaching \$15\.00; all caps \$15\.00/);
  const repayments = page.getByRole('table', { name: 'Repayments, newest first' });
  assert.deepEqual(await repayments.locator('tbody tr td:nth-child(4)').allTextContents(), ['$10.00', '$5.00']);
  const pledges = page.getByRole('table', { name: 'My pledges, newest first' });
  assert.deepEqual(await pledges.locator('[data-refunded]').allTextContents(), ['Refunded', 'Invested']);
  await shot('fan-investments');

  const unexpected = session.pageErrors.filter((e) => !/status of 40[02]/.test(e));
  assert.deepEqual(unexpected, [], 'no page errors (the refused pledges are an expected 400 and 402)');
});
