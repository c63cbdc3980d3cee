/**
 * Admin routes: liveness; "other parts of the application" touching the registry through the
 * model's own coordination (the registry size, a broadcast to every client); and the server's own
 * metrics: Prometheus text, a JSON snapshot, cheap gauges for a time series, and a reset that
 * starts a new measurement window (the load generator calls it at phase boundaries).
 * State-changing routes want the admin token when the server has one (guard.ts); routes that wait
 * for the registry are capped (waiting-cap.ts).
 */
import { isUtf8 } from 'node:buffer';
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Registry } from '../common/registry.ts';
import type { PrometheusExport } from '../metrics/prometheus.ts';
import type { ServerMetrics } from '../metrics/server-metrics.ts';
import { collectGarbage } from '../debug-gc.ts';
import { mayUse, type AdminAccess } from './guard.ts';
import type { WaitingCap } from './waiting-cap.ts';

const ROUTES = 'GET /healthz, GET /clients/count, POST /broadcast, GET /metrics, GET /stats, GET /stats/gauges, POST /stats/reset';

export interface AdminContext {
  readonly registry: Registry;
  readonly metrics: ServerMetrics | undefined;
  readonly prometheus: PrometheusExport | undefined;
  readonly maxPayload: number;
  readonly debugMetricsToggle: boolean;
  /** Serve POST /debug/gc (debug only). */
  readonly debugGc: boolean;
  readonly access: AdminAccess;
  readonly waitingCap: WaitingCap;
}

type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;

export async function handleAdmin(req: http.IncomingMessage, res: http.ServerResponse, context: AdminContext): Promise<void> {
  const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
  const json: Reply = (status, body, headers = {}) => {
    if (status === 204) return void res.writeHead(204, headers).end();
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body) + '\n');
  };
  if (!mayUse(route, req, context.access)) {
    return json(401, { error: `${route} changes the server's state and wants 'Authorization: Bearer <token>' (the server's --admin-token)` }, { 'www-authenticate': 'Bearer' });
  }
  if (route === 'GET /healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  if (route === 'GET /clients/count' || route === 'POST /broadcast') return registryRoute(route, req, json, context);
  if (route === 'POST /debug/gc' && context.debugGc) return json(200, collectGarbage());
  if (await metricsRoute(route, req, res, json, context)) return;
  res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${route}; routes: ${ROUTES}\n`);
}

/** The routes that go through the model's coordination, within the waiting cap. */
async function registryRoute(route: 'GET /clients/count' | 'POST /broadcast', req: http.IncomingMessage, json: Reply, context: AdminContext): Promise<void> {
  const { registry, metrics, waitingCap } = context;
  let body: Buffer | undefined;
  if (route === 'POST /broadcast') {
    body = await readBody(req, context.maxPayload);
    if (body === undefined) return json(413, { error: `the body must be at most ${context.maxPayload} bytes` });
    if (body.length === 0 || !isUtf8(body)) return json(400, { error: 'the body must be 1 or more bytes of UTF-8 text: it is sent as a text frame to every client' });
  }
  const done = await waitingCap.run(route, async () => {
    if (body === undefined) return registry.size();
    await registry.broadcast(0, body); // 0: no client is the sender, so every client gets it
    if (metrics) metrics.adminBroadcasts++;
    return undefined;
  });
  if (done === undefined) {
    return json(503, { error: `${waitingCap.cap} admin requests already wait for the registry (the cap, --admin-max-waiting); try again later`, reason: 'registry-busy' }, { 'retry-after': '1' });
  }
  if (done.value === undefined) return json(204, undefined);
  json(200, { model: registry.model, count: done.value });
}

/** The server's own metrics routes; false when `route` is none of them. */
async function metricsRoute(route: string, req: http.IncomingMessage, res: http.ServerResponse, json: Reply, context: AdminContext): Promise<boolean> {
  const { metrics, prometheus } = context;
  const known = ['GET /metrics', 'GET /stats', 'GET /stats/gauges', 'POST /stats/reset'];
  if (!known.includes(route) && !(route === 'POST /debug/metrics-recording' && context.debugMetricsToggle)) return false;
  if (!metrics || !prometheus) {
    json(404, { error: 'metrics are off on this server (started with --no-metrics)' });
    return true;
  }
  if (route === 'GET /metrics') res.writeHead(200, { 'content-type': prometheus.contentType }).end(await prometheus.scrape());
  else if (route === 'GET /stats') json(200, metrics.snapshot());
  else if (route === 'GET /stats/gauges') json(200, metrics.gauges());
  else if (route === 'POST /stats/reset') {
    metrics.reset();
    json(204, undefined);
  } else toggleRecording(req, json, metrics);
  return true;
}

/** POST /debug/metrics-recording?on=true|false (debug only): pauses or resumes recording. */
function toggleRecording(req: http.IncomingMessage, json: Reply, metrics: ServerMetrics): void {
  const on = new URL(req.url ?? '/', 'http://x').searchParams.get('on');
  if (on !== 'true' && on !== 'false') return json(400, { error: `on must be true or false, got ${on === null ? 'nothing' : `'${on}'`}` });
  metrics.setRecording(on === 'true');
  // The server's own CPU clock (µs) at the switch, so a caller can cost each window exactly.
  const cpu = process.cpuUsage();
  json(200, { recording: metrics.recording, cpuMicros: cpu.user + cpu.system, atMs: performance.now() });
}

/** The request body, or undefined when it is larger than `limit` bytes. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
