/**
 * The gate's false-alarm and power experiments (README, "The CI regression gate"), one command:
 *
 *   node --import tsx scripts/regress-experiments.ts --runs 10 --factors 1,1.5,2,1.2
 *
 * Factor 1 runs `npm run regress -- --base HEAD` on unchanged code (head = the working tree, which
 * must be clean). Any other factor f commits, on a scratch branch in a worktree of its own, a real
 * change to the actor's message path: a busy loop in its `send-to` handler (every echo) lasting
 * (f − 1) × base's server CPU per echo, so the server spends f times the CPU per echo; then runs
 * `npm run regress -- --base HEAD --head <scratch branch>`. Every run gets its own seed. Prints
 * each run's verdict and writes them all to <out>/experiments.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { git } from '../regress/checkout.ts';
import { runRegressCommand } from '../regress/run-command.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLER = 'servers/actor/registry.ts';
const ANCHOR = "      case 'send-to': {\n";

const program = new Command()
  .option('--runs <n>', 'runs per factor', '10')
  .option('--factors <list>', 'slowdowns of the actor\u2019s CPU per echo (1: unchanged code)', '1,1.5,2,1.2')
  .option('--suite <args>', 'the regress options of the shorter suite', '--models actor --scenarios echo --microbench-rounds 0')
  .option('--cpu-us <n>', 'base\u2019s server CPU per echo, µs (default: measured by the first unchanged run)')
  .option('--out <dir>', 'where the runs and experiments.json go', 'results/regress-experiments');


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
  readonly exitCode: number;
  readonly outcome: string;
  readonly findings: readonly { readonly subject: string; readonly metric: string; readonly ratio?: number; readonly low?: number; readonly high?: number; readonly verdict: string }[];
  readonly confirmed: readonly string[];
  readonly seconds: number;
  readonly folder: string;
}

function main(): void {
  const o = program.parse().opts<{ runs: string; factors: string; suite: string; cpuUs?: string; out: string }>();
  if (git(ROOT, ['status', '--porcelain', '--', 'servers', 'common']) !== '') throw new Error('servers/ or common/ have uncommitted changes: commit them first (factor 1 compares the working tree with HEAD)');
  const runs = Number(o.runs);
  const factors = o.factors.split(',').map(Number);
  const suite = o.suite.split(' ').filter((s) => s !== '');
  mkdirSync(o.out, { recursive: true });
  let cpuUs = o.cpuUs === undefined ? undefined : Number(o.cpuUs);
  const records: RunRecord[] = [];
  for (const factor of factors) {
    const head = factor === 1 ? [] : ['--head', slowedBranch(factor, (factor - 1) * (cpuUs ?? fail('--cpu-us unknown: put factor 1 first or give --cpu-us')))];
    for (let run = 1; run <= runs; run++) {
      const seed = Math.round(factor * 1000) + run;
      const { exitCode, result, folder, seconds } = runRegressCommand(['--base', 'HEAD', ...head, ...suite, '--seed', String(seed)], o.out);
      if (cpuUs === undefined) {
        const base = result.findings.find((f) => f.subject === 'echo · actor' && f.metric === 'cpuPerMessage')?.base?.median;
        if (base !== undefined) cpuUs = base;
      }
      const record: RunRecord = {
        factor,
        run,
        seed,
        exitCode,
        outcome: result.outcome,
        findings: result.findings.filter((f) => f.gating).map((f) => ({ subject: f.subject, metric: f.metric, ...(f.estimate && { ratio: f.estimate.ratio, low: f.estimate.low, high: f.estimate.high }), verdict: f.verdict })),
        confirmed: result.confirmations.filter((c) => c.confirmed).map((c) => `${c.subject} ${c.metric}`),
        seconds,
        folder,
      };
      records.push(record);
      const shown = record.findings.map((f) => `${f.subject} ${f.metric} ${f.ratio?.toFixed(2)}× [${f.low?.toFixed(2)}–${f.high?.toFixed(2)}] ${f.verdict}`).join('; ');
      process.stdout.write(`factor ${factor} run ${run} (seed ${seed}, ${seconds.toFixed(0)} s): ${result.outcome.toUpperCase()} (exit ${exitCode}) — ${shown}\n`);
      writeFileAtomically(path.join(o.out, 'experiments.json'), JSON.stringify({ suite: o.suite, cpuUsPerEcho: cpuUs, records }, null, 2) + '\n');
    }
    const regressed = records.filter((r) => r.factor === factor && r.outcome === 'regressed').length;
    process.stdout.write(`factor ${factor}: REGRESSED in ${regressed} of ${runs} runs\n`);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

main();
