import type { Generated } from 'kysely';

/**
 * The database model shared by every dialect. Portable column types only:
 * timestamps are ISO 8601 UTC strings (they sort lexicographically), booleans are
 * 0/1 integers and structured values are JSON text, so one set of queries runs on
 * SQLite and PostgreSQL alike. Tables that a full-text index points at carry an
 * integer `seq` key because FTS5 external-content tables need a stable integer rowid.
 */
export interface Database {
  settings: SettingsTable;
  workspaces: WorkspacesTable;
  senders: SendersTable;
  users: UsersTable;
  memberships: MembershipsTable;
  api_tokens: ApiTokensTable;
  api_token_workspaces: ApiTokenWorkspacesTable;
  contacts: ContactsTable;
  custom_attributes: CustomAttributesTable;
  contact_attribute_values: ContactAttributeValuesTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  tickets: TicketsTable;
  ticket_tags: TicketTagsTable;
  ticket_messages: TicketMessagesTable;
  calls: CallsTable;
  appointments: AppointmentsTable;
  reservations: ReservationsTable;
  knowledge_nodes: KnowledgeNodesTable;
  knowledge_chunks: KnowledgeChunksTable;
  agents: AgentsTable;
  skills: SkillsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
  rate_limit_buckets: RateLimitBucketsTable;
  conversation_search_versions: ConversationSearchVersionsTable;
  message_time_buckets: MessageTimeBucketsTable;
  oauth_models: OAuthModelsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_grant_workspaces: OAuthGrantWorkspacesTable;
}

/** 0 or 1: SQLite has no boolean type. */
export type Flag = number;

export interface SettingsTable {
  key: string;
  value: string;
}

export interface WorkspacesTable {
  id: string;
  slug: string;
  name: string;
  created_at: string;
}

export type Channel = 'sms' | 'email' | 'whatsapp' | 'webchat' | 'voice';

export interface SendersTable {
  id: string;
  workspace_id: string;
  channel: Channel;
  address: string;
  display_name: string;
  is_default: Flag;
  created_at: string;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  /** scrypt hash in `scrypt$N$r$p$salt$hash` form; null for users who cannot sign in. */
  password_hash: string | null;
  created_at: string;
  /** Sign-ins made before this time are over: the next authorization asks for the password again. */
  signed_out_at: string | null;
}

/**
 * Workspace roles: the one list the admin commands (`users create --role`, `members add|role`)
 * take their choices from. Extend it here; a role's meaning is decided where it is checked.
 * `viewer` reads a workspace and changes nothing: its OAuth grants never carry write access there.
 */
export const WORKSPACE_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

/** Roles that may read a workspace but not change it or send from it. */
export const READ_ONLY_ROLES: ReadonlySet<WorkspaceRole> = new Set(['viewer']);

/** Whether a member with this role may change the workspace and send from it. Unknown roles may not. */
export function roleCanWrite(role: string): boolean {
  return (WORKSPACE_ROLES as readonly string[]).includes(role) && !READ_ONLY_ROLES.has(role as WorkspaceRole);
}

export interface MembershipsTable {
  user_id: string;
  workspace_id: string;
  role: WorkspaceRole;
}

export type TokenAccess = 'read_only' | 'read_write';

export interface ApiTokensTable {
  id: string;
  name: string;
  /** SHA-256 of the whole `capi_…` secret, hex. The secret itself is never stored. */
  token_hash: string;
  /** The first characters of the secret, shown in listings so a user can tell tokens apart. */
  token_prefix: string;
  access: TokenAccess;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

export interface ApiTokenWorkspacesTable {
  token_id: string;
  workspace_id: string;
}

export interface ContactsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  /** Lower-cased email, for case-insensitive uniqueness and search. */
  email_norm: string | null;
  phone: string | null;
  /** Digits only, so numbers match whatever their formatting. */
  phone_norm: string | null;
  whatsapp: string | null;
  whatsapp_norm: string | null;
  /** Lower-cased "first last" for name search. */
  name_norm: string;
  archived: Flag;
  ai_paused: Flag;
  last_channel: Channel | null;
  last_message_at: string | null;
  last_message_preview: string | null;
  created_at: string;
  updated_at: string;
}

export type AttributeType = 'string' | 'number' | 'boolean' | 'date' | 'enum';

export interface CustomAttributesTable {
  id: string;
  workspace_id: string;
  key: string;
  label: string;
  type: AttributeType;
  /** JSON array of allowed values for `enum`, else null. */
  options: string | null;
  created_at: string;
}

export interface ContactAttributeValuesTable {
  contact_id: string;
  attribute_id: string;
  /** JSON-encoded value of the attribute's type. */
  value: string;
}

export type ConversationStatus = 'open' | 'snoozed' | 'closed';

export interface ConversationsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  contact_id: string;
  channel: Channel;
  status: ConversationStatus;
  assignee_id: string | null;
  subject: string | null;
  message_count: number;
  last_message_at: string | null;
  last_message_preview: string | null;
  created_at: string;
  updated_at: string;
}

export type Direction = 'inbound' | 'outbound';
export type AuthorType = 'contact' | 'user' | 'agent' | 'system';
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'failed';

export interface MessagesTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  conversation_id: string;
  direction: Direction;
  author_type: AuthorType;
  author_id: string | null;
  author_name: string | null;
  channel: Channel;
  body: string;
  subject: string | null;
  /** Outbound only; inbound messages have null. */
  status: MessageStatus | null;
  sender_id: string | null;
  created_at: string;
}

export type TicketStatus = 'new' | 'pending' | 'resolved' | 'closed';
export type WaitingOn = 'team' | 'customer' | 'third_party' | 'none';
export type Priority = 'low' | 'normal' | 'high' | 'urgent';

export interface TicketsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  subject: string;
  summary: string | null;
  status: TicketStatus;
  waiting_on: WaitingOn;
  priority: Priority;
  /** JSON array of tags, mirrored in ticket_tags for filtering. */
  tags: string;
  contact_id: string | null;
  assignee_id: string | null;
  external_ticket_id: string | null;
  source: string | null;
  created_at: string;
  updated_at: string;
}

export interface TicketTagsTable {
  ticket_id: string;
  workspace_id: string;
  tag: string;
}

export interface TicketMessagesTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  ticket_id: string;
  direction: Direction;
  author_type: AuthorType;
  author_id: string | null;
  author_name: string | null;
  body: string;
  internal: Flag;
  status: MessageStatus | null;
  created_at: string;
}

export type CallStatus = 'completed' | 'missed' | 'voicemail' | 'failed';

export interface CallsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  contact_id: string | null;
  direction: Direction;
  status: CallStatus;
  from_number: string;
  to_number: string;
  started_at: string;
  ended_at: string | null;
  duration_seconds: number;
  summary: string | null;
  /** JSON array of `{ speaker: 'contact'|'agent'|'user', name, text, at_seconds }`. */
  transcript: string;
  created_at: string;
}

export type AppointmentStatus = 'scheduled' | 'completed' | 'cancelled' | 'no_show';

export interface AppointmentsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  contact_id: string | null;
  title: string;
  status: AppointmentStatus;
  starts_at: string;
  ends_at: string;
  location: string | null;
  notes: string | null;
  created_at: string;
  updated_at: string;
}

export type ReservationStatus = 'confirmed' | 'cancelled' | 'checked_in' | 'checked_out';

export interface ReservationsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  contact_id: string | null;
  confirmation_code: string;
  property: string;
  room_type: string;
  /** Calendar dates, `YYYY-MM-DD`. */
  check_in: string;
  check_out: string;
  guests: number;
  status: ReservationStatus;
  /** Minor units (cents) so money never goes through floating point in storage. */
  total_amount_minor: number;
  currency: string;
  created_at: string;
  updated_at: string;
}

export type NodeKind = 'folder' | 'article';

export interface KnowledgeNodesTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  parent_id: string | null;
  kind: NodeKind;
  title: string;
  /** `/Policies/Cancellation`: the titles from the root, kept in step on moves and renames. */
  path: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface KnowledgeChunksTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  node_id: string;
  position: number;
  text: string;
}

export type OperationMode = 'autopilot' | 'copilot' | 'off';

export interface AgentsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  instructions: string;
  /** JSON arrays. */
  guardrails: string;
  skill_ids: string;
  operation_mode: OperationMode;
  channels: string;
  created_at: string;
  updated_at: string;
}

export interface SkillsTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  body: string;
  /** JSON arrays. */
  allowed_tools: string;
  tags: string;
  enabled: Flag;
  created_at: string;
  updated_at: string;
}

export interface IdempotencyKeysTable {
  workspace_id: string;
  tool: string;
  key: string;
  /** SHA-256 of the canonical arguments, to tell a retry from a reuse of the key. */
  request_hash: string;
  /** The stored tool result (JSON), replayed for retries. */
  response: string;
  created_at: string;
  expires_at: string;
}

export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** One row per outbound message to deliver; written in the same transaction as the message. */
export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  workspace_id: string;
  message_id: string;
  message_kind: 'conversation' | 'ticket';
  /** JSON: what the receiver gets (channel, addresses, body…). */
  payload: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  /** A worker's claim on the row; another worker may take it after this time. */
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * oidc-provider's state (clients, grants, sessions, interactions, codes and tokens), one row per
 * model instance, sealed (store/sealed.ts): keyed by the SHA-256 of the model's id, the payload
 * encrypted with a key derived from the id. A copy of the table holds no id a browser or client
 * presents and nothing readable without one.
 */
export interface OAuthModelsTable {
  /** oidc-provider model name: AccessToken, RefreshToken, AuthorizationCode, Grant, Session, Interaction, Client…; `Session.uid` finds a session by its uid. */
  model: string;
  /** SHA-256 of the model id, hex. */
  id_hash: string;
  /** The model payload as JSON, sealed under the id; a client secret in it is replaced by its hash. */
  payload: string;
  /** SHA-256 of the grant a token belongs to (a Grant row carries its own), for revoking a whole grant. */
  grant_hash: string | null;
  expires_at: string | null;
  /** Set when a code or refresh token is used; a second use revokes the grant. */
  consumed_at: string | null;
  /** Clients only: when a code or token was last issued to it; null while it was never used. */
  used_at: string | null;
}

/** What an administrator sees of a grant (`oauth grants`): nothing that works as a credential. */
export interface OAuthGrantsTable {
  /** SHA-256 of the grant id, hex; its first 16 characters are the grant's reference in `oauth grants`. */
  grant_hash: string;
  user_id: string;
  /** The OAuth client id: public by definition (RFC 6749 §2.2), sent in every authorization URL. */
  client_id: string;
  /** Granted scopes, space-separated. */
  scopes: string;
  created_at: string;
  expires_at: string | null;
}

/** The workspaces a user picked on the consent page for one grant. */
export interface OAuthGrantWorkspacesTable {
  grant_hash: string;
  workspace_id: string;
}

/** Moved on by triggers whenever a workspace's conversation search results may change. */
export interface ConversationSearchVersionsTable {
  workspace_id: string;
  version: number;
}

/** The seq range of one hour of a workspace's messages (see the 0008 migrations). */
export interface MessageTimeBucketsTable {
  workspace_id: string;
  /** Hours since the Unix epoch, UTC. */
  hour: number;
  min_seq: number;
  max_seq: number;
  messages: number;
}

/**
 * Where the rate-limit buckets live (Store.bucketDb): PostgreSQL's database itself, or on SQLite a
 * file of its own (sqlite/bucket-file.ts), which has this one table.
 */
export interface BucketDatabase {
  rate_limit_buckets: RateLimitBucketsTable;
}

export interface RateLimitBucketsTable {
  /** `<limit name>:<subject>`, e.g. `workspace:wp_…`, `registration:203.0.113.7`, `sign-in-account:<hash of the email>`. */
  key: string;
  tokens: number;
  /** Epoch milliseconds of the last refill. */
  updated_ms: number;
}
