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
import { checkoutNode } from '../common/runtime.ts';
import type { ModelName } from '../common/models.ts';
import { processTreeCpuNs, startSideServer, type ServerSource } from './side-server.ts';
import { MICROBENCH_FILTER, type Cell, type TrialMetric } from './suite.ts';

export type TrialFigures = Readonly<Record<TrialMetric, number>>;

/**
 * A trial's outcome: its figures, or why it has none. Two kinds of why, kept apart because they
 * mean opposite things: a `hole` is the load generator's own self-check failing (the trial says
 * nothing about the server, and is replaced); a `failure` is the side's server failing (it did not
 * start, exited, answered nothing, dropped connections, or lost, duplicated, misrouted or altered
 * deliveries), which repeated on the retry fails the gate for that side.
 */
export interface TrialOutcome {
  readonly file: string;
  readonly figures?: TrialFigures;
  readonly hole?: string;
  readonly failure?: string;
  /** Errors by cause the trial saw (the gate compares head's with base's after the rounds). */
  readonly errors?: Readonly<Record<string, number>>;
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
    return { file: t.file, failure: `the server did not start: ${error instanceof Error ? error.message : String(error)}` };
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
    // A run that lost every connection may end before the exit of its server is seen: wait for it a moment.
    if (result.status === 'failed') await waitFor(() => server.exited(), SERVER_EXIT_GRACE_MS);
    if (server.exited()) return { file: t.file, result, failure: `the server exited during the run${result.status === 'failed' ? ` (${result.error.message})` : ''}` };
    return { file: t.file, result, ...judge(result, cpuAtStart, cpuAtEnd) };
  } finally {
    await server.stop();
  }
}

const SERVER_EXIT_GRACE_MS = 2000;

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  for (const until = Date.now() + ms; !condition() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
}

/** The trial's figures; or the server's failure; or, when the server did its part, the load generator's failed self-check. */
function judge(r: BenchResult, cpuAtStart: number | undefined, cpuAtEnd: number | undefined): Omit<TrialOutcome, 'file'> {
  if (r.status === 'interrupted') return { hole: unfinishedSummary(r) };
  if (r.status === 'failed') return { failure: r.error.message };
  const errors = { errors: r.errors.byCause };
  // The server's failures first: a lossy server is never excused by a load generator that was also behind.
  if (r.integrity.verdict === 'faulty') return { ...errors, failure: `faulty deliveries: ${r.integrity.problems.join(', ')}` };
  if (r.connections.failed > 0) return { ...errors, failure: `${r.connections.failed} of ${r.connections.requested} connections failed to open` };
  if (r.connections.lostDuringRun > 0) return { ...errors, failure: `${r.connections.lostDuringRun} connections were closed by the server during the run` };
  const latency = r.latencyByKind.echo?.summary ?? r.latency;
  if (latency.p50 === null || latency.p99 === null) return { ...errors, failure: 'no delivery was timed' };
  if (r.verdict !== 'ok') return { ...errors, hole: `loadgen-saturated: ${r.selfCheck.reason ?? 'its self-check failed'}` };
  if (cpuAtStart === undefined || cpuAtEnd === undefined) return { ...errors, hole: "the server's CPU time could not be read from /proc" };
  const handled = Math.max(1, r.messages.sent);
  return {
    ...errors,
    figures: { p50: latency.p50 / 1000, p99: latency.p99 / 1000, throughput: r.messages.receivedPerSec, cpuPerMessage: (cpuAtEnd - cpuAtStart) / 1000 / handled },
  };
}

export interface MicrobenchPass {
  readonly checkoutDir: string;
  readonly cpus?: string;
  readonly file: string;
}

/** Mean µs per iteration per case, from one `microbench` process in the side's checkout. */
/** A pass whose cases fail is a failure of that side's code (repeated on its retry, it fails the gate for that side). */
export async function runMicrobenchPass(p: MicrobenchPass): Promise<{ file: string; means?: Record<string, number>; failure?: string }> {
  const out = mkdtempSync(path.join(os.tmpdir(), 'regress-microbench-'));
  const node = [checkoutNode(p.checkoutDir), '--import', 'tsx', 'microbench/cli.ts', '--filter', MICROBENCH_FILTER, '--time', '200', '--warmup', '50', '--out', out];
  const argv = p.cpus === undefined ? node : ['taskset', '-c', p.cpus, ...node];
  try {
    await promisify(execFile)(argv[0]!, argv.slice(1), { cwd: p.checkoutDir, maxBuffer: 16 << 20 });
    const [name] = readdirSync(out).filter((f) => f.endsWith('-microbench.json'));
    if (!name) return { file: p.file, failure: 'microbench wrote no result' };
    const result = JSON.parse(readFileSync(path.join(out, name), 'utf8')) as { state: string; cases: { name: string; state: string; meanUs: number; error?: string }[] };
    writeJsonAtomically(p.file, result);
    const failed = result.cases.filter((c) => c.state !== 'completed');
    if (failed.length > 0) return { file: p.file, failure: `microbench cases failed: ${failed.map((c) => `${c.name} (${c.error ?? ''})`).join('; ')}` };
    return { file: p.file, means: Object.fromEntries(result.cases.map((c) => [c.name, c.meanUs])) };
  } catch (error) {
    return { file: p.file, failure: `microbench failed: ${(error as { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? String(error)}` };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
