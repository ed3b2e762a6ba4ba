export { createConduitServer, type ConduitServer, type ConduitServerOptions } from './server.js';
export { openStore, type OpenStoreOptions } from './store/open.js';
export type { Store } from './store/store.js';
export { createApiToken, revokeApiToken, listApiTokens } from './auth/api-tokens.js';
export { allTools, createRegistry, type ListedTool } from './tools/registry.js';
export { renderToolReference } from './tools/reference.js';
export { createPromptCatalog } from './mcp/prompts.js';
export { renderPromptReference } from './mcp/prompt-reference.js';
