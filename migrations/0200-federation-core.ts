import type { Migration } from '../server/db/migrate.js';

// Federation tables: Fedify key-value store, local actor keys, remote actors and
// objects, follows, the outbox and its deliveries (dead letters), the inbox log,
// what arrived (listens, subscriptions, streams, likes, announces) and blocks.
export const up: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    CREATE EXTENSION IF NOT EXISTS pgcrypto;
    CREATE TABLE federation_kv (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      expires_at timestamptz
    );
    CREATE INDEX federation_kv_expires ON federation_kv (expires_at) WHERE expires_at IS NOT NULL;

    CREATE TABLE federation_local_actors (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN ('instance', 'channel', 'user')),
      name text NOT NULL,
      ref_id text,
      uri text NOT NULL UNIQUE,
      public_key_pem text NOT NULL,
      private_key_jwk jsonb NOT NULL,
      public_key_jwk jsonb NOT NULL,
      key_rotated_at timestamptz NOT NULL DEFAULT now(),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX federation_local_actors_kind_name ON federation_local_actors (kind, lower(name));

    CREATE TABLE federation_remote_actors (
      uri text PRIMARY KEY,
      host text NOT NULL,
      type text NOT NULL,
      preferred_username text,
      name text,
      summary text,
      inbox text NOT NULL,
      shared_inbox text,
      outbox text,
      followers text,
      attributed_to text,
      icon_url text,
      software text,
      raw jsonb NOT NULL,
      fetched_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX federation_remote_actors_host ON federation_remote_actors (host);

    CREATE TABLE federation_follows (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      follower_uri text NOT NULL,
      following_uri text NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
      activity_uri text NOT NULL,
      local_follower boolean NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (follower_uri, following_uri)
    );
    CREATE INDEX federation_follows_following ON federation_follows (following_uri, state);

    CREATE TABLE federation_remote_tracks (
      id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
      uri text PRIMARY KEY,
      actor_uri text NOT NULL,
      host text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('audio', 'video')),
      title text NOT NULL,
      artist text,
      album text,
      position integer,
      duration_seconds integer,
      license text,
      cover_url text,
      url text,
      master_playlist_url text,
      renditions jsonb NOT NULL DEFAULT '[]',
      segment_hashes jsonb NOT NULL DEFAULT '{}',
      summary text,
      raw jsonb NOT NULL,
      published_at timestamptz,
      received_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX federation_remote_tracks_actor ON federation_remote_tracks (actor_uri, published_at DESC);

    CREATE TABLE federation_remote_playlists (
      uri text PRIMARY KEY,
      actor_uri text NOT NULL,
      name text NOT NULL,
      items jsonb NOT NULL DEFAULT '[]',
      raw jsonb NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE federation_outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      uri text NOT NULL UNIQUE,
      actor_uri text NOT NULL,
      type text NOT NULL,
      object_uri text,
      body jsonb NOT NULL,
      fallback jsonb,
      public boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX federation_outbox_actor ON federation_outbox (actor_uri, created_at DESC);

    CREATE TABLE federation_deliveries (
      id bigserial PRIMARY KEY,
      activity_id uuid NOT NULL REFERENCES federation_outbox(id) ON DELETE CASCADE,
      inbox text NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'skipped')),
      attempts integer NOT NULL DEFAULT 0,
      last_status integer,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (activity_id, inbox)
    );
    CREATE INDEX federation_deliveries_dead ON federation_deliveries (updated_at DESC) WHERE state = 'dead';

    CREATE TABLE federation_inbox_health (
      inbox text PRIMARY KEY,
      consecutive_failures integer NOT NULL DEFAULT 0,
      last_failure_at timestamptz,
      last_success_at timestamptz,
      skip_until timestamptz
    );

    CREATE TABLE federation_inbox_items (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      activity_uri text NOT NULL UNIQUE,
      actor_uri text NOT NULL,
      type text NOT NULL,
      body jsonb NOT NULL,
      state text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'processed', 'ignored', 'failed')),
      error text,
      received_at timestamptz NOT NULL DEFAULT now(),
      processed_at timestamptz
    );

    CREATE TABLE federation_listens (
      activity_uri text PRIMARY KEY,
      actor_uri text NOT NULL,
      track_id text NOT NULL,
      seconds integer NOT NULL,
      listened_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE federation_subscriptions (
      activity_uri text PRIMARY KEY,
      actor_uri text NOT NULL,
      object_uri text NOT NULL,
      status text NOT NULL,
      period text,
      amount bigint,
      currency text,
      subscription_uri text,
      direction text NOT NULL CHECK (direction IN ('in', 'out')),
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE federation_streams (
      activity_uri text PRIMARY KEY,
      actor_uri text NOT NULL,
      stream_uri text NOT NULL,
      state text NOT NULL CHECK (state IN ('started', 'ended')),
      name text,
      url text,
      at timestamptz NOT NULL,
      direction text NOT NULL CHECK (direction IN ('in', 'out')),
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE federation_reactions (
      activity_uri text PRIMARY KEY,
      type text NOT NULL CHECK (type IN ('Like', 'Announce')),
      actor_uri text NOT NULL,
      object_uri text NOT NULL,
      local_actor boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX federation_reactions_actor ON federation_reactions (actor_uri, type);

    CREATE TABLE federation_blocks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN ('domain', 'actor')),
      value text NOT NULL,
      reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (kind, value)
    );
  `);
};

export const down: Migration = async ({ context: { sequelize } }) => {
  await sequelize.query(`
    DROP TABLE federation_blocks, federation_reactions, federation_streams, federation_subscriptions,
      federation_listens, federation_inbox_items, federation_inbox_health, federation_deliveries,
      federation_outbox, federation_remote_playlists, federation_remote_tracks, federation_follows,
      federation_remote_actors, federation_local_actors, federation_kv;
  `);
};
