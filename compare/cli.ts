/**
 * `npm run compare`: runs the models side by side on the same scenarios, interleaved over several
 * trials, and says which is faster by how much, and whether the difference is real or noise.
 * Writes results/<run id>/ (raw/ with every trial, compare.json, report.md, report.html) and prints a table
 * per scenario with its verdict.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomically, writeJsonAtomically } from '../common/atomic-write.ts';
import { listenForInterrupt } from '../loadgen/interrupt.ts';
import path from 'node:path';
import { Command } from 'commander';
import { alreadyRaised, checkFileLimit, readFileLimits, rerunWithFileLimit } from '../common/file-limit.ts';
import { argsBesideResume, parseIntegerOption, UsageError } from '../common/usage.ts';
import { pinLoadGenerator } from '../loadgen/pinning.ts';
import { resolveBenchPlan } from '../loadgen/plan.ts';
import { parseBenchOptions, type BenchOptions } from '../loadgen/bench-options.ts';
import { parseLatencyBound } from '../loadgen/sweep.ts';
import { seededRandom } from '../loadgen/random.ts';
import { describeModels } from '../common/models.ts';
import { armBenchOptions, parseArmList } from '../common/arm-spec.ts';
import { analyse } from './analysis.ts';
import { renderMarkdown } from './report-markdown.ts';
import { renderHtml } from './report-html.ts';
import { renderComparison } from './report-table.ts';
import { runSchedule } from './run.ts';
import { machinesLabel } from '../loadgen/result.ts';
import { armsFor, interleave } from './schedule.ts';
import { runMain } from '../common/main.ts';
import { EXIT, exitCodeForSignal } from '../common/exit-codes.ts';
import { warnIfUnpinned } from '../common/runtime.ts';

/** A fresh parser each time: --resume parses the interrupted run's own command line again. */
const compareProgram = (): Command =>
  new Command()
    .name('npm run compare --')
    .description('Run the models side by side on the same scenarios, interleaved over several trials, with confidence intervals.')
    .option('--scenarios <list>', 'scenarios to compare', 'echo')
    .option('--models <list>', `arms, in order (the first is the reference; an arm may repeat for an A/A check): model[:key=value…] with model one of ${describeModels()}; keys: the model's own options, policy=await|drop|disconnect, timeout=<s> (with policy=disconnect)`, 'actor,mutex,baseline')
    .option('--trials <n>', 'trials per arm and scenario (10 by default: see the README on choosing a number of trials)', '10')
    .option('--clients <n>', 'clients (default: each scenario\u2019s)')
    .option('--duration <seconds>', 'measured seconds per trial (default: the scenario\u2019s)')
    .option('--drain-timeout <seconds>', 'how long each trial waits for outstanding deliveries; a delivery still missing then counts at this latency (censored)', '30')
    .option('--warmup <seconds>', 'warm-up per trial (default: the scenario\u2019s)')
    .option('--rate <msgs/s>', 'open-loop rate (default: the scenario\u2019s)')
    .option('--seed <n>', 'seed for the order of the arms in each round and the bootstrap', '1')
    .option('--pin', 'server on CPU 0, load generator on CPU 1 (needs taskset and 2 CPUs)')
    .option('--paired', 'estimate each ratio from the per-round ratios (the interleaving pairs the arms by round), with an exact interval, instead of resampling each arm on its own')
    .option('--find-saturation', 'each trial searches (×1.5 up from the scenario\u2019s or --rate\u2019s rate, then 3 bisections) for the highest open-loop rate held within --slo-p99; the verdict stands on that rate')
    .option('--slo-p99 <duration>', 'the p99 bound of --find-saturation, e.g. 50ms or 0.2s', '50ms')
    .option('--max-rate <msgs/s>', 'the highest rate --find-saturation tries', '200000')
    .option('--debug-slow-arm <index:us>', 'debug only: arm <index> (0-based) spins <us> µs per message, e.g. 1:50 (to check that a slower arm is found)')
    .option('--debug-lossy-arm <index:n>', "debug only: arm <index> (0-based) silently drops every nth probe frame, e.g. 1:50 (to check that a lossy arm gets no latency verdict)")
    .option('--out <dir>', 'folder for the run\u2019s folder', 'results')
    .option('--resume <folder>', 'finish an interrupted comparison in its folder: its own options, its finished trials kept (give no other option)')
    .addHelpText('after', '\nExamples:\n  npm run compare -- --scenarios echo,broadcast,slow-consumers --clients 10000\n  npm run compare -- --models actor,actor --clients 1000 --trials 5   (A/A: expect no significant difference)\n  npm run compare -- --models actor,actor:policy=drop --scenarios slow-consumers --clients 1000\n  npm run compare -- --models actor,mutex --find-saturation --slo-p99 50ms --rate 4000 --duration 5 --trials 5 --pin');

interface RawCompareOptions {
  scenarios: string;
  models: string;
  trials: string;
  clients?: string;
  duration?: string;
  warmup?: string;
  rate?: string;
  seed: string;
  pin?: boolean;
  debugSlowArm?: string;
  debugLossyArm?: string;
  drainTimeout: string;
  paired?: boolean;
  findSaturation?: boolean;
  sloP99: string;
  maxRate: string;
  out: string;
  resume?: string;
}

/** What --resume needs to run the same comparison again: its command line and its folder's name. */
interface ComparePlanFile {
  readonly schemaVersion: 1;
  readonly runId: string;
  readonly argv: readonly string[];
}
const PLAN_FILE = 'compare-plan.json';

/** This command's options, or, with --resume, those of the interrupted comparison (and its folder). */
function readOptions(): { o: RawCompareOptions; argv: readonly string[]; resumeDir?: string; runId?: string } {
  const program = compareProgram();
  program.parse();
  const o = program.opts<RawCompareOptions>();
  if (o.resume === undefined) return { o, argv: process.argv.slice(2) };
  const given = argsBesideResume(process.argv.slice(2));
  if (given.length > 0) throw new UsageError('ERR_BAD_OPTION', `--resume runs the interrupted comparison with its own options: drop ${given.join(' ')}`);
  const file = path.join(o.resume, PLAN_FILE);
  if (!existsSync(file)) throw new UsageError('ERR_BAD_OPTION', `--resume ${o.resume}: no ${PLAN_FILE} there (give the folder an interrupted npm run compare named)`);
  let stored: ComparePlanFile;
  try {
    stored = JSON.parse(readFileSync(file, 'utf8')) as ComparePlanFile;
  } catch {
    throw new UsageError('ERR_BAD_OPTION', `--resume ${o.resume}: ${PLAN_FILE} is not readable JSON`);
  }
  if (!Array.isArray(stored.argv)) throw new UsageError('ERR_BAD_OPTION', `--resume ${o.resume}: ${PLAN_FILE} has no argv`);
  const again = compareProgram();
  again.parse([...stored.argv], { from: 'user' });
  return { o: again.opts<RawCompareOptions>(), argv: stored.argv, resumeDir: o.resume, runId: stored.runId };
}

async function main(): Promise<number> {
  const { o, argv, resumeDir, runId: resumedRunId } = readOptions();
  const specs = parseArmList(o.models);
  const trials = parseIntegerOption('--trials', o.trials, 2, 100);
  const seed = parseIntegerOption('--seed', o.seed, 0, 2 ** 32 - 1);
  const scenarios = o.scenarios.split(',').map((s) => s.trim());
  const slow = o.debugSlowArm === undefined ? undefined : parseArmDebug('--debug-slow-arm', o.debugSlowArm, specs.length, 1, '<µs ≥ 1>');
  const lossy = o.debugLossyArm === undefined ? undefined : parseArmDebug('--debug-lossy-arm', o.debugLossyArm, specs.length, 2, '<n ≥ 2> (drop every nth probe frame)');
  const slowArm = slow && { index: slow.index, delayUs: slow.value };
  const lossyArm = lossy && { index: lossy.index, dropEvery: lossy.value };
  const saturation = o.findSaturation ? { sloP99Ms: parseLatencyBound('--slo-p99', o.sloP99), maxRate: parseIntegerOption('--max-rate', o.maxRate, 1, 10_000_000) } : undefined;
  const pairing = o.paired ? 'by-round' : 'independent';
  // The bench options every trial shares, parsed and checked by the bench's own rules.
  const bench: BenchOptions = parseBenchOptions({ clients: o.clients, duration: o.duration, warmup: o.warmup, rate: o.rate, seed: o.seed, out: o.out, pin: o.pin === true, drainTimeout: o.drainTimeout });
  // Every option is checked before anything runs (a bad scenario, or --pin where it cannot be): it fails now, not an hour in.
  const plans = scenarios.flatMap((scenario) => specs.map((arm) => resolveBenchPlan({ ...bench, scenario, model: arm.model, ...(armBenchOptions(arm) as Partial<BenchOptions>) })));
  if (saturation && plans.some((p) => p.load.mode.kind !== 'open-loop')) throw new UsageError('ERR_BAD_OPTION', '--find-saturation raises an open-loop rate; every scenario compared must be open-loop (drop --closed-loop scenarios)');
  const startRate = Math.max(...plans.map((p) => (p.load.mode.kind === 'open-loop' ? p.load.mode.rate : 0)));
  if (saturation && startRate > saturation.maxRate) throw new UsageError('ERR_BAD_OPTION', `--find-saturation starts at the rate (${startRate} msg/s), which must not exceed --max-rate (${saturation.maxRate}); lower --rate or raise --max-rate`);
  const limits = readFileLimits();
  if (checkFileLimit(Math.max(...plans.map((p) => p.load.clients)), limits) === 'raise' && !alreadyRaised()) return rerunWithFileLimit(limits.hard);
  if (o.pin) pinLoadGenerator();

  const runId = resumedRunId ?? `${new Date().toISOString().replace(/[:.]/g, '-')}-compare`;
  const dir = resumeDir ?? path.join(o.out, runId);
  mkdirSync(dir, { recursive: true });
  writeJsonAtomically(path.join(dir, PLAN_FILE), { schemaVersion: 1, runId, argv } satisfies ComparePlanFile);
  const arms = armsFor(specs, slowArm, lossyArm);
  const schedule = interleave(scenarios, arms, trials, seededRandom(seed));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`${schedule.length} runs: ${scenarios.length} scenario(s) × ${arms.length} arms × ${trials} trials, interleaved; results in ${dir}`);
  warnIfUnpinned();
  const interrupt = listenForInterrupt(log);
  const { trials: results, interrupted } = await runSchedule(schedule, { bench, dir, log, signal: interrupt.signal, resume: resumeDir !== undefined, ...(saturation && { saturation }) });
  if (interrupted) {
    log(`${interrupt.received ?? 'interrupted'}: ${results.length} of ${schedule.length} runs finished and kept in ${path.join(dir, 'raw')}; finish with: npm run compare -- --resume ${dir}`);
    return exitCodeForSignal(interrupt.received ?? 'SIGINT');
  }

  const analysis = analyse(results, arms.map((a) => a.name), seed, { pairing, ...(saturation && { saturation: { sloP99Ms: saturation.sloP99Ms } }) });
  const command = `npm run compare -- ${argv.join(' ')}`.trim();
  // A resumed run's trials may come from another process, machine or runtime than this one: label them by what they recorded.
  const machine = `${machinesLabel(results.map((r) => ({ name: r.arm, environment: r.result.environment })))}${o.pin ? ', server and load generator pinned to separate CPUs' : ''}`;
  writeFileAtomically(path.join(dir, 'compare.json'), JSON.stringify({ ...analysis, runId, command, machine, trials, seed, arms, files: results.map((r) => ({ scenario: r.scenario, arm: r.arm, round: r.round, file: r.file, ...(r.saturation && { saturation: r.saturation }) })) }, null, 2) + '\n');
  const context = { runId, command, machine, trials, seed };
  writeFileAtomically(path.join(dir, 'report.md'), renderMarkdown(analysis, context));
  writeFileAtomically(path.join(dir, 'report.html'), renderHtml(analysis, results, context));
  process.stdout.write(`${renderComparison(analysis, { color: process.stdout.isTTY })}\n`);
  log(`reports written to ${path.join(dir, 'report.md')} and report.html`);
  return results.every((r) => r.result.status === 'completed') ? EXIT.success : EXIT.runFailed;
}

/** `<arm index>:<value>` of a debug option that alters one arm (--debug-slow-arm, --debug-lossy-arm). */
function parseArmDebug(flag: string, text: string, arms: number, min: number, shape: string): { index: number; value: number } {
  const match = /^(\d+):(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const value = Number(match?.[2]);
  if (!match || index >= arms || value < min) throw new UsageError('ERR_BAD_OPTION', `${flag} must be <arm index 0..${arms - 1}>:${shape}, e.g. 1:50, got '${text}'`);
  return { index, value };
}

runMain(main);
