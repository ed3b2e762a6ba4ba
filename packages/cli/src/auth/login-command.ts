import { DEFAULT_MCP_URL } from './defaults.js';

/**
 * The command that signs in to `url`, as the user would type it in a terminal: through `npx` when
 * this process was itself started by npx (MCP hosts usually run `npx conduit-mcp`, and the package
 * may not be installed anywhere else), and with `--url` unless `url` is the hosted endpoint. Every
 * message that tells the user to sign in builds the command here.
 */
export function loginCommand(url: string, env: NodeJS.ProcessEnv = process.env): string {
  const bin = env.npm_command === 'exec' ? 'npx conduit-mcp' : 'conduit-mcp';
  return url === DEFAULT_MCP_URL ? `${bin} login` : `${bin} login --url ${url}`;
}
