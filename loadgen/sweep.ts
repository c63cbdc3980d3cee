/**
 * Runs one scenario at several points: a sweep over clients or rate (the curve), or a search for
 * the highest open-loop rate a model sustains within a p99 bound (`--find-saturation`). The search
 * multiplies the rate until a point fails, then bisects between the last good and the first bad
 * point. A point fails when its p99 exceeds the bound, or it lost messages, had errors or stalled;
 * when the load generator itself could not keep up, the search stops there and says so, since the
 * server's limit is then beyond what this load generator can show.
 */
import { UsageError } from '../common/usage.ts';
import { unfinishedSummary, type BenchResult } from './result.ts';

export const SWEEP_PARAMETERS = ['clients', 'rate'] as const;
export type SweepParameter = (typeof SWEEP_PARAMETERS)[number];

export interface SweepSpec {
  readonly parameter: SweepParameter;
  readonly values: readonly number[];
}

/** Parses `clients=1000,2500,5000` or `rate=500,1000`. */
export function parseSweep(text: string): SweepSpec {
  const match = /^([a-z]+)=(.+)$/.exec(text);
  const parameter = match?.[1];
  if (!match || !parameter || !(SWEEP_PARAMETERS as readonly string[]).includes(parameter)) {
    throw new UsageError('ERR_BAD_OPTION', `--sweep must look like ${SWEEP_PARAMETERS.map((p) => `${p}=N,N,…`).join(' or ')}, got '${text}'`);
  }
  const values = match[2]!.split(',').map((v) => Number(v.trim()));
  const integer = parameter === 'clients';
  const bad = values.find((v) => !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)));
  if (bad !== undefined || values.length === 0) {
    throw new UsageError('ERR_BAD_OPTION', `--sweep ${parameter} values must be ${integer ? 'integers' : 'numbers'} > 0 separated by commas, got '${match[2]}'`);
  }
  return { parameter: parameter as SweepParameter, values };
}

/** Parses a latency bound such as `50ms`, `0.5s` or `50` (ms) into ms. */
export function parseLatencyBound(option: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : NaN;
  if (!(value > 0)) throw new UsageError('ERR_BAD_OPTION', `${option} must be a duration > 0 such as 50ms or 0.5s, got '${text}'`);
  return value;
}

export type PointOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly loadgenLimited: boolean };

/** Error causes a slow-consumer policy produces by design: not failures of the point. */
const POLICY_CAUSES = new Set(['closed-by-server:1008', 'server:unknown-client']);

/**
 * Whether a run sustained its rate within the p99 bound, and why not. The server's own failures
 * (a stall, deliveries nobody can account for, errors) are judged before the load generator's
 * saturation, which a stalled server can cause too (its late replies arrive in a flood).
 */
export function judgePoint(result: BenchResult, sloP99Ms: number): PointOutcome {
  if (result.status !== 'completed') return { ok: false, reason: unfinishedSummary(result), loadgenLimited: false };
  if (result.stall) return { ok: false, reason: `server stalled from second ${result.stall.beganAtSecond}`, loadgenLimited: false };
  // Loss the scenario causes (stopped readers) is excused; any other loss, surplus or altered frame fails the point.
  if (result.integrity.verdict === 'faulty') return { ok: false, reason: result.integrity.problems.join(', '), loadgenLimited: false };
  const errors = Object.entries(result.errors.byCause).reduce((sum, [cause, n]) => sum + (POLICY_CAUSES.has(cause) ? 0 : n), 0);
  if (errors > 0) return { ok: false, reason: `${errors} errors`, loadgenLimited: false };
  if (result.verdict === 'loadgen-saturated') return { ok: false, reason: `load generator saturated (${result.selfCheck.reason ?? ''})`, loadgenLimited: true };
  if (result.latency.p99 === null) return { ok: false, reason: 'no delivery to time', loadgenLimited: false };
  const p99Ms = result.latency.p99 / 1000;
  if (p99Ms > sloP99Ms) return { ok: false, reason: `p99 ${p99Ms.toFixed(1)} ms > ${sloP99Ms} ms`, loadgenLimited: false };
  return { ok: true };
}

export interface SaturationSearch {
  readonly startRate: number;
  /** Factor between points until the first failure. */
  readonly growth: number;
  /** Bisection steps between the last good and the first bad rate. */
  readonly refineSteps: number;
  /** Never try more than this. */
  readonly maxRate: number;
}

export interface SaturationOutcome {
  /** Highest rate that held, or undefined when even the first point failed. */
  readonly sustainableRate: number | undefined;
  /** What ended the search. */
  readonly limitedBy: 'server' | 'loadgen' | 'max-rate';
  readonly points: readonly { readonly rate: number; readonly outcome: PointOutcome }[];
}

/** The steps every search takes (bench --find-saturation and compare --find-saturation alike): ×1.5 up, then 3 bisections. */
export const SATURATION_STEPS = { growth: 1.5, refineSteps: 3 } as const;

/** The search strategy, apart from running anything: `probe` runs one point. */
export async function findSaturation(search: SaturationSearch, probe: (rate: number) => Promise<PointOutcome>): Promise<SaturationOutcome> {
  const points: { rate: number; outcome: PointOutcome }[] = [];
  const tryRate = async (rate: number): Promise<PointOutcome> => {
    const outcome = await probe(Math.round(rate));
    points.push({ rate: Math.round(rate), outcome });
    return outcome;
  };
  let good: number | undefined;
  let bad = Number.NaN;
  for (let rate = search.startRate; ; rate *= search.growth) {
    if (rate > search.maxRate) return { sustainableRate: rounded(good), limitedBy: 'max-rate', points };
    const outcome = await tryRate(rate);
    if (!outcome.ok) {
      if (outcome.loadgenLimited) return { sustainableRate: rounded(good), limitedBy: 'loadgen', points };
      bad = rate;
      break;
    }
    good = rate;
  }
  // A server failure bounds the answer from above: a load generator giving out while bisecting
  // below it only ends the refinement early, it does not change who set the limit.
  for (let step = 0; step < search.refineSteps && good !== undefined; step++) {
    const mid: number = (good + bad) / 2;
    const outcome = await tryRate(mid);
    if (outcome.ok) good = mid;
    else if (outcome.loadgenLimited) break;
    else bad = mid;
  }
  return { sustainableRate: rounded(good), limitedBy: 'server', points };
}

/** Rates are tried rounded (×1.5 steps go fractional): the answer names a rate that was tried. */
const rounded = (rate: number | undefined): number | undefined => (rate === undefined ? undefined : Math.round(rate));
