import { sql, type Kysely, type Migration } from 'kysely';
import { sealedOAuthSchema, sealOAuthState } from '../oauth-sealing-migration.js';

/**
 * PostgreSQL migrations, one for each SQLite migration and named alike, so both dialects hold
 * the same tables, columns and indexes (see sqlite/migrations.ts). Applied in key order by
 * Kysely's migrator, each in a transaction (PostgreSQL has transactional DDL), under the
 * migrator's lock, so replicas starting together migrate once. Never edit a released migration.
 *
 * Translation rules, so one set of queries behaves the same on both dialects:
 * - `seq INTEGER PRIMARY KEY AUTOINCREMENT` becomes a BIGINT identity (the pool parses int8 as a
 *   JS number, see open.ts). ALWAYS, so an insert that supplies its own seq fails loudly instead
 *   of desynchronising the sequence.
 * - Text columns use the "C" collation: byte order, as SQLite's BINARY, whatever the server's
 *   locale, so ORDER BY and keyset cursors over text agree across dialects.
 * - Integer columns stay integers (flags are 0/1, not boolean); REAL becomes DOUBLE PRECISION.
 * - FTS5 tables become `<table>_fts (seq, tsv)` side tables kept in step by triggers, with GIN
 *   indexes: the same shape as FTS5's external-content tables, and no tsvector column on the
 *   main tables (their rows are selected whole in many places).
 */
export const postgresMigrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      for (const statement of [...TEXT_SEARCH_CONFIG, ...INITIAL_SCHEMA, ...INITIAL_FTS]) await sql.raw(statement).execute(db);
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
      await sealOAuthState(db, sealedOAuthSchema(T, TS));
    },
  },
  // users.signed_out_at: sign-ins of the user made before it are over (users reset-password).
  '0007_user_signed_out_at': {
    async up(db: Kysely<unknown>) {
      await sql.raw(`ALTER TABLE users ADD COLUMN signed_out_at ${T}`).execute(db);
    },
  },
  '0008_message_time_buckets': {
    async up(db: Kysely<unknown>) {
      for (const statement of MESSAGE_TIME_BUCKETS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  // SQLite's buckets moved to a file of their own, because there a commit costs the other
  // connections their page caches. PostgreSQL's readers share one buffer cache that a write does
  // not empty, so its buckets stay: nothing to do, under the same name as SQLite's.
  '0009_rate_limit_buckets_own_file': {
    async up() {},
  },
  // The message index also finds a seq range itself (postgres/seq-blocks.ts), as FTS5 seeks a
  // rowid range: rewrites messages_fts and rebuilds its index (about 11 s per million messages).
  '0010_message_seq_blocks': {
    async up(db: Kysely<unknown>) {
      for (const statement of MESSAGE_SEQ_BLOCKS_SCHEMA) await sql.raw(statement).execute(db);
    },
  },
  // The three row triggers on inserted messages become one statement trigger (see below).
  '0011_message_insert_statement_trigger': {
    async up(db: Kysely<unknown>) {
      for (const statement of MESSAGE_INSERT_STATEMENT_TRIGGER) await sql.raw(statement).execute(db);
    },
  },
};

const T = 'TEXT COLLATE "C"';
const TS = `${T} NOT NULL`;
const SEQ = 'seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY';

/**
 * The text search configuration `conduit`: the `simple` parser and dictionary (lower-casing, no
 * stemming, no stop words), as SQLite's unicode61 tokenizer, plus `unaccent` where the server
 * has it, as unicode61's remove_diacritics. unaccent is a trusted extension (PostgreSQL 13+),
 * so a database owner may create it; without it the configuration keeps accents.
 */
const TEXT_SEARCH_CONFIG = [
  `DO $$ BEGIN
    CREATE EXTENSION IF NOT EXISTS unaccent;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'unaccent is not available (%); full-text search will be accent-sensitive', SQLERRM;
  END $$`,
  `CREATE TEXT SEARCH CONFIGURATION conduit (COPY = pg_catalog.simple)`,
  `DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_ts_dict WHERE dictname = 'unaccent') THEN
      ALTER TEXT SEARCH CONFIGURATION conduit ALTER MAPPING FOR word, numword, hword, numhword, hword_part, hword_numpart WITH unaccent, simple;
    END IF;
  END $$`,
  /**
   * What gets indexed: the text with punctuation replaced by spaces, so the parser sees only
   * words and numbers, as unicode61 does (left alone, the parser would index "ana@example.com"
   * or "3.5" as one token, and a search for "example" would not find it).
   */
  `CREATE FUNCTION conduit_tsv(body text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_tsvector('conduit'::regconfig, regexp_replace(coalesce(body, ''), '[[:punct:]]+', ' ', 'g'))`,
];

const INITIAL_SCHEMA = [
  `CREATE TABLE settings (key ${T} PRIMARY KEY, value ${T} NOT NULL)`,
  `CREATE TABLE workspaces (id ${T} PRIMARY KEY, slug ${T} NOT NULL UNIQUE, name ${T} NOT NULL, created_at ${TS})`,
  `CREATE TABLE senders (
    id ${T} PRIMARY KEY, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    channel ${T} NOT NULL, address ${T} NOT NULL, display_name ${T} NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0, created_at ${TS})`,
  `CREATE INDEX senders_ws ON senders (workspace_id, channel, id)`,
  `CREATE TABLE users (id ${T} PRIMARY KEY, email ${T} NOT NULL UNIQUE, name ${T} NOT NULL, password_hash ${T}, created_at ${TS})`,
  `CREATE TABLE memberships (
    user_id ${T} NOT NULL REFERENCES users(id), workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    role ${T} NOT NULL, PRIMARY KEY (user_id, workspace_id))`,
  `CREATE TABLE api_tokens (
    id ${T} PRIMARY KEY, name ${T} NOT NULL, token_hash ${T} NOT NULL UNIQUE, token_prefix ${T} NOT NULL,
    access ${T} NOT NULL, created_at ${TS}, expires_at ${T}, revoked_at ${T}, last_used_at ${T})`,
  `CREATE TABLE api_token_workspaces (
    token_id ${T} NOT NULL REFERENCES api_tokens(id), workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    PRIMARY KEY (token_id, workspace_id))`,

  `CREATE TABLE contacts (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    first_name ${T}, last_name ${T}, email ${T}, email_norm ${T}, phone ${T}, phone_norm ${T},
    whatsapp ${T}, whatsapp_norm ${T}, name_norm ${T} NOT NULL DEFAULT '',
    archived INTEGER NOT NULL DEFAULT 0, ai_paused INTEGER NOT NULL DEFAULT 0,
    last_channel ${T}, last_message_at ${T}, last_message_preview ${T},
    created_at ${TS}, updated_at ${TS})`,
  `CREATE UNIQUE INDEX contacts_email ON contacts (workspace_id, email_norm) WHERE email_norm IS NOT NULL`,
  `CREATE UNIQUE INDEX contacts_phone ON contacts (workspace_id, phone_norm) WHERE phone_norm IS NOT NULL`,
  `CREATE INDEX contacts_updated ON contacts (workspace_id, updated_at, id)`,
  `CREATE INDEX contacts_whatsapp ON contacts (workspace_id, whatsapp_norm)`,

  `CREATE TABLE custom_attributes (
    id ${T} PRIMARY KEY, workspace_id ${T} NOT NULL REFERENCES workspaces(id), key ${T} NOT NULL,
    label ${T} NOT NULL, type ${T} NOT NULL, options ${T}, created_at ${TS}, UNIQUE (workspace_id, key))`,
  `CREATE TABLE contact_attribute_values (
    contact_id ${T} NOT NULL REFERENCES contacts(id), attribute_id ${T} NOT NULL REFERENCES custom_attributes(id),
    value ${T} NOT NULL, PRIMARY KEY (contact_id, attribute_id))`,

  `CREATE TABLE conversations (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    contact_id ${T} NOT NULL REFERENCES contacts(id), channel ${T} NOT NULL, status ${T} NOT NULL,
    assignee_id ${T}, subject ${T}, message_count INTEGER NOT NULL DEFAULT 0,
    last_message_at ${T}, last_message_preview ${T}, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX conversations_updated ON conversations (workspace_id, updated_at, id)`,
  `CREATE INDEX conversations_contact ON conversations (contact_id, channel)`,

  `CREATE TABLE messages (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL,
    conversation_id ${T} NOT NULL REFERENCES conversations(id), direction ${T} NOT NULL,
    author_type ${T} NOT NULL, author_id ${T}, author_name ${T}, channel ${T} NOT NULL,
    body ${T} NOT NULL, subject ${T}, status ${T}, sender_id ${T}, created_at ${TS})`,
  `CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id)`,

  `CREATE TABLE tickets (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    subject ${T} NOT NULL, summary ${T}, status ${T} NOT NULL, waiting_on ${T} NOT NULL, priority ${T} NOT NULL,
    tags ${T} NOT NULL DEFAULT '[]', contact_id ${T}, assignee_id ${T}, external_ticket_id ${T}, source ${T},
    created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX tickets_updated ON tickets (workspace_id, updated_at, id)`,
  `CREATE TABLE ticket_tags (ticket_id ${T} NOT NULL REFERENCES tickets(id), workspace_id ${T} NOT NULL, tag ${T} NOT NULL,
    PRIMARY KEY (ticket_id, tag))`,
  `CREATE INDEX ticket_tags_tag ON ticket_tags (workspace_id, tag)`,

  `CREATE TABLE ticket_messages (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL,
    ticket_id ${T} NOT NULL REFERENCES tickets(id), direction ${T} NOT NULL, author_type ${T} NOT NULL,
    author_id ${T}, author_name ${T}, body ${T} NOT NULL, internal INTEGER NOT NULL DEFAULT 0, status ${T},
    created_at ${TS})`,
  `CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, created_at, id)`,

  `CREATE TABLE calls (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    contact_id ${T}, direction ${T} NOT NULL, status ${T} NOT NULL, from_number ${T} NOT NULL, to_number ${T} NOT NULL,
    started_at ${TS}, ended_at ${T}, duration_seconds INTEGER NOT NULL DEFAULT 0, summary ${T},
    transcript ${T} NOT NULL DEFAULT '[]', created_at ${TS})`,
  `CREATE INDEX calls_started ON calls (workspace_id, started_at, id)`,

  `CREATE TABLE appointments (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    contact_id ${T}, title ${T} NOT NULL, status ${T} NOT NULL, starts_at ${TS}, ends_at ${TS},
    location ${T}, notes ${T}, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX appointments_starts ON appointments (workspace_id, starts_at, id)`,

  `CREATE TABLE reservations (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    contact_id ${T}, confirmation_code ${T} NOT NULL, property ${T} NOT NULL, room_type ${T} NOT NULL,
    check_in ${T} NOT NULL, check_out ${T} NOT NULL, guests INTEGER NOT NULL, status ${T} NOT NULL,
    total_amount_minor BIGINT NOT NULL, currency ${T} NOT NULL, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX reservations_check_in ON reservations (workspace_id, check_in, id)`,
  `CREATE UNIQUE INDEX reservations_code ON reservations (workspace_id, confirmation_code)`,

  `CREATE TABLE knowledge_nodes (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    parent_id ${T} REFERENCES knowledge_nodes(id), kind ${T} NOT NULL, title ${T} NOT NULL, path ${T} NOT NULL,
    body ${T} NOT NULL DEFAULT '', created_at ${TS}, updated_at ${TS})`,
  `CREATE UNIQUE INDEX knowledge_nodes_path ON knowledge_nodes (workspace_id, path)`,
  `CREATE INDEX knowledge_nodes_parent ON knowledge_nodes (workspace_id, parent_id)`,

  `CREATE TABLE knowledge_chunks (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL,
    node_id ${T} NOT NULL REFERENCES knowledge_nodes(id), position INTEGER NOT NULL, text ${T} NOT NULL)`,
  `CREATE INDEX knowledge_chunks_node ON knowledge_chunks (node_id, position)`,

  `CREATE TABLE agents (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    name ${T} NOT NULL, description ${T}, instructions ${T} NOT NULL, guardrails ${T} NOT NULL DEFAULT '[]',
    skill_ids ${T} NOT NULL DEFAULT '[]', operation_mode ${T} NOT NULL, channels ${T} NOT NULL DEFAULT '[]',
    created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX agents_ws ON agents (workspace_id, created_at, id)`,
  `CREATE TABLE skills (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL REFERENCES workspaces(id),
    name ${T} NOT NULL, description ${T}, body ${T} NOT NULL, allowed_tools ${T} NOT NULL DEFAULT '[]',
    tags ${T} NOT NULL DEFAULT '[]', enabled INTEGER NOT NULL DEFAULT 1, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX skills_ws ON skills (workspace_id, created_at, id)`,

  `CREATE TABLE idempotency_keys (
    workspace_id ${T} NOT NULL, tool ${T} NOT NULL, key ${T} NOT NULL, request_hash ${T} NOT NULL,
    response ${T} NOT NULL, created_at ${TS}, expires_at ${TS}, PRIMARY KEY (workspace_id, tool, key))`,
  `CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)`,

  `CREATE TABLE outbox (
    ${SEQ}, id ${T} NOT NULL UNIQUE, workspace_id ${T} NOT NULL,
    message_id ${T} NOT NULL UNIQUE, message_kind ${T} NOT NULL, payload ${T} NOT NULL,
    status ${T} NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at ${TS}, locked_until ${T}, last_error ${T}, created_at ${TS}, updated_at ${TS})`,
  `CREATE INDEX outbox_due ON outbox (status, next_attempt_at)`,
];

/**
 * A full-text side table for `table`, as FTS5's external-content table on SQLite: one row per
 * source row, keyed by its seq, with the tsvector of `document` (a SQL expression over NEW's
 * columns, weighted with setweight where the SQLite index weights columns in bm25). The triggers
 * fire only when an indexed column changes, like SQLite's `AFTER UPDATE OF`.
 */
function ftsTable(table: string, columns: string[], document: string): string[] {
  const fts = `${table}_fts`;
  return [
    `CREATE TABLE ${fts} (seq BIGINT PRIMARY KEY REFERENCES ${table}(seq) ON DELETE CASCADE, tsv tsvector NOT NULL)`,
    `CREATE INDEX ${fts}_tsv ON ${fts} USING GIN (tsv)`,
    `CREATE FUNCTION ${fts}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      INSERT INTO ${fts} (seq, tsv) VALUES (NEW.seq, ${document})
      ON CONFLICT (seq) DO UPDATE SET tsv = EXCLUDED.tsv;
      RETURN NULL;
    END $$`,
    `CREATE TRIGGER ${table}_ai AFTER INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fts}_sync()`,
    `CREATE TRIGGER ${table}_au AFTER UPDATE OF ${columns.join(', ')} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fts}_sync()`,
  ];
}

const INITIAL_FTS = [
  ...ftsTable('messages', ['body'], `conduit_tsv(NEW.body)`),
  ...ftsTable(
    'tickets',
    ['subject', 'summary'],
    `setweight(conduit_tsv(NEW.subject), 'A') || setweight(conduit_tsv(NEW.summary), 'B')`,
  ),
  ...ftsTable('ticket_messages', ['body'], `conduit_tsv(NEW.body)`),
  ...ftsTable(
    'knowledge_nodes',
    ['title', 'body'],
    `setweight(conduit_tsv(NEW.title), 'A') || setweight(conduit_tsv(NEW.body), 'B')`,
  ),
  ...ftsTable('knowledge_chunks', ['text'], `conduit_tsv(NEW.text)`),
];

/** The OAuth authorization server's state (oidc-provider models), workspace grants and throttle counters. */
const OAUTH_SCHEMA = [
  `CREATE TABLE oauth_models (
    model ${T} NOT NULL, id_hash ${T} NOT NULL, payload ${T} NOT NULL, grant_id ${T}, uid ${T},
    expires_at ${T}, consumed_at ${T}, PRIMARY KEY (model, id_hash))`,
  `CREATE INDEX oauth_models_grant ON oauth_models (grant_id) WHERE grant_id IS NOT NULL`,
  `CREATE INDEX oauth_models_uid ON oauth_models (model, uid) WHERE uid IS NOT NULL`,
  `CREATE INDEX oauth_models_expiry ON oauth_models (expires_at) WHERE expires_at IS NOT NULL`,
  `CREATE TABLE oauth_grant_workspaces (
    grant_id ${T} NOT NULL, workspace_id ${T} NOT NULL REFERENCES workspaces(id), PRIMARY KEY (grant_id, workspace_id))`,
  `CREATE TABLE oauth_counters (key ${T} PRIMARY KEY, window_start ${TS}, count INTEGER NOT NULL)`,
];

/** Token buckets of the per-workspace request limit, shared by every process on this database. */
const RATE_LIMIT_SCHEMA = `CREATE TABLE rate_limit_buckets (key ${T} PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, updated_ms BIGINT NOT NULL)`;

/** As SQLite's 0004_search_versions: the counter cached conversation search results are labelled with. */
const SEARCH_VERSIONS_SCHEMA = [
  `CREATE TABLE conversation_search_versions (workspace_id ${T} PRIMARY KEY, version BIGINT NOT NULL)`,
  `CREATE FUNCTION conversation_search_version_bump(ws text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO conversation_search_versions AS v (workspace_id, version) VALUES (ws, 1)
    ON CONFLICT (workspace_id) DO UPDATE SET version = v.version + 1 $$`,
  `CREATE FUNCTION conversation_search_version_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM conversation_search_version_bump(OLD.workspace_id); END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM conversation_search_version_bump(NEW.workspace_id); END IF;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER messages_search_version_ai AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION conversation_search_version_changed()`,
  `CREATE TRIGGER messages_search_version_ad AFTER DELETE ON messages FOR EACH ROW EXECUTE FUNCTION conversation_search_version_changed()`,
  // Not on status: delivery updates it for every message sent, and it is not searched.
  `CREATE TRIGGER messages_search_version_au AFTER UPDATE OF body, created_at, conversation_id, workspace_id ON messages
    FOR EACH ROW EXECUTE FUNCTION conversation_search_version_changed()`,
  // A send sets status on every message (to itself unless it reopens): only a real change counts.
  `CREATE TRIGGER conversations_search_version_au AFTER UPDATE OF status, channel, workspace_id ON conversations FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.channel IS DISTINCT FROM NEW.channel OR OLD.workspace_id IS DISTINCT FROM NEW.workspace_id)
    EXECUTE FUNCTION conversation_search_version_changed()`,
  `CREATE TRIGGER conversations_search_version_ad AFTER DELETE ON conversations FOR EACH ROW EXECUTE FUNCTION conversation_search_version_changed()`,
];

/** As SQLite's 0008_message_time_buckets: the `seq` range of each hour of a workspace's messages. */
const HOUR_OF = (column: string) => `floor(extract(epoch FROM ${column}::timestamptz) / 3600)::bigint`;
const MESSAGE_TIME_BUCKETS_SCHEMA = [
  `CREATE TABLE message_time_buckets (
    workspace_id ${T} NOT NULL, hour BIGINT NOT NULL, min_seq BIGINT NOT NULL, max_seq BIGINT NOT NULL,
    messages BIGINT NOT NULL, PRIMARY KEY (workspace_id, hour))`,
  `INSERT INTO message_time_buckets (workspace_id, hour, min_seq, max_seq, messages)
    SELECT workspace_id, ${HOUR_OF('created_at')}, min(seq), max(seq), count(*) FROM messages GROUP BY 1, 2`,
  `CREATE FUNCTION message_time_bucket_widen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    INSERT INTO message_time_buckets AS b (workspace_id, hour, min_seq, max_seq, messages)
      VALUES (NEW.workspace_id, ${HOUR_OF('NEW.created_at')}, NEW.seq, NEW.seq, 1)
    ON CONFLICT (workspace_id, hour) DO UPDATE SET min_seq = least(b.min_seq, EXCLUDED.min_seq),
      max_seq = greatest(b.max_seq, EXCLUDED.max_seq), messages = b.messages + 1;
    RETURN NULL;
  END $$`,
  // Named after messages_search_version_*: PostgreSQL fires triggers in name order, so every
  // transaction takes the version row's lock before the bucket row's, and two cannot deadlock.
  `CREATE TRIGGER messages_time_bucket_ai AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION message_time_bucket_widen()`,
  `CREATE TRIGGER messages_time_bucket_au AFTER UPDATE OF created_at, workspace_id ON messages FOR EACH ROW EXECUTE FUNCTION message_time_bucket_widen()`,
];

/**
 * Each indexed message also carries the blocks of seq it is in, as lexemes (`b10_<seq >> 10>`,
 * `b14_…`, `b18_…`: blocks of 1,024, 16,384 and 262,144 seqs), in the same GIN index as its
 * words. A search over a seq range then asks for its words AND the blocks covering the range,
 * and the index hands back only the matches in those blocks. With the words alone it handed
 * back every match in the database, each one read from the table and, for a phrase, checked
 * again: about 10 ms per query for "double charge" at a million messages, however narrow the
 * range, and in proportion to the whole history. Kept under the index's old name.
 */
const MESSAGE_SEQ_BLOCKS_SCHEMA = [
  `ALTER TABLE messages_fts ADD COLUMN seq_blocks tsvector GENERATED ALWAYS AS
    (array_to_tsvector(ARRAY['b10_' || (seq >> 10)::text, 'b14_' || (seq >> 14)::text, 'b18_' || (seq >> 18)::text])) STORED`,
  `DROP INDEX messages_fts_tsv`,
  `CREATE INDEX messages_fts_tsv ON messages_fts USING GIN (tsv, seq_blocks)`,
];

/**
 * What an INSERT into messages keeps in step, once per statement instead of once per row: the
 * workspace's search version (bumped once), its hour buckets (widened by the statement's rows
 * of each hour) and the full-text rows. Per row, a statement of many messages updated the same
 * version row once per message, and PostgreSQL keeps every one of those row versions until the
 * transaction ends, so each update walked further: 100,000 demo messages took 67 s to seed,
 * against 20 s with this trigger. Workspaces and hours are taken in sorted order, versions
 * before buckets, as the update triggers take them (see MESSAGE_TIME_BUCKETS_SCHEMA), so two
 * writers cannot deadlock. Updates keep their row triggers: PostgreSQL gives transition tables
 * to no trigger limited to some columns, and an update touches one message.
 */
const MESSAGE_INSERT_STATEMENT_TRIGGER = [
  `DROP TRIGGER messages_ai ON messages`,
  `DROP TRIGGER messages_search_version_ai ON messages`,
  `DROP TRIGGER messages_time_bucket_ai ON messages`,
  `CREATE FUNCTION messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    INSERT INTO conversation_search_versions AS v (workspace_id, version)
      SELECT DISTINCT workspace_id, 1 FROM inserted ORDER BY 1
    ON CONFLICT (workspace_id) DO UPDATE SET version = v.version + 1;
    INSERT INTO message_time_buckets AS b (workspace_id, hour, min_seq, max_seq, messages)
      SELECT workspace_id, ${HOUR_OF('created_at')}, min(seq), max(seq), count(*) FROM inserted GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (workspace_id, hour) DO UPDATE SET min_seq = least(b.min_seq, EXCLUDED.min_seq),
      max_seq = greatest(b.max_seq, EXCLUDED.max_seq), messages = b.messages + EXCLUDED.messages;
    INSERT INTO messages_fts (seq, tsv) SELECT seq, conduit_tsv(body) FROM inserted;
    RETURN NULL;
  END $$`,
  `CREATE TRIGGER messages_inserted AFTER INSERT ON messages REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION messages_inserted()`,
];
