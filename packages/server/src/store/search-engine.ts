import type { Kysely } from 'kysely';
import { ConversationSearchCache } from './conversation-search-cache.js';
import type { Database } from './schema.js';
import type {
  ConversationHitSearch,
  ConversationPage,
  ConversationPageOptions,
  ConversationSearch,
  KnowledgeChunkHit,
  KnowledgeChunkSearch,
  KnowledgeNodeHit,
  KnowledgeNodeSearch,
  MessageHit,
  RankedId,
  Ranking,
  SearchBackend,
  SearchEngine,
  SearchOptions,
  TicketHit,
  TicketHitSearch,
  TicketSearch,
} from './search.js';

/** The searches that are not cached, straight to the backend. */
abstract class PassThrough {
  constructor(protected readonly backend: SearchBackend) {}

  tickets(p: TicketSearch, options?: SearchOptions): Promise<RankedId[]> {
    return this.backend.tickets(p, options);
  }

  ticketHits(p: TicketHitSearch, options?: SearchOptions): Promise<TicketHit[]> {
    return this.backend.ticketHits(p, options);
  }

  knowledgeChunks(p: KnowledgeChunkSearch, options?: SearchOptions): Promise<KnowledgeChunkHit[]> {
    return this.backend.knowledgeChunks(p, options);
  }

  knowledgeNodes(p: KnowledgeNodeSearch, options?: SearchOptions): Promise<KnowledgeNodeHit[]> {
    return this.backend.knowledgeNodes(p, options);
  }
}

/**
 * The store's search engine: conversation searches through the process's one search cache
 * (store/conversation-search-cache.ts), whose versions are read on `db`, the server's own
 * connection, while the searches run on the backend's (in the read pool, on SQLite).
 */
export class CachedSearch extends PassThrough implements SearchEngine {
  private readonly cache: ConversationSearchCache;

  constructor(db: Kysely<Database>, backend: SearchBackend) {
    super(backend);
    this.cache = new ConversationSearchCache(db);
  }

  conversations(p: ConversationSearch, options?: SearchOptions): Promise<Ranking> {
    return this.cache.conversations(p, (q) => this.backend.rankConversations(q, options));
  }

  conversationHits(p: ConversationHitSearch, options?: SearchOptions): Promise<MessageHit[]> {
    return this.cache.conversationHits(p, (q) => this.backend.findConversationHits(q, options));
  }

  conversationPage(p: ConversationSearch, page: ConversationPageOptions, options?: SearchOptions): Promise<ConversationPage> {
    return this.cache.page(
      p,
      page,
      (q) => this.backend.rankConversations(q, options),
      (q) => this.backend.findConversationHits(q, options),
    );
  }
}

/**
 * Searches with no cache in front, for a write transaction's connection: what it finds includes
 * the transaction's own writes, and nothing it finds may be kept under a version that could
 * still roll back.
 */
export class DirectSearch extends PassThrough implements SearchEngine {
  conversations(p: ConversationSearch, options?: SearchOptions): Promise<Ranking> {
    return this.backend.rankConversations(p, options);
  }

  conversationHits(p: ConversationHitSearch, options?: SearchOptions): Promise<MessageHit[]> {
    return this.backend.findConversationHits(p, options);
  }

  async conversationPage(p: ConversationSearch, page: ConversationPageOptions, options?: SearchOptions): Promise<ConversationPage> {
    const ranking = await this.backend.rankConversations(p, options);
    const conversationIds = ranking.ranked.slice(0, page.size).map((row) => row.id);
    const created = ranking.since === undefined ? p.created : { ...p.created, after: ranking.since };
    const hits = conversationIds.length
      ? await this.backend.findConversationHits({ workspaceId: p.workspaceId, query: p.query, created, perParent: page.perParent, conversationIds }, options)
      : [];
    return { ...ranking, hits };
  }
}
