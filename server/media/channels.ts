// Channels: an artist's profile that tracks and playlists are published under (media_channels),
// and the channel-created event federation makes an actor from.
import type { Sequelize } from 'sequelize';
import { z } from 'zod';
import { select, selectOne } from '../db/index.js';
import { conflict, forbidden, notFound } from '../http/errors.js';
import type { User } from '../accounts/service.js';
import type { Logger } from '../logger.js';
import { isUuid } from './storage.js';
import type { Channel } from './model.js';

interface ChannelRow {
  id: string;
  name: string;
  display_name: string;
  description: string;
  owner_id: string;
  created_at: Date;
}

const toChannel = (r: ChannelRow): Channel => ({
  id: r.id,
  name: r.name,
  displayName: r.display_name,
  description: r.description,
  ownerId: r.owner_id,
  createdAt: new Date(r.created_at).toISOString(),
});

const channelNameSchema = z.string().min(2).max(50).regex(/^[a-z0-9_]+$/, 'lower-case letters, digits and underscores only');

const newChannelSchema = z.object({
  name: channelNameSchema,
  displayName: z.string().trim().min(1).max(100),
  description: z.string().max(5000).optional(),
});

const channelPatchSchema = z
  .object({ displayName: z.string().trim().min(1).max(100).optional(), description: z.string().max(5000).optional() })
  .strict();

export class Channels {
  private createdListeners: ((c: Channel) => void | Promise<void>)[] = [];

  constructor(
    private readonly db: Sequelize,
    private readonly log: Logger,
  ) {}

  /** Called after a channel row commits (federation makes an actor for it). */
  onCreated(listener: (c: Channel) => void | Promise<void>): void {
    this.createdListeners.push(listener);
  }

  async create(owner: User, input: unknown): Promise<Channel> {
    const data = newChannelSchema.parse(input);
    const channel = await this.db.transaction(async (t) => {
      const taken = await selectOne(this.db, 'SELECT 1 FROM media_channels WHERE lower(name) = lower(:name)', { name: data.name }, t);
      if (taken) throw conflict('channel_name_taken', `The channel name "${data.name}" is taken`);
      const row = await selectOne<ChannelRow>(
        this.db,
        `INSERT INTO media_channels (name, display_name, description, owner_id) VALUES (:name, :displayName, :description, :ownerId) RETURNING *`,
        { name: data.name, displayName: data.displayName, description: data.description ?? '', ownerId: owner.id },
        t,
      ).catch((err) => {
        // Taken meanwhile, or kept by a deleted channel (migration 0107): PostgreSQL's unique_violation.
        if ((err as { parent?: { code?: string } }).parent?.code === '23505') throw conflict('channel_name_taken', `The channel name "${data.name}" is taken`);
        throw err;
      });
      return toChannel(row!);
    });
    for (const l of this.createdListeners) {
      Promise.resolve()
        .then(() => l(channel))
        .catch((err) => this.log.error({ err, channelId: channel.id }, 'channel-created listener failed'));
    }
    return channel;
  }

  async get(idOrName: string): Promise<Channel | undefined> {
    const row = isUuid(idOrName)
      ? await selectOne<ChannelRow>(this.db, 'SELECT * FROM media_channels WHERE id = :id', { id: idOrName })
      : await selectOne<ChannelRow>(this.db, 'SELECT * FROM media_channels WHERE lower(name) = lower(:name)', { name: idOrName });
    return row ? toChannel(row) : undefined;
  }

  /** Channels by id, in the order given (unknown ids left out). */
  async getMany(ids: string[]): Promise<Channel[]> {
    if (!ids.length) return [];
    const rows = await select<ChannelRow>(this.db, 'SELECT * FROM media_channels WHERE id IN (:ids)', { ids });
    const byId = new Map(rows.map((r) => [r.id, toChannel(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async list(limit = 50, offset = 0): Promise<{ total: number; data: Channel[] }> {
    const rows = await select<ChannelRow>(this.db, 'SELECT * FROM media_channels ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset', { limit, offset });
    const count = await selectOne<{ n: string }>(this.db, 'SELECT count(*) AS n FROM media_channels');
    return { total: Number(count?.n ?? 0), data: rows.map(toChannel) };
  }

  async ofUser(userId: string): Promise<Channel[]> {
    const rows = await select<ChannelRow>(this.db, 'SELECT * FROM media_channels WHERE owner_id = :userId ORDER BY created_at', { userId });
    return rows.map(toChannel);
  }

  async update(user: User, name: string, input: unknown): Promise<Channel> {
    const patch = channelPatchSchema.parse(input);
    const channel = await this.get(name);
    if (!channel) throw notFound('Channel');
    if (channel.ownerId !== user.id && user.role !== 'admin') throw forbidden('Only the channel owner can edit it');
    const row = await selectOne<ChannelRow>(
      this.db,
      `UPDATE media_channels SET display_name = COALESCE(:displayName, display_name), description = COALESCE(:description, description), updated_at = now()
       WHERE id = :id RETURNING *`,
      { id: channel.id, displayName: patch.displayName ?? null, description: patch.description ?? null },
    );
    return toChannel(row!);
  }
}
