// A channel's top tracks (discover/trending?channel=) read a year of listens of one channel: by
// channel and day, in both the local and the remote listens.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('CREATE INDEX listens_channel_day ON listens (channel_id, day); CREATE INDEX remote_listens_channel_day ON remote_listens (channel_id, day);');
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('DROP INDEX listens_channel_day; DROP INDEX remote_listens_channel_day;');
};
