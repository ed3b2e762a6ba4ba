#!/usr/bin/env node
// MCP conformance client for the auth scenarios: `conformance client --command "exec node <this file>"`
// appends the scenario's server URL as the last argument. Authentication is entirely the conduit-mcp
// CLI's auth module (discovery, registration, PKCE login through the BROWSER program, refresh, step-up);
// the MCP traffic goes through the SDK client with that module's authenticating fetch.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CLI_VERSION, createAuthFetch } from 'conduit-mcp';

/** The URL-based client id the conformance suite expects where the server supports client id metadata documents. */
const CONFORMANCE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

const serverUrl = process.argv.at(-1);
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');

const authFetch = createAuthFetch(serverUrl, {
  interactive: true,
  login: {
    timeoutMs: 20_000,
    clientMetadataUrl: CONFORMANCE_CLIENT_METADATA_URL,
    ...(context.client_id ? { clientId: context.client_id } : {}),
    ...(context.client_secret ? { clientSecret: context.client_secret } : {}),
  },
});

const client = new Client({ name: 'conduit-mcp-conformance', version: CLI_VERSION });
try {
  await client.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { fetch: authFetch }));
  const { tools } = await client.listTools();
  for (const tool of tools) await client.callTool({ name: tool.name, arguments: {} });
  await client.close();
  process.exit(0);
} catch (error) {
  process.stderr.write(`conformance client: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
