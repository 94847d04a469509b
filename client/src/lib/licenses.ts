// The licenses a node accepts for a track (ids as the API spells them) and how to show them.

export const licenseNames: Record<string, string> = {
  'all-rights-reserved': 'All rights reserved',
  'cc-by-4.0': 'CC BY 4.0 (attribution)',
  'cc-by-sa-4.0': 'CC BY-SA 4.0 (attribution, share alike)',
  'cc-by-nd-4.0': 'CC BY-ND 4.0 (attribution, no derivatives)',
  'cc-by-nc-4.0': 'CC BY-NC 4.0 (attribution, non-commercial)',
  'cc-by-nc-sa-4.0': 'CC BY-NC-SA 4.0 (attribution, non-commercial, share alike)',
  'cc-by-nc-nd-4.0': 'CC BY-NC-ND 4.0 (attribution, non-commercial, no derivatives)',
  'cc0-1.0': 'CC0 1.0 (public domain dedication)',
};

export function licenseName(id: string | null | undefined): string | null {
  if (!id) return null;
  return licenseNames[id] ?? id;
}
