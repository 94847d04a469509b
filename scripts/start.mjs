// `npm start`: install what is missing, then start a node (web + worker) on the
// embedded defaults: embedded PostgreSQL when DATABASE_URL is unset, a local
// redis-server when none answers at REDIS_URL, ffmpeg from the system or from npm; the web
// client is built first when it is missing or older than its sources.
import { ensureClientBuilt, ensureInstalled, runTs } from './bootstrap.mjs';

ensureInstalled();
ensureClientBuilt();
runTs('server/main.ts', process.argv.slice(2));
