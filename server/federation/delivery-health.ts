// Deliveries per remote host, for the admin's view of the machine: attempts of the last 24
// hours (counted by delivery.ts as they happen), what is still pending, what ran out of retries
// or was skipped (a host that keeps failing) this week, and the host's last success, failure
// and error.
import { select } from '../db/index.js';
import type { FederationService } from './service.js';
import type { DeliveryHealth } from './contract.js';
import { hostOf } from './vocabulary.js';

/** Every host with something to show, the most troubled first (then the busiest, then by name). */
export async function deliveryHealth(svc: FederationService): Promise<DeliveryHealth[]> {
  const db = svc.rt.db;
  const [attempts, waiting, hosts] = await Promise.all([
    select<{ host: string; delivered: string; failed: string }>(
      db,
      `SELECT host, sum(delivered) AS delivered, sum(failed) AS failed FROM federation_delivery_stats
       WHERE hour > now() - interval '24 hours' GROUP BY host`,
    ),
    // Grouped by inbox, then folded by host here: the host is the URL's, as delivery.ts counts it.
    // A host that is down ends its deliveries `skipped` (after five failures in a row), not `dead`.
    select<{ inbox: string; pending: string; dead: string; skipped: string }>(
      db,
      `SELECT inbox, count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'dead') AS dead,
         count(*) FILTER (WHERE state = 'skipped') AS skipped
       FROM federation_deliveries
       WHERE state = 'pending' OR (state IN ('dead', 'skipped') AND updated_at > now() - interval '7 days')
       GROUP BY inbox`,
    ),
    select<{ host: string; last_success_at: Date | null; last_failure_at: Date | null; last_error: string | null }>(
      db,
      `SELECT host, last_success_at, last_failure_at, last_error FROM federation_delivery_hosts
       WHERE greatest(last_success_at, last_failure_at) > now() - interval '7 days'`,
    ),
  ]);
  const byHost = new Map<string, DeliveryHealth>();
  const of = (host: string): DeliveryHealth => {
    let h = byHost.get(host);
    if (!h) {
      h = { host, delivered24h: 0, failed24h: 0, pending: 0, dead: 0, skipped: 0, lastSuccessAt: null, lastFailureAt: null, lastError: null };
      byHost.set(host, h);
    }
    return h;
  };
  for (const a of attempts) Object.assign(of(a.host), { delivered24h: Number(a.delivered), failed24h: Number(a.failed) });
  for (const w of waiting) {
    const h = of(hostOf(w.inbox));
    h.pending += Number(w.pending);
    h.dead += Number(w.dead);
    h.skipped += Number(w.skipped);
  }
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  for (const s of hosts) {
    Object.assign(of(s.host), { lastSuccessAt: iso(s.last_success_at), lastFailureAt: iso(s.last_failure_at), lastError: s.last_error });
  }
  const trouble = (h: DeliveryHealth) => h.failed24h + h.pending + h.dead + h.skipped;
  return [...byHost.values()].sort((x, y) => trouble(y) - trouble(x) || y.delivered24h - x.delivered24h || x.host.localeCompare(y.host));
}
