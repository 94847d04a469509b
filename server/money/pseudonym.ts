// Fallback listener pseudonyms, used only while the listening capability publishes none:
// HMAC-SHA256 of the user id under a random per-month node secret kept in this database.
import { createHmac, randomBytes } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { execute, selectOne } from '../db/index.js';
import { assertMonth } from './months.js';

export class FallbackPseudonyms {
  private secrets = new Map<string, string>();

  constructor(private readonly db: Sequelize) {}

  async pseudonym(userId: string, month: string): Promise<string> {
    assertMonth(month);
    let secret = this.secrets.get(month);
    if (!secret) {
      await execute(this.db, 'INSERT INTO money_month_secrets (month, secret) VALUES (:month, :secret) ON CONFLICT (month) DO NOTHING', {
        month,
        secret: randomBytes(32).toString('hex'),
      });
      secret = (await selectOne<{ secret: string }>(this.db, 'SELECT secret FROM money_month_secrets WHERE month = :month', { month }))!.secret;
      this.secrets.set(month, secret);
    }
    return createHmac('sha256', Buffer.from(secret, 'hex')).update(`user:${userId}`).digest('hex');
  }
}
