/**
 * `npm run microbench`: tinybench microbenchmarks of the servers' coordination primitives, in one
 * process, no sockets (see cases.ts). Prints a cli-table3 table (work per second, mean and p99 per
 * iteration, relative margin of error) and writes the typed result as JSON under results/.
 */
import { mkdirSync } from 'node:fs';
import { writeJsonAtomically } from '../common/atomic-write.ts';
import path from 'node:path';
import Table from 'cli-table3';
import { Command } from 'commander';
import { parseIntegerOption, UsageError } from '../common/usage.ts';
import { runMain } from '../common/main.ts';
import { EXIT } from '../common/exit-codes.ts';
import { allCases } from './cases.ts';
import { runMicrobench, type CaseFigure } from './run.ts';
import { currentRuntime, runtimeLabel, warnIfUnpinned } from '../common/runtime.ts';

const program = new Command()
  .name('npm run microbench --')
  .description('Microbenchmarks of the coordination primitives: lock acquire/release, registry round trips, broadcast into in-memory queues, at 1, 10 and 100 concurrent tasks.')
  .option('--time <ms>', 'minimum measured time per case', '500')
  .option('--iterations <n>', 'minimum iterations per case', '10')
  .option('--warmup <ms>', 'warm-up time per case', '100')
  .option('--filter <regex>', 'only the cases whose name matches (case-insensitive), e.g. "broadcast to 1,000" or "lock"')
  .option('--list', 'list the cases (those --filter matches) and exit')
  .option('--out <dir>', 'folder for the JSON result', 'results')
  .addHelpText('after', '\nExamples:\n  npm run microbench\n  npm run microbench -- --filter "round trip" --time 1000');

const UNIT: Record<CaseFigure['group'], string> = { lock: 'acquisitions/s', 'round-trip': 'replies/s', broadcast: 'frames/s' };

const number = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(x >= 10 ? 1 : 2));

function table(figures: readonly CaseFigure[]): string {
  // Colours only on a terminal: a file or a CI log gets plain text.
  const plain = !process.stdout.isTTY;
  const t = new Table({ head: ['case', 'work/s', 'mean µs', 'p99 µs', '± rme', 'samples'], colAligns: ['left', 'right', 'right', 'right', 'right', 'right'], ...(plain && { style: { head: [], border: [] } }) });
  for (const f of figures) {
    if (f.state === 'failed') t.push([f.name, { colSpan: 5, content: `FAILED: ${f.error ?? ''}` }]);
    else t.push([f.name, `${number(f.unitsPerSecond)} ${UNIT[f.group]}`, number(f.meanUs), number(f.p99Us), `${f.rmePercent.toFixed(1)}%`, String(f.samples)]);
  }
  return t.toString();
}

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<{ time: string; iterations: string; warmup: string; filter?: string; list?: boolean; out: string }>();
  const options = { timeMs: parseIntegerOption('--time', o.time, 1, 600_000), iterations: parseIntegerOption('--iterations', o.iterations, 1, 1_000_000), warmupMs: parseIntegerOption('--warmup', o.warmup, 0, 60_000) };
  let pattern: RegExp | undefined;
  try {
    pattern = o.filter === undefined ? undefined : new RegExp(o.filter, 'i');
  } catch {
    throw new UsageError('ERR_BAD_OPTION', `--filter must be a regular expression, got '${o.filter}'`);
  }
  const cases = allCases().filter((c) => !pattern || pattern.test(c.name));
  if (o.list) {
    process.stdout.write(`${cases.map((c) => c.name).join('\n')}\n`);
    return EXIT.success;
  }
  if (cases.length === 0) throw new UsageError('ERR_BAD_OPTION', `--filter '${o.filter}' matches no case; --list shows them`);
  process.stderr.write(`${cases.length} cases, at least ${options.timeMs} ms and ${options.iterations} iterations each, on ${runtimeLabel(currentRuntime())}\n`);
  warnIfUnpinned();
  const result = await runMicrobench(cases, options, (f, i) => process.stderr.write(`[${i + 1}/${cases.length}] ${f.name}: ${f.state === 'completed' ? `${number(f.unitsPerSecond)} ${UNIT[f.group]} ±${f.rmePercent.toFixed(1)}%` : `FAILED: ${f.error}`}\n`));
  process.stdout.write(`${table(result.cases)}\nwork/s: units of work per second (lock acquisitions, registry replies, or frames delivered to queues); mean and p99 per iteration, each iteration one unit per task (a broadcast: one per receiver per task)\n`);
  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `${result.createdAt.replace(/[:.]/g, '-')}-microbench.json`);
  writeJsonAtomically(file, result);
  process.stderr.write(`result written to ${file}\n`);
  return result.state === 'completed' ? EXIT.success : EXIT.runFailed;
}

runMain(main);
