/**
 * Runs the scenario library against the models, one fresh server per run, and prints whether each
 * run held up: accounting balanced (delivered + dropped by policy + refused == expected), the
 * registry empty once the clients left, a stall if there was one, and the latency that matters.
 * `slow-consumers` runs once per slow-consumer policy, next to a control run of the same traffic in
 * which the would-be slow readers keep reading (for the "healthy p99 within 2×" check).
 *
 *   npm run scenario-matrix -- --clients 10000
 */
import { mkdirSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import path from 'node:path';
import { Command } from 'commander';
import Table from 'cli-table3';
import { alreadyRaised, checkFileLimit, readFileLimits, rerunWithFileLimit } from '../common/file-limit.ts';
import { parseIntegerOption } from '../common/usage.ts';
import { runBench } from '../loadgen/bench.ts';
import { resolveBenchPlan } from '../loadgen/plan.ts';
import { benchArgs, benchOptions, type BenchOptions } from '../loadgen/bench-options.ts';
import { unfinishedSummary, type BenchResult, type CompletedResult } from '../loadgen/result.ts';
import { listScenarioNames, loadScenario } from '../loadgen/scenario.ts';
import { SLOW_CONSUMER_POLICIES, type SlowConsumerPolicyName } from '../common/slow-consumer-policy.ts';
import { parseModelList, type ModelName } from '../common/models.ts';
import { runMain } from '../common/main.ts';
import { EXIT } from '../common/exit-codes.ts';

const program = new Command()
  .name('npm run scenario-matrix --')
  .description('Run every scenario of the library against each model and check its accounting.')
  .option('--models <list>', 'models to run', 'actor,mutex')
  .option('--scenarios <list>', 'scenarios to run (default: the whole library)')
  .option('--clients <n>', 'clients for every scenario (default: each scenario\u2019s own)')
  .option('--out <dir>', 'folder for the results (a subfolder per matrix run)', 'results');

interface Row {
  readonly scenario: string;
  readonly model: string;
  readonly policy: string;
  readonly file: string;
  readonly result: BenchResult;
}

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<{ models: string; scenarios?: string; clients?: string; out: string }>();
  const scenarios = o.scenarios ? o.scenarios.split(',') : listScenarioNames();
  const clients = o.clients === undefined ? undefined : parseIntegerOption('--clients', o.clients, 2);
  const models = parseModelList('--models', o.models);
  const largest = clients ?? Math.max(...scenarios.map((s) => loadScenario(s).clients));
  const limits = readFileLimits();
  if (checkFileLimit(largest, limits) === 'raise' && !alreadyRaised()) return rerunWithFileLimit(limits.hard);

  const dir = path.join(o.out, `${new Date().toISOString().replace(/[:.]/g, '-')}-scenario-matrix`);
  mkdirSync(dir, { recursive: true });
  const rows: Row[] = [];
  const run = async (scenario: string, model: ModelName, policy: SlowConsumerPolicyName, extra: Partial<BenchOptions> = {}, label = scenario): Promise<void> => {
    const options = benchOptions({ scenario, model, drainTimeoutSeconds: 30, outDir: dir, ...(clients !== undefined && { clients }), ...(policy !== 'await' && { slowConsumerPolicy: policy }), ...extra });
    const plan = resolveBenchPlan(options);
    process.stderr.write(`${label} · ${model}${policy !== 'await' ? ` · ${policy}` : ''} …\n`);
    const result = await runBench(plan, benchArgs(options));
    const file = path.join(dir, `${label}-${model}-${policy}.json`);
    writeFileAtomically(file, JSON.stringify(result, null, 2) + '\n');
    rows.push({ scenario: label, model, policy, file, result });
    process.stderr.write(`  ${summary(result).join(' | ')}\n`);
  };
  for (const scenario of scenarios) {
    for (const model of models) {
      if (scenario !== 'slow-consumers') {
        await run(scenario, model, 'await');
        continue;
      }
      // The same traffic with readers that keep reading: the healthy p99 to compare the policies with.
      await run(scenario, model, 'await', { stopReading: false }, `${scenario}-control`);
      for (const policy of SLOW_CONSUMER_POLICIES) await run(scenario, model, policy);
    }
  }

  const table = new Table({ head: ['scenario', 'model', 'policy', 'status', 'stall', 'echo/kind p50 / p99', 'delivered + dropped + refused = expected', 'registry after', 'notes'] });
  for (const r of rows) table.push([r.scenario, r.model, r.policy, ...summary(r.result)]);
  process.stdout.write(`${table.toString()}\n`);
  writeFileAtomically(path.join(dir, 'summary.json'), JSON.stringify(rows.map(({ result, ...rest }) => ({ ...rest, summary: summary(result) })), null, 2) + '\n');
  process.stderr.write(`results written to ${dir}\n`);
  return rows.every((r) => r.result.status === 'completed') ? EXIT.success : EXIT.runFailed;
}

/** status, stall, latency, accounting, registry, notes. */
function summary(result: BenchResult): string[] {
  if (result.status !== 'completed') return [result.status.toUpperCase(), '', '', unfinishedSummary(result), '', ''];
  const r: CompletedResult = result;
  const ms = (us: number | null): string => (us === null ? "—" : `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}`);
  const main = r.latencyByKind.echo?.summary ?? r.latency;
  const a = r.accounting;
  const balance = `${a.delivered.toLocaleString('en-US')} + ${a.droppedByPolicy ?? '?'} + ${a.refusedTargetGone} = ${a.expected.toLocaleString('en-US')} ${a.balanced ? 'balanced' : a.balanced === null ? 'unknown' : `${a.unexplained} UNEXPLAINED`}`;
  const notes = [
    r.verdict !== 'ok' ? r.verdict : '',
    r.churn ? `churn ${r.churn.left}/${r.churn.joined}` : '',
    r.slowConsumerPolicy && r.slowConsumerPolicy.disconnected > 0 ? `${r.slowConsumerPolicy.disconnected} disconnected` : '',
    ...r.trafficPhases.filter((p) => p.recoveredAfterSeconds !== undefined).map((p) => `recovered after ${p.recoveredAfterSeconds ?? 'never'} s`),
    r.http ? r.http.routes.map((h) => `${h.method} ${h.path} p99 ${h.latencyMs.p99} ms`).join(', ') : '',
    r.http?.adminBroadcasts ? `HTTP broadcast deliveries ${r.http.adminBroadcasts.delivered}/${r.http.adminBroadcasts.expectedDeliveries ?? '?'}` : '',
    r.fanout ? `fan-out p99 ${ms(r.fanout.completion.p99)} ms` : '',
  ].filter(Boolean);
  return [
    `${r.connections.open}/${r.connections.requested} open`,
    r.stall ? `from s${r.stall.beganAtSecond}, ${r.stall.stalledSeconds} s` : '-',
    `${ms(main.p50)} / ${ms(main.p99)} ms`,
    balance,
    r.registry.countAfterClose === undefined ? '?' : String(r.registry.countAfterClose),
    notes.join('; '),
  ];
}

runMain(main);
