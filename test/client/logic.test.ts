// Pure logic of the web client (runs in node): chunk planning, loudness gain, waveform bars,
// formatting of money and time, chart geometry, error messages, investment campaigns in words,
// discovery (pages of new tracks, links, lookup refusals), browsing (track rows, queue items,
// addresses, search queries, playlist order).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentRange, nextChunk, planChunks, resumeKey, uploadFraction } from '../../client/src/lib/chunks.js';
import { normalisationGain, splitGain } from '../../client/src/lib/loudness.js';
import { barHeights, playedBars, seekTime } from '../../client/src/lib/waveform.js';
import { formatBytes, formatDuration } from '../../client/src/lib/format.js';
import { PlayedTracker } from '../../client/src/lib/played.js';
import { actorLabel, formatListening, formatMinor, formatMoney, monthName, monthOf, parseMinor, percentages, previousMonth, subscriptionStateText } from '../../client/src/lib/money.js';
import { barLayout, daysBetween, niceMax, stackedLayout, stepLayout, ticks } from '../../client/src/lib/chart.js';
import { artistTotals, campaignStateText, checkCampaign, cumulative, fundedPercent, multipleText, parseMultiple, parseShare, percentText, pledgeStateText, termsText, timeLeft, type CampaignDraft } from '../../client/src/lib/campaigns.js';
import { problemMessage } from '../../client/src/lib/problem.js';
import { accessBadge, appPath, atHandle, followersModeText, instanceFollowStateText, lookupErrorMessage, nextNewPage, originOf } from '../../client/src/lib/discover.js';
import { agoText, albumPath, bylineText, countText, genrePath, hostOf, isAddressQuery, mayAddToPlaylist, mayEditPlaylist, movedText, moveItem, queueItem, remotePlaylistPath, rowFromDiscover, rowFromRemote, rowFromTrack, searchErrorMessage, searchPath, withTracks } from '../../client/src/lib/browse.js';
import { affordable, periodStart, pruneSpends, remaining, segmentOf, spentIn, trackCost } from '../../client/src/lib/budget.js';

test('chunk plan covers the file exactly once, in order, with inclusive Content-Range ends', () => {
  for (const [size, chunk] of [[0, 5], [1, 5], [10, 5], [11, 5], [12_345_678, 5 * 1024 * 1024]]) {
    const plan = planChunks(size, chunk);
    let expected = 0;
    for (const c of plan) {
      assert.equal(c.start, expected);
      assert.ok(c.end >= c.start && c.end - c.start + 1 <= chunk);
      expected = c.end + 1;
    }
    assert.equal(expected, size, `size ${size}`);
    assert.equal(plan.length, Math.ceil(size / chunk));
  }
  assert.deepEqual(planChunks(11, 5).map((c) => contentRange(c, 11)), ['bytes 0-4/11', 'bytes 5-9/11', 'bytes 10-10/11']);
});

test('resuming starts at the server offset, even mid-chunk', () => {
  assert.deepEqual(nextChunk(7, 11, 5), { start: 7, end: 10 });
  assert.equal(nextChunk(11, 11, 5), null);
  assert.deepEqual(planChunks(11, 5, 3), [{ start: 3, end: 7 }, { start: 8, end: 10 }]);
  assert.throws(() => nextChunk(12, 11, 5), RangeError);
  assert.throws(() => nextChunk(0, 11, 0), RangeError);
  assert.equal(uploadFraction(5, 3, 10), 0.8);
  assert.equal(uploadFraction(10, 5, 10), 1);
  assert.equal(resumeKey({ name: 'a.flac', size: 3, lastModified: 9 }, 'ch1'), '9ten.upload:ch1:a.flac:3:9');
});

test('loudness gain moves the track toward -14 LUFS without clipping a boost', () => {
  const loud = normalisationGain({ integratedLufs: -8, truePeakDbtp: 0 });
  assert.equal(loud.gainDb, -6);
  assert.ok(Math.abs(loud.linear - 0.5012) < 0.001);
  assert.deepEqual(splitGain(1, loud.linear), { elementVolume: 0.5012, boost: 1 });
  assert.deepEqual(splitGain(0.5, loud.linear), { elementVolume: 0.2506, boost: 1 });

  // -20 LUFS wants +6 dB, but a -4 dBTP peak leaves room for only +3 dB below the -1 dBTP ceiling.
  const quiet = normalisationGain({ integratedLufs: -20, truePeakDbtp: -4 });
  assert.equal(quiet.gainDb, 3);
  assert.equal(splitGain(0.8, quiet.linear).elementVolume, 0.8);
  assert.ok(splitGain(0.8, quiet.linear).boost > 1.41 && splitGain(0.8, quiet.linear).boost < 1.42);

  assert.equal(normalisationGain({ integratedLufs: -40, truePeakDbtp: -30 }).gainDb, 12, 'boost capped at 12 dB');
  assert.equal(normalisationGain({ integratedLufs: -14, truePeakDbtp: -1 }).gainDb, 0);
  assert.equal(normalisationGain({ integratedLufs: -20, truePeakDbtp: 0 }).gainDb, 0, 'no headroom: no boost');
  assert.equal(normalisationGain(null).linear, 1);
  assert.equal(normalisationGain({ integratedLufs: null }).linear, 1);
  assert.equal(normalisationGain({ integratedLufs: -Infinity }).linear, 1);
  assert.equal(normalisationGain({ integratedLufs: -10 }, { targetLufs: -16 }).gainDb, -6);
});

test('waveform bars: any peak scale, loudest bar is 1, played part follows the position', () => {
  assert.deepEqual(barHeights([0, 0.5, -1, 0.25], 4), [0, 0.5, 1, 0.25]);
  assert.deepEqual(barHeights([0, 16384, 32767, 8192], 2), [16384 / 32767, 1]);
  assert.deepEqual(barHeights([], 3), [0, 0, 0]);
  assert.deepEqual(barHeights([0, 0], 2), [0, 0]);
  const up = barHeights([1, 2], 6); // fewer peaks than bars: each peak spans several bars
  assert.equal(up.length, 6);
  assert.deepEqual(up, [0.5, 0.5, 0.5, 1, 1, 1]);
  assert.equal(playedBars(0, 10, 100), 0);
  assert.equal(playedBars(5, 10, 100), 50);
  assert.equal(playedBars(12, 10, 100), 100);
  assert.equal(playedBars(5, 0, 100), 0);
  assert.equal(seekTime(50, 200, 8), 2);
  assert.equal(seekTime(-5, 200, 8), 0);
  assert.equal(seekTime(500, 200, 8), 8);
});

test('played seconds count playback, not seeks', () => {
  const t = new PlayedTracker();
  for (let s = 0; s <= 4; s += 0.25) t.update(s);
  t.update(60); // a seek forward
  t.update(60.25);
  t.break();
  t.update(10);
  t.update(10.5);
  assert.equal(t.playedSeconds, 4.75);
});

test('durations and sizes read naturally', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(6.4), '0:06');
  assert.equal(formatDuration(201), '3:21');
  assert.equal(formatDuration(3723), '1:02:03');
  assert.equal(formatDuration(null), '–:––');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1_500_000), '1.5 MB');
});

test('money formatting uses integer minor units: symbols, negatives, parsing back', () => {
  assert.equal(formatMinor(0), '0.00');
  assert.equal(formatMinor(5), '0.05');
  assert.equal(formatMinor(-5), '-0.05');
  assert.equal(formatMinor(123456789), '1,234,567.89');
  assert.equal(formatMoney(900, 'USD'), '$9.00');
  assert.equal(formatMoney(-1000, 'usd'), '-$10.00');
  assert.equal(formatMoney(250, 'EUR'), '€2.50');
  assert.equal(formatMoney(250, 'XYZ'), '2.50 XYZ');
  assert.equal(parseMinor('12.5'), 1250);
  assert.equal(parseMinor('12,05'), 1205);
  assert.equal(parseMinor(' 20 '), 2000);
  assert.equal(parseMinor('0.07'), 7);
  for (const bad of ['', '-1', '1.234', 'abc', '1e3', '.5']) assert.equal(parseMinor(bad), null, bad);
  for (const cents of [0, 1, 99, 100, 1001, 987654321]) assert.equal(parseMinor(formatMinor(cents).replace(/,/g, '')), cents);
});

test('listening time, months and actor labels read well', () => {
  assert.equal(formatListening(0), '0 s');
  assert.equal(formatListening(59.6), '1 min');
  assert.equal(formatListening(125), '2 min 5 s');
  assert.equal(formatListening(3725), '1 h 2 min');
  assert.equal(previousMonth('2026-01'), '2025-12');
  assert.equal(previousMonth('2026-11'), '2026-10');
  assert.equal(monthOf(new Date('2026-03-31T23:59:59Z')), '2026-03');
  assert.equal(monthName('2026-11'), 'November 2026');
  assert.equal(monthName('bad'), 'bad');
  assert.equal(actorLabel('https://a.example/ap/channels/tone_collective'), 'tone_collective@a.example');
  assert.equal(actorLabel('http://127.0.0.1:9010/@sam'), 'sam@127.0.0.1:9010');
  assert.equal(actorLabel('not a url'), 'not a url');
});

test('shares in percent add up to exactly 100 with largest remainders', () => {
  assert.deepEqual(percentages([1, 1, 1]), [33.4, 33.3, 33.3]);
  assert.deepEqual(percentages([0, 0]), [0, 0]);
  assert.deepEqual(percentages([5, 0, -3]), [100, 0, 0]);
  for (const values of [[7, 3, 1], [1, 2, 3, 4, 5, 6, 7], [999, 1], [450, 450, 100]]) {
    const p = percentages(values);
    assert.equal(Math.round(p.reduce((a, v) => a + v, 0) * 10), 1000, values.join(','));
  }
});

test('subscription states are explained, including past due and lapsed', () => {
  const base = { cancelAtPeriodEnd: false, currentMonth: '2026-11', pastDueMonth: null, graceEndsAt: null };
  assert.equal(subscriptionStateText(null), 'You are not subscribed.');
  assert.match(subscriptionStateText({ ...base, status: 'active' }), /^Active \(paid for November 2026\); renews/);
  assert.match(subscriptionStateText({ ...base, status: 'active', cancelAtPeriodEnd: true }), /until the end of November 2026; it will not renew/);
  assert.match(subscriptionStateText({ ...base, status: 'past_due', pastDueMonth: '2026-12', graceEndsAt: '2026-12-04T00:00:00Z' }), /^Past due: December 2026 could not be paid.*before 2026-12-04/);
  assert.match(subscriptionStateText({ ...base, status: 'lapsed' }), /^Lapsed/);
  assert.match(subscriptionStateText({ ...base, status: 'canceled' }), /^Canceled/);
});

test('problem+json errors become clear messages per status', () => {
  assert.match(problemMessage({ status: 401, detail: 'Authentication required' }), /not signed in/);
  assert.equal(problemMessage({ status: 403, detail: 'This needs the role admin' }), 'Your account may not do this: This needs the role admin');
  assert.equal(problemMessage({ status: 409, code: 'insufficient_funds', detail: 'Not enough money in your wallet' }), 'Not enough money in your wallet');
  assert.equal(problemMessage({ status: 422, code: 'x' }), 'Request failed (422, x).');
  assert.match(problemMessage({ status: 503, detail: 'ledger down' }), /^The node had a problem \(503\): ledger down/);
  assert.match(problemMessage({ status: 501, detail: 'fabric engine' }), /^This node does not offer this: fabric engine/);
});

test('chart geometry: nice axis tops, bars inside the plot, stacks summed, every day listed', () => {
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(7), 10);
  assert.equal(niceMax(180), 200);
  assert.equal(niceMax(2100), 2500);
  assert.equal(niceMax(40_001), 50_000);
  assert.deepEqual(ticks(200), [0, 40, 80, 120, 160, 200]);
  assert.deepEqual(ticks(100, 4), [0, 25, 50, 75, 100]);
  const { bars, top } = barLayout([{ label: 'a', value: 50 }, { label: 'b', value: 100 }, { label: 'c', value: 0 }], 300, 100);
  assert.equal(top, 100);
  assert.deepEqual(bars.map((b) => b.height), [50, 100, 0]);
  for (const b of bars) {
    assert.ok(b.x >= 0 && b.x + b.width <= 300 && b.y >= 0 && b.y + b.height <= 100);
    assert.equal(b.y + b.height, 100, 'bars stand on the baseline');
  }
  assert.ok(bars[0].x + bars[0].width < bars[1].x, 'bars do not overlap');
  assert.equal(barLayout([{ label: 'one', value: 1 }], 100, 100).top, 5, 'small counts still get whole-number ticks');
  const stacked = stackedLayout([{ label: 'd1', values: [3, 2] }, { label: 'd2', values: [0, 10] }], 200, 100);
  assert.equal(stacked.top, 10);
  const d1 = stacked.bars.filter((b) => b.label === 'd1');
  assert.deepEqual(d1.map((b) => [b.series, b.height]), [[0, 30], [1, 20]]);
  assert.equal(d1[1].y + d1[1].height, d1[0].y, 'the second series sits on the first');
  assert.equal(stacked.bars.filter((b) => b.label === 'd2').length, 1, 'empty values draw nothing');
  assert.deepEqual(daysBetween('2026-02-27', '2026-03-02'), ['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  assert.deepEqual(daysBetween('2026-03-02', '2026-03-01'), []);
});

test('the metered budget: spent per hour (rolling) or month (calendar), what fits, what a track costs', () => {
  const now = new Date(2027, 2, 15, 12, 0, 0);
  const at = (minutesAgo: number) => now.getTime() - minutesAgo * 60_000;
  const spends = [{ at: at(5), amount: 3 }, { at: at(59), amount: 2 }, { at: at(61), amount: 7 }, { at: new Date(2027, 1, 20).getTime(), amount: 50 }];
  assert.equal(spentIn({ amount: 10, period: 'hour' }, spends, now), 5, 'the last 60 minutes');
  assert.equal(spentIn({ amount: 100, period: 'month' }, spends, now), 12, 'March only');
  assert.equal(remaining({ amount: 10, period: 'hour' }, spends, now), 5);
  assert.equal(remaining({ amount: 4, period: 'hour' }, spends, now), 0, 'never negative');
  assert.equal(periodStart('month', now), new Date(2027, 2, 1).getTime());
  const prices = [{ name: '128k', pricePerMinute: 5 }, { name: '64k', pricePerMinute: 2 }, { name: '320k', pricePerMinute: 9 }];
  assert.deepEqual(affordable(prices, 5).map((r) => r.name), ['64k', '128k'], 'cheapest first, up to what is left');
  assert.deepEqual(affordable(prices, 1), []);
  // As the node charges: a span per started minute, its seconds at the minute's price, rounded up.
  assert.equal(trackCost(2, 70), 2 + 1);
  assert.equal(trackCost(3, 120), 6);
  assert.equal(trackCost(5, 1), 1);
  assert.equal(pruneSpends(spends, now).length, 3, 'February is dropped');
  assert.deepEqual(segmentOf('/static/streaming/0b9b5e0e-4a43-4a7a-9a43-1c2d3e4f5a6b/64k/seg-00012.m4s?session=x'), { trackId: '0b9b5e0e-4a43-4a7a-9a43-1c2d3e4f5a6b', rendition: '64k', index: 12 });
  assert.equal(segmentOf('/static/streaming/0b9b5e0e-4a43-4a7a-9a43-1c2d3e4f5a6b/64k/playlist.m3u8'), undefined);
  assert.deepEqual(segmentOf('http://n/api/v1/federation/tracks/0b9b5e0e-4a43-4a7a-9a43-1c2d3e4f5a6b/hls/64k/seg-00003.m4s'), { trackId: '0b9b5e0e-4a43-4a7a-9a43-1c2d3e4f5a6b', rendition: '64k', index: 3 });
});

test('investment campaigns in words: terms, time left, the form checked as the node would, running totals', () => {
  assert.deepEqual([percentText(150), percentText(1000), percentText(1), percentText(10_000), percentText(1205)], ['1.5 %', '10 %', '0.01 %', '100 %', '12.05 %']);
  assert.deepEqual([multipleText(1.5), multipleText(2), multipleText(1.25)], ['1.5×', '2×', '1.25×']);
  assert.equal(termsText({ shareBasisPoints: 150, capMultiple: 1.5 }), "1.5 % of this artist's income until each investor has 1.5× back");
  const now = Date.UTC(2027, 0, 1);
  assert.deepEqual(
    [timeLeft(now + 3 * 86_400_000 + 4 * 3_600_000 + 5_000, now), timeLeft(now + 86_400_000, now), timeLeft(now + 5 * 3_600_000 + 12 * 60_000, now), timeLeft(now + 90_000, now), timeLeft(now + 45_000, now), timeLeft(now, now)],
    ['3 days 4 h', '1 day', '5 h 12 min', '1 min 30 s', '45 s', null],
  );
  assert.deepEqual([fundedPercent(250, 1000), fundedPercent(1500, 1000), fundedPercent(1, 0)], [25, 150, 0]);
  assert.deepEqual([parseShare('1.5'), parseShare('10 %'), parseShare('0,01'), parseShare('1.234'), parseShare('-1')], [150, 1000, 1, null, null]);
  assert.deepEqual([parseMultiple('1.5'), parseMultiple('2x'), parseMultiple('1.25×'), parseMultiple('1.5.1')], [1.5, 2, 1.25, null]);

  const money = (v: number) => `$${(v / 100).toFixed(2)}`;
  const draft: CampaignDraft = { title: ' New mic ', description: '', goal: '500', minPledge: '5.00', deadline: new Date(now + 30 * 86_400_000).toISOString(), share: '1.5', cap: '1.5' };
  assert.deepEqual(checkCampaign(draft, now, money), {
    body: { title: 'New mic', goal: 50_000, minPledge: 500, deadline: new Date(now + 30 * 86_400_000).toISOString(), shareBasisPoints: 150, capMultiple: 1.5 },
    problems: [],
  });
  const fields = (over: Partial<CampaignDraft>) => checkCampaign({ ...draft, ...over }, now, money).problems.map((p) => p.field);
  assert.deepEqual(fields({ title: '  ' }), ['title']);
  assert.deepEqual(fields({ goal: '0' }), ['goal']);
  assert.deepEqual(fields({ minPledge: '600' }), ['minPledge']);
  assert.equal(checkCampaign({ ...draft, minPledge: '600' }, now, money).problems[0].message, 'The minimum pledge cannot be more than the goal ($500.00).');
  assert.deepEqual(fields({ deadline: new Date(now + 30_000).toISOString() }), ['deadline'], 'at least a minute away');
  assert.deepEqual(fields({ deadline: new Date(now + 366 * 86_400_000).toISOString() }), ['deadline'], 'at most 365 days');
  assert.deepEqual(fields({ deadline: '' }), ['deadline']);
  assert.deepEqual(fields({ share: '0' }), ['share']);
  assert.deepEqual(fields({ share: '100.01' }), ['share']);
  assert.deepEqual(fields({ cap: '0.9' }), ['cap']);
  assert.deepEqual(fields({ cap: '10.5' }), ['cap']);
  assert.equal(checkCampaign({ ...draft, title: '', cap: '11' }, now, money).body, null);

  const c = (status: 'open' | 'funded' | 'failed' | 'cancelled', over: Record<string, unknown> = {}) =>
    ({ status, raised: 1000, repaid: 300, owed: 1200, repaidAt: null, shareBasisPoints: 500, deadline: new Date(now + 1000).toISOString(), ...over }) as any;
  assert.deepEqual(artistTotals([c('funded'), c('funded', { repaid: 1500, owed: 0, repaidAt: 'x' }), c('failed'), c('open', { shareBasisPoints: 100 })]), { raised: 2000, repaid: 1800, owed: 1200, funded: 2, repaidInFull: 1, promisedBasisPoints: 600 });
  assert.deepEqual([c('open'), c('open', { deadline: new Date(now).toISOString() }), c('funded'), c('funded', { repaidAt: 'x' }), c('failed'), c('cancelled')].map((x) => campaignStateText(x, now)),
    ['Open for pledges', 'Deadline passed, settling', 'Funded, repaying', 'Funded, repaid in full', 'Missed its goal, refunded', 'Cancelled, refunded']);
  assert.deepEqual([pledgeStateText({ refunded: true }, c('cancelled')), pledgeStateText({ refunded: false }, c('funded')), pledgeStateText({ refunded: false }, c('open'))], ['Refunded', 'Invested', 'In escrow until the deadline']);
  assert.deepEqual(cumulative([{ at: '2027-01-01T00:00:00Z', amount: 5 }, { at: '2027-01-02T00:00:00Z', amount: 10 }]), [{ t: Date.UTC(2027, 0, 1), value: 5 }, { t: Date.UTC(2027, 0, 2), value: 15 }]);
});

test('step chart geometry: a running total from zero, steps at each point, the cap kept in view, labels by day or hour', () => {
  const day = 86_400_000;
  const t0 = Date.UTC(2027, 0, 1);
  const s = stepLayout([{ t: t0, value: 50 }, { t: t0 + 2 * day, value: 100 }], 400, 100, { end: t0 + 4 * day, ceiling: 150 });
  assert.equal(s.top, 200, 'the cap is inside the axis');
  assert.equal(s.ceilingY, 25);
  assert.deepEqual(s.dots.map((d) => [d.x, d.y]), [[0, 75], [200, 50]]);
  assert.equal(s.line, 'M0 100 H0 V75 H200 V50 H400');
  assert.equal(s.area, 'M0 100 H0 V75 H200 V50 H400 V100 H0 Z');
  assert.deepEqual(s.xTicks.map((t) => t.label), ['01-01', '01-02', '01-03', '01-04', '01-05'], 'six ticks over four days, the repeated day once');
  for (const t of s.xTicks) assert.ok(t.x >= 0 && t.x <= 400);
  const sameHour = stepLayout([{ t: t0, value: 3 }, { t: t0 + 60_000, value: 4 }], 100, 100);
  assert.equal(sameHour.top, 5);
  assert.match(sameHour.xTicks[0].label, /^\d\d:\d\d$/, 'a short span is labelled by the hour');
  assert.deepEqual(stepLayout([], 100, 100).dots, []);
  assert.equal(stepLayout([{ t: t0, value: 1 }], 100, 100).dots[0].x, 0, 'a single point still draws');
});

test('discovery: new tracks page up to 200, pages open in the app, each lookup refusal in words', () => {
  assert.deepEqual(nextNewPage(20, 20), { offset: 20, limit: 20 });
  assert.equal(nextNewPage(7, 7), null, 'a short page is the last');
  assert.deepEqual(nextNewPage(190, 20), { offset: 190, limit: 10 }, 'limit + offset stay within 200');
  assert.equal(nextNewPage(200, 10), null);
  assert.equal(originOf('remote'), 'remote');
  assert.equal(originOf('elsewhere'), 'all');

  assert.equal(appPath('https://music.example/remote/5f0c?x=1'), '/remote/5f0c?x=1');
  assert.equal(appPath('http://127.0.0.1:9010/tracks/abc'), '/tracks/abc');
  assert.equal(appPath('https://music.example/channels/band'), '/channels/band');
  assert.equal(appPath('https://elsewhere.example/ap/tracks/1'), 'https://elsewhere.example/ap/tracks/1', 'not one of this app\'s pages');
  assert.equal(atHandle('band@music.example'), '@band@music.example');
  assert.equal(atHandle('@band@music.example'), '@band@music.example');
  assert.equal(atHandle(null), null);
  assert.equal(accessBadge('free'), null);
  assert.equal(accessBadge('metered'), 'pay as you play');
  assert.equal(accessBadge('subscribers'), 'subscribers');

  assert.equal(lookupErrorMessage({ status: 429, code: 'rate_limited' }), 'Too many lookups, try again in a minute.');
  assert.match(lookupErrorMessage({ status: 400, code: 'invalid_lookup' }), /@name@host/);
  assert.match(lookupErrorMessage({ status: 403, code: 'blocked' }), /blocked by this node/);
  assert.match(lookupErrorMessage({ status: 404, code: 'not_found' }), /on this node/);
  assert.match(lookupErrorMessage({ status: 422, code: 'private_address' }), /private network/);
  assert.match(lookupErrorMessage({ status: 422, code: 'unsupported_object' }), /not a track or a channel/);
  assert.match(lookupErrorMessage({ status: 422, code: 'unresolvable', detail: 'timed out' }), /Nothing found there.*timed out/);
  assert.match(lookupErrorMessage({ status: 401 }), /Log in/);

  assert.match(instanceFollowStateText('pending', 'follower'), /your answer/);
  assert.match(instanceFollowStateText('pending', 'following'), /its admin/);
  assert.match(followersModeText('manual'), /waits until an admin accepts.*INSTANCE_FOLLOWERS/);
});

test('browsing: one row shape from every track, what the player queues, the app\'s addresses', () => {
  const local = rowFromTrack({
    id: 't1', kind: 'audio', channel: { id: 'c1', name: 'sine band', displayName: 'Sine Band' }, title: 'Opening', artist: null, album: 'Loopback', trackNumber: 1, genre: 'Ambient',
    access: { mode: 'metered', pricesPerMinute: {}, currency: 'USD' }, coverUrl: '/static/c.jpg', durationSeconds: 62,
  } as any);
  assert.equal(local.href, '/tracks/t1');
  assert.equal(local.channelHref, '/channels/sine%20band');
  assert.equal(local.access, 'metered');
  assert.equal(bylineText(local), 'Sine Band', 'no artist tag: the channel');
  assert.deepEqual(queueItem(local), { id: 't1', origin: 'local', title: 'Opening', artist: 'Sine Band', coverUrl: '/static/c.jpg', durationSeconds: 62 });
  const remote = rowFromDiscover({
    origin: 'remote', id: 'r1', uri: 'https://b.example/ap/t/1', kind: 'audio', title: 'Far', artist: 'Bee', channel: { uri: 'https://b.example/ap/c', name: 'Bees', handle: 'bees@b.example', host: 'b.example' },
    durationSeconds: null, coverUrl: null, publishedAt: '2026-01-01T00:00:00Z', access: 'free', pageUrl: 'https://a.example/remote/r1', masterPlaylistUrl: null,
  });
  assert.equal(remote.href, '/remote/r1', 'opens in the app');
  assert.equal(remote.channelHref, null, 'no channel page here');
  assert.equal(remote.channelHandle, '@bees@b.example');
  assert.equal(bylineText(remote), 'Bee · Bees');
  assert.equal(queueItem(remote).origin, 'remote');
  assert.ok(mayAddToPlaylist(local) && !mayAddToPlaylist(remote), 'playlists hold this node\'s tracks');
  const listed = rowFromRemote({ id: 'r2', kind: 'audio', title: 'Listed', artist: null, host: 'b.example', coverUrl: null, durationSeconds: 5, access: { mode: 'free', currency: null, pricesPerMinute: {} }, album: null, position: 3 } as any);
  assert.equal(listed.href, '/remote/r2');
  assert.equal(bylineText(listed), 'b.example');
  assert.equal(albumPath('sine_band', 'Été / B-sides'), '/channels/sine_band/albums/%C3%89t%C3%A9%20%2F%20B-sides');
  assert.equal(genrePath('Hip hop'), '/genres/Hip%20hop');
  assert.equal(searchPath('  crosing wires '), '/search?q=crosing%20wires');
  assert.equal(remotePlaylistPath('https://b.example/p/1', 'https://b.example/u/x'), '/playlists/remote?uri=https%3A%2F%2Fb.example%2Fp%2F1&actor=https%3A%2F%2Fb.example%2Fu%2Fx');
  assert.equal(hostOf('https://b.example:8443/u/x'), 'b.example:8443');
  assert.equal(hostOf('not a url'), 'not a url');
  assert.equal(countText(1, 'track'), '1 track');
  assert.equal(countText(3, 'track'), '3 tracks');
  const now = new Date('2026-03-10T12:00:00Z');
  assert.equal(agoText('2026-03-10T11:59:30Z', now), 'just now');
  assert.equal(agoText('2026-03-10T11:15:00Z', now), '45 min ago');
  assert.equal(agoText('2026-03-09T10:00:00Z', now), 'yesterday');
  assert.equal(agoText('2025-12-01T10:00:00Z', now), '2025-12-01');
});

test('search: an address or @name@host is looked up, words are searched; refusals in words', () => {
  for (const q of ['https://b.example/channels/bees', '@bees@b.example', 'bees@b.example', ' @x@localhost:9010 ']) assert.ok(isAddressQuery(q), q);
  for (const q of ['crosing wires', 'loopback sessions', '@bees', 'ftp://x', 'AC/DC']) assert.ok(!isAddressQuery(q), q);
  assert.match(searchErrorMessage({ status: 401 }), /Log in to look up/);
  assert.match(searchErrorMessage({ status: 429 }), /Too many lookups/);
  assert.match(searchErrorMessage({ status: 422, code: 'private_address' }), /private network/);
  assert.match(searchErrorMessage({ status: 422 }), /Nothing found at that address/);
  assert.match(searchErrorMessage({ status: 503 }), /node had a problem/);
});

test('playlist order: a move lands where asked (clamped), said in words; adding keeps each track once', () => {
  const list = ['a', 'b', 'c', 'd'];
  assert.deepEqual(moveItem(list, 0, 2), ['b', 'c', 'a', 'd']);
  assert.deepEqual(moveItem(list, 3, 0), ['d', 'a', 'b', 'c']);
  assert.deepEqual(moveItem(list, 1, 9), ['a', 'c', 'd', 'b'], 'clamped to the end');
  assert.deepEqual(moveItem(list, 2, 2), list);
  assert.deepEqual(moveItem(list, 7, 0), list, 'nothing to move');
  assert.deepEqual(list, ['a', 'b', 'c', 'd'], 'the input is left alone');
  assert.equal(movedText('Opening', 2, 5), 'Opening moved to position 2 of 5.');
  assert.deepEqual(withTracks(['a', 'b'], ['b', 'c', 'c']), { ids: ['a', 'b', 'c'], added: 1 });
  assert.deepEqual(withTracks([], []), { ids: [], added: 0 });
  const p = { owner: { id: 'u1' } };
  assert.ok(mayEditPlaylist(p, { id: 'u1', role: 'listener' }));
  assert.ok(mayEditPlaylist(p, { id: 'u2', role: 'admin' }));
  assert.ok(!mayEditPlaylist(p, { id: 'u2', role: 'artist' }));
  assert.ok(!mayEditPlaylist(p, null));
});
