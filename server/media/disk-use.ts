// Bytes on disk per kind of media file, for the admin's view of the machine.
// (Skeleton: filled in by the admin-view work of issue 17.)
import type { MediaStorage } from './storage.js';
import type { MediaDiskUse } from './contract.js';

export class DiskUse {
  constructor(private readonly storage: () => MediaStorage) {}

  async measure(): Promise<MediaDiskUse> {
    void this.storage;
    throw new Error('diskUse: not implemented yet');
  }
}
