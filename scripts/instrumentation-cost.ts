/**
 * What do the servers' own metrics cost? For each model, this replays the same open-loop echo at a
 * fixed rate against a fresh server with metrics on and one started with --no-metrics, interleaved
 * in ABBA order over several trials, server and load generator pinned to separate CPUs where
 * taskset allows. It compares the server's CPU time per message (read from /proc), which on this
 * shared machine is far steadier than maximum throughput (that swings ±40% from minute to minute),
 * and turns it into the throughput a CPU-bound server would lose: 1 − bare CPU / instrumented CPU.
 * Then one more instrumented run under --cpu-prof attributes, within that single run, the share of
 * the server's steady-state CPU spent in instrumentation code.
 *
 *   npm run instrumentation-cost -- --trials 10 --duration 3 --rate 15000
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import Table from 'cli-table3';
import { parseIntegerOption, parseNumberOption } from '../common/usage.ts';
import { median } from './median.ts';
import { describeEnvironment } from '../loadgen/result.ts';
import { runLoad } from '../loadgen/runner.ts';
import { spawnServer } from '../loadgen/server-process.ts';
import type { ModelName } from '../servers/common/registry.ts';
import { attributeProfile, type Attribution } from './profile-attribution.ts';

const program = new Command()
  .name('npm run instrumentation-cost --')
  .description('Measure the throughput cost of the servers\u2019 contention metrics (instrumented vs --no-metrics).')
  .option('--models <list>', 'models to measure', 'actor,mutex')
  .option('--clients <n>', 'sockets', '100')
  .option('--rate <msgs/s>', 'echoes per second, open loop (below what either arm saturates at)', '15000')
  .option('--duration <seconds>', 'measured seconds per trial', '3')
  .option('--trials <n>', 'trials per arm, interleaved', '8')
  .option('--out <dir>', 'folder for the JSON result', 'results')
  .option('--no-profile', 'skip the profiled run that attributes the instrumented server\u2019s CPU');

type Arm = 'instrumented' | 'bare';

/** Pins this process to CPU 1 and returns the server's CPU list, when taskset and 2 CPUs exist. */
function pin(): string | undefined {
  if (os.cpus().length < 2 || spawnSync('taskset', ['-cp', '1', String(process.pid)]).status !== 0) return undefined;
  return '0';
}

/** Server CPU time (user + system) of a process so far, in µs, from /proc/<pid>/stat. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the whole line)
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}
const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** One trial: server CPU µs per delivered echo over the measured phase. */
async function trial(model: ModelName, arm: Arm, clients: number, rate: number, durationMs: number, cpus: string | undefined, profileDir?: string): Promise<number> {
  const server = await spawnServer({
    model,
    host: '127.0.0.1',
    port: 0,
    extraArgs: arm === 'bare' ? ['--no-metrics'] : [],
    ...(cpus && { cpus }),
    ...(profileDir && { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] }),
  });
  try {
    let cpuAtStart = 0;
    let cpuUsed = 0;
    const m = await runLoad(
      {
        url: server.url,
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
      },
      {
        observer: {
          phase: (phase) => {
            if (phase === 'measure') cpuAtStart = cpuMicros(server.pid);
            else if (phase === 'drain') cpuUsed = cpuMicros(server.pid) - cpuAtStart;
          },
        },
      },
    );
    if (m.lost > 0 || m.counters.errorTotal > 0) throw new Error(`${model} ${arm} trial was not clean: ${m.lost} lost, ${m.counters.errorTotal} errors`);
    if (m.selfCheck.saturated) throw new Error(`${model} ${arm} trial: the load generator was saturated (${m.selfCheck.reason}); lower --rate`);
    return cpuUsed / m.counters.received;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{ models: string; clients: string; rate: string; duration: string; trials: string; out: string; profile: boolean }>();
  const models = o.models.split(',') as ModelName[];
  const clients = parseIntegerOption('--clients', o.clients, 1, 10_000);
  const rate = parseNumberOption('--rate', o.rate, 0);
  const durationMs = Math.round(parseNumberOption('--duration', o.duration, 0) * 1000);
  const trials = parseIntegerOption('--trials', o.trials, 1, 50);
  const cpus = pin();
  process.stderr.write(cpus ? 'server pinned to CPU 0, load generator to CPU 1\n' : 'not pinned\n');

  const results: Record<string, { instrumentedCpuUsPerMessage: number[]; bareCpuUsPerMessage: number[]; pairedRatios: number[]; ratio: number; throughputCost: number; profile?: Attribution }> = {};
  const table = new Table({ head: ['model', 'server CPU µs/msg, instrumented (median)', 'bare (median)', 'instrumented / bare', 'median of paired', 'A/B cost', 'profile: instrumentation share'] });
  for (const model of models) {
    const figures: Record<Arm, number[]> = { instrumented: [], bare: [] };
    for (let t = 1; t <= trials; t++) {
      const order: Arm[] = t % 2 === 1 ? ['instrumented', 'bare'] : ['bare', 'instrumented'];
      for (const arm of order) figures[arm].push(await trial(model, arm, clients, rate, durationMs, cpus));
      process.stderr.write(`${model} trial ${t}/${trials}: instrumented ${figures.instrumented.at(-1)!.toFixed(2)} µs/msg, bare ${figures.bare.at(-1)!.toFixed(2)} µs/msg\n`);
    }
    const pairedRatios = figures.instrumented.map((v, i) => v / figures.bare[i]!);
    const ratio = median(figures.instrumented) / median(figures.bare);
    const throughputCost = 1 - 1 / median(pairedRatios);
    let profile: Attribution | undefined;
    if (o.profile) {
      // One more instrumented run under the CPU profiler: within a single run, what share of the
      // server's busy time is spent in instrumentation code (immune to drift between runs).
      const dir = mkdtempSync(path.join(os.tmpdir(), 'instrumentation-profile-'));
      await trial(model, 'instrumented', clients, rate, durationMs * 2, cpus, dir);
      profile = attributeProfile(dir);
    }
    results[model] = { instrumentedCpuUsPerMessage: figures.instrumented, bareCpuUsPerMessage: figures.bare, pairedRatios, ratio, throughputCost, ...(profile && { profile }) };
    table.push([
      model,
      median(figures.instrumented).toFixed(2),
      median(figures.bare).toFixed(2),
      `${(ratio * 100).toFixed(1)}%`,
      `${(median(pairedRatios) * 100).toFixed(1)}%`,
      `${(throughputCost * 100).toFixed(1)}%`,
      profile ? `${(profile.share * 100).toFixed(2)}% of ${profile.busy} samples` : '-',
    ]);
  }
  process.stdout.write(
    `${table.toString()}\nA/B cost = 1 − 1 / (median paired CPU ratio): what a CPU-bound server loses, noisy between runs on a shared machine;\nprofile share = instrumentation's part of the instrumented server's steady-state CPU within one run; bar: under 5%\n`,
  );
  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `${new Date().toISOString().replace(/[:.]/g, '-')}-instrumentation-cost.json`);
  writeFileSync(file, JSON.stringify({ kind: 'instrumentation-cost', schemaVersion: 1, clients, rate, durationMs, trials, pinned: cpus !== undefined, environment: describeEnvironment(), results }, null, 2) + '\n');
  process.stderr.write(`result written to ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof Error && error.name === 'UsageError' ? 2 : 1);
});
