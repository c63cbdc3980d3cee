/**
 * The admin token travels in the environment, never on a command line: argv is visible to every
 * user of the machine (ps) and is written into every result. The server takes its --admin-token
 * from WSBENCH_ADMIN_TOKEN too, so one export serves a server and the load generator that drives it.
 */
export const ADMIN_TOKEN_ENV = 'WSBENCH_ADMIN_TOKEN';

/** The Authorization header for state-changing admin routes, when a token is set. */
export function adminAuthHeaders(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const token = env[ADMIN_TOKEN_ENV];
  return token === undefined || token === '' ? {} : { authorization: `Bearer ${token}` };
}
