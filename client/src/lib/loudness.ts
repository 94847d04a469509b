// Loudness normalisation: how much to turn a track up or down so it plays at the target loudness.

export interface Loudness {
  integratedLufs: number | null;
  truePeakDbtp?: number | null;
  lra?: number | null;
}

export interface NormalisationOptions {
  /** Target integrated loudness (streaming services use about -14 LUFS). */
  targetLufs?: number;
  /** A boost never pushes the true peak above this (dBTP), so it does not clip. */
  peakCeilingDbtp?: number;
  /** Never boost by more than this (quiet tracks stay a little quieter rather than noisy). */
  maxBoostDb?: number;
}

export interface Normalisation {
  gainDb: number;
  /** Linear amplitude factor, 10^(gainDb/20). */
  linear: number;
}

export const defaultTargetLufs = -14;

export function normalisationGain(loudness: Loudness | null | undefined, opts: NormalisationOptions = {}): Normalisation {
  const target = opts.targetLufs ?? defaultTargetLufs;
  const ceiling = opts.peakCeilingDbtp ?? -1;
  const maxBoost = opts.maxBoostDb ?? 12;
  const lufs = loudness?.integratedLufs;
  // Unknown or silent (-inf / -70 gate) loudness: leave the track as it is.
  if (lufs === null || lufs === undefined || !Number.isFinite(lufs) || lufs <= -70) return { gainDb: 0, linear: 1 };
  let gainDb = target - lufs;
  if (gainDb > 0) {
    gainDb = Math.min(gainDb, maxBoost);
    const peak = loudness?.truePeakDbtp;
    if (peak !== null && peak !== undefined && Number.isFinite(peak)) gainDb = Math.min(gainDb, Math.max(0, ceiling - peak));
  }
  gainDb = Math.round(gainDb * 100) / 100;
  return { gainDb, linear: Math.pow(10, gainDb / 20) };
}

/**
 * Splits the gain between the media element's volume (0..1, attenuation only) and a WebAudio
 * boost (>= 1) for tracks quieter than the target.
 */
export function splitGain(userVolume: number, linear: number): { elementVolume: number; boost: number } {
  const v = Math.min(1, Math.max(0, userVolume));
  if (linear <= 1) return { elementVolume: Math.round(v * linear * 10000) / 10000, boost: 1 };
  return { elementVolume: v, boost: linear };
}
