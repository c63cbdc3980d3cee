/**
 * What do the servers' own metrics cost? For each model, one server runs one open-loop echo load at
 * a fixed rate, and its recording is switched off and on in alternating windows (ABBA order, through
 * the debug route POST /debug/metrics-recording, which answers with the server's CPU clock). Each
 * window's server CPU time at the same offered load is compared with its neighbour's: instrumented
 * vs bare within the same run, the same process, the same sockets and the same JIT state. On this
 * shared machine that is far steadier than comparing separate server processes, whose CPU per
 * message differs by ±10% between identical runs. A CPU-bound server's lost throughput is then
 * 1 − bare CPU / instrumented CPU. One more run under --cpu-prof attributes, within that run, the
 * share of the server's steady-state CPU spent in instrumentation code.
 *
 *   npm run instrumentation-cost -- --windows 20 --window 2 --rate 15000
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import Table from 'cli-table3';
import { parseIntegerOption, parseNumberOption, UsageError } from '../common/usage.ts';
import { median } from './median.ts';
import { estimateMedian } from '../compare/statistics.ts';
import { describeEnvironment } from '../loadgen/result.ts';
import { runLoad } from '../loadgen/runner.ts';
import type { LoadPlan } from '../loadgen/plan.ts';
import { spawnServer, type ServerProcess } from '../loadgen/server-process.ts';
import { adminAuthHeaders } from '../common/admin-token.ts';
import { parseModelList, type ModelName } from '../common/models.ts';
import { attributeProfile, type Attribution } from './profile-attribution.ts';
import { pinLoadGenerator, SERVER_CPU } from '../loadgen/pinning.ts';
import { runMain } from '../common/main.ts';

const program = new Command()
  .name('npm run instrumentation-cost --')
  .description('Measure the throughput cost of the servers\u2019 contention metrics (recording on vs off, alternating windows of one run).')
  .option('--models <list>', 'models to measure', 'actor,mutex')
  .option('--clients <n>', 'sockets', '100')
  .option('--rate <msgs/s>', 'echoes per second, open loop (below what the server saturates at)', '15000')
  .option('--window <seconds>', 'length of one window (recording on or off)', '2')
  .option('--windows <n>', 'windows per model, an even number (half on, half off, ABBA order)', '20')
  .option('--out <dir>', 'folder for the JSON result', 'results')
  .option('--no-profile', 'skip the profiled run that attributes the instrumented server\u2019s CPU');

/** Pins this process to the load generator's CPU and returns the server's, when the machine allows. */
const pin = (): string | undefined => (pinLoadGenerator() ? SERVER_CPU : undefined);

const loadPlan = (url: string, clients: number, rate: number, durationMs: number): LoadPlan => ({
  url,
  clients,
  connectConcurrency: 100,
  connectTimeoutMs: 20_000,
  warmupMs: 1000,
  durationMs,
  mode: { kind: 'open-loop', rate },
  mix: { echo: 1, broadcast: 0, sendTo: 0 },
  messageBytes: 64,
  drainTimeoutMs: 5000,
  maxSendLagMs: 10,
  seed: 1,
});

interface Switch {
  readonly recording: boolean;
  readonly cpuMicros: number;
  readonly atMs: number;
}

async function setRecording(server: ServerProcess, on: boolean): Promise<Switch> {
  const response = await fetch(`http://127.0.0.1:${server.port}/debug/metrics-recording?on=${on}`, { method: 'POST', headers: adminAuthHeaders() });
  if (!response.ok) throw new Error(`POST /debug/metrics-recording answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Switch;
}

/** One window: the server's CPU use (% of one core) with recording on or off. */
interface Window {
  readonly recording: boolean;
  readonly cpuPercent: number;
}

/** Alternates recording in ABBA order; each window's CPU comes from the server's clock at the switches. */
async function alternate(server: ServerProcess, windows: number, windowMs: number): Promise<Window[]> {
  const out: Window[] = [];
  let previous: Switch | undefined;
  for (let w = 0; w <= windows; w++) {
    const pair = Math.floor(w / 2);
    const recording = w === windows ? true : (w % 2 === 0) === (pair % 2 === 0); // on,off, off,on, on,off, …; on again at the end
    const now = await setRecording(server, recording);
    if (previous) out.push({ recording: previous.recording, cpuPercent: ((now.cpuMicros - previous.cpuMicros) / ((now.atMs - previous.atMs) * 1000)) * 100 });
    previous = now;
    if (w < windows) await sleep(windowMs);
  }
  return out;
}

async function measureModel(model: ModelName, clients: number, rate: number, windows: number, windowMs: number, cpus: string | undefined): Promise<Window[]> {
  const server = await spawnServer({ model, host: '127.0.0.1', port: 0, debug: { metricsToggle: true }, ...(cpus && { cpus }) });
  try {
    let alternation: Promise<Window[]> | undefined;
    const m = await runLoad(loadPlan(server.url, clients, rate, windows * windowMs + 1000), {
      observer: { phase: (phase) => void (phase === 'measure' && (alternation = alternate(server, windows, windowMs))) },
    });
    if (!alternation) throw new Error(`${model}: the run never reached its measured phase`);
    const result = await alternation;
    if (m.lost > 0 || m.counters.errorTotal > 0) throw new Error(`${model} run was not clean: ${m.lost} lost, ${m.counters.errorTotal} errors`);
    if (m.selfCheck.saturated) throw new Error(`${model}: the load generator was saturated (${m.selfCheck.reason}); lower --rate`);
    return result;
  } finally {
    await server.stop();
  }
}

/** The profiled run: an instrumented server under --cpu-prof, same load. */
async function profileModel(model: ModelName, clients: number, rate: number, durationMs: number, cpus: string | undefined): Promise<Attribution> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'instrumentation-profile-'));
  const server = await spawnServer({ model, host: '127.0.0.1', port: 0, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir], ...(cpus && { cpus }) });
  try {
    await runLoad(loadPlan(server.url, clients, rate, durationMs));
  } finally {
    await server.stop();
  }
  return attributeProfile(dir);
}

/** Paired cost of each ABBA pair: 1 − bare / instrumented CPU. */
function pairedCosts(windows: readonly Window[]): number[] {
  const costs: number[] = [];
  for (let i = 0; i + 1 < windows.length; i += 2) {
    const on = windows[i]!.recording ? windows[i]! : windows[i + 1]!;
    const off = windows[i]!.recording ? windows[i + 1]! : windows[i]!;
    costs.push(1 - off.cpuPercent / on.cpuPercent);
  }
  return costs;
}

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo);
};
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{ models: string; clients: string; rate: string; window: string; windows: string; out: string; profile: boolean }>();
  const models = parseModelList('--models', o.models);
  const clients = parseIntegerOption('--clients', o.clients, 1, 10_000);
  const rate = parseNumberOption('--rate', o.rate, 0);
  const windowMs = Math.round(parseNumberOption('--window', o.window, 0) * 1000);
  const windows = parseIntegerOption('--windows', o.windows, 2, 200);
  if (windows % 2 !== 0) throw new UsageError('ERR_BAD_OPTION', `--windows must be even (pairs of on and off), got ${windows}`);
  const cpus = pin();
  process.stderr.write(cpus ? 'server pinned to CPU 0, load generator to CPU 1\n' : 'not pinned\n');

  const results: Record<string, { windows: Window[]; pairedCosts: number[]; cost: number; costInterval: { low: number; high: number; coverage: number }; costInterquartile: [number, number]; profile?: Attribution }> = {};
  const table = new Table({ head: ['model', 'server CPU, recording (median)', 'not recording (median)', 'cost, median of pairs', 'interval of the median (coverage)', 'pairs: 25th–75th pct', 'profile: instrumentation share'] });
  for (const model of models) {
    const measured = await measureModel(model, clients, rate, windows, windowMs, cpus);
    const costs = pairedCosts(measured);
    const cost = median(costs);
    // The exact distribution-free interval of the median: "under the bar" only when its top is.
    const { low, high, coverage } = estimateMedian(costs);
    const interquartile: [number, number] = [quantile(costs, 0.25), quantile(costs, 0.75)];
    process.stderr.write(`${model}: paired costs ${costs.map(pct).join(' ')}\n`);
    const profile = o.profile ? await profileModel(model, clients, rate, windowMs * 4, cpus) : undefined;
    results[model] = { windows: measured, pairedCosts: costs, cost, costInterval: { low, high, coverage }, costInterquartile: interquartile, ...(profile && { profile }) };
    table.push([
      model,
      `${median(measured.filter((w) => w.recording).map((w) => w.cpuPercent)).toFixed(1)}%`,
      `${median(measured.filter((w) => !w.recording).map((w) => w.cpuPercent)).toFixed(1)}%`,
      pct(cost),
      `${pct(low)} – ${pct(high)} (${(coverage * 100).toFixed(1)}%)`,
      `${pct(interquartile[0])} – ${pct(interquartile[1])}`,
      profile ? `${pct(profile.share)} of ${profile.busy} samples` : '-',
    ]);
  }
  process.stdout.write(
    `${table.toString()}\ncost = 1 − bare CPU / recording CPU for adjacent windows of one run at the same offered load: the throughput a CPU-bound server loses (bar: under 5%, met only when the interval's top is under it);\nprofile share = instrumentation code's part of the instrumented server's steady-state CPU in a separate run\n`,
  );
  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `${new Date().toISOString().replace(/[:.]/g, '-')}-instrumentation-cost.json`);
  writeFileAtomically(file, JSON.stringify({ kind: 'instrumentation-cost', schemaVersion: 2, method: 'alternating-windows', clients, rate, windowMs, windows, pinned: cpus !== undefined, environment: describeEnvironment(), results }, null, 2) + '\n');
  process.stderr.write(`result written to ${file}\n`);
}

runMain(main);
