/**
 * The gate's false-alarm and power experiments (docs: "The CI regression gate"), one command that
 * resumes where it stopped:
 *
 *   node --import tsx scripts/regress-experiments.ts --runs 10 --factors 1,1.5,1.2,1.1
 *
 * Factor 1 runs `npm run regress -- --base HEAD` on unchanged code (head = the working tree, which
 * must be clean) with the default suite (--unchanged-suite): its false alarms. Any other factor f
 * commits, on a scratch branch in a worktree of its own, a real change to the actor's message path:
 * a busy loop in its `send-to` handler (every echo) lasting (f − 1) × base's server CPU per echo, so
 * the server spends f times the CPU per echo; then runs `npm run regress -- --base HEAD --head
 * <scratch branch>` on one cell (--power-suite): its power. Every run gets its own seed, keeps its
 * folder and regress.log under --out, and is recorded in <out>/experiments.json as it finishes; a
 * second call skips the (factor, run) pairs already there. The summary gives each factor's count
 * with its Clopper–Pearson 95% interval.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { clopperPearson } from '../compare/statistics.ts';
import { git } from '../regress/checkout.ts';
import { runRegressCommand } from '../regress/run-command.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLER = 'servers/actor/registry.ts';
const ANCHOR = "      case 'send-to': {\n";

const program = new Command()
  .option('--runs <n>', 'runs per factor', '10')
  .option('--factors <list>', 'slowdowns of the actor\u2019s CPU per echo (1: unchanged code)', '1,1.5,1.2,1.1')
  .option('--unchanged-suite <args>', 'regress options of the unchanged-code runs (default: the default suite)', '')
  .option('--power-suite <args>', 'regress options of the slowed runs (one cell)', '--models actor --scenarios echo --microbench-rounds 0')
  .option('--cpu-us <n>', 'base\u2019s server CPU per echo, µs (default: measured by the first run that has the actor echo cell)')
  .option('--out <dir>', 'where the runs and experiments.json go', 'results/examples/regress-experiments');

/** A scratch branch whose actor spins `spinUs` per echo; returns the branch name. */
function slowedBranch(factor: number, spinUs: number): string {
  const branch = `scratch/actor-echo-x${factor}`;
  const dir = path.join(ROOT, '.regress', 'scratch', `x${factor}`);
  if (existsSync(dir)) git(ROOT, ['worktree', 'remove', '--force', dir]);
  git(ROOT, ['worktree', 'add', '--force', '-B', branch, dir, 'HEAD']);
  const file = path.join(dir, HANDLER);
  const source = readFileSync(file, 'utf8');
  if (!source.includes(ANCHOR)) throw new Error(`${HANDLER} has no '${ANCHOR.trim()}' to slow down`);
  const spin = `${ANCHOR}        // Scratch regression: ${spinUs.toFixed(1)} µs of CPU per message, ${factor}× the server's CPU per echo.\n        for (const until = performance.now() + ${(spinUs / 1000).toFixed(6)}; performance.now() < until; );\n`;
  writeFileSync(file, source.replace(ANCHOR, spin));
  git(dir, ['-c', 'user.name=regress-experiments', '-c', 'user.email=regress@localhost', 'commit', '-qam', `scratch: actor echo ${factor}x CPU (${spinUs.toFixed(1)} µs spin)`]);
  return branch;
}

interface RunRecord {
  readonly factor: number;
  readonly run: number;
  readonly seed: number;
  readonly head: string;
  readonly exitCode: number;
  readonly outcome: string;
  readonly findings: readonly { readonly subject: string; readonly metric: string; readonly ratio?: number; readonly low?: number; readonly high?: number; readonly verdict: string }[];
  readonly confirmed: readonly string[];
  readonly failures: readonly string[];
  readonly replacements: Readonly<Record<string, number>>;
  readonly seconds: number;
  readonly folder: string;
}

interface Experiments {
  readonly unchangedSuite: string;
  readonly powerSuite: string;
  cpuUsPerEcho?: number;
  readonly records: RunRecord[];
}

const words = (args: string): string[] => args.split(' ').filter((s) => s !== '');
const percent = (x: number): string => `${Math.round(x * 1000) / 10}%`;

/** "3 of 10 (30%, 95% CI 6.7%–65.2%)" */
function countWithInterval(k: number, n: number): string {
  const ci = clopperPearson(k, n);
  return `${k} of ${n} (${percent(k / n)}, 95% CI ${percent(ci.low)}–${percent(ci.high)})`;
}

function main(): void {
  const o = program.parse().opts<{ runs: string; factors: string; unchangedSuite: string; powerSuite: string; cpuUs?: string; out: string }>();
  if (git(ROOT, ['status', '--porcelain', '--', 'servers', 'common', 'loadgen', 'regress']) !== '') throw new Error('servers/, common/, loadgen/ or regress/ have uncommitted changes: commit them first (factor 1 compares the working tree with HEAD)');
  const runs = Number(o.runs);
  const factors = o.factors.split(',').map(Number);
  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, 'experiments.json');
  const state: Experiments = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Experiments) : { unchangedSuite: o.unchangedSuite, powerSuite: o.powerSuite, records: [] };
  if (o.cpuUs !== undefined) state.cpuUsPerEcho = Number(o.cpuUs);
  const save = (): void => writeFileAtomically(file, JSON.stringify(state, null, 2) + '\n');
  for (const factor of factors) {
    let branch: string | undefined;
    for (let run = 1; run <= runs; run++) {
      if (state.records.some((r) => r.factor === factor && r.run === run)) continue; // finished in an earlier call
      if (factor !== 1 && branch === undefined) branch = slowedBranch(factor, (factor - 1) * (state.cpuUsPerEcho ?? fail('--cpu-us unknown: run factor 1 first or give --cpu-us')));
      const seed = Math.round(factor * 1000) + run;
      const suite = words(factor === 1 ? state.unchangedSuite : state.powerSuite);
      const { exitCode, result, folder, seconds } = runRegressCommand(['--base', 'HEAD', ...(branch ? ['--head', branch] : []), ...suite, '--seed', String(seed)], o.out);
      const base = result.findings.find((f) => f.subject === 'echo · actor' && f.metric === 'cpuPerMessage')?.base?.median;
      if (state.cpuUsPerEcho === undefined && base !== undefined) state.cpuUsPerEcho = base;
      const record: RunRecord = {
        factor,
        run,
        seed,
        head: branch ?? 'working tree',
        exitCode,
        outcome: result.outcome,
        findings: result.findings.filter((f) => f.gating).map((f) => ({ subject: f.subject, metric: f.metric, ...(f.estimate && { ratio: f.estimate.ratio, low: f.estimate.low, high: f.estimate.high }), verdict: f.verdict })),
        confirmed: result.confirmations.filter((c) => c.confirmed).map((c) => `${c.subject} ${c.metric}`),
        failures: (result.failures ?? []).map((f) => `${f.side} ${f.subject}: ${f.cause}`),
        replacements: result.replacements ?? {},
        seconds,
        folder: path.relative(o.out, folder),
      };
      state.records.push(record);
      save();
      const shown = record.findings.filter((f) => f.verdict !== 'unchanged').map((f) => `${f.subject} ${f.metric} ${f.ratio?.toFixed(2)}× [${f.low?.toFixed(2)}–${f.high?.toFixed(2)}] ${f.verdict}`).join('; ');
      process.stdout.write(`factor ${factor} run ${run} (seed ${seed}, ${seconds.toFixed(0)} s): ${result.outcome.toUpperCase()} (exit ${exitCode})${shown ? ` — ${shown}` : ''}${record.failures.length ? ` — ${record.failures.join('; ')}` : ''}\n`);
    }
  }
  for (const factor of factors) {
    const of = state.records.filter((r) => r.factor === factor);
    if (of.length === 0) continue;
    const count = (outcome: string): number => of.filter((r) => r.outcome === outcome).length;
    process.stdout.write(`factor ${factor}: REGRESSED ${countWithInterval(count('regressed'), of.length)}; INCONCLUSIVE ${countWithInterval(count('inconclusive'), of.length)}; PASSED ${count('passed')}\n`);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

main();
