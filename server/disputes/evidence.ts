// The evidence a dispute carries to its reviewers: anonymized (per-month pseudonyms,
// segment-served counts, timings, anomaly rules), never account ids, usernames or
// addresses. Its canonical-JSON SHA-256 is what the ledger records, so a reviewer node
// can check that the evidence it was sent is the evidence the dispute was opened with.
import { canonicalJson, sha256Hex } from '../../shared/money/index.js';
import type { ListeningApi } from '../listening/contract.js';
import type { Hold, MoneyApi } from '../money/contract.js';

export const EVIDENCE_VERSION = 1;

export interface EvidenceListen {
  day: string;
  rules: string[];
  qualifiedSeconds: number;
  playedSeconds: number;
  segmentsServed: number;
  /** Seconds from the session's start to the first and last segment served. */
  firstServedAfterSeconds: number | null;
  lastServedAfterSeconds: number | null;
  sessionStartedAt: string;
}

export interface EvidenceRow {
  /** The listener's pseudonym for the month (the one in the node's daily reports). */
  pseudonym: string;
  artist: string;
  heldAmount: number;
  listens: EvidenceListen[];
}

// A type, not an interface: the API's `evidence` is an open JSON object, and only a type
// literal is assignable to one.
export type Evidence = {
  version: number;
  node: string;
  month: string;
  subject: { type: 'reportRow' | 'payout'; ref: string };
  artist: string | null;
  currency: string;
  amount: number;
  openedBy: 'auto' | 'artist' | 'listener' | 'admin';
  reason: string;
  rows: EvidenceRow[];
  /** For a listener's question: where the subscription went (artist, seconds, amount, held). */
  allocation?: { artist: string; seconds: number; amount: number; held: number }[];
};

export function evidenceHash(evidence: unknown): string {
  return sha256Hex(canonicalJson(evidence));
}

const secondsBetween = (from: string, to: string | null) => (to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 100) / 10) : null);

/** Builds the anonymized rows for a set of holds; returns the listen ids (kept local) too. */
export async function evidenceRows(listening: ListeningApi, holds: Hold[]): Promise<{ rows: EvidenceRow[]; listenIds: Map<string, string[]> }> {
  const rows: EvidenceRow[] = [];
  const listenIds = new Map<string, string[]>();
  for (const h of holds) {
    const listens = await listening.heldListens(h.userId, h.artist, h.month);
    listenIds.set(h.id, listens.map((l) => l.listenId));
    rows.push({
      pseudonym: await listening.pseudonym(h.userId, h.month),
      artist: h.artist,
      heldAmount: h.amount,
      listens: listens.map((l) => ({
        day: l.day,
        rules: l.rules,
        qualifiedSeconds: l.qualifiedSeconds,
        playedSeconds: l.playedSeconds,
        segmentsServed: l.segmentsServed,
        firstServedAfterSeconds: secondsBetween(l.sessionStartedAt, l.firstServedAt),
        lastServedAfterSeconds: secondsBetween(l.sessionStartedAt, l.lastServedAt),
        sessionStartedAt: l.sessionStartedAt,
      })),
    });
  }
  rows.sort((a, b) => (a.artist < b.artist ? -1 : a.artist > b.artist ? 1 : a.pseudonym < b.pseudonym ? -1 : a.pseudonym > b.pseudonym ? 1 : 0));
  return { rows, listenIds };
}

/** The listener's allocation for the month, stripped to artist figures. */
export async function allocationEvidence(money: MoneyApi, userId: string, month: string): Promise<Evidence['allocation']> {
  // Read as no allocation when money cannot say: the dispute may still cover held shares.
  const a = await money.allocation(userId, month).catch(() => null);
  return a?.artists.map((x) => ({ artist: x.artist, seconds: x.seconds, amount: x.amount, held: x.held })) ?? [];
}
