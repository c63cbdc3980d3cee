/**
 * One trial of the gate: a side's server started fresh (from its checkout, or its --server-cmd),
 * driven by this checkout's load generator through the shared trial runner, its CPU read from
 * /proc over the measured window; or one microbenchmark pass run in a side's checkout. Each result
 * is written to raw/ as it arrives.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { benchArgs, benchOptions, type BenchOptions } from '../loadgen/bench-options.ts';
import { resolveBenchPlan } from '../loadgen/plan.ts';
import { unfinishedSummary, type BenchResult } from '../loadgen/result.ts';
import { runTrial } from '../loadgen/trial-runner.ts';
import { writeJsonAtomically } from '../common/atomic-write.ts';
import type { ModelName } from '../common/models.ts';
import { processTreeCpuNs, startSideServer, type ServerSource } from './side-server.ts';
import { MICROBENCH_FILTER, type Cell, type TrialMetric } from './suite.ts';

export type TrialFigures = Readonly<Record<TrialMetric, number>>;

/** A trial's outcome: its figures when its self-check passed, else why not. */
export interface TrialOutcome {
  readonly file: string;
  readonly figures?: TrialFigures;
  /** Why the trial cannot be used (failed, loadgen-saturated, unbalanced, no CPU figure). */
  readonly problem?: string;
}

export interface E2eTrial {
  readonly cell: Cell;
  readonly source: ServerSource;
  readonly load: Pick<BenchOptions, 'clients' | 'warmupSeconds' | 'durationSeconds' | 'rate' | 'closedLoop' | 'seed'>;
  readonly serverCpus?: string;
  /** Absolute path of the result. */
  readonly file: string;
  /** An interrupt: the trial ends early. */
  readonly signal?: AbortSignal;
}

export async function runE2eTrial(t: E2eTrial): Promise<TrialOutcome & { result?: BenchResult }> {
  const model = (t.source.kind === 'model' ? t.cell.model : 'actor') as ModelName;
  let server;
  try {
    server = await startSideServer(t.source, model, t.serverCpus);
  } catch (error) {
    return { file: t.file, problem: `the server did not start: ${error instanceof Error ? error.message : String(error)}` };
  }
  const pid = server.pid;
  let cpuAtStart: number | undefined;
  let cpuAtEnd: number | undefined;
  try {
    const options = benchOptions({ ...t.load, scenario: t.cell.scenario, target: server.url, drainTimeoutSeconds: 10 });
    const observer = {
      phase: (phase: string) => {
        if (phase === 'measure') cpuAtStart = processTreeCpuNs(pid);
        if (phase === 'drain') cpuAtEnd = processTreeCpuNs(pid);
      },
    };
    const { result } = await runTrial({ plan: resolveBenchPlan(options), argv: [...benchArgs(options), `(regress ${t.cell.scenario} · ${t.cell.model})`], file: t.file, observer, ...(t.signal && { signal: t.signal }) });
    if (server.exited()) return { file: t.file, result, problem: 'the server exited during the run' };
    return { file: t.file, result, ...judge(result, cpuAtStart, cpuAtEnd) };
  } finally {
    await server.stop();
  }
}

/** The trial's figures, or the self-check that failed. */
function judge(r: BenchResult, cpuAtStart: number | undefined, cpuAtEnd: number | undefined): { figures?: TrialFigures; problem?: string } {
  if (r.status !== 'completed') return { problem: unfinishedSummary(r) };
  if (r.verdict !== 'ok') return { problem: `loadgen-saturated: ${r.selfCheck.reason ?? 'its self-check failed'}` };
  if (r.messages.lost > 0 || r.messages.unexpected > 0) return { problem: `${r.messages.lost} lost and ${r.messages.unexpected} unexpected messages` };
  if (cpuAtStart === undefined || cpuAtEnd === undefined) return { problem: "the server's CPU time could not be read from /proc" };
  const latency = r.latencyByKind.echo?.summary ?? r.latency;
  if (latency.p50 === null || latency.p99 === null) return { problem: 'no delivery was timed' };
  const handled = Math.max(1, r.messages.sent);
  return {
    figures: { p50: latency.p50 / 1000, p99: latency.p99 / 1000, throughput: r.messages.receivedPerSec, cpuPerMessage: (cpuAtEnd - cpuAtStart) / 1000 / handled },
  };
}

export interface MicrobenchPass {
  readonly checkoutDir: string;
  readonly cpus?: string;
  readonly file: string;
}

/** Mean µs per iteration per case, from one `microbench` process in the side's checkout. */
export async function runMicrobenchPass(p: MicrobenchPass): Promise<{ file: string; means?: Record<string, number>; problem?: string }> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'regress-microbench-'));
  const node = [process.execPath, '--import', 'tsx', 'microbench/cli.ts', '--filter', MICROBENCH_FILTER, '--time', '200', '--warmup', '50', '--out', out];
  const argv = p.cpus === undefined ? node : ['taskset', '-c', p.cpus, ...node];
  try {
    await promisify(execFile)(argv[0]!, argv.slice(1), { cwd: p.checkoutDir, maxBuffer: 16 << 20 });
    const [name] = readdirSync(out).filter((f) => f.endsWith('-microbench.json'));
    if (!name) return { file: p.file, problem: 'microbench wrote no result' };
    const result = JSON.parse(readFileSync(path.join(out, name), 'utf8')) as { state: string; cases: { name: string; state: string; meanUs: number; error?: string }[] };
    writeJsonAtomically(p.file, result);
    const failed = result.cases.filter((c) => c.state !== 'completed');
    if (failed.length > 0) return { file: p.file, problem: `microbench cases failed: ${failed.map((c) => `${c.name} (${c.error ?? ''})`).join('; ')}` };
    return { file: p.file, means: Object.fromEntries(result.cases.map((c) => [c.name, c.meanUs])) };
  } catch (error) {
    return { file: p.file, problem: `microbench failed: ${(error as { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? String(error)}` };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
