// Pre-funded watch links (dTok's onboarding): an artist (from their wallet) or an admin (from the
// node) puts credit on a link or QR code for one channel's live streams, or one stream. The first
// to open it gets a guest account, signed in at once, whose watch streams of that channel draw on
// the link's credit; nothing else can spend it. Claiming the account (a username and password)
// moves what is left into the guest's own wallet.
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { Sequelize } from 'sequelize';
import type { NodeContext } from '../context.js';
import type { User } from '../accounts/service.js';
import { select, selectOne } from '../db/index.js';
import { AppError, conflict, notFound } from '../http/errors.js';
import { WindowLimit } from '../http/window-limit.js';
import type { Logger } from '../logger.js';
import type * as api from '../../shared/api/index.js';

interface LinkRow {
  code: string;
  channel_id: string;
  stream_id: string | null;
  creator_id: string;
  amount: string;
  funded_from: 'wallet' | 'node';
  message: string | null;
  request_key: string | null;
  created_at: Date;
  guest_id: string | null;
  opened_at: Date | null;
  claimed_at: Date | null;
}

const CODE = /^[A-Za-z0-9_-]{16}$/;

export interface WatchLinkDeps {
  ctx: NodeContext;
  db: Sequelize;
  log: Logger;
  /** The channel if this user manages its live streams (else 403/404). */
  ownedChannel(user: User, channelRef: string): Promise<{ id: string; name: string; displayName: string }>;
  /** The channel's stream live now, if any. */
  currentStream(channelId: string): Promise<{ id: string; state: string; channel_id: string } | undefined>;
  stream(id: string): Promise<{ id: string; state: string; channel_id: string } | undefined>;
  /** Closes the guest's open watch streams (before what is left of the link is released). */
  closeWatchStreamsOf(userId: string): Promise<void>;
}

export class WatchLinks {
  private readonly opens: WindowLimit;

  constructor(private readonly d: WatchLinkDeps) {
    this.opens = new WindowLimit(d.ctx.config.live.watchLinkOpensPerMinutePerAddress);
    d.ctx.services.accounts.onGuestClaimed((user) => this.claimed(user));
  }

  private url(code: string): string {
    return `${this.d.ctx.config.publicUrl}/watch/${code}`;
  }

  private async qr(code: string): Promise<{ svg: string; png: string }> {
    const url = this.url(code);
    return { svg: await QRCode.toString(url, { type: 'svg', margin: 2 }), png: await QRCode.toDataURL(url, { margin: 2 }) };
  }

  private async view(r: LinkRow): Promise<api.WatchLink> {
    const channel = await this.d.ctx.services.media.getChannel(r.channel_id);
    const target = r.stream_id ? await this.d.stream(r.stream_id) : await this.d.currentStream(r.channel_id);
    const live = !!target && (target.state === 'live' || target.state === 'reconnecting');
    const url = this.url(r.code);
    return {
      code: r.code,
      url,
      channel: { id: r.channel_id, name: channel?.name ?? '', displayName: channel?.displayName ?? '' },
      streamId: r.stream_id,
      liveStreamId: live ? target!.id : null,
      amount: Number(r.amount),
      credit: await this.d.ctx.services.money.live.watchLinkCredit(r.code),
      currency: this.d.ctx.services.money.currency,
      message: r.message,
      fundedFrom: r.funded_from,
      status: r.claimed_at ? 'claimed' : r.guest_id ? 'opened' : 'open',
      createdAt: r.created_at.toISOString(),
      openedAt: r.opened_at?.toISOString() ?? null,
    };
  }

  /** A new link with its credit in escrow; the same Idempotency-Key gives the same link. */
  async create(
    user: User,
    channelRef: string,
    input: { amount: number; streamId?: string; message?: string; fundFrom?: 'wallet' | 'node' },
    requestKey?: string,
  ): Promise<{ link: api.WatchLink; qr: { svg: string; png: string }; created: boolean }> {
    const channel = await this.d.ownedChannel(user, channelRef);
    const key = requestKey ? `${user.id}:${requestKey}` : null;
    if (key) {
      const again = await selectOne<LinkRow>(this.d.db, 'SELECT * FROM live_watch_links WHERE request_key = :key', { key });
      if (again) return { link: await this.view(again), qr: await this.qr(again.code), created: false };
    }
    if (input.streamId) {
      const s = await this.d.stream(input.streamId);
      if (!s || s.channel_id !== channel.id) throw notFound('Live stream of this channel');
      if (s.state === 'ended') throw conflict('stream_ended', 'That stream has ended: make a link for the channel instead');
    }
    // A watch stream starts with 2.5 minutes of the price in hand (money's sweep needs them): less
    // credit could only be claimed, never watched on. The price: the stream's own, or the channel's next.
    const priceRow = input.streamId
      ? await selectOne<{ price_per_minute: string }>(this.d.db, 'SELECT price_per_minute FROM live_streams WHERE id = :id', { id: input.streamId })
      : await selectOne<{ price_per_minute: string }>(this.d.db, 'SELECT price_per_minute FROM live_channels WHERE channel_id = :id', { id: channel.id });
    const price = Number(priceRow?.price_per_minute ?? 0);
    const least = Math.ceil(price * 2.5);
    if (input.amount < least) throw new AppError(400, 'amount_too_small', `At ${price} a minute a watch link needs at least ${least} (2.5 minutes of watching)`, { least });
    const fundFrom = input.fundFrom ?? 'wallet';
    const code = randomBytes(12).toString('base64url');
    // The row and the credit's move commit together: no link without its credit, no credit without its link.
    const row = await this.d.db.transaction(async (t) => {
      const [r] = await select<LinkRow>(
        this.d.db,
        `INSERT INTO live_watch_links (code, channel_id, stream_id, creator_id, amount, funded_from, message, request_key)
         VALUES (:code, :channel, :stream, :creator, :amount, :fundFrom, :message, :key) RETURNING *`,
        { code, channel: channel.id, stream: input.streamId ?? null, creator: user.id, amount: input.amount, fundFrom, message: input.message ?? null, key },
        t,
      );
      await this.d.ctx.services.money.live.fundWatchLink(user, { code, amount: input.amount, fundFrom }, t);
      return r;
    });
    this.d.log.info({ code, channel: channel.name, amount: input.amount, fundFrom, by: user.id }, 'watch link made');
    return { link: await this.view(row), qr: await this.qr(code), created: true };
  }

  async list(user: User, channelRef: string): Promise<api.WatchLink[]> {
    const channel = await this.d.ownedChannel(user, channelRef);
    const rows = await select<LinkRow>(this.d.db, 'SELECT * FROM live_watch_links WHERE channel_id = :id ORDER BY created_at DESC LIMIT 200', { id: channel.id });
    return Promise.all(rows.map((r) => this.view(r)));
  }

  private async row(code: string): Promise<LinkRow> {
    const row = CODE.test(code) ? await selectOne<LinkRow>(this.d.db, 'SELECT * FROM live_watch_links WHERE code = :code', { code }) : undefined;
    if (!row) throw notFound('Watch link');
    return row;
  }

  /** What a link offers, for the page it opens (anyone with the link). */
  async info(code: string): Promise<api.WatchLink> {
    return this.view(await this.row(code));
  }

  /**
   * Opens a link: the first visitor gets a guest account, signed in, holding its credit. Opening
   * it again is refused (410) unless the guest it made asks (they are signed in already).
   */
  async open(code: string, network: string, user: User | undefined): Promise<{ link: api.WatchLink; guest: { user: User; tokens: api.TokenPair } | null }> {
    const row = await this.row(code);
    if (user && row.guest_id === user.id) return { link: await this.view(row), guest: null };
    if (row.guest_id) throw new AppError(410, 'watch_link_used', 'This watch link has been opened already; each link makes one guest');
    // A node closed to sign-ups makes guests only from its admins' links.
    if (!this.d.ctx.config.auth.openSignup) {
      const creator = await this.d.ctx.services.accounts.byId(row.creator_id);
      if (creator?.role !== 'admin') throw new AppError(403, 'signup_closed', 'This node is closed to new accounts: its watch links work only when an admin made them');
    }
    if (!this.opens.take(network)) throw new AppError(429, 'too_many_watch_links', 'Too many watch links opened from your network; try again in a minute');
    const guest = await this.d.ctx.services.accounts.createGuest();
    const [claimed] = await select<LinkRow>(
      this.d.db,
      'UPDATE live_watch_links SET guest_id = :guest, opened_at = now() WHERE code = :code AND guest_id IS NULL RETURNING *',
      { code, guest: guest.user.id },
    );
    if (!claimed) throw new AppError(410, 'watch_link_used', 'This watch link has been opened already; each link makes one guest');
    this.d.log.info({ code, guest: guest.user.id }, 'watch link opened: guest account made');
    return { link: await this.view(claimed), guest };
  }

  /** The link a guest's watch stream of this live stream draws on, if it still has credit. */
  async creditFor(userId: string, stream: { id: string; channelId: string }): Promise<string | undefined> {
    const row = await selectOne<LinkRow>(this.d.db, 'SELECT * FROM live_watch_links WHERE guest_id = :userId AND claimed_at IS NULL', { userId });
    if (!row || row.channel_id !== stream.channelId || (row.stream_id && row.stream_id !== stream.id)) return undefined;
    return (await this.d.ctx.services.money.live.watchLinkCredit(row.code)) > 0 ? row.code : undefined;
  }

  /** A guest claimed their account: their watch streams close (refunds return to the link), then what is left moves to their wallet. */
  private async claimed(user: User): Promise<void> {
    const row = await selectOne<LinkRow>(this.d.db, 'SELECT * FROM live_watch_links WHERE guest_id = :id AND claimed_at IS NULL', { id: user.id });
    if (!row) return;
    await this.d.closeWatchStreamsOf(user.id);
    await this.d.ctx.services.money.live.releaseWatchLink(row.code, user.id);
    await select(this.d.db, 'UPDATE live_watch_links SET claimed_at = now() WHERE code = :code', { code: row.code });
    this.d.log.info({ code: row.code, user: user.id }, 'guest claimed their account; the watch link credit left moved to their wallet');
  }
}
