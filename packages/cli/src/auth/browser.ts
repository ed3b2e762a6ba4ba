import { spawn } from 'node:child_process';

export interface OpenResult {
  opened: boolean;
  /** The program that was started (or tried), for the message shown to the user. */
  command: string;
  error?: string;
}

/**
 * The commands to try for opening a URL: each entry of `BROWSER` (colon-separated, `%s` replaced by
 * the URL, else the URL appended), then the system opener.
 */
export function browserCommands(url: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[][] {
  const commands: string[][] = [];
  for (const entry of (env.BROWSER ?? '').split(':')) {
    const words = entry.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    commands.push(words.some((word) => word.includes('%s')) ? words.map((word) => word.replaceAll('%s', url)) : [...words, url]);
  }
  if (platform === 'darwin') commands.push(['open', url]);
  else if (platform === 'win32') commands.push(['rundll32', 'url.dll,FileProtocolHandler', url]);
  else commands.push(['xdg-open', url]);
  return commands;
}

/** Starts the first command that can be started, detached, without waiting for the browser to exit. */
export async function openBrowser(url: string, env: NodeJS.ProcessEnv = process.env): Promise<OpenResult> {
  let last: OpenResult = { opened: false, command: 'xdg-open' };
  for (const [program, ...args] of browserCommands(url, env)) {
    if (!program) continue;
    const error = await start(program, args, env);
    if (!error) return { opened: true, command: program };
    last = { opened: false, command: program, error };
  }
  return last;
}

function start(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { detached: true, stdio: 'ignore', env });
    child.once('error', (error) => resolve(error.message));
    child.once('spawn', () => {
      child.unref();
      resolve(undefined);
    });
  });
}

/**
 * Whether a browser started from this process would show up in front of the user: a BROWSER is
 * configured, or a desktop session is there (macOS and Windows, unless this is an SSH session; on
 * Linux and the BSDs, an X11 or Wayland display). Used by the bridge, which an MCP host starts in
 * the background, to decide whether to start the sign-in by itself.
 */
export function canOpenBrowser(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (env.BROWSER?.trim()) return true;
  if (platform === 'darwin' || platform === 'win32') return !(env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY);
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
