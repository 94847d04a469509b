// Runs a month close in its own process against a node's database, for the crash test:
//   node --import tsx test/money/close-runner.ts <databaseUrl> <month> <secondsFile> [pauseAtUnit]
// Prints "unit <n>" after each committed listener; with pauseAtUnit it prints
// "paused <n>" inside that listener's open transaction and waits there forever, so the
// test can SIGKILL it at that exact point. Prints "closed" when done.
import { readFileSync } from 'node:fs';
import { createLogger } from '../../server/logger.js';
import { createDatabase } from '../../server/db/index.js';
import { Books } from '../../server/money/books.js';
import { closeMonth } from '../../server/money/month-close.js';
import type { QualifiedSecondsRow } from '../../server/money/index.js';

const [databaseUrl, month, secondsFile, pauseRaw] = process.argv.slice(2);
const pauseAt = pauseRaw === undefined ? -1 : Number(pauseRaw);
const logger = createLogger('silent', 'close-runner');
const db = createDatabase(databaseUrl, logger);
const rows = JSON.parse(readFileSync(secondsFile, 'utf8')) as QualifiedSecondsRow[];
const say = (line: string) => process.stdout.write(`${line}\n`);

await closeMonth(
  {
    db,
    books: new Books(db, 'USD'),
    money: { noListeningPolicy: 'rollover', timeZone: 'UTC' },
    logger,
    source: { qualifiedSeconds: async () => rows },
  },
  month,
  {
    beforeUnitCommit: async (index) => {
      if (index === pauseAt) {
        say(`paused ${index}`);
        await new Promise(() => {});
      }
    },
    progress: (done) => {
      say(`unit ${done}`);
    },
  },
);
say('closed');
await db.close();
