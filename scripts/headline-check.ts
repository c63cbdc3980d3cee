/**
 * Is the headline run the server's? Runs `npm run bench` (a fresh load-generator process each
 * time, as a user would) several times per model, alternating the models, and prints for each run
 * the load generator's self-check: saturated or not, send lag p99, its own event-loop delay p99
 * and its longest pause. The README's figures next to the example output come from here. Exits 3
 * (gate failed) when any run was loadgen-saturated or had a loop-delay p99 of 10 ms or more.
 *
 *   npm run headline-check -- --runs 5 --clients 10000
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import Table from 'cli-table3';
import { parseIntegerOption } from '../common/usage.ts';
import { describeEnvironment, type BenchResult, type CompletedResult } from '../loadgen/result.ts';
import { runMain } from '../common/main.ts';
import { EXIT } from '../common/exit-codes.ts';
import { parseModelList } from '../common/models.ts';
import { currentRuntime, runtimeLabel, warnIfUnpinned } from '../common/runtime.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN_TIMEOUT_MS = 600_000;

const program = new Command()
  .name('npm run headline-check --')
  .description("Run the headline bench several times per model in fresh processes; tabulate the load generator's self-check.")
  .option('--models <list>', 'models, comma-separated, alternated run by run', 'actor,mutex')
  .option('--runs <n>', 'runs per model', '5')
  .option('--clients <n>', 'clients', '10000')
  .option('--out <dir>', 'folder for the results and the summary', 'results');

interface Row {
  readonly model: string;
  readonly run: number;
  readonly file: string;
  readonly saturated: boolean;
  readonly sendLagP99Ms: number | null;
  readonly loopDelayP99Ms: number | null;
  readonly loopDelayMaxMs: number | null;
  readonly cpuPercent: number;
  readonly latencyP99Ms: number | null;
  readonly lost: number;
}

function bench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'loadgen/cli.ts', ...args], { cwd: ROOT, timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      const file = /result written to (\S+)/.exec(stderr)?.[1];
      if (file) resolve(path.resolve(ROOT, file));
      else reject(new Error(`bench ${args.join(' ')} failed: ${stderr.trim().split('\n').at(-1) ?? error?.message}`));
    });
  });
}

const ms = (us: number | null): number | null => (us === null ? null : Math.round(us / 100) / 10);

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<{ models: string; runs: string; clients: string; out: string }>();
  const runs = parseIntegerOption('--runs', o.runs, 1, 100);
  const clients = parseIntegerOption('--clients', o.clients, 1, 1_000_000);
  const models = parseModelList('--models', o.models);
  const rows: Row[] = [];
  warnIfUnpinned();
  for (let run = 1; run <= runs; run++) {
    for (const model of models) {
      const file = await bench(['--model', model, '--clients', String(clients), '--out', o.out]);
      const result = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
      if (result.status !== 'completed') throw new Error(`${model} run ${run} did not complete (${result.status}); its result: ${path.relative(ROOT, file)}`);
      const r: CompletedResult = result;
      const s = r.selfCheck;
      const row: Row = {
        model,
        run,
        file: path.relative(ROOT, file),
        saturated: s.saturated,
        sendLagP99Ms: ms(s.sendLag.p99),
        loopDelayP99Ms: ms(s.eventLoopDelay.p99),
        loopDelayMaxMs: ms(s.eventLoopDelay.max),
        cpuPercent: s.cpuPercent,
        latencyP99Ms: ms(r.latency.p99),
        lost: r.messages.lost,
      };
      rows.push(row);
      process.stderr.write(`${model} run ${run}: ${row.saturated ? 'LOADGEN-SATURATED' : 'not saturated'}, send lag p99 ${row.sendLagP99Ms} ms, loop delay p99 ${row.loopDelayP99Ms} ms, max ${row.loopDelayMaxMs} ms\n`);
    }
  }
  const table = new Table({ ...(!process.stdout.isTTY && { style: { head: [], border: [] } }), head: ['model', 'run', 'saturated', 'send lag p99', 'loop delay p99', 'loop delay max', 'loadgen CPU', 'latency p99', 'lost'] });
  for (const r of rows) table.push([r.model, r.run, r.saturated ? 'YES' : 'no', `${r.sendLagP99Ms} ms`, `${r.loopDelayP99Ms} ms`, `${r.loopDelayMaxMs} ms`, `${r.cpuPercent}%`, `${r.latencyP99Ms} ms`, r.lost]);
  const saturated = rows.filter((r) => r.saturated).length;
  const over = rows.filter((r) => (r.loopDelayP99Ms ?? 0) >= 10).length;
  process.stdout.write(`${table.toString()}\n${runtimeLabel(currentRuntime())}: ${saturated} of ${rows.length} runs loadgen-saturated; ${over} with the load generator's loop-delay p99 at 10 ms or more\n`);
  mkdirSync(o.out, { recursive: true });
  const summary = path.join(o.out, `${new Date().toISOString().replace(/[:.]/g, '-')}-headline-check.json`);
  writeFileAtomically(summary, JSON.stringify({ kind: 'headline-check', schemaVersion: 1, options: o, node: process.version, environment: describeEnvironment(), rows }, null, 2) + '\n');
  process.stderr.write(`summary written to ${summary}\n`);
  return saturated === 0 && over === 0 ? EXIT.success : EXIT.gateFailed;
}

runMain(main);
