/**
 * Checks that `npm run compare` calls differences significant only when they are real: it compares
 * a model with itself (A/A, two arms of the same server) several times and expects no significant
 * difference on the scenario's primary metric every time, then compares it with a deliberately
 * slowed copy of itself (a debug per-message delay in one arm) and expects that arm to be reported
 * slower on the primary metric every time. Other metrics are exploratory, as in compare's verdict.
 *
 *   npm run aa-check -- --runs 5 --clients 1000
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { parseIntegerOption } from '../common/usage.ts';
import { METRICS, type ComparisonAnalysis } from '../compare/analysis.ts';
import { runMain } from '../common/main.ts';
import { EXIT } from '../common/exit-codes.ts';
import { describeEnvironment } from '../loadgen/result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const program = new Command()
  .name('npm run aa-check --')
  .description('Repeat an A/A comparison and a comparison against a deliberately slowed arm; count the right verdicts.')
  .option('--model <name>', 'the model compared with itself', 'actor')
  .option('--runs <n>', 'comparisons of each kind', '5')
  .option('--trials <n>', 'trials per arm in each comparison', '5')
  .option('--clients <n>', 'clients', '1000')
  .option('--rate <msgs/s>', 'open-loop echo rate', '2000')
  .option('--duration <seconds>', 'measured seconds per trial', '3')
  .option('--delay-us <us>', 'the slowed arm spins this long per message', '300')
  .option('--out <dir>', 'folder for the summary and the comparisons', 'results');

interface Check {
  readonly kind: 'a/a' | 'slowed';
  readonly run: number;
  readonly dir: string;
  readonly verdict: string;
  readonly ratios: readonly { metric: string; ratio: number; low: number; high: number; significant: boolean }[];
  readonly passed: boolean;
}

function compare(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'compare/cli.ts', ...args], { cwd: ROOT, timeout: 3_600_000, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`compare failed: ${stderr.trim().split('\n').at(-1) ?? error.message}`)) : resolve(),
    );
  });
}

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<{ model: string; runs: string; trials: string; clients: string; rate: string; duration: string; delayUs: string; out: string }>();
  const runs = parseIntegerOption('--runs', o.runs, 1, 100);
  const delayUs = parseIntegerOption('--delay-us', o.delayUs, 1, 1_000_000);
  const base = ['--scenarios', 'echo', '--trials', o.trials, '--clients', o.clients, '--rate', o.rate, '--duration', o.duration, '--warmup', '1'];
  const checks: Check[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const kind of ['a/a', 'slowed'] as const) {
      const out = mkdtempSync(path.join(os.tmpdir(), 'aa-check-'));
      const args = [...base, '--models', `${o.model},${o.model}`, '--seed', String(run), '--out', out, ...(kind === 'slowed' ? ['--debug-slow-arm', `1:${delayUs}`] : [])];
      await compare(args);
      const dir = path.join(out, readdirSync(out)[0]!);
      const analysis = JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as ComparisonAnalysis;
      const scenario = analysis.scenarios[0]!;
      // The verdict's own metric: A/A must not differ on it; the slowed arm must be significantly worse on it.
      const primary = scenario.ratios.find((r) => r.metric === scenario.primaryMetric);
      const better = METRICS.find((m) => m.key === scenario.primaryMetric)?.better;
      const worse = primary !== undefined && primary.estimate.significant && (better === 'higher' ? primary.estimate.ratio < 1 : primary.estimate.ratio > 1);
      const passed = kind === 'a/a' ? primary !== undefined && !primary.estimate.significant : worse;
      checks.push({ kind, run, dir, verdict: scenario.verdict, ratios: scenario.ratios.map((r) => ({ metric: r.metric, ...r.estimate })), passed });
      process.stderr.write(`${kind} run ${run}: ${passed ? 'as expected' : 'WRONG'} — ${scenario.verdict}\n`);
    }
  }
  const count = (kind: Check['kind']): string => `${checks.filter((c) => c.kind === kind && c.passed).length} of ${runs}`;
  process.stdout.write(`A/A (${o.model} vs ${o.model}): no significant difference on the primary metric in ${count('a/a')} comparisons\nslowed arm (+${delayUs} µs per message): reported slower on the primary metric in ${count('slowed')} comparisons\n`);
  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `${new Date().toISOString().replace(/[:.]/g, '-')}-aa-check.json`);
  writeFileAtomically(file, JSON.stringify({ kind: 'aa-check', schemaVersion: 1, options: o, environment: describeEnvironment(), checks }, null, 2) + '\n');
  process.stderr.write(`summary written to ${file}\n`);
  return checks.every((c) => c.passed) ? EXIT.success : EXIT.gateFailed;
}

runMain(main);
