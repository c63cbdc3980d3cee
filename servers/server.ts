/**
 * Starts one model's WebSocket server: an HTTP server (for the upgrade and the small admin
 * routes) with a ws server on it. Frame-level limits are ws's own: a frame above `maxPayload`
 * closes that connection with 1009, invalid UTF-8 in a text frame with 1007; nobody else is hurt.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serveConnection, type ConnectionHooks } from './common/connection.ts';
import { FaultInjector } from './fault-injector.ts';
import type { FaultSite } from '../common/fault.ts';
import type { ModelName, Registry } from './common/registry.ts';
import type { ModelDefinition, ModelInstance } from './common/model-definition.ts';
import { DEFAULT_OUTBOUND_CAPACITY, DEFAULT_WRITE_HIGH_WATER_MARK, OutboundQueue, READY, type Outbound } from './common/outbound.ts';
import { modelDefinition } from './models.ts';
import { modelOptionProblems } from '../common/models.ts';
import { UsageError } from '../common/usage.ts';
import { AWAIT_POLICY, PolicyCounters, type SlowConsumerPolicy } from './common/slow-consumer-policy.ts';
import { startDebugStall } from './debug-stall.ts';
import { createPrometheusExport } from './metrics/prometheus.ts';
import { handleAdmin } from './admin/routes.ts';
import { wsDeflateOptions, type CompressionSettings } from '../common/compression.ts';
import { startHeartbeat, type Heartbeat } from './heartbeat.ts';
import { exposureProblem, type AdminAccess } from './admin/guard.ts';
import { DEFAULT_ADMIN_MAX_WAITING, WaitingCap } from './admin/waiting-cap.ts';
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
  /** The admin token, or knowingly none; required beyond loopback (admin/guard.ts). */
  readonly adminAccess?: AdminAccess;
  /** Admin requests that may wait for the registry at once; more get 503 (default 100). */
  readonly adminMaxWaiting?: number;
  /** Ping every client this often and terminate those that missed the last pong (heartbeat.ts); off when absent. */
  readonly heartbeatMs?: number;
  /** Offer permessage-deflate with these settings (off when absent). */
  readonly compression?: CompressionSettings;
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
  /** Serve POST /debug/gc: a full collection, answered with the memory after it. */
  readonly gc?: boolean;
  /** Silently drop every nth probe frame sent, over all clients (a server that loses messages, for the gate's tests). */
  readonly dropEvery?: number;
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
  /** The admin requests waiting for the registry now, and those refused at the cap. */
  readonly adminWaiting: WaitingCap;
  /** The heartbeat, when it is on. */
  readonly heartbeat: Heartbeat | undefined;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const access = options.adminAccess ?? {};
  const exposure = exposureProblem(host, access);
  if (exposure !== undefined) throw new UsageError('ERR_BAD_OPTION', exposure);
  const waitingCap = new WaitingCap(options.adminMaxWaiting ?? DEFAULT_ADMIN_MAX_WAITING);
  let handlerErrors = 0;
  let wss: WebSocketServer | undefined; // the metrics and the fault injector read its client count once it exists
  let heartbeat: Heartbeat | undefined;
  const dropper = options.debug?.dropEvery ? new FrameDropper(options.debug.dropEvery) : undefined;
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
      const faulty = injector ? injector.wrap(queue) : queue;
      return dropper ? dropper.wrap(faulty) : faulty;
    },
    timingSampleEvery: options.metrics === false ? undefined : (options.timingSampleEvery ?? DEFAULT_TIMING_SAMPLE_EVERY),
    options: options.modelOptions ?? {},
  });
  const metrics =
    options.metrics === false ? undefined : new ServerMetrics({ model: definition.name, connections: () => wss?.clients.size ?? 0, contention: model.contention, policy, policyCounters, admin: waitingCap, heartbeatTerminations: () => heartbeat?.terminated ?? 0 });
  queueFullHook = metrics?.queueFull;
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const prometheus = metrics && createPrometheusExport(metrics);
  const stall = options.debug?.stall;
  const stopStall = stall ? startDebugStall(stall.ms, stall.everyMs) : undefined;

  const httpServer = http.createServer((req, res) => {
    handleAdmin(req, res, { registry: model.registry, metrics, prometheus, maxPayload, debugMetricsToggle: options.debug?.metricsToggle === true, debugGc: options.debug?.gc === true, access, waitingCap }).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  const wsServer = new WebSocketServer({
    server: httpServer,
    maxPayload,
    // Off unless asked for: the original serves without it, and compression is a setting to compare, not a default.
    perMessageDeflate: options.compression ? wsDeflateOptions(options.compression) : false,
    clientTracking: true,
  });
  wss = wsServer;
  wsServer.on('connection', (ws) => serveConnection(ws, model.registry, model.outboundFor(ws), hooks));
  heartbeat = options.heartbeatMs ? startHeartbeat(wsServer, options.heartbeatMs) : undefined;

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
    adminWaiting: waitingCap,
    heartbeat,
    async close() {
      stopStall?.();
      heartbeat?.stop();
      metrics?.close();
      for (const ws of wsServer.clients) ws.terminate();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      model.registry.close();
    },
  };
}

/** Debug only: drops every nth probe frame (control frames, which begin with '/', always go out), counted over all clients. */
class FrameDropper {
  private sends = 0;
  constructor(private readonly every: number) {}

  wrap(outbound: Outbound): Outbound {
    return {
      send: (frame) => {
        const control = typeof frame === 'string' ? frame.startsWith('/') : frame[0] === 0x2f;
        if (!control && ++this.sends % this.every === 0) return READY;
        return outbound.send(frame);
      },
      close: () => outbound.close(),
    };
  }
}
