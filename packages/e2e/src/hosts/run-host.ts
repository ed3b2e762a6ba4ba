import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface HostRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the run, for the notes on suite duration. */
  ms: number;
}

export interface HostRunOptions {
  env: Record<string, string>;
  cwd: string;
  /** Written to the host's stdin, which is then closed (hosts must never wait on a terminal). */
  input?: string;
  timeoutMs: number;
}

export interface RunningHost {
  child: ChildProcessWithoutNullStreams;
  /** stdout and stderr so far, interleaved as they came. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; fails with the output after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Resolves when the host exits; rejects with its output when it outlives its time-out (then killed). */
  finished: Promise<HostRun>;
}

/**
 * Starts a host's command line. Hosts start MCP servers (the bridge) and helpers of their own, so
 * the command runs in its own process group, and a run that outlives its time-out has the whole
 * group killed and fails with what it printed, instead of hanging the suite.
 */
export function startHost(command: string, args: readonly string[], options: HostRunOptions): RunningHost {
  const started = Date.now();
  const commandLine = [command, ...args].join(' ');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  let both = '';
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((listener) => listener());
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    both += chunk.toString();
    changed();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    both += chunk.toString();
    changed();
  });
  child.stdin.on('error', () => undefined); // a host that exits without reading its stdin
  if (options.input !== undefined) child.stdin.end(options.input);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, options.timeoutMs);
  const finished = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode) => resolve(exitCode));
  })
    .finally(() => {
      clearTimeout(timer);
      killGroup(child.pid); // whatever the host left behind
      changed();
    })
    .then((code) => {
      if (timedOut) {
        throw new Error(`${commandLine} did not finish within ${options.timeoutMs / 1000} s and was killed.\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
      }
      return { code, stdout, stderr, ms: Date.now() - started };
    });
  finished.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection

  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(both);
        if (match) done(() => resolve(match));
        else if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`${commandLine} exited before printing ${pattern}:\n${both}`)));
      };
      const timeout = setTimeout(() => done(() => reject(new Error(`${commandLine} did not print ${pattern} within ${timeoutMs / 1000} s:\n${both}`))), timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timeout);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  return { child, output: () => both, waitFor, finished };
}

/** Runs a host's command line to the end (stdin closed at once unless `input` is given). */
export async function runHost(command: string, args: readonly string[], options: HostRunOptions): Promise<HostRun> {
  return startHost(command, args, { ...options, input: options.input ?? '' }).finished;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is gone already
  }
}

/** Fails with the host's own output when it did not exit 0. */
export function expectSuccess(run: HostRun, what: string): HostRun {
  if (run.code !== 0) throw new Error(`${what} exited with ${run.code}.\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`);
  return run;
}
