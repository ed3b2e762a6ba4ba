import { pino, type DestinationStream, type Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `auto`: readable lines when the output is a terminal, JSON lines otherwise (files, pipes, log collectors). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface LoggerOptions {
  level?: LogLevel | undefined;
  format?: LogFormat | undefined;
  /** Where lines go; standard output when absent. */
  output?: LogOutput | undefined;
}

/**
 * Fields that could carry a secret if a future log call passed a request or a payload. Nothing
 * logs them today; this keeps it that way in both formats.
 */
const REDACTED_KEYS = ['authorization', 'cookie', 'password', 'token', 'access_token', 'refresh_token', 'client_secret'];
const REDACT_PATHS = [...REDACTED_KEYS, ...REDACTED_KEYS.map((key) => `*.${key}`), 'req.headers.authorization', 'req.headers.cookie'];

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const isTTY = options.output ? options.output.isTTY === true : process.stdout.isTTY === true;
  const format = options.format === undefined || options.format === 'auto' ? (isTTY ? 'pretty' : 'json') : options.format;
  const settings = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  if (format === 'pretty') {
    const output = options.output ?? process.stdout;
    return pino(settings, { write: (line: string) => void output.write(prettyLine(line)) } satisfies DestinationStream);
  }
  // Without an output, pino's own buffered writer on file descriptor 1: the fast path for JSON.
  return options.output ? pino(settings, { write: (line: string) => void options.output!.write(line) }) : pino(settings);
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, shown in their own places (or, for pid and hostname, not at all). */
const HEADER_FIELDS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function clock(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

function shortId(id: unknown): string {
  return typeof id === 'string' ? id.slice(0, 8) : String(id);
}

function field(key: string, value: unknown): string {
  if (key === 'request_id') return `request_id=${shortId(value)}`;
  if (typeof value === 'string') return `${key}=${/^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`;
  return `${key}=${JSON.stringify(value)}`;
}

interface SerializedError {
  type?: string;
  message?: string;
  stack?: string;
}

/**
 * One JSON log line as a person reads it in a terminal:
 * `14:03:07 POST /v1/mcp 200 3.1 ms id=1b2c3d4e` for a request, else
 * `14:03:09 WARN database unavailable reason="…"`, an error's stack indented below.
 * Request ids are cut to 8 characters, enough to match a request with its warnings.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = clock(typeof entry.time === 'number' ? entry.time : Date.now());
  const level = typeof entry.level === 'number' ? entry.level : 30;
  if (entry.msg === 'request' && typeof entry.method === 'string' && typeof entry.path === 'string') {
    const ms = typeof entry.ms === 'number' ? `${entry.ms.toFixed(1)} ms` : '';
    return `${time} ${entry.method} ${entry.path} ${String(entry.status)} ${ms} id=${shortId(entry.request_id)}\n`;
  }
  const label = level === 30 ? '' : `${LEVEL_NAMES[level] ?? `LEVEL${level}`} `;
  const err = entry.err as SerializedError | undefined;
  const fields = Object.entries(entry)
    .filter(([key]) => !HEADER_FIELDS.has(key) && key !== 'err')
    .map(([key, value]) => field(key, value));
  if (err) fields.push(`error=${JSON.stringify(err.message ?? '')}`);
  const head = `${time} ${label}${String(entry.msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}\n`;
  const stack = err?.stack ? `${err.stack.split('\n').map((line) => `    ${line}`).join('\n')}\n` : '';
  return head + stack;
}
