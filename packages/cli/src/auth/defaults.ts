/** The hosted Conduit MCP endpoint: what every command and the bridge use without --url or CONDUIT_MCP_URL. */
export const DEFAULT_MCP_URL = 'https://api.conduit.ai/v1/mcp';
