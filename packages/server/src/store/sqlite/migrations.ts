import { sql, type Kysely, type Migration } from 'kysely';
import { sealedOAuthSchema, sealOAuthState } from '../oauth-sealing-migration.js';

/**
 * SQLite migrations, applied in key order and recorded by Kysely's migrator.
 * Never edit a released migration: add a new one.
 */
export const sqliteMigrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      for (const statement of INITIAL_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  '0002_oauth': {
    async up(db: Kysely<unknown>) {
      for (const statement of OAUTH_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  '0003_rate_limits': {
    async up(db: Kysely<unknown>) {
      await sql.raw(RATE_LIMIT_SCHEMA).execute(db);
    },
  },
  '0004_search_versions': {
    async up(db: Kysely<unknown>) {
      for (const statement of SEARCH_VERSIONS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  // The OAuth per-address and sign-in limits moved to the token buckets every limit uses (limits/).
  '0005_oauth_limits_in_buckets': {
    async up(db: Kysely<unknown>) {
      await sql.raw('DROP TABLE oauth_counters').execute(db);
    },
  },
  // OAuth state in sealed rows (store/sealed.ts); see oauth-sealing-migration.ts for what is kept.
  '0006_oauth_sealed': {
    async up(db: Kysely<unknown>) {
      await sealOAuthState(db, sealedOAuthSchema('TEXT', TS));
    },
  },
  // users.signed_out_at: sign-ins of the user made before it are over (users reset-password).
  '0007_user_signed_out_at': {
    async up(db: Kysely<unknown>) {
      await sql.raw('ALTER TABLE users ADD COLUMN signed_out_at TEXT').execute(db);
    },
  },
  '0008_message_time_buckets': {
    async up(db: Kysely<unknown>) {
      for (const statement of MESSAGE_TIME_BUCKETS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  // The buckets moved to a file of their own (bucket-file.ts). What the table held was counters
  // only: dropping it leaves every bucket full, as after an idle hour.
  '0009_rate_limit_buckets_own_file': {
    async up(db: Kysely<unknown>) {
      await sql.raw('DROP TABLE rate_limit_buckets').execute(db);
    },
  },
  // PostgreSQL's message index learned to find a seq range (its 0010); FTS5 seeks a rowid range
  // already (sqlite/search.ts): nothing to do, under the same name.
  '0010_message_seq_blocks': {
    async up() {},
  },
  // PostgreSQL's inserted messages moved to a statement trigger (its 0011). SQLite has row
  // triggers only, and updates a row in place, so a row trigger costs no more per row as a
  // transaction grows: nothing to do, under the same name.
  '0011_message_insert_statement_trigger': {
    async up() {},
  },
};

const TS = 'TEXT NOT NULL';

const INITIAL_SCHEMA = [
  `CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE workspaces (id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at ${TS})`,
  `CREATE TABLE senders (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    channel TEXT NOT NULL, address TEXT NOT NULL, display_name TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0, created_at ${TS})`,
  `CREATE INDEX senders_ws ON senders (workspace_id, channel, id)`,
  `CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, password_hash TEXT, created_at ${TS})`,
  `CREATE TABLE memberships (
    user_id TEXT NOT NULL REFERENCES users(id), workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    role TEXT NOT NULL, PRIMARY KEY (user_id, workspace_id))`,
  `CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, token_prefix TEXT NOT NULL,
    access TEXT NOT NULL, created_at ${TS}, expires_at TEXT, revoked_at TEXT, last_used_at TEXT)`,
  `CREATE TABLE api_token_workspaces (
    token_id TEXT NOT NULL REFERENCES api_tokens(id), workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    PRIMARY KEY (token_id, workspace_id))`,

  `CREATE TABLE contacts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    first_name TEXT, last_name TEXT, email TEXT, email_norm TEXT, phone TEXT, phone_norm TEXT,
    whatsapp TEXT, whatsapp_norm TEXT, name_norm TEXT NOT NULL DEFAULT '',
    archived INTEGER NOT NULL DEFAULT 0, ai_paused INTEGER NOT NULL DEFAULT 0,
    last_channel TEXT, last_message_at TEXT, last_message_preview TEXT,
    created_at ${TS}, updated_at ${TS})`,
  `CREATE UNIQUE INDEX contacts_email ON contacts (workspace_id, email_norm) WHERE email_norm IS NOT NULL`,
  `CREATE UNIQUE INDEX contacts_phone ON contacts (workspace_id, phone_norm) WHERE phone_norm IS NOT NULL`,
  `CREATE INDEX contacts_updated ON contacts (workspace_id, updated_at, id)`,
  `CREATE INDEX contacts_whatsapp ON contacts (workspace_id, whatsapp_norm)`,

  `CREATE TABLE custom_attributes (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL REFERENCES workspaces(id), key TEXT NOT NULL,
    label TEXT NOT NULL, type TEXT NOT NULL, options TEXT, created_at ${TS}, UNIQUE (workspace_id, key))`,
  `CREATE TABLE contact_attribute_values (
    contact_id TEXT NOT NULL REFERENCES contacts(id), attribute_id TEXT NOT NULL REFERENCES custom_attributes(id),
    value TEXT NOT NULL, PRIMARY KEY (contact_id, attribute_id))`,

  `CREATE TABLE conversations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    contact_id TEXT NOT NULL REFERENCES contacts(id), channel TEXT NOT NULL, status TEXT NOT NULL,
    assignee_id TEXT, subject TEXT, message_count INTEGER NOT NULL DEFAULT 0,
    last_message_at TEXT, last_message_preview TEXT, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX conversations_updated ON conversations (workspace_id, updated_at, id)`,
  `CREATE INDEX conversations_contact ON conversations (contact_id, channel)`,

  `CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations(id), direction TEXT NOT NULL,
    author_type TEXT NOT NULL, author_id TEXT, author_name TEXT, channel TEXT NOT NULL,
    body TEXT NOT NULL, subject TEXT, status TEXT, sender_id TEXT, created_at ${TS})`,
  `CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id)`,
  `CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='seq', tokenize='unicode61 remove_diacritics 2')`,
  `CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, body) VALUES (new.seq, new.body); END`,
  `CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.seq, old.body); END`,
  `CREATE TRIGGER messages_au AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.seq, old.body);
    INSERT INTO messages_fts(rowid, body) VALUES (new.seq, new.body); END`,

  `CREATE TABLE tickets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    subject TEXT NOT NULL, summary TEXT, status TEXT NOT NULL, waiting_on TEXT NOT NULL, priority TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]', contact_id TEXT, assignee_id TEXT, external_ticket_id TEXT, source TEXT,
    created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX tickets_updated ON tickets (workspace_id, updated_at, id)`,
  `CREATE TABLE ticket_tags (ticket_id TEXT NOT NULL REFERENCES tickets(id), workspace_id TEXT NOT NULL, tag TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag))`,
  `CREATE INDEX ticket_tags_tag ON ticket_tags (workspace_id, tag)`,
  `CREATE VIRTUAL TABLE tickets_fts USING fts5(subject, summary, content='tickets', content_rowid='seq', tokenize='unicode61 remove_diacritics 2')`,
  `CREATE TRIGGER tickets_ai AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_fts(rowid, subject, summary) VALUES (new.seq, new.subject, coalesce(new.summary, '')); END`,
  `CREATE TRIGGER tickets_ad AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts(tickets_fts, rowid, subject, summary) VALUES ('delete', old.seq, old.subject, coalesce(old.summary, '')); END`,
  `CREATE TRIGGER tickets_au AFTER UPDATE OF subject, summary ON tickets BEGIN
    INSERT INTO tickets_fts(tickets_fts, rowid, subject, summary) VALUES ('delete', old.seq, old.subject, coalesce(old.summary, ''));
    INSERT INTO tickets_fts(rowid, subject, summary) VALUES (new.seq, new.subject, coalesce(new.summary, '')); END`,

  `CREATE TABLE ticket_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id), direction TEXT NOT NULL, author_type TEXT NOT NULL,
    author_id TEXT, author_name TEXT, body TEXT NOT NULL, internal INTEGER NOT NULL DEFAULT 0, status TEXT,
    created_at ${TS})`,
  `CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, created_at, id)`,
  `CREATE VIRTUAL TABLE ticket_messages_fts USING fts5(body, content='ticket_messages', content_rowid='seq', tokenize='unicode61 remove_diacritics 2')`,
  `CREATE TRIGGER ticket_messages_ai AFTER INSERT ON ticket_messages BEGIN
    INSERT INTO ticket_messages_fts(rowid, body) VALUES (new.seq, new.body); END`,
  `CREATE TRIGGER ticket_messages_ad AFTER DELETE ON ticket_messages BEGIN
    INSERT INTO ticket_messages_fts(ticket_messages_fts, rowid, body) VALUES ('delete', old.seq, old.body); END`,

  `CREATE TABLE calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    contact_id TEXT, direction TEXT NOT NULL, status TEXT NOT NULL, from_number TEXT NOT NULL, to_number TEXT NOT NULL,
    started_at ${TS}, ended_at TEXT, duration_seconds INTEGER NOT NULL DEFAULT 0, summary TEXT,
    transcript TEXT NOT NULL DEFAULT '[]', created_at ${TS})`,
  `CREATE INDEX calls_started ON calls (workspace_id, started_at, id)`,

  `CREATE TABLE appointments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    contact_id TEXT, title TEXT NOT NULL, status TEXT NOT NULL, starts_at ${TS}, ends_at ${TS},
    location TEXT, notes TEXT, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX appointments_starts ON appointments (workspace_id, starts_at, id)`,

  `CREATE TABLE reservations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    contact_id TEXT, confirmation_code TEXT NOT NULL, property TEXT NOT NULL, room_type TEXT NOT NULL,
    check_in TEXT NOT NULL, check_out TEXT NOT NULL, guests INTEGER NOT NULL, status TEXT NOT NULL,
    total_amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX reservations_check_in ON reservations (workspace_id, check_in, id)`,
  `CREATE UNIQUE INDEX reservations_code ON reservations (workspace_id, confirmation_code)`,

  `CREATE TABLE knowledge_nodes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    parent_id TEXT REFERENCES knowledge_nodes(id), kind TEXT NOT NULL, title TEXT NOT NULL, path TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '', created_at ${TS}, updated_at ${TS})`,
  `CREATE UNIQUE INDEX knowledge_nodes_path ON knowledge_nodes (workspace_id, path)`,
  `CREATE INDEX knowledge_nodes_parent ON knowledge_nodes (workspace_id, parent_id)`,
  `CREATE VIRTUAL TABLE knowledge_nodes_fts USING fts5(title, body, content='knowledge_nodes', content_rowid='seq', tokenize='unicode61 remove_diacritics 2')`,
  `CREATE TRIGGER knowledge_nodes_ai AFTER INSERT ON knowledge_nodes BEGIN
    INSERT INTO knowledge_nodes_fts(rowid, title, body) VALUES (new.seq, new.title, new.body); END`,
  `CREATE TRIGGER knowledge_nodes_ad AFTER DELETE ON knowledge_nodes BEGIN
    INSERT INTO knowledge_nodes_fts(knowledge_nodes_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body); END`,
  `CREATE TRIGGER knowledge_nodes_au AFTER UPDATE OF title, body ON knowledge_nodes BEGIN
    INSERT INTO knowledge_nodes_fts(knowledge_nodes_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body);
    INSERT INTO knowledge_nodes_fts(rowid, title, body) VALUES (new.seq, new.title, new.body); END`,

  `CREATE TABLE knowledge_chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL,
    node_id TEXT NOT NULL REFERENCES knowledge_nodes(id), position INTEGER NOT NULL, text TEXT NOT NULL)`,
  `CREATE INDEX knowledge_chunks_node ON knowledge_chunks (node_id, position)`,
  `CREATE VIRTUAL TABLE knowledge_chunks_fts USING fts5(text, content='knowledge_chunks', content_rowid='seq', tokenize='unicode61 remove_diacritics 2')`,
  `CREATE TRIGGER knowledge_chunks_ai AFTER INSERT ON knowledge_chunks BEGIN
    INSERT INTO knowledge_chunks_fts(rowid, text) VALUES (new.seq, new.text); END`,
  `CREATE TRIGGER knowledge_chunks_ad AFTER DELETE ON knowledge_chunks BEGIN
    INSERT INTO knowledge_chunks_fts(knowledge_chunks_fts, rowid, text) VALUES ('delete', old.seq, old.text); END`,

  `CREATE TABLE agents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL, description TEXT, instructions TEXT NOT NULL, guardrails TEXT NOT NULL DEFAULT '[]',
    skill_ids TEXT NOT NULL DEFAULT '[]', operation_mode TEXT NOT NULL, channels TEXT NOT NULL DEFAULT '[]',
    created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX agents_ws ON agents (workspace_id, created_at, id)`,
  `CREATE TABLE skills (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name TEXT NOT NULL, description TEXT, body TEXT NOT NULL, allowed_tools TEXT NOT NULL DEFAULT '[]',
    tags TEXT NOT NULL DEFAULT '[]', enabled INTEGER NOT NULL DEFAULT 1, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX skills_ws ON skills (workspace_id, created_at, id)`,

  `CREATE TABLE idempotency_keys (
    workspace_id TEXT NOT NULL, tool TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL,
    response TEXT NOT NULL, created_at ${TS}, expires_at ${TS}, PRIMARY KEY (workspace_id, tool, key))`,
  `CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)`,

  `CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE, message_kind TEXT NOT NULL, payload TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at ${TS}, locked_until TEXT, last_error TEXT, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX outbox_due ON outbox (status, next_attempt_at)`,
];

/** The OAuth authorization server's state (oidc-provider models), workspace grants and throttle counters. */
const OAUTH_SCHEMA = [
  `CREATE TABLE oauth_models (
    model TEXT NOT NULL, id_hash TEXT NOT NULL, payload TEXT NOT NULL, grant_id TEXT, uid TEXT,
    expires_at TEXT, consumed_at TEXT, PRIMARY KEY (model, id_hash))`,
  `CREATE INDEX oauth_models_grant ON oauth_models (grant_id) WHERE grant_id IS NOT NULL`,
  `CREATE INDEX oauth_models_uid ON oauth_models (model, uid) WHERE uid IS NOT NULL`,
  `CREATE INDEX oauth_models_expiry ON oauth_models (expires_at) WHERE expires_at IS NOT NULL`,
  `CREATE TABLE oauth_grant_workspaces (
    grant_id TEXT NOT NULL, workspace_id TEXT NOT NULL REFERENCES workspaces(id), PRIMARY KEY (grant_id, workspace_id))`,
  `CREATE TABLE oauth_counters (key TEXT PRIMARY KEY, window_start ${TS}, count INTEGER NOT NULL)`,
];

/** Token buckets of the per-workspace request limit, shared by every process on this database. */
const RATE_LIMIT_SCHEMA = `CREATE TABLE rate_limit_buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_ms INTEGER NOT NULL)`;

/**
 * A per-workspace counter that every change able to alter a conversation search's ranking moves
 * on, in the same transaction: a message added, removed or rewritten, a conversation's status or
 * channel changed (the search's filters), a conversation removed. Cached search results are
 * labelled with it (store/conversation-search-cache.ts), so any replica's write retires every
 * replica's cache.
 */
const bumpVersion = (ref: 'new' | 'old') => `INSERT INTO conversation_search_versions (workspace_id, version)
  VALUES (${ref}.workspace_id, 1) ON CONFLICT (workspace_id) DO UPDATE SET version = version + 1;`;

const SEARCH_VERSIONS_SCHEMA = [
  `CREATE TABLE conversation_search_versions (workspace_id TEXT PRIMARY KEY, version INTEGER NOT NULL)`,
  `CREATE TRIGGER messages_search_version_ai AFTER INSERT ON messages BEGIN ${bumpVersion('new')} END`,
  `CREATE TRIGGER messages_search_version_ad AFTER DELETE ON messages BEGIN ${bumpVersion('old')} END`,
  // Not on status: delivery updates it for every message sent, and it is not searched.
  `CREATE TRIGGER messages_search_version_au AFTER UPDATE OF body, created_at, conversation_id, workspace_id ON messages
    BEGIN ${bumpVersion('old')} ${bumpVersion('new')} END`,
  // A send sets status on every message (to itself unless it reopens): only a real change counts.
  `CREATE TRIGGER conversations_search_version_au AFTER UPDATE OF status, channel, workspace_id ON conversations
    WHEN old.status IS NOT new.status OR old.channel IS NOT new.channel OR old.workspace_id IS NOT new.workspace_id
    BEGIN ${bumpVersion('old')} ${bumpVersion('new')} END`,
  `CREATE TRIGGER conversations_search_version_ad AFTER DELETE ON conversations BEGIN ${bumpVersion('old')} END`,
];

/**
 * Which `seq` values (the full-text index's rowids) hold each hour of a workspace's messages, so a
 * search over a time window reads only that part of the index (store/search-window.ts). Kept by
 * triggers in the writing transaction; bounds only ever widen (a deleted message leaves them as
 * they were), so they always cover every message of the hour. `messages` counts the inserts and
 * only guides how much a search reads at a time. `hour` is hours since the Unix epoch, UTC.
 */
const bucketOf = (ref: 'new') => `INSERT INTO message_time_buckets (workspace_id, hour, min_seq, max_seq, messages)
  VALUES (${ref}.workspace_id, unixepoch(${ref}.created_at) / 3600, ${ref}.seq, ${ref}.seq, 1)
  ON CONFLICT (workspace_id, hour) DO UPDATE SET min_seq = min(min_seq, excluded.min_seq),
    max_seq = max(max_seq, excluded.max_seq), messages = messages + 1;`;

const MESSAGE_TIME_BUCKETS_SCHEMA = [
  `CREATE TABLE message_time_buckets (
    workspace_id TEXT NOT NULL, hour INTEGER NOT NULL, min_seq INTEGER NOT NULL, max_seq INTEGER NOT NULL,
    messages INTEGER NOT NULL, PRIMARY KEY (workspace_id, hour))`,
  `INSERT INTO message_time_buckets (workspace_id, hour, min_seq, max_seq, messages)
    SELECT workspace_id, unixepoch(created_at) / 3600, min(seq), max(seq), count(*) FROM messages GROUP BY 1, 2`,
  `CREATE TRIGGER messages_time_bucket_ai AFTER INSERT ON messages BEGIN ${bucketOf('new')} END`,
  `CREATE TRIGGER messages_time_bucket_au AFTER UPDATE OF created_at, workspace_id ON messages BEGIN ${bucketOf('new')} END`,
];
