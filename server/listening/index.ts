// listening: see ../../docs and ARCHITECTURE. Filled in by its issue.
import type { Capability } from '../context.js';

export const listeningCapability: Capability = {
  name: 'listening',
  init() {},
};
