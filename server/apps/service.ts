// The apps capability's service (Subsonic / OpenSubsonic and ListenBrainz for listeners' apps).
import type { NodeContext } from '../context.js';
import type { AppsApi } from './contract.js';

export class AppsService implements AppsApi {
  constructor(readonly ctx: NodeContext) {}
}
