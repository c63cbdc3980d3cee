/**
 * Reads a server's own metrics over its admin HTTP routes (same host and port as its WebSocket).
 * Servers that do not have them (another implementation, or --no-metrics) are fine: every call
 * then answers undefined and the result simply has no server section.
 */
import type { ServerGauges, ServerStats } from '../common/stats-schema.ts';
import { ADMIN_TOKEN_ENV, adminAuthHeaders } from '../common/admin-token.ts';

const TIMEOUT_MS = 2000;

export class ServerStatsClient {
  private readonly base: string;

  constructor(wsUrl: string) {
    const url = new URL(wsUrl);
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    url.pathname = '/';
    this.base = url.origin;
  }

  /** Starts a new measurement window on the server; false when the server has no metrics (or refused: see checkAdminAccess). */
  async reset(): Promise<boolean> {
    return (await this.request('POST', '/stats/reset')) !== undefined;
  }

  /**
   * Fails, with the way out, when the server's state-changing routes want a token this process
   * does not send: a guarded server would otherwise read as one without metrics, its figures
   * missing unexplained. Called once before a run (a reset then is harmless: the run resets again).
   */
  async checkAdminAccess(): Promise<void> {
    await this.request('POST', '/stats/reset');
    if (this.unauthorized) throw Object.assign(new Error(this.unauthorized), { code: 'ERR_ADMIN_UNAUTHORIZED' });
  }

  private unauthorized: string | undefined;

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
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers: method === 'POST' ? adminAuthHeaders() : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch {
      return undefined;
    }
    if (res.status === 401) {
      this.unauthorized = `the server at ${this.base} refused ${method} ${path} (401): export ${ADMIN_TOKEN_ENV} with its --admin-token`;
      return undefined;
    }
    try {
      if (!res.ok) return undefined;
      return res.status === 204 ? {} : await res.json();
    } catch {
      return undefined;
    }
  }
}
