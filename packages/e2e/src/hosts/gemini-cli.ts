import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The Gemini CLI's entry script (its package's `gemini` bin). */
export function geminiScript(): string {
  const manifest = createRequire(import.meta.url).resolve('@google/gemini-cli/package.json');
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  return join(dirname(manifest), bin.gemini!);
}

/** Environment for a non-interactive run: trust the working folder, stay in one process. */
export const GEMINI_ENV: Record<string, string> = {
  // Without it, MCP servers of an untrusted folder (every new one) are listed as "Disabled".
  GEMINI_CLI_TRUST_WORKSPACE: 'true',
  // The CLI otherwise restarts itself once with a larger heap: one process is simpler to time out.
  GEMINI_CLI_NO_RELAUNCH: 'true',
};

/**
 * ~/.gemini/settings.json before any `gemini mcp add`: no usage statistics, telemetry or update
 * checks, and the API-key sign-in (the key only ever reaches the fake model API).
 */
export function writeGeminiSettings(home: string): void {
  mkdirSync(join(home, '.gemini'), { recursive: true });
  const settings = {
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    security: { auth: { selectedType: 'gemini-api-key' } },
  };
  writeFileSync(join(home, '.gemini', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
}

/**
 * Adds a server to ~/.gemini/settings.json directly, for what `gemini mcp add` has no flag for
 * (`oauth: { enabled: true }`: without it the CLI only tells the user to run `/mcp auth` in its UI).
 */
export function addGeminiServer(home: string, name: string, server: Record<string, unknown>): void {
  const path = join(home, '.gemini', 'settings.json');
  const settings = JSON.parse(readFileSync(path, 'utf8')) as { mcpServers?: Record<string, unknown> };
  settings.mcpServers = { ...settings.mcpServers, [name]: server };
  writeFileSync(path, `${JSON.stringify(settings, null, 2)}\n`);
}

/** `gemini mcp list` prints `✓ name: target (http) - Connected`; this maps each name to its status. */
export function parseGeminiMcpList(output: string): Map<string, string> {
  const statuses = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^\S+\s+([\w.-]+): .* - (\w[\w ]*)\s*$/u.exec(line);
    if (match?.[1] && match[2]) statuses.set(match[1], match[2]);
  }
  return statuses;
}
