/**
 * HTTP side traffic on a server's admin routes, driven by autocannon while the WebSocket traffic
 * runs: "other parts of the application" reading the registry (GET /clients/count) or writing to
 * every client (POST /broadcast) through the model's own coordination. One autocannon load per
 * route, at its own fixed rate, for the measured duration.
 */
import autocannon from 'autocannon';
import { adminAuthHeaders } from '../common/admin-token.ts';
import type { HttpSideLoad } from './plan.ts';
import { ADMIN_BROADCAST_BODY } from './admin-broadcast.ts';

export interface HttpRouteReport {
  readonly method: string;
  readonly path: string;
  /** Requests per second asked for, and the connections they went over. */
  readonly targetRate: number;
  readonly connections: number;
  readonly requests: number;
  readonly ok: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  readonly perSec: number;
  /** Response latency, ms (autocannon's own HDR histogram). */
  readonly latencyMs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
}

export interface HttpReport {
  readonly routes: readonly HttpRouteReport[];
  /**
   * POST /broadcast: requests answered 2xx within autocannon's run (`accepted`), broadcasts the
   * server carried out (`served`, which also counts a request whose answer came after the run
   * ended; null when the server does not report it), the deliveries those call for (served ×
   * clients open) and the deliveries received.
   */
  readonly adminBroadcasts?: { readonly accepted: number; readonly served: number | null; readonly expectedDeliveries: number | null; readonly delivered: number };
}

/** Runs one autocannon load; `signal` stops it early (an interrupted run, a dead server), with its figures so far. */
function runAutocannon(options: autocannon.Options, signal: AbortSignal | undefined): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(result)));
    if (signal?.aborted) instance.stop();
    else signal?.addEventListener('abort', () => instance.stop(), { once: true });
  });
}

/** Starts every route's load at once; resolves when all have run for `durationMs`, or when `signal` stops them. */
export async function runHttpLoad(origin: string, load: HttpSideLoad, durationMs: number, signal?: AbortSignal): Promise<HttpRouteReport[]> {
  return Promise.all(
    load.requests.map(async (r): Promise<HttpRouteReport> => {
      const result = await runAutocannon({
        url: `${origin}${r.path}`,
        method: r.method,
        ...(r.method === 'POST' && { body: ADMIN_BROADCAST_BODY, headers: adminAuthHeaders() }),
        connections: r.connections,
        overallRate: r.rate,
        // In a worker thread of its own, so that HTTP load never takes turns on the event loop
        // that keeps the WebSocket schedule (overallRate applies per worker: one worker).
        workers: 1,
        duration: durationMs / 1000,
        timeout: 10,
      }, signal);
      return {
        method: r.method,
        path: r.path,
        targetRate: r.rate,
        connections: r.connections,
        requests: result.requests.total,
        ok: result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        perSec: result.duration > 0 ? Math.round((result.requests.total / result.duration) * 10) / 10 : 0,
        latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
      };
    }),
  );
}
