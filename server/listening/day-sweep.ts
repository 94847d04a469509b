// The end-of-day sweep: before a day is reported, the address and device limits are applied
// to the whole day's listens. A listen counted early in the day (before the address went
// over the limit) is held now, with a flag, like the ones held when they qualified.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import { execute, select } from '../db/index.js';
import { listeningConfig } from './config.js';
import type { Pseudonyms } from './pseudonyms.js';
import { servedEvidence, type RuleName } from './anomaly-rules.js';

interface Crowd {
  ip: string;
  user_agent: string | null;
  accounts: string[];
}

/** Holds the day's counted listens from addresses or devices over their account limits; returns how many. */
export async function sweepDay(ctx: NodeContext, pseudonyms: Pseudonyms, day: string, t: Transaction): Promise<number> {
  const rules = listeningConfig(ctx).rules;
  const month = day.slice(0, 7);
  let held = 0;
  for (const [rule, device, limit] of [
    ['accounts_per_address', false, rules.maxAccountsPerAddress],
    ['accounts_per_device', true, rules.maxAccountsPerDevice],
  ] as [RuleName, boolean, number][]) {
    const crowds = await select<Crowd>(
      ctx.db,
      `SELECT s.ip, ${device ? 's.user_agent' : 'NULL::text AS user_agent'}, array_agg(DISTINCT l.user_id::text) AS accounts
         FROM listens l JOIN listening_sessions s ON s.id = l.session_id
        WHERE l.day = :day AND l.status IN ('counted', 'held') AND s.ip IS NOT NULL
        GROUP BY s.ip${device ? ', s.user_agent' : ''}
       HAVING count(DISTINCT l.user_id) > :limit`,
      { day, limit },
      t,
    );
    for (const c of crowds) {
      const listens = await select<{ id: string; session_id: string }>(
        ctx.db,
        `UPDATE listens l SET status = 'held', held_reason = coalesce(l.held_reason || ',', '') || :rule, updated_at = now()
           FROM listening_sessions s
          WHERE s.id = l.session_id AND l.day = :day AND l.status = 'counted'
            AND s.ip = :ip ${device ? 'AND s.user_agent IS NOT DISTINCT FROM :ua' : ''}
          RETURNING l.id, l.session_id`,
        { rule, day, ip: c.ip, ua: c.user_agent },
        t,
      );
      if (!listens.length) continue;
      const evidence = {
        day,
        sweptAtDayEnd: true,
        addressHash: await pseudonyms.hashOf('ip', c.ip, month),
        ...(device ? { userAgent: c.user_agent?.slice(0, 200) ?? null } : {}),
        distinctAccounts: c.accounts.length,
        limit,
        accounts: (await Promise.all(c.accounts.slice(0, 100).map((u) => pseudonyms.pseudonym(u, month)))).sort(),
      };
      for (const l of listens) {
        const session = { sessionId: l.session_id, ...(await servedEvidence(ctx.db, l.session_id, t)) };
        await execute(
          ctx.db,
          'INSERT INTO listening_flags (listen_id, rule, evidence) VALUES (:id, :rule, :evidence::jsonb) ON CONFLICT (listen_id, rule) DO NOTHING',
          { id: l.id, rule, evidence: JSON.stringify({ ...evidence, session }) },
          t,
        );
      }
      held += listens.length;
    }
  }
  if (held) ctx.logger.child({ component: 'listening' }).info({ day, held }, 'end-of-day sweep held listens');
  return held;
}
