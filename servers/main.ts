/**
 * `npm run server -- --model actor --port 8080`: one model's server, alone, for the load generator
 * or any outside client. Prints one JSON line `{"event":"listening",...}` on stdout once it accepts
 * connections (the load generator waits for it), then nothing on the message path.
 */
import { Command, Option } from 'commander';
import { alreadyRaised, readFileLimits, rerunWithFileLimit } from '../common/file-limit.ts';
import { parseIntegerOption, USAGE_EXIT_CODE, UsageError } from '../common/usage.ts';
import { isModelName, MODEL_NAMES } from './common/registry.ts';
import { DEFAULT_HOST, DEFAULT_MAX_PAYLOAD, DEFAULT_PORT, startServer } from './server.ts';

const program = new Command()
  .name('npm run server --')
  .description('Start one reference WebSocket server (actor, mutex or baseline) on its own.')
  .addOption(new Option('--model <name>', `coordination model: ${MODEL_NAMES.join(', ')}`).makeOptionMandatory())
  .option('--host <address>', 'interface to bind', DEFAULT_HOST)
  .option('--port <n>', 'port to listen on (0 picks a free one)', String(DEFAULT_PORT))
  .option('--max-payload <bytes>', 'largest accepted frame; larger ones close the connection with 1009', String(DEFAULT_MAX_PAYLOAD))
  .option('--no-metrics', 'do not record contention or process metrics (only to measure what they cost)')
  .option('--debug-stall-ms <ms>', 'debug only: block the event loop this long, once per --debug-stall-every-ms')
  .option('--debug-stall-every-ms <ms>', 'debug only: period of the stall', '1000')
  .option('--debug-metrics-toggle', 'debug only: serve POST /debug/metrics-recording?on=true|false (to cost the instrumentation)')
  .addHelpText('after', '\nExamples:\n  npm run server -- --model actor --port 8080\n  npx wscat -c ws://127.0.0.1:8080   then type: hello | broadcast | /to 2 hi')
  .showHelpAfterError(false);

async function main(): Promise<void> {
  program.parse();
  const raw = program.opts<{ model: string; host: string; port: string; maxPayload: string; metrics: boolean; debugStallMs?: string; debugStallEveryMs: string; debugMetricsToggle?: boolean }>();
  if (!isModelName(raw.model)) throw new UsageError('ERR_UNKNOWN_MODEL', `--model must be one of ${MODEL_NAMES.join(', ')}, got '${raw.model}'`);
  // Every connection is an open file: serve as many as the hard limit allows, not the soft 1024 many machines start with.
  const limits = readFileLimits();
  if (limits.soft < limits.hard && !alreadyRaised()) return rerunWithFileLimit(limits.hard);
  const server = await startServer({
    model: raw.model,
    host: raw.host,
    port: parseIntegerOption('--port', raw.port, 0, 65535),
    maxPayload: parseIntegerOption('--max-payload', raw.maxPayload, 1, 256 * 1024 * 1024),
    metrics: raw.metrics,
    debugMetricsToggle: raw.debugMetricsToggle === true,
    ...(raw.debugStallMs !== undefined && {
      debugStall: { ms: parseIntegerOption('--debug-stall-ms', raw.debugStallMs, 1, 60_000), everyMs: parseIntegerOption('--debug-stall-every-ms', raw.debugStallEveryMs, 1, 3_600_000) },
    }),
  });
  process.stdout.write(JSON.stringify({ event: 'listening', model: server.model, host: server.host, port: server.port, pid: process.pid, metrics: server.metrics !== undefined }) + '\n');

  const stop = (): void => {
    void server.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(USAGE_EXIT_CODE);
  }
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
