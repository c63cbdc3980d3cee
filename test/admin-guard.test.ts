/**
 * Guarded admin: a server bound beyond loopback will not start without a token (or an explicit
 * --insecure-admin); with a token, the state-changing routes answer 401 without it and work with
 * it, and the read-only routes stay open.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../common/loopback.ts';
import { adminAuthHeaders } from '../common/admin-token.ts';
import { exposureProblem } from '../servers/admin/guard.ts';
import { startServer, type RunningServer } from '../servers/server.ts';
import { connectTestClient } from './helpers/test-client.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'a-token-of-sixteen-or-more';

describe('which hosts need a token', () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
    expect(exposureProblem(host, {})).toBeUndefined();
  });

  it.each(['0.0.0.0', '::', '10.0.0.5', 'example.com', '128.0.0.1'])('%s is not, and needs --admin-token or --insecure-admin', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
    expect(exposureProblem(host, {})).toMatch(/--admin-token <token>.*--insecure-admin/);
    expect(exposureProblem(host, { token: TOKEN })).toBeUndefined();
    expect(exposureProblem(host, { insecure: true })).toBeUndefined();
  });

  it('refuses a short token', () => {
    expect(exposureProblem('127.0.0.1', { token: 'short' })).toMatch(/at least 16 characters \(got 5\)/);
  });

  it('the server CLI exits 2 with one line naming the way out, before it binds', async () => {
    const env = { ...process.env };
    delete env.WSBENCH_ADMIN_TOKEN;
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'servers/main.ts', '--model', 'actor', '--host', '0.0.0.0', '--port', '0'], { cwd: ROOT, timeout: 30_000, env }, (error, _stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: --host 0\.0\.0\.0 is reachable from other machines.*--admin-token/);
  });
});

describe('a server with an admin token', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<number> =>
    (await fetch(`http://127.0.0.1:${server!.port}${path}`, { method, headers, ...(body !== undefined && { body }) })).status;

  it('answers 401 to state changes without the right bearer token, and serves reads to anyone', async () => {
    server = await startServer({ model: 'actor', port: 0, adminAccess: { token: TOKEN } });
    const client = await connectTestClient(`ws://127.0.0.1:${server.port}`);
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: TOKEN }];
    for (const headers of refused) {
      expect(await call('POST', '/broadcast', headers, 'hello')).toBe(401);
      expect(await call('POST', '/stats/reset', headers)).toBe(401);
    }
    expect(client.frames).toEqual([]); // no refused broadcast got through
    for (const path of ['/healthz', '/clients/count', '/metrics', '/stats', '/stats/gauges']) expect(await call('GET', path)).toBe(200);

    const auth = adminAuthHeaders({ WSBENCH_ADMIN_TOKEN: TOKEN });
    expect(await call('POST', '/broadcast', auth, 'hello')).toBe(204);
    expect(await call('POST', '/stats/reset', auth)).toBe(204);
    expect(await client.waitForFrames(1)).toEqual(['hello']);
    client.ws.close();
  });

  it('without a token on loopback, state changes stay open (the local default)', async () => {
    server = await startServer({ model: 'mutex', port: 0 });
    expect(await call('POST', '/stats/reset')).toBe(204);
  });
});
