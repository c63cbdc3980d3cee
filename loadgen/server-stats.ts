/**
 * Reads a server's own metrics over its admin HTTP routes (same host and port as its WebSocket).
 * Servers that do not have them (another implementation, or --no-metrics) are fine: every call
 * then answers undefined and the result simply has no server section.
 */
import type { ServerGauges, ServerStats } from '../common/stats-schema.ts';

const TIMEOUT_MS = 2000;

export class ServerStatsClient {
  private readonly base: string;

  constructor(wsUrl: string) {
    const url = new URL(wsUrl);
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    url.pathname = '/';
    this.base = url.origin;
  }

  /** Starts a new measurement window on the server; false when the server has no metrics. */
  async reset(): Promise<boolean> {
    return (await this.request('POST', '/stats/reset')) !== undefined;
  }

  async snapshot(): Promise<ServerStats | undefined> {
    return (await this.request('GET', '/stats')) as ServerStats | undefined;
  }

  async gauges(): Promise<ServerGauges | undefined> {
    return (await this.request('GET', '/stats/gauges')) as ServerGauges | undefined;
  }

  /** The registry's size, read through the model's own coordination (GET /clients/count). */
  async clientCount(): Promise<number | undefined> {
    return ((await this.request('GET', '/clients/count')) as { count?: number } | undefined)?.count;
  }

  /** The admin routes' origin (http://host:port), for other HTTP traffic. */
  get origin(): string {
    return this.base;
  }

  private async request(method: string, path: string): Promise<unknown> {
    try {
      const res = await fetch(this.base + path, { method, signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!res.ok) return undefined;
      return res.status === 204 ? {} : await res.json();
    } catch {
      return undefined;
    }
  }
}
