// What other capabilities may ask of feeds (RSS with Podcasting 2.0, oEmbed, embeds). Nothing yet.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FeedsApi {}
