/**
 * `npm run regress -- --base <ref> [--head <ref>]`: the CI performance gate. Builds base (and head,
 * when it is a ref) in git worktrees, runs the fixed suite on both, interleaved, with this
 * checkout's load generator, and exits with the code of the project's one table: 0 passed, 3 a
 * confirmed regression, 4 inconclusive, 2 usage, 1 the run failed.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { parseIntegerOption, parseNumberOption, Problems, UsageError } from '../common/usage.ts';
import { runMain } from '../common/main.ts';
import { exitCodeForSignal } from '../common/exit-codes.ts';
import { listenForInterrupt } from '../loadgen/interrupt.ts';
import { canPin, pinLoadGenerator, SERVER_CPU } from '../loadgen/pinning.ts';
import { checkoutRef, git, resolveCommit } from './checkout.ts';
import { appendHistory } from './history.ts';
import { renderMarkdown, renderTable } from './report.ts';
import { gateOutcome, REGRESS_SCHEMA_VERSION, type RegressResult } from './result.ts';
import { runRegress, type SideCheckout } from './run.ts';
import { DEFAULT_SUITE, SUITE_MODELS, SUITE_SCENARIOS, type SuiteScenario, type SuiteSettings } from './suite.ts';
import { DEFAULT_THRESHOLDS_FILE, readThresholds, SLOW_RUNNER_SHARE } from './thresholds.ts';
import { calibratedThresholds } from './verdict.ts';
import { writeFileAtomically, writeJsonAtomically } from '../common/atomic-write.ts';
import { describeEnvironment, machineLabel } from '../loadgen/result.ts';
import { checkoutNode, currentRuntime, pinnedNode, runtimeLabel, runtimeOf, unpinnedWarning } from '../common/runtime.ts';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

const program = new Command()
  .name('npm run regress --')
  .description('CI performance gate: base and head run the same short suite, interleaved, on this machine; fails only on a regression past its threshold that a rerun confirms.')
  .requiredOption('--base <ref>', 'the git ref to compare against (a branch, tag or sha)')
  .option('--head <ref>', 'the git ref under test (default: the working tree)')
  .option('--repo <dir>', 'the git repository base and head come from (default: this project; another repository with --server-cmd)')
  .option('--server-cmd <command>', 'start each checkout\u2019s own server with this shell command, run in the checkout; {port} (or $PORT) is the port to listen on (see the README for what the server must speak)')
  .option('--scenarios <list>', `cells' scenarios, from ${SUITE_SCENARIOS.join(', ')}`, DEFAULT_SUITE.scenarios.join(','))
  .option('--models <list>', `cells' models, from ${SUITE_MODELS.join(', ')} (ignored with --server-cmd)`, DEFAULT_SUITE.models.join(','))
  .option('--rounds <n>', 'rounds per cell, each running base and head once (at least 6: the fewest a 95% paired interval needs)', String(DEFAULT_SUITE.rounds))
  .option('--clients <n>', 'clients per trial', String(DEFAULT_SUITE.clients))
  .option('--duration <seconds>', 'measured seconds per trial', String(DEFAULT_SUITE.durationSeconds))
  .option('--warmup <seconds>', 'warm-up seconds per trial', String(DEFAULT_SUITE.warmupSeconds))
  .option('--load-share <fraction>', "open-loop load as a share of base's closed-loop echo throughput, above 0 and at most 1", String(DEFAULT_SUITE.loadShare))
  .option('--microbench-rounds <n>', 'microbenchmark passes per side (0: none)', String(DEFAULT_SUITE.microbenchRounds))
  .option('--seed <n>', 'seed of the order within each round', '1')
  .option('--no-pin', 'do not pin the servers and the load generator to separate CPUs (pinned by default where taskset and 2 CPUs exist)')
  .option('--calibrate', 'also run base a second time in every round (A/A) and print the thresholds this runner calibrates to')
  .option('--thresholds <file>', 'the thresholds file (per metric T)', DEFAULT_THRESHOLDS_FILE)
  .option('--history <file>', 'append head\u2019s figures to this JSON-lines history (on main; see npm run history)')
  .option('--out <dir>', 'folder for the run\u2019s folder', 'results')
  .addHelpText('after', '\nExit codes: 0 passed, 3 regressed (confirmed, or head\u2019s server failed twice), 4 inconclusive, 2 usage, 1 the run failed (base\u2019s server failed twice, or the harness did).\nExamples:\n  npm run regress -- --base main\n  npm run regress -- --base HEAD --models actor --microbench-rounds 0   (unchanged code: expect PASSED)\n  npm run regress -- --base v1.2.0 --repo ../my-server --server-cmd "node server.js --port {port}"');

interface RawOptions {
  base: string;
  head?: string;
  repo?: string;
  serverCmd?: string;
  scenarios: string;
  models: string;
  rounds: string;
  clients: string;
  duration: string;
  warmup: string;
  microbenchRounds: string;
  loadShare: string;
  seed: string;
  pin: boolean;
  calibrate?: boolean;
  thresholds: string;
  history?: string;
  out: string;
}

function parseList<T extends string>(flag: string, text: string, allowed: readonly T[], problems: Problems): T[] {
  const items = text.split(',').map((s) => s.trim());
  for (const item of items) if (!allowed.includes(item as T)) problems.add('ERR_BAD_OPTION', `${flag}: '${item}' is not one of ${allowed.join(', ')}`);
  const repeated = items.filter((item, i) => items.indexOf(item) !== i);
  if (repeated.length > 0) problems.add('ERR_BAD_OPTION', `${flag}: '${repeated[0]}' is given twice; each cell runs once per round`);
  return items as T[];
}

function parseSuite(o: RawOptions): SuiteSettings {
  const problems = new Problems();
  const suite: SuiteSettings = {
    scenarios: parseList<SuiteScenario>('--scenarios', o.scenarios, SUITE_SCENARIOS, problems),
    models: o.serverCmd !== undefined ? ['server'] : parseList('--models', o.models, SUITE_MODELS, problems),
    rounds: problems.check(() => parseIntegerOption('--rounds', o.rounds, 6, 100), 6),
    clients: problems.check(() => parseIntegerOption('--clients', o.clients, 2, 10_000), 1000),
    durationSeconds: problems.check(() => parseIntegerOption('--duration', o.duration, 1, 600), 2),
    warmupSeconds: problems.check(() => parseIntegerOption('--warmup', o.warmup, 0, 600), 1),
    microbenchRounds: problems.check(() => parseIntegerOption('--microbench-rounds', o.microbenchRounds, 0, 100), 0),
    loadShare: problems.check(() => parseNumberOption('--load-share', o.loadShare, 0), DEFAULT_SUITE.loadShare),
  };
  if (suite.loadShare > 1) problems.add('ERR_BAD_OPTION', `--load-share must be above 0 and at most 1 (a share of the closed-loop throughput), got '${o.loadShare}'`);
  // The calibration rule counts on "regressed" meaning every round past 1 + T, which the exact interval is up to 8 rounds.
  if (suite.microbenchRounds > 0 && suite.microbenchRounds < 6) problems.add('ERR_BAD_OPTION', `--microbench-rounds must be 0 or at least 6 (a 95% paired interval needs 6), got ${suite.microbenchRounds}`);
  problems.throwIfAny();
  return suite;
}

/** Where a checkout's load generator or wire protocol differs from this checkout's, whose load generator drives every side. */
function harnessChanged(repo: string, commits: readonly string[]): string[] {
  const paths = ['loadgen', 'common/protocol.ts'];
  const changed = commits.flatMap((commit) => git(repo, ['diff', '--name-only', commit, '--', ...paths]).split('\n'));
  return [...new Set(changed.filter((f) => f !== ''))];
}

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<RawOptions>();
  const suite = parseSuite(o);
  const seed = parseIntegerOption('--seed', o.seed, 0, 2 ** 31 - 1);
  const repo = path.resolve(o.repo ?? PROJECT_ROOT);
  if (o.repo !== undefined && o.serverCmd === undefined) throw new UsageError('ERR_BAD_OPTION', '--repo names another repository, whose servers this project cannot start: give --server-cmd too');
  const thresholdsFile = readThresholds(o.thresholds);
  const baseCommit = resolveCommit(repo, o.base);
  const headCommit = o.head === undefined ? undefined : resolveCommit(repo, o.head);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const cache = { worktreesDir: path.join(repo, '.regress', 'worktrees'), cacheDir: path.join(repo, '.regress', 'installs'), omitDev: o.serverCmd === undefined, log };
  const baseCheckout = checkoutRef(repo, o.base, cache);
  const headDir = o.head === undefined ? repo : checkoutRef(repo, o.head, cache).dir;
  const side = (name: 'base' | 'head', ref: string, commit: string | undefined, dir: string): SideCheckout => ({ name, ref, ...(commit && { commit }), dir, hasMicrobench: existsSync(path.join(dir, 'microbench', 'cli.ts')) });
  const base = side('base', o.base, baseCommit, baseCheckout.dir);
  const head = side('head', o.head ?? 'working tree', headCommit, headDir);

  const warnings: string[] = [];
  const unpinned = unpinnedWarning();
  if (unpinned !== undefined) warnings.push(`the load generator is ${unpinned}`);
  if (o.serverCmd === undefined) {
    const changed = harnessChanged(repo, [baseCommit, ...(headCommit ? [headCommit] : [])]);
    if (changed.length > 0) warnings.push(`the load generator or the wire protocol of a compared ref differs from this checkout's (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''}): this checkout's load generator drives both sides, so the figures compare the servers, but a protocol change can make a side's server answer differently`);
    if (suite.microbenchRounds > 0 && !(base.hasMicrobench && head.hasMicrobench)) warnings.push(`microbenchmarks skipped: ${base.hasMicrobench ? 'head' : 'base'} has no microbench/cli.ts`);
  }
  // The project's servers run on their own checkout's pinned runtime (a commit that changes it is measured on it).
  const runtimes = o.serverCmd === undefined ? { base: runtimeOf(checkoutNode(base.dir)), head: runtimeOf(checkoutNode(head.dir)) } : undefined;
  if (runtimes && runtimeLabel(runtimes.base) !== runtimeLabel(runtimes.head)) warnings.push(`base's servers run on ${runtimeLabel(runtimes.base)} and head's on ${runtimeLabel(runtimes.head)}: the figures compare the runtimes too`);
  for (const s of [base, head]) {
    const pinned = pinnedNode(s.dir);
    const ran = runtimes?.[s.name].node;
    if (pinned !== undefined && ran !== undefined && ran !== pinned) warnings.push(`${s.name} pins Node ${pinned}, but its install has no such binary (installed with --ignore-scripts, or the node package's install failed): its servers run on ${ran}`);
  }
  const calibratedOn = thresholdsFile.runtime;
  const measuredOn = runtimes?.head ?? currentRuntime();
  if (calibratedOn && calibratedOn.node !== measuredOn.node) warnings.push(`the thresholds were calibrated on servers running ${runtimeLabel(calibratedOn)}, and these run on ${runtimeLabel(measuredOn)}: another runtime's noise may differ (recalibrate: docs/runtime.md)`);
  const pin = o.pin && canPin();
  if (o.pin && !pin) warnings.push('not pinned: this machine lacks taskset or a second CPU, so the servers and the load generator share CPUs');
  if (pin) pinLoadGenerator();

  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-regress`;
  const dir = path.join(o.out, runId);
  mkdirSync(path.join(dir, 'raw'), { recursive: true });
  log(`regress: base ${o.base} (${baseCommit.slice(0, 12)}) vs head ${head.ref}${headCommit ? ` (${headCommit.slice(0, 12)})` : ''}; results in ${dir}`);
  const interrupt = listenForInterrupt(log);
  const run = await runRegress({ base, head, ...(o.serverCmd !== undefined && { serverCommand: o.serverCmd }), suite, seed, ...(pin && { serverCpus: SERVER_CPU }), calibrate: o.calibrate === true, thresholds: thresholdsFile.thresholds, dir, log, signal: interrupt.signal });

  for (const [model, l] of Object.entries(run.load)) {
    const calibrated = thresholdsFile.closedLoopPerSec?.[model];
    if (calibrated !== undefined && l.closedLoopPerSec < calibrated * SLOW_RUNNER_SHARE) {
      warnings.push(`base's closed-loop echo rate for ${model} was ${l.closedLoopPerSec} msg/s, ${Math.round((l.closedLoopPerSec / calibrated) * 100)}% of the ${calibrated} msg/s the thresholds were calibrated at: this runner is slower or busier than the calibration's, and the thresholds may not hold here (recalibrate with --calibrate)`);
    }
  }
  for (const p of run.problems) warnings.push(`${p.what}: ${p.problem}`);
  const { outcome, exitCode } = run.interrupted ? { outcome: 'interrupted' as const, exitCode: exitCodeForSignal(interrupt.received ?? 'SIGINT') } : gateOutcome(run.findings, run.confirmations, run.failures);
  const calibrated = o.calibrate ? calibratedThresholds(run.observations, run.aaFindings, suite.rounds, thresholdsFile.thresholds) : undefined;
  if (calibrated && (calibrated.p50 > 0.1 || calibrated.cpuPerMessage > 0.1)) warnings.push(`this runner's A/A arm calibrates p50 to T = ${Math.round(calibrated.p50 * 100)}% and CPU per message to ${Math.round(calibrated.cpuPerMessage * 100)}%: too noisy to gate either within 10%`);
  const machine = `${machineLabel(describeEnvironment())}${pin ? ', servers on CPU 0, load generator on CPU 1' : ''}`;
  const result: RegressResult = {
    kind: 'regress',
    schemaVersion: REGRESS_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    command: `npm run regress -- ${process.argv.slice(2).join(' ')}`,
    machine,
    base: { ref: o.base, commit: baseCommit, ...(runtimes && { runtime: runtimes.base }) },
    head: { ref: head.ref, ...(headCommit ? { commit: headCommit } : { commit: git(repo, ['rev-parse', 'HEAD']) }), ...(runtimes && { runtime: runtimes.head }) },
    ...(o.serverCmd !== undefined && { serverCommand: o.serverCmd }),
    suite,
    seed,
    thresholds: thresholdsFile.thresholds,
    thresholdsSource: `${path.relative(process.cwd(), o.thresholds) || o.thresholds} (${thresholdsFile.source})`,
    ...(calibrated && { calibratedThresholds: calibrated }),
    ...run,
    warnings,
    outcome,
    exitCode,
  };
  writeJsonAtomically(path.join(dir, 'regress.json'), result);
  if (run.interrupted) {
    log(`${interrupt.received}: stopped after ${run.trials} trials, nothing judged; what ran is in ${path.join(dir, 'regress.json')} and raw/`);
    return exitCode;
  }
  const markdown = renderMarkdown(result);
  writeFileAtomically(path.join(dir, 'regress.md'), markdown);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown);
  // A run stopped by a broken side measured nothing worth a history point.
  if (o.history !== undefined && run.failures.length === 0) appendHistory(o.history, result, git(repo, ['show', '-s', '--format=%cI', result.head.commit!]));
  process.stdout.write(`${renderTable(result, { color: process.stdout.isTTY })}\n`);
  log(`regress.json and regress.md written to ${dir}`);
  return exitCode;
}

runMain(main);
