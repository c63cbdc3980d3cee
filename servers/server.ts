/**
 * Starts one model's WebSocket server: an HTTP server (for the upgrade and the small admin
 * routes) with a ws server on it. Frame-level limits are ws's own: a frame above `maxPayload`
 * closes that connection with 1009, invalid UTF-8 in a text frame with 1007; nobody else is hurt.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { serveConnection, type ConnectionHooks } from './common/connection.ts';
import { FaultInjector } from './fault-injector.ts';
import type { FaultSite } from '../common/fault.ts';
import type { ModelName, Registry } from './common/registry.ts';
import type { ModelDefinition, ModelInstance } from './common/model-definition.ts';
import { DEFAULT_OUTBOUND_CAPACITY, DEFAULT_WRITE_HIGH_WATER_MARK, OutboundQueue } from './common/outbound.ts';
import { modelDefinition } from './models.ts';
import { modelOptionProblems } from '../common/models.ts';
import { UsageError } from '../common/usage.ts';
import { isUtf8 } from 'node:buffer';
import { AWAIT_POLICY, PolicyCounters, type SlowConsumerPolicy } from './common/slow-consumer-policy.ts';
import { startDebugStall } from './debug-stall.ts';
import { createPrometheusExport, type PrometheusExport } from './metrics/prometheus.ts';
import { DEFAULT_TIMING_SAMPLE_EVERY, ServerMetrics } from './metrics/server-metrics.ts';

import { DEFAULT_HOST, DEFAULT_MAX_PAYLOAD, DEFAULT_PORT } from '../common/server-defaults.ts';
export { DEFAULT_HOST, DEFAULT_MAX_PAYLOAD, DEFAULT_PORT } from '../common/server-defaults.ts';

export interface ServerOptions {
  /** A model of the catalog by name, or a definition (a test-only model's). */
  readonly model: ModelName | ModelDefinition;
  /** The model's own options, each one its definition lists. */
  readonly modelOptions?: Readonly<Record<string, string>>;
  /** Interface to bind; loopback unless told otherwise. */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Largest accepted frame in bytes. */
  readonly maxPayload?: number;
  /** Record contention and process metrics (default true); false only to measure what they cost. */
  readonly metrics?: boolean;
  /** What a send does when a client's outbound queue is full (default: await, the original's behaviour). */
  readonly slowConsumerPolicy?: SlowConsumerPolicy;
  /** Time one message (or lock acquisition) in this many (default 8); counts are always exact. */
  readonly timingSampleEvery?: number;
  /**
   * The one gate for debug behaviours: none of them exists unless this is given (the CLI gives it
   * only with --debug). Fault injection to come joins it here.
   */
  readonly debug?: DebugBehaviours;
}

export interface DebugBehaviours {
  /** Panic on a client frame that carries FAULT_MARK, at this site (the fault-isolation experiment). */
  readonly fault?: FaultSite;
  /** Block the event loop for `ms` once every `everyMs`. */
  readonly stall?: { readonly ms: number; readonly everyMs: number };
  /** Spin this many µs before handling each client frame (a deliberately slowed arm). */
  readonly delayPerMessageUs?: number;
  /** Serve POST /debug/metrics-recording?on=true|false, which pauses or resumes recording. */
  readonly metricsToggle?: boolean;
}

export interface RunningServer {
  readonly model: string;
  readonly host: string;
  readonly port: number;
  readonly registry: Registry;
  readonly metrics: ServerMetrics | undefined;
  readonly policy: SlowConsumerPolicy;
  readonly policyCounters: PolicyCounters;
  /** Frames whose handling threw: always 0 unless a model has a bug (or a fault was injected). */
  readonly handlerErrors: () => number;
  /** Faults injected so far (debug fault only). */
  readonly faultsInjected: () => number;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  let handlerErrors = 0;
  let wss: WebSocketServer | undefined; // the metrics and the fault injector read its client count once it exists
  const injector = options.debug?.fault ? new FaultInjector(options.debug.fault, () => wss?.clients.size ?? 0) : undefined;
  const hooks: ConnectionHooks = {
    onHandlerError: () => void handlerErrors++,
    ...(options.debug?.delayPerMessageUs && { debugDelayUs: options.debug.delayPerMessageUs }),
    ...(injector && { checkFrame: (data: Buffer) => injector.checkFrame(data) }),
  };
  const definition = typeof options.model === 'string' ? modelDefinition(options.model) : options.model;
  const optionProblems = modelOptionProblems(definition, options.modelOptions ?? {}, 'model options');
  if (optionProblems.length > 0) throw new UsageError('ERR_BAD_OPTION', optionProblems.join('; '), optionProblems);
  const policy = options.slowConsumerPolicy ?? AWAIT_POLICY;
  const policyCounters = new PolicyCounters();
  let queueFullHook: (() => void) | undefined; // set once the metrics exist (they need the model's instruments first)
  const model: ModelInstance = definition.create({
    queueFor: (ws) => {
      const queue = new OutboundQueue(ws, { capacity: DEFAULT_OUTBOUND_CAPACITY, highWaterMark: DEFAULT_WRITE_HIGH_WATER_MARK, onFull: () => queueFullHook?.(), policy, policyCounters });
      return injector ? injector.wrap(queue) : queue;
    },
    timingSampleEvery: options.metrics === false ? undefined : (options.timingSampleEvery ?? DEFAULT_TIMING_SAMPLE_EVERY),
    options: options.modelOptions ?? {},
  });
  const metrics =
    options.metrics === false ? undefined : new ServerMetrics({ model: definition.name, connections: () => wss?.clients.size ?? 0, contention: model.contention, policy, policyCounters });
  queueFullHook = metrics?.queueFull;
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const prometheus = metrics && createPrometheusExport(metrics);
  const stall = options.debug?.stall;
  const stopStall = stall ? startDebugStall(stall.ms, stall.everyMs) : undefined;

  const httpServer = http.createServer((req, res) => {
    handleAdmin(req, res, { registry: model.registry, metrics, prometheus, maxPayload, debugMetricsToggle: options.debug?.metricsToggle === true }).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  const wsServer = new WebSocketServer({
    server: httpServer,
    maxPayload,
    perMessageDeflate: false,
    clientTracking: true,
  });
  wss = wsServer;
  wsServer.on('connection', (ws) => serveConnection(ws, model.registry, model.outboundFor(ws), hooks));

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
  wsServer.on('error', report);

  return {
    model: definition.name,
    host,
    port: (httpServer.address() as AddressInfo).port,
    registry: model.registry,
    metrics,
    policy,
    policyCounters,
    handlerErrors: () => handlerErrors,
    faultsInjected: () => injector?.injected ?? 0,
    async close() {
      stopStall?.();
      metrics?.close();
      for (const ws of wsServer.clients) ws.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      model.registry.close();
    },
  };
}

const ROUTES = 'GET /healthz, GET /clients/count, POST /broadcast, GET /metrics, GET /stats, GET /stats/gauges, POST /stats/reset';

interface AdminContext {
  readonly registry: Registry;
  readonly metrics: ServerMetrics | undefined;
  readonly prometheus: PrometheusExport | undefined;
  readonly maxPayload: number;
  readonly debugMetricsToggle: boolean;
}

/**
 * Admin routes: liveness; "other parts of the application" touching the registry through the
 * model's own coordination (the registry size, a broadcast to every client); and the server's own
 * metrics: Prometheus text, a JSON snapshot, cheap gauges for a time series, and a reset that
 * starts a new measurement window (the load generator calls it at phase boundaries).
 */
async function handleAdmin(req: http.IncomingMessage, res: http.ServerResponse, context: AdminContext): Promise<void> {
  const { registry, metrics, prometheus, debugMetricsToggle } = context;
  const route = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
  const json = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
  const needMetrics = (): boolean => {
    if (metrics && prometheus) return true;
    json(404, { error: 'metrics are off on this server (started with --no-metrics)' });
    return false;
  };
  switch (route) {
    case 'GET /healthz':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    case 'GET /clients/count':
      json(200, { model: registry.model, count: await registry.size() });
      return;
    case 'POST /broadcast': {
      const body = await readBody(req, context.maxPayload);
      if (body === undefined) return void json(413, { error: `the body must be at most ${context.maxPayload} bytes` });
      if (body.length === 0 || !isUtf8(body)) return void json(400, { error: 'the body must be 1 or more bytes of UTF-8 text: it is sent as a text frame to every client' });
      await registry.broadcast(0, body); // 0: no client is the sender, so every client gets it
      if (metrics) metrics.adminBroadcasts++;
      res.writeHead(204).end();
      return;
    }
    case 'GET /metrics':
      if (needMetrics()) res.writeHead(200, { 'content-type': prometheus!.contentType }).end(await prometheus!.scrape());
      return;
    case 'GET /stats':
      if (needMetrics()) json(200, metrics!.snapshot());
      return;
    case 'GET /stats/gauges':
      if (needMetrics()) json(200, metrics!.gauges());
      return;
    case 'POST /stats/reset':
      if (needMetrics()) {
        metrics!.reset();
        res.writeHead(204).end();
      }
      return;
    case 'POST /debug/metrics-recording': {
      if (!debugMetricsToggle) break;
      if (!needMetrics()) return;
      const on = new URL(req.url ?? '/', 'http://x').searchParams.get('on');
      if (on !== 'true' && on !== 'false') {
        json(400, { error: `on must be true or false, got ${on === null ? 'nothing' : `'${on}'`}` });
        return;
      }
      metrics!.setRecording(on === 'true');
      // The server's own CPU clock (µs) at the switch, so a caller can cost each window exactly.
      const cpu = process.cpuUsage();
      json(200, { recording: metrics!.recording, cpuMicros: cpu.user + cpu.system, atMs: performance.now() });
      return;
    }
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${route}; routes: ${ROUTES}\n`);
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
