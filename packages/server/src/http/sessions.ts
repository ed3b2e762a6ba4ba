import { randomBytes } from 'node:crypto';

/**
 * Optional MCP sessions (`serve --sessions`): an Mcp-Session-Id issued at initialize and required
 * afterwards. Kept in process memory on purpose: they carry no state the tools need, so losing
 * them (a restart, another replica) only makes the client re-initialize after a 404, exactly as
 * the streamable HTTP transport specifies.
 */
export interface SessionRegistry {
  create(credentialId: string): string;
  /** True when the session exists, belongs to this credential, and is refreshed by this use. */
  touch(id: string, credentialId: string): boolean;
  end(id: string, credentialId: string): boolean;
}

export function createSessionRegistry(idleMs = 60 * 60 * 1000, maxSessions = 10_000): SessionRegistry {
  const sessions = new Map<string, { credentialId: string; lastUsed: number }>();

  function evictIdle(now: number): void {
    for (const [id, session] of sessions) if (now - session.lastUsed > idleMs) sessions.delete(id);
    // Still full: drop the oldest (Map keeps insertion order, and touch re-inserts).
    while (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value as string);
  }

  return {
    create(credentialId) {
      const now = Date.now();
      evictIdle(now);
      const id = randomBytes(24).toString('base64url');
      sessions.set(id, { credentialId, lastUsed: now });
      return id;
    },
    touch(id, credentialId) {
      const session = sessions.get(id);
      const now = Date.now();
      if (!session || session.credentialId !== credentialId || now - session.lastUsed > idleMs) return false;
      sessions.delete(id);
      sessions.set(id, { credentialId, lastUsed: now });
      return true;
    },
    end(id, credentialId) {
      const session = sessions.get(id);
      if (!session || session.credentialId !== credentialId) return false;
      sessions.delete(id);
      return true;
    },
  };
}
