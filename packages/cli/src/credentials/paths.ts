import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the file store and the locks live: `$CONDUIT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/conduit-mcp`,
 * else `~/.config/conduit-mcp`. Never inside the package directory, so reinstalling or upgrading
 * the package keeps the login.
 */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONDUIT_CONFIG_DIR) return env.CONDUIT_CONFIG_DIR;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'conduit-mcp');
  return join(env.HOME || homedir(), '.config', 'conduit-mcp');
}
