/**
 * Runs the microbenchmark cases with tinybench and turns each task into a typed figure: measuring
 * apart from printing (the CLI prints and writes). Each case's fixture is built before its task and
 * closed after it; after the task, the work the fixture counted must equal what the iterations
 * claim, or the case is marked failed — a benchmark of work that did not happen is no benchmark.
 */
import { Bench } from 'tinybench';
import { describeEnvironment, type Environment } from '../loadgen/result.ts';
import type { Fixture, MicrobenchCase } from './cases.ts';

export const MICROBENCH_SCHEMA_VERSION = 1;

export interface MicrobenchOptions {
  /** Minimum measured milliseconds per case. */
  readonly timeMs: number;
  /** Minimum iterations per case (a slow case still gets this many samples). */
  readonly iterations: number;
  readonly warmupMs: number;
}

/** A case's identity, as its definition gives it. */
type CaseIdentity = Pick<MicrobenchCase, 'name' | 'group' | 'subject' | 'concurrency' | 'receivers' | 'unitsPerIteration'>;

export interface CaseFigure extends CaseIdentity {
  readonly state: 'completed' | 'failed';
  /** Why a failed case failed. */
  readonly error?: string;
  /** Measured iterations (samples). */
  readonly samples: number;
  /** Units of work per second: acquisitions, replies or frames delivered. */
  readonly unitsPerSecond: number;
  /** Per iteration, µs. */
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Relative margin of error of the mean, %. */
  readonly rmePercent: number;
}

export interface MicrobenchResult {
  readonly kind: 'microbench';
  readonly schemaVersion: typeof MICROBENCH_SCHEMA_VERSION;
  readonly state: 'completed' | 'failed';
  readonly createdAt: string;
  readonly options: MicrobenchOptions;
  readonly environment: Environment;
  readonly cases: readonly CaseFigure[];
}

/** One case: its own Bench, so its fixture lives only while it runs. */
async function runCase(c: MicrobenchCase, o: MicrobenchOptions): Promise<CaseFigure> {
  const identity: CaseIdentity = { name: c.name, group: c.group, subject: c.subject, concurrency: c.concurrency, ...(c.receivers !== undefined && { receivers: c.receivers }), unitsPerIteration: c.unitsPerIteration };
  const empty = { samples: 0, unitsPerSecond: 0, meanUs: 0, p50Us: 0, p99Us: 0, rmePercent: 0 };
  let fixture: Fixture | undefined;
  let iterations = 0;
  try {
    fixture = c.setup();
    const f = fixture;
    // --warmup 0 means none: tinybench would otherwise still run its 16 warm-up iterations.
    const bench = new Bench({ time: o.timeMs, iterations: o.iterations, warmup: o.warmupMs > 0, warmupTime: o.warmupMs, warmupIterations: o.warmupMs > 0 ? 16 : 0, throws: true });
    bench.add(c.name, async () => {
      iterations++;
      await f.run();
    });
    await bench.run();
    const result = bench.tasks[0]?.result;
    if (!result || result.state !== 'completed') return { ...identity, state: 'failed', error: `tinybench ended the task in state ${result?.state ?? 'unknown'}`, ...empty };
    const expected = iterations * c.unitsPerIteration;
    const figures = {
      samples: result.latency.samplesCount,
      // Work over time (mean latency), not tinybench's mean of per-sample rates, which skewed samples inflate.
      unitsPerSecond: (c.unitsPerIteration * 1000) / result.latency.mean,
      meanUs: result.latency.mean * 1000,
      p50Us: result.latency.p50 * 1000,
      p99Us: result.latency.p99 * 1000,
      rmePercent: result.latency.rme,
    };
    if (f.done() !== expected) return { ...identity, state: 'failed', error: `did ${f.done()} units of work where ${iterations} iterations claim ${expected}`, ...figures };
    return { ...identity, state: 'completed', ...figures };
  } catch (error) {
    return { ...identity, state: 'failed', error: error instanceof Error ? error.message : String(error), ...empty };
  } finally {
    fixture?.close();
  }
}

export async function runMicrobench(cases: readonly MicrobenchCase[], o: MicrobenchOptions, onCase: (figure: CaseFigure, index: number) => void = () => undefined): Promise<MicrobenchResult> {
  const figures: CaseFigure[] = [];
  for (const [i, c] of cases.entries()) {
    const figure = await runCase(c, o);
    figures.push(figure);
    onCase(figure, i);
  }
  return {
    kind: 'microbench',
    schemaVersion: MICROBENCH_SCHEMA_VERSION,
    state: figures.every((f) => f.state === 'completed') ? 'completed' : 'failed',
    createdAt: new Date().toISOString(),
    options: o,
    environment: describeEnvironment(),
    cases: figures,
  };
}
