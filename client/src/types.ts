// Shapes of the node's REST API that the client reads (see docs/media.md, docs/accounts.md).

export type Role = 'admin' | 'artist' | 'listener' | 'auditor';

export interface Me {
  id: string;
  username: string;
  role: Role;
  displayName?: string | null;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export interface Channel {
  id: string;
  name: string;
  displayName: string;
  description: string | null;
  ownerId: string;
  createdAt: string;
}

export interface Rendition {
  [k: string]: unknown;
}

export interface Track {
  id: string;
  kind: 'audio' | 'video';
  channel: { id: string; name: string; displayName: string };
  title: string;
  artist: string | null;
  album: string | null;
  trackNumber: number | null;
  genre: string | null;
  license: string | null;
  visibility: string;
  status: 'processing' | 'ready' | 'failed';
  progress: number;
  failureReason: string | null;
  durationSeconds: number | null;
  loudness: { integratedLufs: number | null; truePeakDbtp: number | null; lra: number | null } | null;
  waveformUrl: string | null;
  coverUrl: string | null;
  downloadUrl?: string | null;
  allowDownload?: boolean;
  streaming: { masterPlaylistUrl: string | null; renditions: Rendition[] } | null;
}

export interface Page<T> {
  total: number;
  data: T[];
}

export interface UploadState {
  id: string;
  chunkSize?: number;
  received: number;
  size: number;
  complete?: boolean;
  trackId?: string | null;
}

export interface Waveform {
  peaks: number[];
  durationSeconds: number | null;
}
