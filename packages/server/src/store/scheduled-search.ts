import { ReadScheduler, type ReadPoolStats } from './read-scheduler.js';
import type { SearchBackend, SearchOptions } from './search.js';

/**
 * A search backend whose searches take turns in a ReadScheduler: on PostgreSQL the searches run
 * in the database's own processes, so the event loop is never held, but each one holds a pooled
 * connection for its whole ranking. Without a bound, a burst of searches from one workspace
 * would hold every connection and the cheap requests of every workspace would wait for one.
 */
export class ScheduledSearch implements SearchBackend {
  private readonly scheduler: ReadScheduler;
  private stoppedCount = 0;

  constructor(
    private readonly backend: SearchBackend,
    options: { size: number; perWorkspace?: number | undefined },
  ) {
    this.scheduler = new ReadScheduler({ slots: options.size, perWorkspace: options.perWorkspace ?? options.size });
  }

  rankConversations: SearchBackend['rankConversations'] = (p, o) => this.run(p.workspaceId, o, () => this.backend.rankConversations(p, o));
  findConversationHits: SearchBackend['findConversationHits'] = (p, o) => this.run(p.workspaceId, o, () => this.backend.findConversationHits(p, o));
  tickets: SearchBackend['tickets'] = (p, o) => this.run(p.workspaceId, o, () => this.backend.tickets(p, o));
  ticketHits: SearchBackend['ticketHits'] = (p, o) => this.run(p.workspaceId, o, () => this.backend.ticketHits(p, o));
  knowledgeChunks: SearchBackend['knowledgeChunks'] = (p, o) => this.run(p.workspaceId, o, () => this.backend.knowledgeChunks(p, o));
  knowledgeNodes: SearchBackend['knowledgeNodes'] = (p, o) => this.run(p.workspaceId, o, () => this.backend.knowledgeNodes(p, o));

  stats(): ReadPoolStats {
    return { ...this.scheduler.stats(), stopped: this.stoppedCount };
  }

  private run<T>(workspaceId: string, options: SearchOptions | undefined, search: () => Promise<T>): Promise<T> {
    return this.scheduler.run(workspaceId, options?.signal, async () => {
      try {
        return await search();
      } catch (error) {
        if (options?.signal?.aborted) this.stoppedCount += 1;
        throw error;
      }
    });
  }
}
