/**
 * A server to start, as data: the model, where it listens, and how it runs. `serverArgs` is the
 * one function that turns it into the server CLI's arguments (the bench, compare, the scripts and
 * the tests all start servers through it), so a flag is spelt in one place.
 */
import type { ModelName } from './models.ts';
import type { SlowConsumerPolicy } from './slow-consumer-policy.ts';
import type { FaultSite } from './fault.ts';
import { compressionArg, type CompressionSettings } from './compression.ts';

export interface ServerDebugSettings {
  /** Block the event loop this long, once every `stallEveryMs` (default 1000). */
  readonly stallMs?: number;
  readonly stallEveryMs?: number;
  /** Spin this many µs before handling each client frame. */
  readonly delayPerMessageUs?: number;
  /** Silently drop every nth probe frame sent (a server that loses messages). */
  readonly dropEvery?: number;
  /** Serve POST /debug/metrics-recording (to cost the instrumentation). */
  readonly metricsToggle?: boolean;
  /** Serve POST /debug/gc (memory before and after a burst, in tests). */
  readonly gc?: boolean;
  /** Panic on a client frame that carries the fault mark, at this site (common/fault.ts). */
  readonly fault?: FaultSite;
}

export interface ServerSettings {
  readonly model: ModelName;
  /** The model's own options (e.g. `{lock: 'async-mutex'}`), each one its catalog entry lists. */
  readonly modelOptions?: Readonly<Record<string, string>>;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** false: --no-metrics (only to measure what the instrumentation costs). */
  readonly metrics?: boolean;
  readonly slowConsumerPolicy?: SlowConsumerPolicy;
  /** Ping every client this often, terminating those that missed the last pong (off when absent). */
  readonly heartbeatMs?: number;
  /** Admin requests that may wait for the registry at once (the server's default when absent). */
  readonly adminMaxWaiting?: number;
  /** Offer permessage-deflate with these settings (off when absent). */
  readonly compression?: CompressionSettings;
  /** Debug behaviours; any of them starts the server with --debug. */
  readonly debug?: ServerDebugSettings;
}

export function serverArgs(s: ServerSettings): string[] {
  const args = ['--model', s.model, ...Object.entries(s.modelOptions ?? {}).flatMap(([k, v]) => ['--model-option', `${k}=${v}`]), '--host', s.host, '--port', String(s.port)];
  if (s.metrics === false) args.push('--no-metrics');
  const policy = s.slowConsumerPolicy;
  if (policy && policy.kind !== 'await') args.push('--slow-consumer-policy', policy.kind);
  if (policy?.kind === 'disconnect') args.push('--slow-consumer-timeout-ms', String(policy.timeoutMs));
  if (s.heartbeatMs !== undefined) args.push('--heartbeat-ms', String(s.heartbeatMs));
  if (s.adminMaxWaiting !== undefined) args.push('--admin-max-waiting', String(s.adminMaxWaiting));
  if (s.compression) args.push('--permessage-deflate', compressionArg(s.compression));
  const debug = s.debug ?? {};
  const debugArgs: string[] = [];
  if (debug.stallMs !== undefined) debugArgs.push('--debug-stall-ms', String(debug.stallMs), '--debug-stall-every-ms', String(debug.stallEveryMs ?? 1000));
  if (debug.delayPerMessageUs !== undefined) debugArgs.push('--debug-delay-per-message-us', String(debug.delayPerMessageUs));
  if (debug.dropEvery !== undefined) debugArgs.push('--debug-drop-every', String(debug.dropEvery));
  if (debug.metricsToggle) debugArgs.push('--debug-metrics-toggle');
  if (debug.gc) debugArgs.push('--debug-gc');
  if (debug.fault !== undefined) debugArgs.push('--debug-fault', debug.fault);
  return debugArgs.length > 0 ? [...args, '--debug', ...debugArgs] : args;
}
