// `npm test`: install what is missing, then run the whole suite (scripts/run-tests.ts).
import { ensureInstalled, runTs } from './bootstrap.mjs';

ensureInstalled();
runTs('scripts/run-tests.ts', process.argv.slice(2));
