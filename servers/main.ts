/**
 * `npm run server -- --model actor --port 8080`: one model's server, alone, for the load generator
 * or any outside client. Prints one JSON line `{"event":"listening",...}` on stdout once it accepts
 * connections (the load generator waits for it), then nothing on the message path.
 */
import { Command, Option } from 'commander';
import { alreadyRaised, readFileLimits, rerunWithFileLimit } from '../common/file-limit.ts';
import { parseIntegerOption, UsageError } from '../common/usage.ts';
import { describeModels, isModelName, MODEL_NAMES, modelDescriptor, modelOptionProblems, parseModelOptionPairs } from '../common/models.ts';
import { DEFAULT_TIMING_SAMPLE_EVERY } from './metrics/server-metrics.ts';
import { DEFAULT_ADMIN_MAX_WAITING } from './admin/waiting-cap.ts';
import { DEFAULT_HOST, DEFAULT_MAX_PAYLOAD, DEFAULT_PORT, startServer, type DebugBehaviours } from './server.ts';
import { DEFAULT_SLOW_CONSUMER_TIMEOUT_MS, isSlowConsumerPolicyName, MAX_SLOW_CONSUMER_TIMEOUT_S, MIN_SLOW_CONSUMER_TIMEOUT_S, SLOW_CONSUMER_POLICIES, type SlowConsumerPolicy } from './common/slow-consumer-policy.ts';
import { exitOnError } from '../common/main.ts';
import { parseCompressionArg, type CompressionSettings } from '../common/compression.ts';
import { FAULT_MARK, FAULT_SITES, isFaultSite, type FaultSite } from '../common/fault.ts';

const program = new Command()
  .name('npm run server --')
  .description(`Start one reference WebSocket server on its own. Models: ${describeModels()}.`)
  .addOption(new Option('--model <name>', `coordination model: ${MODEL_NAMES.join(', ')} (described above)`).makeOptionMandatory())
  .option('--model-option <key=value>', "one of the model's own options, e.g. lock=async-mutex for mutex (repeatable)", (value: string, previous: string[]) => [...previous, value], [] as string[])
  .option('--host <address>', 'interface to bind', DEFAULT_HOST)
  .option('--port <n>', 'port to listen on (0 picks a free one)', String(DEFAULT_PORT))
  .option('--max-payload <bytes>', 'largest accepted frame; larger ones close the connection with 1009', String(DEFAULT_MAX_PAYLOAD))
  .option('--slow-consumer-policy <policy>', `what a send does at a full client queue: ${SLOW_CONSUMER_POLICIES.join(', ')}`, 'await')
  .option('--slow-consumer-timeout-ms <ms>', 'with --slow-consumer-policy disconnect: how long a queue may stay full before its client is closed (1008)', String(DEFAULT_SLOW_CONSUMER_TIMEOUT_MS))
  .addOption(new Option('--admin-token <token>', 'bearer token that POST /broadcast and POST /stats/reset want (at least 16 characters); required with a --host beyond loopback').env('WSBENCH_ADMIN_TOKEN'))
  .option('--insecure-admin', 'serve the state-changing admin routes without a token on a --host beyond loopback (knowingly)')
  .option('--admin-max-waiting <n>', 'admin requests (GET /clients/count, POST /broadcast) that may wait for the registry at once; more are refused with 503', String(DEFAULT_ADMIN_MAX_WAITING))
  .option('--permessage-deflate [settings]', "offer permessage-deflate: 'on', or key=value pairs of threshold (bytes), windowBits (9-15), level (0-9), contextTakeover (true|false)")
  .option('--heartbeat-ms <ms>', 'ping every client this often and terminate one that missed the previous pong (off by default: a stalled reader stops answering too)')
  .option('--timing-sample-every <n>', 'time one message (or lock acquisition) in n; counts are always exact', String(DEFAULT_TIMING_SAMPLE_EVERY))
  .option('--no-metrics', 'do not record contention or process metrics (only to measure what they cost)')
  .option('--debug', 'allow the debug behaviours below (each is refused without it)')
  .option('--debug-stall-ms <ms>', 'debug only: block the event loop this long, once per --debug-stall-every-ms')
  .option('--debug-stall-every-ms <ms>', 'debug only: period of the stall', '1000')
  .option('--debug-delay-per-message-us <us>', 'debug only: spin this long before handling each client frame (a deliberately slowed server)')
  .option('--debug-metrics-toggle', 'debug only: serve POST /debug/metrics-recording?on=true|false (to cost the instrumentation)')
  .option('--debug-gc', 'debug only: serve POST /debug/gc (a full collection, answered with the memory after it)')
  .option('--debug-drop-every <n>', 'debug only: silently drop every nth probe frame sent (a server that loses messages)')
  .option('--debug-exit-after-ms <ms>', 'debug only: exit with code 1 this long after listening (a server that dies mid-run)')
  .option('--debug-fault <site>', `debug only: panic on a client frame that begins with '${FAULT_MARK}', at ${FAULT_SITES.join(' or ')} (the fault-isolation experiment)`)
  .addHelpText('after', '\nExamples:\n  npm run server -- --model actor --port 8080\n  npx wscat -c ws://127.0.0.1:8080   then type: hello | broadcast | /to 2 hi')
  .showHelpAfterError(false);

async function main(): Promise<void> {
  program.parse();
  const raw = program.opts<{ debugFault?: string; debug?: boolean; model: string; modelOption: string[]; host: string; port: string; maxPayload: string; metrics: boolean; debugStallMs?: string; debugStallEveryMs: string; debugMetricsToggle?: boolean; debugGc?: boolean; debugDropEvery?: string; debugExitAfterMs?: string; slowConsumerPolicy: string; slowConsumerTimeoutMs: string; timingSampleEvery: string; debugDelayPerMessageUs?: string; adminToken?: string; insecureAdmin?: boolean; adminMaxWaiting: string; heartbeatMs?: string; permessageDeflate?: string | true }>();
  checkDebugGate(raw);
  if (!isModelName(raw.model)) throw new UsageError('ERR_UNKNOWN_MODEL', `--model must be one of ${MODEL_NAMES.join(', ')}, got '${raw.model}'`);
  const { options: modelOptions, problems } = parseModelOptionPairs('--model-option', raw.modelOption);
  problems.push(...modelOptionProblems(modelDescriptor(raw.model), modelOptions, '--model-option'));
  if (problems.length > 0) throw new UsageError('ERR_BAD_OPTION', problems.length === 1 ? problems[0]! : `${problems.length} problems: ${problems.join('; ')}`, problems);
  // Every connection is an open file: serve as many as the hard limit allows, not the soft 1024 many machines start with.
  const limits = readFileLimits();
  if (limits.soft < limits.hard && !alreadyRaised()) return rerunWithFileLimit(limits.hard);
  const server = await startServer({
    slowConsumerPolicy: resolvePolicy(raw.slowConsumerPolicy, raw.slowConsumerTimeoutMs),
    model: raw.model,
    modelOptions,
    host: raw.host,
    port: parseIntegerOption('--port', raw.port, 0, 65535),
    maxPayload: parseIntegerOption('--max-payload', raw.maxPayload, 1, 256 * 1024 * 1024),
    metrics: raw.metrics,
    timingSampleEvery: parseIntegerOption('--timing-sample-every', raw.timingSampleEvery, 1, 1_000_000),
    adminAccess: { ...(raw.adminToken !== undefined && raw.adminToken !== '' && { token: raw.adminToken }), insecure: raw.insecureAdmin === true },
    adminMaxWaiting: parseIntegerOption('--admin-max-waiting', raw.adminMaxWaiting, 1, 1_000_000),
    ...(raw.heartbeatMs !== undefined && { heartbeatMs: parseIntegerOption('--heartbeat-ms', raw.heartbeatMs, 10, 3_600_000) }),
    ...(raw.permessageDeflate !== undefined && { compression: parseCompression(raw.permessageDeflate) }),
    ...(raw.debug && { debug: resolveDebug(raw) }),
  });
  process.stdout.write(JSON.stringify({ event: 'listening', model: server.model, modelOptions, host: server.host, port: server.port, pid: process.pid, metrics: server.metrics !== undefined, slowConsumerPolicy: server.policy.kind, adminGuarded: Boolean(raw.adminToken) }) + '\n');

  const stop = (): void => {
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (raw.debug && raw.debugExitAfterMs !== undefined) {
    const ms = parseIntegerOption('--debug-exit-after-ms', raw.debugExitAfterMs, 1, 3_600_000);
    setTimeout(() => {
      process.stderr.write(`debug: exiting with code 1, ${ms} ms after listening (--debug-exit-after-ms)\n`);
      process.exit(1);
    }, ms).unref();
  }
}

interface RawDebugOptions {
  readonly debug?: boolean;
  readonly debugFault?: string;
  readonly debugStallMs?: string;
  readonly debugStallEveryMs: string;
  readonly debugDelayPerMessageUs?: string;
  readonly debugMetricsToggle?: boolean;
  readonly debugGc?: boolean;
  readonly debugDropEvery?: string;
  readonly debugExitAfterMs?: string;
}

/** Debug behaviours exist only behind --debug: a debug flag without it is refused, all named at once. */
export function checkDebugGate(raw: RawDebugOptions): void {
  if (raw.debug) return;
  const given = [
    raw.debugStallMs !== undefined && '--debug-stall-ms',
    raw.debugDelayPerMessageUs !== undefined && '--debug-delay-per-message-us',
    raw.debugMetricsToggle && '--debug-metrics-toggle',
    raw.debugGc && '--debug-gc',
    raw.debugFault !== undefined && '--debug-fault',
    raw.debugDropEvery !== undefined && '--debug-drop-every',
    raw.debugExitAfterMs !== undefined && '--debug-exit-after-ms',
  ].filter(Boolean);
  if (given.length > 0) throw new UsageError('ERR_BAD_OPTION', `${given.join(', ')} ${given.length > 1 ? 'need' : 'needs'} --debug: debug behaviours are refused unless the server is started with --debug`);
}

function resolveDebug(raw: RawDebugOptions): DebugBehaviours {
  if (raw.debugFault !== undefined && !isFaultSite(raw.debugFault)) throw new UsageError('ERR_BAD_OPTION', `--debug-fault must be one of ${FAULT_SITES.join(', ')}, got '${raw.debugFault}'`);
  return {
    metricsToggle: raw.debugMetricsToggle === true,
    gc: raw.debugGc === true,
    ...(raw.debugFault !== undefined && { fault: raw.debugFault as FaultSite }),
    ...(raw.debugDropEvery !== undefined && { dropEvery: parseIntegerOption('--debug-drop-every', raw.debugDropEvery, 2, 1_000_000) }),
    ...(raw.debugDelayPerMessageUs !== undefined && { delayPerMessageUs: parseIntegerOption('--debug-delay-per-message-us', raw.debugDelayPerMessageUs, 1, 1_000_000) }),
    ...(raw.debugStallMs !== undefined && {
      stall: { ms: parseIntegerOption('--debug-stall-ms', raw.debugStallMs, 1, 60_000), everyMs: parseIntegerOption('--debug-stall-every-ms', raw.debugStallEveryMs, 1, 3_600_000) },
    }),
  };
}

function parseCompression(raw: string | true): CompressionSettings {
  try {
    return parseCompressionArg(raw);
  } catch (error) {
    throw new UsageError('ERR_BAD_OPTION', (error as Error).message);
  }
}

function resolvePolicy(name: string, timeoutMs: string): SlowConsumerPolicy {
  if (!isSlowConsumerPolicyName(name)) throw new UsageError('ERR_BAD_OPTION', `--slow-consumer-policy must be one of ${SLOW_CONSUMER_POLICIES.join(', ')}, got '${name}'`);
  if (name !== 'disconnect') return { kind: name };
  return { kind: 'disconnect', timeoutMs: parseIntegerOption('--slow-consumer-timeout-ms', timeoutMs, MIN_SLOW_CONSUMER_TIMEOUT_S * 1000, MAX_SLOW_CONSUMER_TIMEOUT_S * 1000) };
}

// The server keeps running once main() has started it: only a failure to start ends it here.
main().catch(exitOnError);
