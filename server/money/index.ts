// money: see ../../docs and ARCHITECTURE. Filled in by its issue.
import type { Capability } from '../context.js';

export const moneyCapability: Capability = {
  name: 'money',
  init() {},
};
