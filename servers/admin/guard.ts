/**
 * Who may change a server's state over HTTP. Reading (liveness, counts, metrics) is open to anyone
 * who can reach the port; the routes that change something (a broadcast to every client, a reset
 * of the measurement window, the debug switches) want `Authorization: Bearer <token>` once the
 * server has a token. Bound beyond loopback, a server must have one, or be told `--insecure-admin`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isLoopbackHost } from '../../common/loopback.ts';

/** `METHOD /path` of every route that changes the server's state. */
export const STATE_CHANGING_ROUTES: ReadonlySet<string> = new Set(['POST /broadcast', 'POST /stats/reset', 'POST /debug/metrics-recording', 'POST /debug/gc']);

export interface AdminAccess {
  /** The bearer token state-changing routes want; none: they are open. */
  readonly token?: string;
  /** Serve them open on a non-loopback host, knowingly. */
  readonly insecure?: boolean;
}

/** Why this host and access may not start, in one line; undefined when they may. */
export function exposureProblem(host: string, access: AdminAccess): string | undefined {
  if (access.token !== undefined && access.token.length < 16) return `--admin-token must be at least 16 characters (got ${access.token.length}): it is all that guards POST /broadcast and POST /stats/reset`;
  if (isLoopbackHost(host) || access.token !== undefined || access.insecure) return undefined;
  return `--host ${host} is reachable from other machines, and POST /broadcast and POST /stats/reset would be open to them: give --admin-token <token> (or WSBENCH_ADMIN_TOKEN), or --insecure-admin to serve them unguarded`;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Whether the request may use `route`: always for reads, with the right bearer token for state changes. */
export function mayUse(route: string, req: http.IncomingMessage, access: AdminAccess): boolean {
  if (access.token === undefined || !STATE_CHANGING_ROUTES.has(route)) return true;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  // Compare digests, so that the time taken says nothing about how much of the token was right.
  return match !== null && timingSafeEqual(digest(match[1]!), digest(access.token));
}
