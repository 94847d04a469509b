// Pseudonyms: HMAC-SHA256 of an account id under a per-month node secret. The secret
// is random, made once per month and kept only in this node's database, so a
// pseudonym is stable within a month, unlinkable across months, and not reversible
// to the account id by anyone without the node's database. This is the node's one pseudonym
// store: the other capabilities ask it through ListeningApi's `pseudonym`.
import { createHmac, randomBytes } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { execute, selectOne } from '../db/index.js';
import { requireMonth } from '../../shared/month.js';
import type { Month } from '../../shared/month.js';

export class Pseudonyms {
  private secrets = new Map<string, Buffer>();

  constructor(private readonly db: Sequelize) {}

  private async secret(month: Month): Promise<Buffer> {
    requireMonth(month);
    const known = this.secrets.get(month);
    if (known) return known;
    // Two processes may race to create it: the first insert wins, both read the winner.
    await execute(this.db, 'INSERT INTO pseudonym_secrets (month, secret) VALUES (:month, decode(:secret, \'hex\')) ON CONFLICT (month) DO NOTHING', {
      month,
      secret: randomBytes(32).toString('hex'),
    });
    const row = await selectOne<{ secret: Buffer }>(this.db, 'SELECT secret FROM pseudonym_secrets WHERE month = :month', { month });
    const secret = Buffer.from(row!.secret);
    this.secrets.set(month, secret);
    return secret;
  }

  /** The listener's pseudonym for a month (64 hex characters). */
  async pseudonym(userId: string, month: Month): Promise<string> {
    return createHmac('sha256', await this.secret(month)).update(`user:${userId}`).digest('hex');
  }

  /** A keyed hash of another identifier (an IP address) for evidence that may leave the node. */
  async hashOf(kind: string, value: string, month: Month): Promise<string> {
    return createHmac('sha256', await this.secret(month)).update(`${kind}:${value}`).digest('hex').slice(0, 32);
  }
}
