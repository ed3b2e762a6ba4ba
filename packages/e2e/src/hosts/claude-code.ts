import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Claude Code ships as a native binary in a per-platform package; its wrapper's postinstall only
 * copies that binary into place (pnpm-workspace.yaml does not run it), so the tests run it from the
 * platform package directly.
 */
export function claudeBinary(): string {
  const require = createRequire(createRequire(import.meta.url).resolve('@anthropic-ai/claude-code/package.json'));
  const platformPackage = `@anthropic-ai/claude-code-${process.platform}-${process.arch}`;
  let dir: string;
  try {
    dir = dirname(require.resolve(`${platformPackage}/package.json`));
  } catch {
    throw new Error(`${platformPackage} is not installed (Claude Code has no build for this platform in node_modules)`);
  }
  const binary = join(dir, process.platform === 'win32' ? 'claude.exe' : 'claude');
  if (!existsSync(binary)) throw new Error(`${binary} is missing`);
  return binary;
}

/** The environment switches that keep Claude Code to the task: no telemetry, error reports, update checks. */
export const CLAUDE_OFFLINE_ENV: Record<string, string> = {
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  // Offer every MCP tool to the model up front instead of behind its tool-search tool, and only
  // once every server connected (by default `claude -p` asks the model while slow ones still start).
  ENABLE_TOOL_SEARCH: 'false',
  MCP_CONNECTION_NONBLOCKING: '0',
};

/**
 * `claude mcp list` prints one line per server after its health check, e.g.
 * `conduit: http://127.0.0.1:8787/v1/mcp (HTTP) - ✔ Connected`; this maps each name to its status.
 */
export function parseMcpList(output: string): Map<string, string> {
  const statuses = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^([\w.-]+): .* - [^\w\s]*\s*(.+?)\s*$/u.exec(line);
    if (match?.[1] && match[2]) statuses.set(match[1], match[2]);
  }
  return statuses;
}
