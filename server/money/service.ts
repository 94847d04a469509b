// The money capability's service: the books, payment providers, subscriptions, month
// close and payouts, and the read models behind the transparency endpoints.
import { AppError } from '../http/errors.js';
import type { Transaction } from 'sequelize';
import { allocate, splitSubscription } from '../../shared/money/index.js';
import type { NodeContext } from '../context.js';
import { select, selectOne } from '../db/index.js';
import { accounts, Books, type Health, type PostedTransaction } from './books.js';
import { AdminCreditProvider, type PaymentProvider, type TopUpArgs } from './providers.js';
import { GiftLinkProvider } from './gift-links.js';
import { WebhookProvider } from './webhook.js';
import { Streams } from './streams.js';
import { Tips } from './tips.js';
import { Metered } from './metered.js';
import { LiveSales } from './live-sales.js';
import { Campaigns } from './campaigns.js';
import { IncomeReports } from './income.js';
import { CampaignLedger } from './campaign-ledger.js';
import { Withdrawals } from './withdrawals.js';
import { Subscriptions, type Subscription, type SubscriptionChange } from './subscriptions.js';
import { closeMonth, closeState, type CloseDeps, type CloseHooks, type MonthCloseState } from './month-close.js';
import { payMonth, resolveHold, toPayout, type Payout } from './payouts.js';
import type { LedgerStatement, QualifiedSecondsSource } from './seconds-source.js';
import type { Hold, HoldFilter, IncomingTip, MoneyApi, ReceivedTip, RemoteArtistsPort, TipToSend, LiveCatalogPort } from './contract.js';
import { assertMonth } from '../http/month.js';
import { dateOf, dayOf, monthOf, nextMonth as nextMonthOf, previousMonth } from '../../shared/month.js';
import type { Logger } from '../logger.js';
import type * as api from '../../shared/api/index.js';


export type AllocationView = api.Allocation;

export class MoneyService implements MoneyApi {
  readonly books: Books;
  readonly adminCredit: AdminCreditProvider;
  readonly giftLinks: GiftLinkProvider;
  readonly webhook: WebhookProvider;
  readonly withdrawals: Withdrawals;
  readonly subscriptions: Subscriptions;
  readonly streams: Streams;
  readonly tips: Tips;
  readonly metered: Metered;
  readonly live: LiveSales;
  readonly campaigns: Campaigns;
  get segmentAccess(): Metered {
    return this.metered;
  }
  readonly income: IncomeReports;
  readonly campaignLedger: CampaignLedger;
  readonly providers: Map<string, PaymentProvider>;
  private source: QualifiedSecondsSource;
  /** Whether month close checks its split against the shared ledger's (true for listening's own figures). */
  private reconcileWithLedger = true;
  private readonly log: Logger;
  private readonly tipListeners: ((tip: ReceivedTip) => void)[] = [];

  constructor(private readonly ctx: NodeContext) {
    const { db, config } = ctx;
    this.log = ctx.logger.child({ component: 'money' });
    this.books = new Books(db, config.money.currency);
    this.adminCredit = new AdminCreditProvider(this.books);
    this.giftLinks = new GiftLinkProvider(this.books, db, config.publicUrl);
    this.webhook = new WebhookProvider(this.books, db, () => ctx.config.money.webhookSecret ?? undefined);
    this.providers = new Map<string, PaymentProvider>([this.adminCredit, this.giftLinks, this.webhook].map((p) => [p.name, p]));
    this.withdrawals = new Withdrawals(db, this.books);
    // Accounts initialise before money; asked per call all the same, as the other capabilities are.
    this.streams = new Streams(db, this.books, {
      byId: (id) => ctx.services.accounts.byId(id),
      byUsername: (u) => ctx.services.accounts.byUsername(u),
      usernames: (ids) => ctx.services.accounts.usernames(ids),
    });
    this.tips = new Tips(db, this.books, {
      publicUrl: config.publicUrl,
      media: () => ctx.services.media,
      nodeCutBasisPoints: () => ctx.config.money.tipNodeCutBasisPoints,
      sent: (tipId) => ctx.events.emit('tip.sent', { tipId }),
      notify: (n) => ctx.events.emit('user.notify', n),
      received: (tip) => {
        for (const l of this.tipListeners) {
          try {
            l(tip);
          } catch (err) {
            ctx.logger.warn({ err }, 'tip listener failed');
          }
        }
      },
    });
    this.metered = new Metered(db, this.books, {
      publicUrl: config.publicUrl,
      media: () => ctx.services.media,
      nodeCutBasisPoints: () => ctx.config.money.meteredNodeCutBasisPoints,
      isSubscriber: async (userId) => (await this.subscriptions.get(userId))?.status === 'active',
    });
    this.live = new LiveSales(this.metered, this.streams, this.books, db);
    this.campaigns = new Campaigns(db, this.books, {
      media: () => ctx.services.media,
      nodeCutBasisPoints: () => ctx.config.money.campaignNodeCutBasisPoints,
      changed: (campaignId) => ctx.events.emit('campaign.changed', { campaignId }),
    });
    this.books.onIncome = (t, credit) => this.campaigns.repayFromIncome(t, credit);
    this.income = new IncomeReports(db, {
      publicUrl: config.publicUrl,
      currency: config.money.currency,
      timeZone: () => ctx.config.money.timeZone,
      ledger: () => ctx.services.ledger,
      accounts: () => ctx.services.accounts,
    });
    this.campaignLedger = new CampaignLedger(db, {
      publicUrl: config.publicUrl,
      timeZone: () => ctx.config.money.timeZone,
      ledger: () => ctx.services.ledger,
      media: () => ctx.services.media,
      pseudonym: (userId, month) => this.pseudonym(userId, month),
    });
    // Listening initialises after money: asked when a month closes.
    this.source = { qualifiedSeconds: (month) => ctx.services.listening.qualifiedSeconds(month) };
    this.subscriptions = new Subscriptions({
      db, books: this.books, money: config.money, logger: this.log,
      recordCharge: (t, sub, month, kind) => this.recordCharge(t, sub, month, kind),
      changed: (sub, change) => this.subscriptionChanged(sub, change),
    });
  }

  /** The node's identity on the shared ledger. */
  get nodeId(): string {
    return this.ctx.services.ledger.nodeId;
  }

  /**
   * Replaces where month close reads qualified seconds (tests, imports); default: listening.
   * Figures from another source never reached the ledger's daily reports, so the ledger
   * reconciliation is off unless asked for.
   */
  setQualifiedSecondsSource(source: QualifiedSecondsSource, opts: { reconcileWithLedger?: boolean } = {}): void {
    this.source = source;
    this.reconcileWithLedger = opts.reconcileWithLedger ?? false;
  }

  /** The listener's pseudonym for a month (listening keeps the node's one pseudonym store). */
  pseudonym(userId: string, month: string): Promise<string> {
    return this.ctx.services.listening.pseudonym(userId, month);
  }

  get currency(): string {
    return this.books.currency;
  }

  subscription(id: string): Promise<Subscription | undefined> {
    return this.subscriptions.byId(id);
  }

  topUp(provider: string, args: TopUpArgs, t?: Transaction): Promise<PostedTransaction> {
    const p = this.providers.get(provider);
    if (!p) throw new Error(`unknown payment provider ${provider}`);
    return p.topUp(args, t);
  }

  tipToSend(id: string): Promise<TipToSend | undefined> {
    return this.tips.toSend(id);
  }

  tipsToAnnounce(since: Date, limit: number): Promise<TipToSend[]> {
    return this.tips.toAnnounce(since, limit);
  }

  receiveTip(tip: IncomingTip): Promise<{ created: boolean }> {
    return this.tips.receive(tip);
  }

  onTipReceived(listener: (tip: ReceivedTip) => void): void {
    this.tipListeners.push(listener);
  }

  useLiveCatalog(port: LiveCatalogPort): void {
    this.metered.live.wire(port);
  }

  campaign(id: string) {
    return this.campaigns.get(id).catch((err) => {
      if (err instanceof AppError && err.status === 404) return undefined;
      throw err;
    });
  }

  channelCampaigns(channelIdOrName: string) {
    return this.campaigns.listByChannel(channelIdOrName).catch((err) => {
      if (err instanceof AppError && err.status === 404) return [];
      throw err;
    });
  }

  campaignFigures(campaignId: string, throughSeq: number) {
    return this.campaignLedger.figures(campaignId, throughSeq);
  }

  useRemoteArtists(port: RemoteArtistsPort): void {
    this.tips.remote.wire(port);
    this.metered.remote.wire(port);
  }

  health(): Promise<Health> {
    return this.books.health();
  }

  async wallet(userId: string, limit = 50, offset = 0) {
    const key = accounts.wallet(userId).key;
    const [balance, entries] = await Promise.all([this.books.balance(key), this.books.entries(key, limit, offset)]);
    return { userId, currency: this.books.currency, balance, entries };
  }

  private async recordCharge(t: Transaction, sub: Subscription, month: string, kind: 'new' | 'renewal'): Promise<void> {
    const record = { nodeId: this.nodeId, month, pseudonym: await this.pseudonym(sub.userId, month), amount: sub.amount, currency: sub.currency, kind };
    await this.ctx.services.ledger.enqueueSubmit(t, 'SubscriptionContract:record', [JSON.stringify(record)]);
  }

  private subscriptionChanged(sub: Subscription, change: SubscriptionChange): void {
    this.log.info({ subscriptionId: sub.id, change, status: sub.status }, 'subscription changed');
    this.metered.forgetSubscriber(sub.userId);
    this.ctx.events.emit('subscription.changed', { subscriptionId: sub.id });
  }

  closeDeps(): CloseDeps {
    const reconcile = this.reconcileWithLedger ? (month: string) => this.reconcile(month) : undefined;
    return { db: this.ctx.db, books: this.books, money: this.ctx.config.money, logger: this.log, source: this.source, reconcile };
  }

  /**
   * Closes the month on the shared ledger (MonthCloseContract:close, idempotent there too)
   * and compares its statement with the books: node fees, per-artist payouts, held, and
   * the no-listening outcomes. Returns a description of the first differences, or null.
   */
  private async reconcile(month: string): Promise<string | null> {
    const ledger = this.ctx.services.ledger;
    const db = this.ctx.db;
    const heldRows = await select<{ user_id: string; artist: string; seconds: string }>(
      db, 'SELECT user_id, artist, seconds FROM money_close_seconds WHERE month = :month AND held ORDER BY user_id, artist', { month },
    );
    const held = await Promise.all(heldRows.map(async (r) => ({ pseudonym: await this.pseudonym(r.user_id, month), artist: r.artist, seconds: Number(r.seconds) })));
    const reports = (await ledger.evaluate('ReportContract:listForMonth', [this.nodeId, month])) as { day: string }[] | null;
    const reported = new Set((reports ?? []).map((r) => r.day));
    const [y, m] = month.split('-').map(Number);
    const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const missingDays = Array.from({ length: days }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`).filter((d) => !reported.has(d));
    const input = { nodeId: this.nodeId, month, nodeFee: this.ctx.config.money.nodeFeeAmount, policy: this.ctx.config.money.noListeningPolicy, held, missingDays };
    // Rolled-over credit must reach the same listener next month under next month's pseudonym:
    // the mapping travels privately (transient map), never in the public arguments.
    const next = nextMonthOf(month);
    const units = await select<{ user_id: string }>(db, 'SELECT user_id FROM money_close_units WHERE month = :month ORDER BY user_id', { month });
    const nextPseudonyms: Record<string, string> = {};
    for (const u of units) nextPseudonyms[await this.pseudonym(u.user_id, month)] = await this.pseudonym(u.user_id, next);
    // The month's tips and stream income go to the ledger first: the statement sums them.
    await this.income.reportMonth(month);
    const { result } = await ledger.submit('MonthCloseContract:close', [JSON.stringify(input)], { transient: { nextPseudonyms: JSON.stringify(nextPseudonyms) } });
    const statement = (typeof result === 'string' ? JSON.parse(result) : result) as LedgerStatement;

    const books = await select<{ artist: string; amount: string }>(db, 'SELECT artist, amount FROM money_payouts WHERE month = :month', { month });
    const outcomes = await select<{ outcome: string | null; unallocated: string }>(db, 'SELECT outcome, unallocated FROM money_close_units WHERE month = :month', { month });
    const sumOutcome = (o: string) => outcomes.filter((u) => u.outcome === o).reduce((a, u) => a + Number(u.unallocated), 0);
    const fee = await selectOne<{ amount: string }>(db, "SELECT coalesce(sum(amount), 0) AS amount FROM money_transactions WHERE kind = 'close.node-fee' AND memo->>'month' = :month", { month });
    const heldTotal = await selectOne<{ amount: string }>(db, 'SELECT coalesce(sum(held_amount), 0) AS amount FROM money_allocations WHERE month = :month', { month });
    const problems: string[] = [];
    const same = (what: string, ours: number, theirs: number) => {
      if (ours !== theirs) problems.push(`${what}: books ${ours}, ledger ${theirs}`);
    };
    same('node fees', Number(fee!.amount), statement.nodeFeeTotal);
    same('held', Number(heldTotal!.amount), statement.heldTotal);
    same('rolled over', sumOutcome('rollover'), statement.rolledOver);
    same('to the node', sumOutcome('node'), statement.toNodeTotal);
    same('refunded', sumOutcome('refund'), statement.refundedTotal);
    if (statement.incomeTotals) {
      // The month's income as the books have it, against what the chaincode summed.
      let tips = 0;
      let streams = 0;
      let metered = 0;
      for (const e of await this.income.figuresBetween(`${month}-01`, `${month}-${String(days).padStart(2, '0')}`)) {
        tips += e.tips;
        streams += e.streams;
        metered += e.metered;
      }
      same('tips', tips, statement.incomeTotals.tips);
      same('stream income', streams, statement.incomeTotals.streams);
      same('metered sales', metered, statement.incomeTotals.metered ?? 0);
    }
    const theirs = new Map(statement.payouts.map((p) => [p.artist, p.amount]));
    const ours = new Map(books.map((p) => [p.artist, Number(p.amount)]));
    for (const artist of new Set([...theirs.keys(), ...ours.keys()])) same(`payout to ${artist}`, ours.get(artist) ?? 0, theirs.get(artist) ?? 0);
    return problems.length ? problems.slice(0, 10).join('; ') : null;
  }

  closeMonth(month: string, hooks?: CloseHooks): Promise<MonthCloseState> {
    return closeMonth(this.closeDeps(), month, hooks);
  }

  payMonth(month: string) {
    return payMonth({ db: this.ctx.db, books: this.books, logger: this.log, notify: (n) => this.ctx.events.emit('user.notify', n) }, month);
  }

  resolveHold(holdId: string, decision: 'release' | 'refund'): Promise<'released' | 'refunded'> {
    return resolveHold({ db: this.ctx.db, books: this.books, logger: this.log }, holdId, decision);
  }

  async heldShares(filter: HoldFilter = {}): Promise<Hold[]> {
    return this.holdRows({ ...filter, status: 'held' }, null);
  }

  /** Shares of closed months by listener, artist and status, at most 1000 (tests and operators' scripts). */
  holds(filter: HoldFilter & { status?: Hold['status'] } = {}): Promise<Hold[]> {
    return this.holdRows(filter, 1000);
  }

  private async holdRows(filter: HoldFilter & { status?: Hold['status'] }, limit: number | null): Promise<Hold[]> {
    const rows = await select<Record<string, unknown>>(
      this.ctx.db,
      `SELECT * FROM money_holds WHERE (CAST(:month AS text) IS NULL OR month = :month) AND (CAST(:userId AS uuid) IS NULL OR user_id = CAST(:userId AS uuid))
         AND (CAST(:artist AS text) IS NULL OR artist = :artist) AND (CAST(:status AS text) IS NULL OR status = :status)
         AND (CAST(:artistUserId AS uuid) IS NULL OR artist_user_id = CAST(:artistUserId AS uuid))
       ORDER BY month, artist, user_id, id LIMIT :limit`,
      { month: filter.month ?? null, userId: filter.userId ?? null, artist: filter.artist ?? null, status: filter.status ?? null, artistUserId: filter.artistUserId ?? null, limit },
    );
    return rows.map((r) => ({
      id: String(r.id), month: String(r.month), userId: String(r.user_id), artist: String(r.artist), artistUserId: (r.artist_user_id as string) ?? null,
      amount: Number(r.amount), status: r.status as Hold['status'],
    }));
  }

  closeState(month: string) {
    return closeState(this.ctx.db, month);
  }

  /** Where a listener's subscription went in a month (closed), or would go now (provisional). */
  async allocation(userId: string, month: string): Promise<AllocationView> {
    assertMonth(month);
    const currency = this.books.currency;
    const unit = await selectOne<Record<string, unknown>>(this.ctx.db, "SELECT * FROM money_close_units WHERE month = :month AND user_id = :userId AND status = 'done'", { month, userId });
    if (unit) {
      const rows = await select<Record<string, unknown>>(this.ctx.db, 'SELECT * FROM money_allocations WHERE month = :month AND user_id = :userId ORDER BY rank', { month, userId });
      return {
        month, status: 'closed', currency, charged: Number(unit.charged), nodeFee: Math.min(Number(unit.node_fee), Number(unit.charged)), carriedIn: Number(unit.carried_in),
        artists: rows.map((r) => ({ artist: String(r.artist), artistUserId: (r.artist_user_id as string) ?? null, rank: Number(r.rank), seconds: Number(r.seconds), amount: Number(r.amount), held: Number(r.held_amount) })),
        unallocated: Number(unit.unallocated), outcome: (unit.outcome as string) ?? null,
      };
    }
    const charge = await selectOne<{ amount: string; node_fee: string }>(this.ctx.db, 'SELECT amount, node_fee FROM money_subscription_charges WHERE month = :month AND user_id = :userId', { month, userId });
    const carried = await this.books.balance(accounts.rollover(userId).key);
    if (!charge && carried === 0) return { month, status: 'none', currency, charged: 0, nodeFee: 0, carriedIn: 0, artists: [], unallocated: 0, outcome: null };
    let rows: Awaited<ReturnType<QualifiedSecondsSource['qualifiedSeconds']>> = [];
    try {
      rows = (await this.source.qualifiedSeconds(month)).filter((r) => r.userId === userId);
    } catch (err) {
      this.log.warn({ err }, 'no qualified seconds for a provisional allocation');
    }
    const charged = Number(charge?.amount ?? 0);
    const split = splitSubscription({
      amount: charged, nodeFee: Math.min(Number(charge?.node_fee ?? 0), charged), credit: carried,
      artistSeconds: rows.map((r) => ({ artist: r.artist, seconds: r.seconds })), held: rows.filter((r) => r.held).map((r) => ({ artist: r.artist, seconds: r.seconds })),
    });
    const localId = new Map(rows.filter((r) => r.artistUserId).map((r) => [r.artist, r.artistUserId]));
    const heldBy = new Map(split.held.map((h) => [h.artist, h]));
    return {
      month, status: 'provisional', currency, charged, nodeFee: split.nodeFee, carriedIn: carried,
      artists: split.artists.map((a, i) => ({ artist: a.artist, artistUserId: localId.get(a.artist) ?? null, rank: i + 1, seconds: a.seconds + (heldBy.get(a.artist)?.seconds ?? 0), amount: a.amount, held: heldBy.get(a.artist)?.amount ?? 0 })),
      unallocated: split.unallocated, outcome: split.unallocated > 0 ? this.ctx.config.money.noListeningPolicy : 'split',
    };
  }

  /** An artist's earnings per closed month (paid, held, seconds, listeners) and payout state. */
  async earnings(artistUserId: string) {
    const rows = await select<Record<string, unknown>>(
      this.ctx.db,
      `SELECT a.month, sum(a.amount) AS amount, sum(a.held_amount) AS held, sum(a.seconds) AS seconds, count(DISTINCT a.user_id) AS listeners,
              min(p.status) AS payout_status, min(p.paid_at) AS paid_at
       FROM money_allocations a LEFT JOIN money_payouts p ON p.month = a.month AND p.artist = a.artist
       WHERE a.artist_user_id = :artistUserId GROUP BY a.month ORDER BY a.month DESC`,
      { artistUserId },
    );
    const months = rows.map((r) => ({
      month: String(r.month), amount: Number(r.amount), held: Number(r.held), seconds: Number(r.seconds), listeners: Number(r.listeners),
      payout: r.payout_status ? { status: String(r.payout_status), paidAt: r.paid_at ? new Date(r.paid_at as Date).toISOString() : null } : null,
    }));
    return {
      artistUserId, currency: this.books.currency, balance: await this.books.balance(accounts.wallet(artistUserId).key),
      total: months.reduce((a, m) => a + m.amount, 0), months, tracks: await this.trackEarnings(artistUserId),
    };
  }

  /**
   * Per (month, track): each listener's paid share of the artist is split across the tracks
   * they listened to, by paid seconds (the same largest-remainder split), then summed.
   */
  private async trackEarnings(artistUserId: string) {
    const rows = await select<{ month: string; user_id: string; artist: string; amount: string; track_id: string | null; seconds: string | null }>(
      this.ctx.db,
      `SELECT a.month, a.user_id, a.artist, a.amount, t.track_id, t.seconds
       FROM money_allocations a LEFT JOIN money_close_track_seconds t
         ON t.month = a.month AND t.user_id = a.user_id AND t.artist = a.artist AND NOT t.held
       WHERE a.artist_user_id = :artistUserId ORDER BY a.month, a.user_id, t.track_id`,
      { artistUserId },
    );
    const groups = new Map<string, { month: string; amount: number; tracks: { key: string; weight: number }[] }>();
    for (const r of rows) {
      if (!r.track_id) continue;
      const k = `${r.month}\u0000${r.user_id}\u0000${r.artist}`;
      const g = groups.get(k) ?? { month: r.month, amount: Number(r.amount), tracks: [] };
      g.tracks.push({ key: r.track_id, weight: Number(r.seconds) });
      groups.set(k, g);
    }
    const out = new Map<string, { month: string; trackId: string; seconds: number; amount: number; listeners: number }>();
    for (const g of groups.values()) {
      const total = g.tracks.reduce((a, x) => a + x.weight, 0);
      const shares = total > 0 ? allocate(g.amount, g.tracks) : g.tracks.map((x) => ({ key: x.key, amount: 0 }));
      for (const [i, share] of shares.entries()) {
        const k = `${g.month}\u0000${share.key}`;
        const o = out.get(k) ?? { month: g.month, trackId: share.key, seconds: 0, amount: 0, listeners: 0 };
        o.seconds += g.tracks[i].weight;
        o.amount += share.amount;
        o.listeners += 1;
        out.set(k, o);
      }
    }
    return [...out.values()].sort((a, b) => (a.month === b.month ? b.amount - a.amount || (a.trackId < b.trackId ? -1 : 1) : a.month < b.month ? 1 : -1));
  }

  /** The month's statement for admins: where every cent of the month's subscriptions went. */
  async statement(month: string) {
    assertMonth(month);
    const db = this.ctx.db;
    const close = await closeState(db, month);
    const charges = await selectOne<{ n: string; amount: string; fee: string }>(db, 'SELECT count(*) AS n, coalesce(sum(amount), 0) AS amount, coalesce(sum(node_fee), 0) AS fee FROM money_subscription_charges WHERE month = :month', { month });
    const units = await select<{ outcome: string | null; n: string; unallocated: string; carried: string }>(
      db,
      "SELECT outcome, count(*) AS n, coalesce(sum(unallocated), 0) AS unallocated, coalesce(sum(carried_in), 0) AS carried FROM money_close_units WHERE month = :month AND status = 'done' GROUP BY outcome",
      { month },
    );
    const fees = await selectOne<{ amount: string }>(db, "SELECT coalesce(sum(amount), 0) AS amount FROM money_transactions WHERE kind = 'close.node-fee' AND memo->>'month' = :month", { month });
    const held = await selectOne<{ amount: string }>(db, 'SELECT coalesce(sum(held_amount), 0) AS amount FROM money_allocations WHERE month = :month', { month });
    const payouts = await select<Record<string, unknown>>(db, 'SELECT * FROM money_payouts WHERE month = :month ORDER BY amount DESC, artist', { month });
    const outcome = (o: string) => units.filter((u) => u.outcome === o).reduce((a, u) => a + Number(u.unallocated), 0);
    const list: Payout[] = payouts.map(toPayout);
    return {
      month, currency: this.books.currency, close: close ?? null,
      subscriptions: { count: Number(charges?.n ?? 0), amount: Number(charges?.amount ?? 0) },
      carriedIn: units.reduce((a, u) => a + Number(u.carried), 0),
      nodeFee: Number(fees?.amount ?? 0),
      artists: { total: list.reduce((a, p) => a + p.amount, 0), payouts: list },
      held: Number(held?.amount ?? 0),
      noListening: { rolledOver: outcome('rollover'), toNode: outcome('node'), refunded: outcome('refund') },
      balances: {
        pool: await this.books.balance(accounts.pool(month).key),
        payoutDue: await this.books.balance(accounts.payoutDue(month).key),
      },
    };
  }

  /** Enqueues what is due at `now`: renewals (hourly), the previous month's close, its payout. */
  async tick(now = new Date()): Promise<void> {
    const { timeZone, payoutDay } = this.ctx.config.money;
    const hour = now.toISOString().slice(0, 13).replace(/\D/g, '');
    await this.ctx.jobs.enqueue('money.renew-subscriptions', { at: now.toISOString() }, { jobId: `money-renew-${hour}` });
    // Yesterday's tips and stream income to the ledger, once (the day has ended where the books keep time).
    const yesterday = dateOf(new Date(now.getTime() - 86_400_000), timeZone);
    await this.income.report(yesterday).catch((err) => this.log.warn({ err, day: yesterday }, 'income report failed; retried at the next tick'));
    // Settled campaigns, and the ended days' repayments, to the ledger (once each).
    await this.campaignLedger.report(now).catch((err) => this.log.warn({ err }, 'campaign ledger report failed; retried at the next tick'));
    const prev = previousMonth(monthOf(now, timeZone));
    const state = await closeState(this.ctx.db, prev);
    const hasActivity = await selectOne(this.ctx.db, 'SELECT 1 FROM money_subscription_charges WHERE month = :prev LIMIT 1', { prev });
    if ((!state || state.status === 'running') && hasActivity) {
      await this.ctx.jobs.enqueue('money.month-close', { month: prev }, { jobId: `money-close-${prev}` });
    }
    if (state?.status === 'closed' && !state.paidAt && dayOf(now, timeZone) >= payoutDay) {
      await this.ctx.jobs.enqueue('money.payout', { month: prev }, { jobId: `money-payout-${prev}` });
    }
  }
}

