// A deleted account's or channel's actor stays as a tombstone: its URL answers 410 Gone once its
// Delete has gone out, and its keys are kept so that the Delete (and its retries) can be signed.
import type { Migration } from '../server/db/migrate.js';

export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE federation_local_actors ADD COLUMN deleted_at timestamptz');
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query('ALTER TABLE federation_local_actors DROP COLUMN deleted_at');
};
