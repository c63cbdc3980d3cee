/**
 * Turns a comparison's trials into findings: per scenario and arm, the median of each metric over
 * the trials with its interval; per metric, each arm's ratio to the reference arm (the first) with
 * its interval; and a one-line verdict that calls a difference significant only when the ratio's
 * interval leaves 1.0. Pure: from results to an analysis, nothing run, nothing printed.
 */
import { median } from 'simple-statistics';
import { seededRandom } from '../loadgen/random.ts';
import type { BenchResult, CompletedResult } from '../loadgen/result.ts';
import type { PrimaryMetric } from '../loadgen/scenario.ts';
import { CONFIDENCE, EQUIVALENCE_MARGIN, estimateMedian, estimatePairedRatio, estimateRatio, isEquivalent, trialsToDecide, type Estimate, type RatioEstimate } from './statistics.ts';

/**
 * 2: medians' intervals exact (order statistics), `pairing`, saturation trials.
 * 3: faulty trials (lost, surplus or altered deliveries) counted per arm, and no latency verdict for
 *    an arm with one (`withheld`); censored searches counted, and no ratio from them.
 */
export const COMPARE_SCHEMA_VERSION = 3;

/** A metric a verdict can stand on: a scenario's primary metric, or the sustainable rate of a saturation comparison. */
export type MetricKey = PrimaryMetric | 'sustainableRate';

/** One trial of a saturation comparison: a whole search for the highest rate held within the p99 bound. */
export interface SaturationTrial {
  readonly sloP99Ms: number;
  /** Highest rate held; null when even the first rate failed. */
  readonly sustainableRate: number | null;
  readonly limitedBy: 'server' | 'loadgen' | 'max-rate';
  readonly points: readonly { readonly rate: number; readonly ok: boolean; readonly reason?: string; readonly file: string }[];
}

export interface MetricDefinition {
  readonly key: MetricKey;
  readonly label: string;
  readonly unit: 'ms' | 'msg/s' | '%' | 's' | 'entries';
  /** Which way is better, for the wording of a verdict. */
  readonly better: 'lower' | 'higher';
  /** The figure of a trial: its result, and its search when the trial was one. */
  readonly read: (r: CompletedResult, saturation?: SaturationTrial) => number | undefined;
}

/** µs → ms; an empty histogram's null (or a figure the run lacks) is no value, never 0. */
const msOf = (us: number | null | undefined): number | undefined => (us === null || us === undefined ? undefined : us / 1000);

/** Latency of echoes where there are echoes (the healthy clients' traffic), else of every delivery. */
const mainLatency = (r: CompletedResult) => r.latencyByKind.echo?.summary ?? r.latency;

export const METRICS: readonly MetricDefinition[] = [
  { key: 'p50', label: 'latency p50', unit: 'ms', better: 'lower', read: (r) => msOf(mainLatency(r).p50) },
  { key: 'p99', label: 'latency p99', unit: 'ms', better: 'lower', read: (r) => msOf(mainLatency(r).p99) },
  { key: 'throughput', label: 'received/s', unit: 'msg/s', better: 'higher', read: (r) => r.messages.receivedPerSec },
  { key: 'fanoutP99', label: 'fan-out p99', unit: 'ms', better: 'lower', read: (r) => msOf(r.fanout?.completion.p99) },
  // The fault-isolation experiment (only runs that injected its fault have these).
  { key: 'servedAfterFault', label: 'clients served after the fault', unit: '%', better: 'higher', read: (r) => (r.fault && r.fault.activeBefore > 0 ? (r.fault.servedAfter / r.fault.activeBefore) * 100 : undefined) },
  { key: 'secondsDisrupted', label: 'seconds disrupted after the fault', unit: 's', better: 'lower', read: (r) => r.fault?.secondsDisrupted },
  { key: 'ghosts', label: 'ghost registry entries', unit: 'entries', better: 'lower', read: (r) => r.fault?.ghosts ?? undefined },
  // Saturation comparisons only (`compare --find-saturation`).
  { key: 'sustainableRate', label: 'sustainable rate within the p99 bound', unit: 'msg/s', better: 'higher', read: (_r, s) => s?.sustainableRate ?? undefined },
];

/** The primary metric of a scenario that names none (and of results stored before scenarios named one). */
export const HEADLINE_METRIC: MetricDefinition['key'] = 'p99';

export interface Trial {
  readonly scenario: string;
  readonly arm: string;
  readonly round: number;
  readonly file: string;
  /** A plain trial's result; in a saturation trial, the run at the highest rate that held (or the first, when none did). */
  readonly result: BenchResult;
  readonly saturation?: SaturationTrial;
}

export interface ArmSummary {
  readonly arm: string;
  readonly trials: number;
  readonly completed: number;
  /** Trials whose figures are not the server's alone, or that show a failure: counted, never hidden. */
  readonly saturated: number;
  readonly stalled: number;
  readonly unbalanced: number;
  /** Trials whose deliveries were faulty (loss the scenario does not cause, surplus, altered frames), and what the first of them shows. */
  readonly faulty: number;
  readonly faultNote?: string;
  /** Fault-isolation trials in which some clients were no longer served after the fault, and the median share still served (%). */
  readonly unserved?: { readonly trials: number; readonly servedPercent: number };
  /**
   * Saturation comparisons: searches whose answer is no rate, or only a lower bound — `censored`,
   * ended by the load generator (its limit, or a failing point that was its own) or by --max-rate.
   */
  readonly searches?: { readonly noRateHeld: number; readonly reachedMaxRate: number; readonly censored: number };
  readonly metrics: Partial<Record<MetricKey, Estimate>>;
}

export interface RatioFinding {
  readonly metric: MetricKey;
  readonly arm: string;
  readonly reference: string;
  readonly estimate: RatioEstimate;
  /**
   * The reference's median is 0 (no client served, say), so arm / reference has no value: the
   * estimate is the other way round, reference / arm, and reads "has … where … has none".
   */
  readonly inverse?: true;
}

export interface ScenarioComparison {
  readonly scenario: string;
  /** The metric the verdict stands on, named by the scenario (p99 unless it names another); others are exploratory. */
  readonly primaryMetric: MetricKey;
  readonly arms: readonly ArmSummary[];
  readonly ratios: readonly RatioFinding[];
  /** Metrics of an arm that get no ratio, and why: latency of a faulty arm, a censored search's rate. */
  readonly withheld?: readonly { readonly arm: string; readonly metrics: readonly MetricKey[]; readonly reason: string }[];
  /**
   * One line: for each arm, every metric on which it differs significantly from the reference,
   * or "no significant difference" with the p99 ratio when it differs on none.
   */
  readonly verdict: string;
}

export interface ComparisonAnalysis {
  readonly schemaVersion: typeof COMPARE_SCHEMA_VERSION;
  readonly confidence: number;
  readonly reference: string;
  /**
   * How ratios are estimated: each arm's trials resampled on their own (`independent`), or the
   * median of per-round ratios (`by-round`, `--paired`: the interleaving makes each round a pair).
   */
  readonly pairing: Pairing;
  /** A saturation comparison: every trial was a search, and the verdict stands on the sustainable rate. */
  readonly saturation?: { readonly sloP99Ms: number };
  readonly scenarios: readonly ScenarioComparison[];
}

export type Pairing = 'independent' | 'by-round';

export interface AnalysisOptions {
  readonly pairing?: Pairing;
  /** Set for a saturation comparison: only the sustainable rate is compared. */
  readonly saturation?: { readonly sloP99Ms: number };
}

const metricValue = (t: Trial, metric: MetricDefinition): number | undefined => (t.result.status === 'completed' ? metric.read(t.result, t.saturation) : undefined);

const completedValues = (trials: readonly Trial[], metric: MetricDefinition): number[] =>
  trials.flatMap((t) => {
    const v = metricValue(t, metric);
    return v === undefined ? [] : [v];
  });

/** The arm's and the reference's values of the rounds where both have one. */
function pairsByRound(arm: readonly Trial[], reference: readonly Trial[], metric: MetricDefinition): [number, number][] {
  return arm.flatMap((t) => {
    const a = metricValue(t, metric);
    const ref = reference.find((r) => r.round === t.round);
    const b = ref && metricValue(ref, metric);
    return a === undefined || b === undefined ? [] : [[a, b] as [number, number]];
  });
}

/** The metrics a faulty trial cannot speak for: a latency of deliveries that went missing or came twice is not the server's latency. */
const LATENCY_METRICS: readonly MetricKey[] = ['p50', 'p99', 'fanoutP99'];

/** Why an arm's ratios on these metrics would flatter or mislead, or undefined when they would not. */
function withholding(a: ArmSummary, saturation: boolean): { metrics: readonly MetricKey[]; reason: string } | undefined {
  if (saturation) {
    const censored = a.searches?.censored ?? 0;
    const none = a.searches?.noRateHeld ?? 0;
    const reasons = [
      censored > 0 ? `${censored} of ${a.trials} ${a.arm} searches censored (stopped by the load generator or --max-rate: their rates are lower bounds)` : '',
      none > 0 ? `${none} of ${a.trials} ${a.arm} searches held no rate (below the first rate tried: no value)` : '',
    ].filter((r) => r !== '');
    return reasons.length > 0 ? { metrics: ['sustainableRate'], reason: reasons.join('; ') } : undefined;
  }
  if (a.faulty > 0) return { metrics: LATENCY_METRICS, reason: `${a.arm} ${a.faultNote ?? 'had faulty deliveries'} in ${a.faulty} of ${a.trials} trials` };
  // An arm that stopped serving clients after its fault has a latency only of what it still answered.
  if (a.unserved) return { metrics: LATENCY_METRICS, reason: `${a.arm} served ${a.unserved.servedPercent}% of its clients after the fault (median of ${a.unserved.trials} of ${a.trials} trials): its latency covers only what it answered` };
  return undefined;
}

/** Why `arm`'s ratio to `reference` on `metric` is withheld; a reference withheld there withholds every arm's ratio to it. */
function withheldReasons(withheld: NonNullable<ScenarioComparison['withheld']>, arm: string, reference: string, metric: MetricKey): string[] {
  return withheld.filter((w) => (w.arm === arm || w.arm === reference) && w.metrics.includes(metric)).map((w) => w.reason);
}

export function analyse(trials: readonly Trial[], arms: readonly string[], seed: number, options: AnalysisOptions = {}): ComparisonAnalysis {
  const random = seededRandom(seed);
  const reference = arms[0]!;
  const pairing = options.pairing ?? 'independent';
  // A saturation trial's other figures were measured at each arm's own limit, not at one rate: not comparable.
  const metrics = METRICS.filter((m) => (options.saturation ? m.key === 'sustainableRate' : m.key !== 'sustainableRate'));
  const scenarios = [...new Set(trials.map((t) => t.scenario))];
  return {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    confidence: CONFIDENCE,
    reference,
    pairing,
    ...(options.saturation && { saturation: options.saturation }),
    scenarios: scenarios.map((scenario) => {
      const of = (arm: string): Trial[] => trials.filter((t) => t.scenario === scenario && t.arm === arm);
      const summaries = arms.map((arm) => summarizeArm(arm, of(arm), metrics));
      const withheld = summaries.flatMap((a) => {
        const w = withholding(a, options.saturation !== undefined);
        return w ? [{ arm: a.arm, ...w }] : [];
      });
      const isWithheld = (arm: string, metric: MetricKey): boolean => withheldReasons(withheld, arm, reference, metric).length > 0;
      const ratios: RatioFinding[] = [];
      for (const metric of metrics) {
        const base = completedValues(of(reference), metric);
        for (const arm of arms.slice(1)) {
          if (base.length === 0 || isWithheld(arm, metric.key)) continue;
          const values = completedValues(of(arm), metric);
          const estimate = pairing === 'by-round' ? estimatePairedRatio(pairsByRound(of(arm), of(reference), metric)) : estimateRatio(values, base, random);
          if (estimate) ratios.push({ metric: metric.key, arm, reference, estimate });
          else if (pairing === 'independent' && median(base) === 0) {
            // A reference at 0 (the unsupervised actor serves nobody after its fault): read it the other way round.
            const inverse = estimateRatio(base, values, random);
            if (inverse) ratios.push({ metric: metric.key, arm, reference, estimate: inverse, inverse: true });
          }
        }
      }
      const named = trials.find((t) => t.scenario === scenario && t.result.scenario.primaryMetric)?.result.scenario.primaryMetric;
      const primaryMetric: MetricKey = options.saturation ? 'sustainableRate' : (named ?? HEADLINE_METRIC);
      return { scenario, primaryMetric, arms: summaries, ratios, ...(withheld.length > 0 && { withheld }), verdict: verdictLine(ratios, summaries, reference, primaryMetric, withheld) };
    }),
  };
}

function summarizeArm(arm: string, trials: readonly Trial[], definitions: readonly MetricDefinition[]): ArmSummary {
  const completed = trials.filter((t): t is Trial & { result: CompletedResult } => t.result.status === 'completed');
  const faulty = completed.filter((t) => t.result.integrity.verdict === 'faulty');
  const unserved = completed.flatMap((t) => {
    const f = t.result.fault;
    return f && f.activeBefore > 0 && f.servedAfter < f.activeBefore ? [(f.servedAfter / f.activeBefore) * 100] : [];
  });
  const metrics: ArmSummary['metrics'] = {};
  for (const metric of definitions) {
    const values = completedValues(trials, metric);
    if (values.length > 0) metrics[metric.key] = estimateMedian(values);
  }
  return {
    arm,
    trials: trials.length,
    completed: completed.length,
    // A search ended by the load generator found a lower bound of the server's rate, not its limit.
    saturated: completed.filter((t) => t.result.verdict === 'loadgen-saturated' || t.saturation?.limitedBy === 'loadgen').length,
    stalled: completed.filter((t) => t.result.stall !== undefined).length,
    // A balance that could not be established (no server counts) is not a clean one.
    unbalanced: completed.filter((t) => t.result.accounting.balanced !== true).length,
    faulty: faulty.length,
    ...(faulty[0] && { faultNote: faulty[0].result.integrity.problems.join(', ') }),
    ...(unserved.length > 0 && { unserved: { trials: unserved.length, servedPercent: Math.round(median(unserved) * 10) / 10 } }),
    ...(trials.some((t) => t.saturation) && {
      searches: {
        noRateHeld: trials.filter((t) => t.saturation?.sustainableRate === null).length,
        reachedMaxRate: trials.filter((t) => t.saturation?.limitedBy === 'max-rate').length,
        censored: trials.filter((t) => t.saturation && t.saturation.sustainableRate !== null && t.saturation.limitedBy !== 'server').length,
      },
    }),
    metrics,
  };
}

/** Two decimals; two significant digits for a ratio far below 1 (0.00031, not 0.00); a large one as a factor (14,355, not 14355.26). */
export const fixed = (x: number): string => (Math.abs(x) >= 10 ? factor(x) : x === 0 || Math.abs(x) >= 0.1 ? x.toFixed(2) : x.toPrecision(2));

/** A factor as people read it: 1.31, 12.4, 3,200. */
const factor = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2));

/**
 * "mutex 1.31× higher p99 than actor (CI 1.22–1.40)"; a ratio below 1 reads as its inverse
 * ("3,200× lower p50 … (CI 2,900–3,500×)"), never as "0.00031× lower"; or "no significant difference".
 */
export function describeRatio(finding: RatioFinding): string {
  const metric = METRICS.find((m) => m.key === finding.metric)!;
  const { ratio, low, high, significant } = finding.estimate;
  const ci = `CI ${fixed(low)}–${fixed(high)}`;
  const name = metric.key === 'throughput' ? 'throughput' : metric.label.replace('latency ', '');
  if (finding.inverse) return describeInverse(finding, name);
  if (finding.estimate.singleRuns) return `${finding.arm} vs ${finding.reference}: ${name} ratio ${fixed(ratio)} from single runs (no interval, no verdict)`;
  if (finding.estimate.tooFewPairs) return `${finding.arm} vs ${finding.reference}: ${name} ratio ${fixed(ratio)} paired over ${finding.estimate.trials} rounds (${ci}, covering ${Math.round((finding.estimate.coverage ?? 0) * 1000) / 10}%): no verdict — a 95% paired interval needs at least 6 rounds`;
  if (!significant) {
    const margin = `${Math.round(EQUIVALENCE_MARGIN * 100)}%`;
    if (isEquivalent(finding.estimate)) return `${finding.arm} vs ${finding.reference}: equivalent within ${margin} in ${name} (ratio ${fixed(ratio)}, ${ci})`;
    const needed = trialsToDecide(finding.estimate);
    const more = needed === undefined ? 'more trials needed' : `more trials needed (about ${needed} per arm)`;
    return `${finding.arm} vs ${finding.reference}: no significant difference in ${name}, not equivalent within ${margin} either — inconclusive, ${more} (ratio ${fixed(ratio)}, ${ci})`;
  }
  if (ratio >= 1) return `${finding.arm} ${factor(ratio)}× higher ${name} than ${finding.reference} (${ci})`;
  if (high === 0) return `${finding.arm} has no ${name} where ${finding.reference} has some (ratio 0 in every resample)`;
  const inverse = low === 0 ? `at least ${factor(1 / high)}×` : `${factor(1 / high)}–${factor(1 / low)}×`;
  return `${finding.arm} ${factor(1 / ratio)}× lower ${name} than ${finding.reference} (CI of the ratio ${fixed(low)}–${fixed(high)}: ${inverse} lower)`;
}

/** A finding whose reference is 0, estimated as reference / arm. */
function describeInverse(finding: RatioFinding, name: string): string {
  const { low, high, significant, singleRuns } = finding.estimate;
  if (singleRuns) return `${finding.arm} vs ${finding.reference}: ${finding.reference} has no ${name}, ${finding.arm} some, from single runs (no interval, no verdict)`;
  const ci = `ratio of ${finding.reference} to ${finding.arm} CI ${fixed(low)}–${fixed(high)}`;
  if (!significant) return `${finding.arm} vs ${finding.reference}: no significant difference in ${name} (${finding.reference}'s median is 0; ${ci})`;
  return `${finding.arm} has ${name} where ${finding.reference} has none (${high === 0 ? `${finding.reference}'s is 0 in every resample` : ci})`;
}

/** The arms that differ significantly from the reference on some metric, and how. */
export function significantFindings(ratios: readonly RatioFinding[], arm: string): RatioFinding[] {
  return ratios.filter((r) => r.arm === arm && r.estimate.significant);
}

/**
 * Per arm: the finding on the primary metric (a difference, equivalence, or inconclusive), then
 * any other metric that differs, labelled exploratory (not corrected for multiple comparisons).
 */
function verdictLine(ratios: readonly RatioFinding[], arms: readonly ArmSummary[], reference: string, primary: MetricKey, withheld: NonNullable<ScenarioComparison['withheld']>): string {
  const parts = arms.slice(1).map((a) => {
    const main = ratios.find((r) => r.arm === a.arm && r.metric === primary);
    const others = significantFindings(ratios, a.arm).filter((r) => r.metric !== primary);
    const why = withheldReasons(withheld, a.arm, reference, primary);
    const head = main ? describeRatio(main) : why.length > 0 ? `${a.arm} vs ${reference}: verdict withheld: ${why.join('; ')}` : `${a.arm}: no ${primary} to compare with ${reference}`;
    return others.length > 0 ? `${head}; exploratory: ${others.map(describeRatio).join(', ')}` : head;
  });
  const caveats = arms.map((a) => ({ arm: a.arm, notes: armCaveats(a, { balance: false }) })).filter((c) => c.notes.length > 0);
  const caveat = caveats.length > 0 ? ` [${caveats.map((c) => `${c.arm}: ${c.notes.join(', ')}`).join('; ')}]` : '';
  return parts.join('; ') + caveat;
}

/**
 * What to know about an arm's trials before reading its figures, one phrase each: failures,
 * saturation, stalls, searches that held no rate or hit the ceiling, and (in the tables) balance.
 * The verdict, the tables and the Markdown all read this one list.
 */
export function armCaveats(a: ArmSummary, o: { readonly balance: boolean }): string[] {
  return [
    a.completed < a.trials ? `${a.trials - a.completed} failed` : '',
    a.faulty ? `${a.faulty} faulty (${a.faultNote ?? 'deliveries'})` : '',
    a.saturated ? `${a.saturated} loadgen-saturated` : '',
    a.stalled ? `${a.stalled} stalled` : '',
    o.balance && a.unbalanced ? `${a.unbalanced} unbalanced` : '',
    a.searches?.noRateHeld ? `${a.searches.noRateHeld} search(es) held no rate, not even the first (left out of the median)` : '',
    a.searches?.reachedMaxRate ? `${a.searches.reachedMaxRate} search(es) reached --max-rate (a lower bound)` : '',
    a.searches?.censored ? `${a.searches.censored} search(es) censored: rate ≥ the one found` : '',
  ].filter((note) => note !== '');
}
