// The price per minute of a rendition of a metered track, as the playlists show it and money
// charges it: its own, or (for a rendition named anew by a retranscode) the dearest of the
// track's prices; undefined when the track has none.
export function pricePerMinuteOf(prices: Record<string, number>, rendition: string): number | undefined {
  const all = Object.values(prices);
  return prices[rendition] ?? (all.length ? Math.max(...all) : undefined);
}
