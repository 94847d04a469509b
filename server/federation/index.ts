// federation: see ../../docs and ARCHITECTURE. Filled in by its issue.
import type { Capability } from '../context.js';

export const federationCapability: Capability = {
  name: 'federation',
  init() {},
};
