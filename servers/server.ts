/**
 * Starts one model's WebSocket server: an HTTP server (for the upgrade and the small admin
 * routes) with a ws server on it. Frame-level limits are ws's own: a frame above `maxPayload`
 * closes that connection with 1009, invalid UTF-8 in a text frame with 1007; nobody else is hurt.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveConnection } from './common/connection.ts';
import type { ModelName, Registry } from './common/registry.ts';
import { createModel } from './models.ts';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
export const DEFAULT_MAX_PAYLOAD = 64 * 1024;

export interface ServerOptions {
  readonly model: ModelName;
  /** Interface to bind; loopback unless told otherwise. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Largest accepted frame in bytes. */
  readonly maxPayload?: number;
}

export interface RunningServer {
  readonly model: ModelName;
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  /** Frames whose handling threw: always 0 unless a model has a bug. */
  readonly handlerErrors: () => number;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const model = createModel(options.model);
  let handlerErrors = 0;
  const hooks = { onHandlerError: () => void handlerErrors++ };

  const httpServer = http.createServer((req, res) => {
    void handleAdmin(req, res, model.registry);
  });
  const wss = new WebSocketServer({
    server: httpServer,
    maxPayload: options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
    perMessageDeflate: false,
    clientTracking: true,
  });
  wss.on('connection', (ws) => serveConnection(ws, model.registry, model.outboundFor(ws), hooks));

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen({ host, port: options.port ?? DEFAULT_PORT, backlog: 4096 }, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });

  // After listen, a failed accept (e.g. EMFILE: out of file descriptors) must not crash the server
  // and every connection with it: say it once per cause and keep serving the others.
  const reported = new Set<string>();
  const report = (error: Error & { code?: string }): void => {
    const cause = error.code ?? error.message;
    if (reported.has(cause)) return;
    reported.add(cause);
    process.stderr.write(`server: ${error.message} (further '${cause}' errors are not repeated)\n`);
  };
  httpServer.on('error', report);
  wss.on('error', report);

  return {
    model: options.model,
    host,
    port: (httpServer.address() as AddressInfo).port,
    registry: model.registry,
    handlerErrors: () => handlerErrors,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      model.registry.close();
    },
  };
}

/** Small admin routes: liveness and the registry size, read through the model's coordination. */
async function handleAdmin(req: http.IncomingMessage, res: http.ServerResponse, registry: Registry): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (req.method === 'GET' && path === '/clients/count') {
    const count = await registry.size();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ model: registry.model, count }) + '\n');
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /healthz or GET /clients/count\n');
  }
}
