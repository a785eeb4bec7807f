/** Page sizes both stores apply alike: a default when the caller gives none, and a cap on what one call returns. */
export const PAGE = {
  sessions: { fallback: 50, max: 1000 },
  inbox: { fallback: 50, max: 1000 },
  messages: { fallback: 100, max: 1000 },
  turnEvents: { fallback: 1000, max: 1000 },
} as const;

/** The caller's page size as a whole number within [1, max]; `fallback` when absent (or not a number). */
export function pageLimit(limit: number | undefined, { fallback, max }: { fallback: number; max: number }): number {
  const wanted = limit !== undefined && Number.isFinite(limit) ? Math.floor(limit) : fallback;
  return Math.min(Math.max(wanted, 1), max);
}

/** A "seq greater than this" bound as a whole number: absent or negative means from the start. */
export function afterSeq(seq: number | undefined): number {
  return seq !== undefined && Number.isFinite(seq) ? Math.max(0, Math.floor(seq)) : 0;
}
