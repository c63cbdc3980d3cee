/**
 * `npm run bench`: parse → validate → (raise the file limit) → start server → run → write result
 * → print. Exit codes come from the one table (common/exit-codes.ts): the result's state decides.
 */
import { Command, Option } from 'commander';
import { argsBesideResume, Problems, UsageError } from '../common/usage.ts';
import { describeModels } from '../common/models.ts';
import { runBench } from './bench.ts';
import { alreadyRaised, checkFileLimit, readFileLimits, rerunWithFileLimit } from '../common/file-limit.ts';
import { resolveBenchPlan, type BenchPlan } from './plan.ts';
import { BENCH_DEFAULTS, parseBenchOptions, type BenchOptions, type RawBenchOptions } from './bench-options.ts';
import { parseNumberOption } from '../common/usage.ts';
import { parseLatencyBound, parseSweep, type SweepSpec } from './sweep.ts';
import { pinLoadGenerator } from './pinning.ts';
import { readCurveForResume, runSaturationSearch, runSweep, writeCurveFile } from './sweep-runner.ts';
import { renderCurve, saturationVerdict } from './report/curve.ts';
import { listenForInterrupt } from './interrupt.ts';
import { writeResultFile } from './report/json-file.ts';
import { progressObserver } from './report/progress.ts';
import { renderTable } from './report/table.ts';
import { listScenarioNames, loadScenario } from './scenario.ts';
import { runMain } from '../common/main.ts';
import { exitCodeForResult } from './result.ts';
import { EXIT, exitCodeForSignal } from '../common/exit-codes.ts';
import { warnIfUnpinned } from '../common/runtime.ts';

const program = new Command()
  .name('npm run bench --')
  .description('Open many WebSocket clients against a reference server and measure latency, throughput and errors.')
  .addOption(new Option('--model <name>', `server to start: ${describeModels()}`))
  .option('--model-option <key=value>', "one of the model's own options, e.g. lock=async-mutex for mutex (repeatable)", (value: string, previous: string[] = []) => [...previous, value])
  .option('--scenario <name|file.json>', 'scenario from scenarios/ or a path to a scenario file', BENCH_DEFAULTS.scenario)
  .option('--clients <n>', 'connections to open (default: the scenario\'s)')
  .option('--warmup <seconds>', 'traffic before the measured phase, not counted (default: the scenario\'s)')
  .option('--duration <seconds>', 'length of the measured phase (default: the scenario\'s)')
  .option('--rate <msgs/s>', 'messages per second across all clients, open loop (default: the scenario\'s)')
  .option('--closed-loop', 'instead of a rate: each client keeps --in-flight echoes outstanding (maximum throughput)')
  .option('--in-flight <n>', 'echoes each client keeps outstanding with --closed-loop', String(BENCH_DEFAULTS.inFlight))
  .option('--connect-concurrency <n>', 'handshakes in flight while connecting (default: the scenario\'s)')
  .option('--message-bytes <n>', 'probe payload size in bytes (default: the scenario\'s)')
  .option('--drain-timeout <seconds>', 'how long to wait for outstanding replies after the traffic phase', String(BENCH_DEFAULTS.drainTimeoutSeconds))
  .option('--max-send-lag <ms>', 'mark the run loadgen-saturated when 1% of sends leave later than this behind schedule', String(BENCH_DEFAULTS.maxSendLagMs))
  .option('--port <n>', 'port for the started server (default: a free one)')
  .option('--target <url>', 'drive an already running server, e.g. ws://127.0.0.1:8080 (instead of --model)')
  .option('--debug-stall-ms <ms>', 'debug: the started server blocks its event loop this long once a second')
  .option('--resume <curve file>', 'finish an interrupted --sweep or --find-saturation: its own options, its finished points kept (give no other option)')
  .option('--debug-stall-every-ms <ms>', 'debug: with --debug-stall-ms, the period of the stall instead of a second')
  .option('--fault-site <site>', 'fault-isolation scenario: where the started server panics, registry (midway through a broadcast) or connection (in a connection task); default: the scenario\'s')
  .option('--slow-consumer-policy <policy>', 'the started server\'s policy for a full client queue: await (default), drop, disconnect')
  .option('--slow-consumer-timeout <seconds>', 'with --slow-consumer-policy disconnect: how long a queue may stay full (default 1)')
  .option('--pin', 'pin the started server to CPU 0 and the load generator to CPU 1 (needs taskset and 2 CPUs)')
  .option('--no-stop-reading', 'control run: clients with the stop-reading role keep reading (same traffic, no slow consumers)')
  .option('--no-server-metrics', 'start the server with --no-metrics (to measure what instrumentation costs)')
  .option('--seed <n>', 'seed for the random choices (broadcast senders, send-to targets)', String(BENCH_DEFAULTS.seed))
  .option('--out <dir>', 'folder for the JSON result', BENCH_DEFAULTS.outDir)
  .option('--json', 'print the JSON result instead of the table')
  .option('--sweep <param=values>', 'run at each point: clients=1000,2500,5000 or rate=1000,2000 (a fresh server per point)')
  .option('--find-saturation', 'raise the rate (×1.5, then bisect) until p99 exceeds --slo-p99, errors or losses appear; report the highest sustainable rate')
  .option('--slo-p99 <duration>', 'the p99 bound for --find-saturation, e.g. 50ms or 0.2s', '50ms')
  .option('--max-rate <msgs/s>', 'the highest rate --find-saturation tries', '200000')
  .option('--list-scenarios', 'list the scenarios in scenarios/ and exit')
  .addHelpText(
    'after',
    `
Examples:
  npm run bench -- --model actor --clients 10000
  npm run bench -- --model mutex --scenario broadcast --clients 2000 --rate 10
  npm run bench -- --model baseline --closed-loop --clients 100 --duration 5
  npm run bench -- --model actor --scenario slow-consumers --slow-consumer-policy drop
  npm run bench -- --model mutex --sweep clients=1000,2500,5000,10000
  npm run bench -- --model actor --find-saturation --slo-p99 50ms --clients 1000 --duration 5
  npm run server -- --model actor --port 8080 &  npm run bench -- --target ws://127.0.0.1:8080`,
  );

type RawCliOptions = RawBenchOptions & { listScenarios?: boolean; sweep?: string; findSaturation?: boolean; sloP99: string; maxRate: string; resume?: string };

/** This command's options, or with --resume those of the interrupted curve, with its finished points. */
function readOptions(): { raw: RawCliOptions; argv: readonly string[]; finished?: ReadonlyMap<string, string> } {
  program.parse();
  const first = program.opts<RawCliOptions>();
  if (first.resume === undefined) return { raw: first, argv: process.argv.slice(2) };
  const given = argsBesideResume(process.argv.slice(2));
  if (given.length > 0) throw new UsageError('ERR_BAD_OPTION', `--resume runs the interrupted curve with its own options: drop ${given.join(' ')}`);
  const curve = readCurveForResume(first.resume);
  program.parse(curve.argv, { from: 'user' });
  return { raw: { ...program.opts<RawCliOptions>(), resume: undefined }, argv: curve.argv, finished: curve.finished };
}

async function main(): Promise<number> {
  const { raw, argv, finished } = readOptions();
  if (raw.listScenarios) {
    const names = listScenarioNames();
    const width = Math.max(...names.map((n) => n.length)) + 2;
    for (const name of names) process.stdout.write(`${name.padEnd(width)}${loadScenario(name).description}\n`);
    return EXIT.success;
  }
  // The plan's options and the curve's are checked together: every problem is named in one message.
  const problems = new Problems();
  const options = parseBenchOptions(raw);
  const checkedPlan = problems.check(() => resolveBenchPlan(options), undefined);
  const sweep = problems.check(() => (raw.sweep === undefined ? undefined : parseSweep(raw.sweep)), undefined);
  if (raw.findSaturation) {
    problems.check(() => parseLatencyBound('--slo-p99', raw.sloP99), 0);
    problems.check(() => parseNumberOption('--max-rate', raw.maxRate, 0), 0);
  }
  problems.throwIfAny();
  const plan = checkedPlan!;
  const limits = readFileLimits();
  const mostClients = sweep?.parameter === 'clients' ? Math.max(plan.load.clients, ...sweep.values) : plan.load.clients;
  if (checkFileLimit(mostClients, limits) === 'raise' && !alreadyRaised()) return rerunWithFileLimit(limits.hard);
  warnIfUnpinned();

  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  if (raw.pin && !pinLoadGenerator()) throw new UsageError('ERR_BAD_OPTION', '--pin: could not pin the load generator to its CPU');
  if (sweep !== undefined || raw.findSaturation) return runCurve(options, raw, sweep, plan, log, argv, finished);
  const interrupt = listenForInterrupt(log);
  const result = await runBench(plan, process.argv.slice(2), progressObserver(process.stderr), interrupt.signal);
  const file = writeResultFile(result, plan.outDir);
  process.stdout.write(plan.printJson ? JSON.stringify(result, null, 2) + '\n' : renderTable(result, { color: process.stdout.isTTY }) + '\n');
  log(`result written to ${file}`);
  return exitCodeForResult(result);
}

/** --sweep or --find-saturation: a run per point, then the curve. */
async function runCurve(bench: BenchOptions, raw: { findSaturation?: boolean; sloP99: string; maxRate: string }, spec: SweepSpec | undefined, plan: BenchPlan, log: (line: string) => void, argv: readonly string[], finished: ReadonlyMap<string, string> | undefined): Promise<number> {
  if (spec !== undefined && raw.findSaturation) throw new UsageError('ERR_BAD_OPTION', 'give --sweep or --find-saturation, not both');
  const interrupt = listenForInterrupt(log);
  const options = { bench, argv, observer: progressObserver(process.stderr), log, signal: interrupt.signal, ...(finished && { finished }) };
  const interruptedCode = (): number | undefined => {
    if (!interrupt.received) return undefined;
    log(`${interrupt.received}: finished points kept; finish with: npm run bench -- --resume <the curve file above>`);
    return exitCodeForSignal(interrupt.received);
  };
  const model = plan.server.kind === 'spawn' ? plan.server.model : 'external';
  const color = process.stdout.isTTY;
  if (spec !== undefined) {
    if (spec.parameter === 'rate' && plan.load.mode.kind === 'closed-loop') throw new UsageError('ERR_BAD_OPTION', '--sweep rate=… needs open loop; drop --closed-loop');
    const points = await runSweep(spec, options);
    process.stdout.write(`${model} · ${plan.scenario.name}, sweep over ${spec.parameter}\n${renderCurve(points, { color })}\n`);
    log(`curve written to ${writeCurveFile(plan.outDir, `${model}-${plan.scenario.name}-sweep-${spec.parameter}`, { kind: 'sweep', model, scenario: plan.scenario.name, parameter: spec.parameter, argv, ...(interrupt.received && { interrupted: interrupt.received }) }, points)}`);
    return interruptedCode() ?? (points.every((p) => p.result.status === 'completed') ? EXIT.success : EXIT.runFailed);
  }
  if (plan.load.mode.kind !== 'open-loop') throw new UsageError('ERR_BAD_OPTION', '--find-saturation raises an open-loop rate; drop --closed-loop');
  const sloP99Ms = parseLatencyBound('--slo-p99', raw.sloP99);
  const maxRate = parseNumberOption('--max-rate', raw.maxRate, 0);
  if (plan.load.mode.rate > maxRate) throw new UsageError('ERR_BAD_OPTION', `--max-rate (${maxRate}) must be at least the starting rate (${plan.load.mode.rate} msg/s)`);
  const run = await runSaturationSearch(options, plan.load.mode.rate, sloP99Ms, maxRate);
  if ('interrupted' in run) {
    log(`curve so far written to ${writeCurveFile(plan.outDir, `${model}-${plan.scenario.name}-saturation`, { kind: 'saturation', model, scenario: plan.scenario.name, clients: plan.load.clients, sloP99Ms, argv, interrupted: interrupt.received }, run.points)}`);
    return interruptedCode() ?? EXIT.runFailed;
  }
  const verdict = saturationVerdict(model, plan.scenario.name, run);
  process.stdout.write(`${renderCurve(run.points, { color })}\n${verdict}\n`);
  const body = { kind: 'saturation', model, scenario: plan.scenario.name, clients: plan.load.clients, sloP99Ms, argv, sustainableRate: run.outcome.sustainableRate ?? null, limitedBy: run.outcome.limitedBy, verdict };
  log(`curve written to ${writeCurveFile(plan.outDir, `${model}-${plan.scenario.name}-saturation`, body, run.points)}`);
  return EXIT.success;
}

runMain(main);
