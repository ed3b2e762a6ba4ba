import type { ReadPoolStats } from '../store/read-scheduler.js';

/**
 * Prometheus text-format metrics without a client library: a handful of counters and one
 * histogram, rendered on scrape. Label values come from a closed set (routes, tool names,
 * status codes) so cardinality stays bounded whatever clients send.
 */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Labels = Record<string, string>;

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`, ...[...this.values].map(([l, v]) => `${this.name}${l} ${v}`)];
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string) {}
  observe(labels: Labels, seconds: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    LATENCY_BUCKETS.forEach((le, i) => {
      if (seconds <= le) s.counts[i]! += 1;
    });
    s.sum += seconds;
    s.count += 1;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      LATENCY_BUCKETS.forEach((le, i) => lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(le) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`, `${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

export interface ScrapedValue {
  name: string;
  help: string;
  value: number;
  type?: 'gauge' | 'counter';
}

/** The read pool's state (store/read-scheduler.ts), when searches go through one. */
export function readPoolMetrics(stats: ReadPoolStats | undefined): ScrapedValue[] {
  if (!stats) return [];
  return [
    { name: 'conduit_read_pool_size', help: 'Searches that can run at once.', value: stats.slots },
    { name: 'conduit_read_pool_running', help: 'Searches running now.', value: stats.running },
    { name: 'conduit_read_pool_waiting', help: 'Searches waiting for their turn.', value: stats.waiting },
    { name: 'conduit_read_pool_completed_total', help: 'Searches that ran to their end.', value: stats.completed, type: 'counter' },
    { name: 'conduit_read_pool_dropped_total', help: 'Searches dropped before they started because their client went away.', value: stats.dropped, type: 'counter' },
    { name: 'conduit_read_pool_stopped_total', help: 'Searches stopped while running because their client went away.', value: stats.stopped, type: 'counter' },
  ];
}

export class Metrics {
  readonly httpRequests = new Counter('conduit_http_requests_total', 'HTTP requests by route and status.');
  readonly toolCalls = new Counter('conduit_tool_calls_total', 'tools/call by tool and outcome (ok, error, internal_error, unavailable, client_gone).');
  readonly toolLatency = new Histogram('conduit_tool_duration_seconds', 'tools/call latency by tool.');
  readonly rateLimited = new Counter('conduit_rate_limit_rejections_total', 'Requests answered 429 by the per-workspace limit.');
  readonly rateLimiterUnavailable = new Counter('conduit_rate_limiter_unavailable_total', 'Requests answered 503 because the rate limiter (Redis) did not answer.');

  /** `gauges` are read at scrape time (e.g. outbox depth from the database); a `counter` type marks a running total. */
  render(gauges: ScrapedValue[]): string {
    const lines = [
      ...this.httpRequests.render(),
      ...this.toolCalls.render(),
      ...this.toolLatency.render(),
      ...this.rateLimited.render(),
      ...this.rateLimiterUnavailable.render(),
      ...gauges.flatMap((g) => [`# HELP ${g.name} ${g.help}`, `# TYPE ${g.name} ${g.type ?? 'gauge'}`, `${g.name} ${g.value}`]),
    ];
    return `${lines.join('\n')}\n`;
  }
}

/** The route label of a path: known routes by name, everything else "other". */
export function routeOf(path: string): string {
  if (path === '/v1/mcp') return 'mcp';
  if (path.startsWith('/oauth/')) return 'oauth';
  if (path.startsWith('/.well-known/')) return 'well_known';
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return path.slice(1);
  return 'other';
}
