/**
 * `npm run report -- results/<run id>`: writes report.md and report.html again from a comparison's
 * stored JSON alone (compare.json and raw/). `npm run report -- A.json B.json [...]`: compares any
 * stored bench results, one arm per file (single runs have no interval, and the report says so),
 * into a new folder under results/.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import path from 'node:path';
import { Command } from 'commander';
import { upgradeResult } from '../loadgen/result-upgrade.ts';
import { UsageError } from '../common/usage.ts';
import { runMain } from '../common/main.ts';
import { machinesLabel, modelLabel, type BenchResult } from '../loadgen/result.ts';
import { analyse, type AnalysisOptions, type ComparisonAnalysis, type Pairing, type SaturationTrial, type Trial } from './analysis.ts';
import { renderHtml } from './report-html.ts';
import { renderMarkdown, type ReportContext } from './report-markdown.ts';
import { renderComparison } from './report-table.ts';

const program = new Command()
  .name('npm run report --')
  .description('Regenerate a comparison\u2019s reports from its stored JSON, or compare stored bench results.')
  .argument('<paths...>', 'a comparison folder (results/<run id>), or two or more bench result files')
  .option('--paired', 're-analyse a comparison folder paired by round (per-round ratios), whatever it was run with; compare.json records it')
  .option('--independent', 're-analyse a comparison folder with each arm resampled on its own (the default analysis)')
  .option('--out <dir>', 'where a comparison of result files goes', 'results');

interface StoredComparison {
  readonly runId: string;
  readonly command: string;
  readonly machine: string;
  readonly trials: number;
  readonly seed: number;
  readonly arms: readonly { readonly name: string }[];
  readonly files: readonly { readonly scenario: string; readonly arm: string; readonly round: number; readonly file: string; readonly saturation?: SaturationTrial }[];
  /** Absent in comparisons stored before schema 2: independent, no saturation. */
  readonly pairing?: Pairing;
  readonly saturation?: { readonly sloP99Ms: number };
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new UsageError('ERR_BAD_REPORT_INPUT', `${file}: ${error instanceof SyntaxError ? `not valid JSON (${error.message})` : 'cannot be read'}`);
  }
}

function writeReports(dir: string, trials: readonly Trial[], arms: readonly string[], context: ReportContext, options: AnalysisOptions = {}): ComparisonAnalysis {
  const analysis = analyse(trials, arms, context.seed, options);
  writeFileAtomically(path.join(dir, 'report.md'), renderMarkdown(analysis, context));
  writeFileAtomically(path.join(dir, 'report.html'), renderHtml(analysis, trials, context));
  process.stdout.write(`${renderComparison(analysis, { color: process.stdout.isTTY })}\n`);
  process.stderr.write(`reports written to ${path.join(dir, 'report.md')} and report.html\n`);
  return analysis;
}

function regenerate(dir: string, pairing: Pairing | undefined): void {
  const stored = readJson<StoredComparison>(path.join(dir, 'compare.json'));
  const trials: Trial[] = stored.files.map((f) => ({ ...f, result: upgradeResult(readJson<BenchResult>(path.join(dir, f.file))) }));
  const options: AnalysisOptions = { pairing: pairing ?? stored.pairing ?? 'independent', ...(stored.saturation && { saturation: stored.saturation }) };
  const analysis = writeReports(dir, trials, stored.arms.map((a) => a.name), { runId: stored.runId, command: stored.command, machine: stored.machine, trials: stored.trials, seed: stored.seed }, options);
  // compare.json carries the analysis too: rewritten with it, so that its verdicts stay report.md's.
  writeFileAtomically(path.join(dir, 'compare.json'), JSON.stringify({ ...stored, ...analysis, runId: stored.runId, command: stored.command, machine: stored.machine, trials: stored.trials, seed: stored.seed }, null, 2) + '\n');
}

function compareFiles(files: readonly string[], out: string): void {
  const results = files.map((f) => upgradeResult(readJson<BenchResult>(f)));
  const scenarios = new Set(results.map((r) => r.scenario.name));
  if (scenarios.size > 1) throw new UsageError('ERR_BAD_REPORT_INPUT', `the files must be runs of one scenario, got ${[...scenarios].join(', ')}`);
  // One arm per file, named after its model (numbered when two files share a model).
  const labels = results.map(modelLabel);
  const names = labels.map((label, i) => (labels.filter((l) => l === label).length > 1 ? `${label}#${labels.slice(0, i + 1).filter((l) => l === label).length}` : label));
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-report`;
  const dir = path.join(out, runId);
  mkdirSync(dir, { recursive: true });
  const trials: Trial[] = results.map((result, i) => ({ scenario: result.scenario.name, arm: names[i]!, round: 1, file: path.resolve(files[i]!), result }));
  writeReports(dir, trials, names, { runId, command: `npm run report -- ${files.join(' ')}`, machine: machinesLabel(results.map((r, i) => ({ name: names[i]!, environment: r.environment }))), trials: 1, seed: 1 });
}

function main(): void {
  program.parse();
  const paths = program.args;
  const { out, paired, independent } = program.opts<{ out: string; paired?: boolean; independent?: boolean }>();
  if (paired && independent) throw new UsageError('ERR_BAD_OPTION', 'give --paired or --independent, not both');
  const pairing: Pairing | undefined = paired ? 'by-round' : independent ? 'independent' : undefined;
  const isDir = (p: string): boolean => {
    try {
      return statSync(p).isDirectory();
    } catch {
      throw new UsageError('ERR_BAD_REPORT_INPUT', `${p}: no such file or folder`);
    }
  };
  if (paths.length === 1 && isDir(paths[0]!)) return regenerate(paths[0]!, pairing);
  if (paths.length < 2 || paths.some(isDir)) throw new UsageError('ERR_BAD_OPTION', 'give one comparison folder (results/<run id>) or two or more bench result files');
  // Single stored results have no rounds to pair: pairing is a comparison folder's option only.
  if (pairing !== undefined) throw new UsageError('ERR_BAD_OPTION', '--paired and --independent re-analyse a comparison folder; stored result files have no rounds to pair');
  compareFiles(paths, out);
}

runMain(async () => main());
