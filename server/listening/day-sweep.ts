// The end-of-day sweep: before a day is reported, the address and device limits and the
// day-wide wall-clock rule are applied to the whole day's listens. A listen counted early in the
// day (before the address went over the limit, or before its listener's sessions together
// outran the clock by growing after qualifying) is held now, with a flag, like the ones held
// when they qualified.
import type { Transaction } from 'sequelize';
import type { NodeContext } from '../context.js';
import { execute, select } from '../db/index.js';
import type { Pseudonyms } from './pseudonyms.js';
import { dayWallClock, servedEvidence, type RuleName } from './anomaly-rules.js';

interface Crowd {
  ip: string;
  user_agent: string | null;
  accounts: string[];
}

/** Holds the day's counted listens from addresses or devices over their account limits, or of listeners who listened more than their sessions span; returns how many. */
export async function sweepDay(ctx: NodeContext, pseudonyms: Pseudonyms, day: string, t: Transaction): Promise<number> {
  const rules = ctx.config.listening.rules;
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
  held += await sweepWallClock(ctx, day, rules.wallClockToleranceSeconds, t);
  if (held) ctx.logger.child({ component: 'listening' }).info({ day, held }, 'end-of-day sweep held listens');
  return held;
}

/**
 * Listening grows after qualifying with only its own session checked (on each progress report):
 * sessions played side by side each keep to their own clock. Here, once a day, each listener
 * with counted listens is checked against the wall-clock time all their sessions span.
 */
async function sweepWallClock(ctx: NodeContext, day: string, toleranceSeconds: number, t: Transaction): Promise<number> {
  const listeners = await select<{ user_id: string }>(ctx.db, "SELECT DISTINCT user_id FROM listens WHERE day = :day AND status = 'counted'", { day }, t);
  let held = 0;
  for (const { user_id: userId } of listeners) {
    const w = await dayWallClock(ctx.db, t, userId, day, ctx.config.money.timeZone);
    if (w.listening <= w.wallClock + toleranceSeconds) continue;
    const listens = await select<{ id: string; session_id: string }>(
      ctx.db,
      `UPDATE listens SET status = 'held', held_reason = coalesce(held_reason || ',', '') || 'listening_exceeds_wall_clock', updated_at = now()
        WHERE user_id = :userId AND day = :day AND status = 'counted' RETURNING id, session_id`,
      { userId, day },
      t,
    );
    for (const l of listens) {
      const session = { sessionId: l.session_id, ...(await servedEvidence(ctx.db, l.session_id, t)) };
      await execute(
        ctx.db,
        "INSERT INTO listening_flags (listen_id, rule, evidence) VALUES (:id, 'listening_exceeds_wall_clock', :evidence::jsonb) ON CONFLICT (listen_id, rule) DO NOTHING",
        { id: l.id, evidence: JSON.stringify({ ...w.evidence, toleranceSeconds, sweptAtDayEnd: true, session }) },
        t,
      );
    }
    held += listens.length;
  }
  return held;
}
