/**
 * Runs the gate: base's closed-loop throughput (the load level), then rounds in which every cell
 * and the microbenchmarks run once on each side in a seeded random order. A trial that fails is
 * retried once: a server failure on both attempts ends the run at once with that side named (head:
 * a regression; base: nothing to compare against); a load-generator self-check failure on both
 * leaves a hole, and a cell with holes runs up to MAX_REPLACEMENT_ROUNDS more rounds. Each
 * REGRESSED gating finding is rerun (its cell only, a new seed) and counts only when the rerun agrees.
 */
import path from 'node:path';
import { shuffle } from 'simple-statistics';
import { seededRandom } from '../loadgen/random.ts';
import { cellName, suiteCells, suiteRates, TRIAL_METRICS, type Cell, type SuiteScenario, type SuiteSettings } from './suite.ts';
import { runE2eTrial, runMicrobenchPass, type TrialOutcome } from './trial.ts';
import { findings, type Finding, type Observation, type Side, type Thresholds } from './verdict.ts';
import type { ServerSource } from './side-server.ts';

export interface SideCheckout {
  readonly name: 'base' | 'head';
  /** The ref as given, or `working tree`. */
  readonly ref: string;
  readonly commit?: string;
  readonly dir: string;
  /** Whether this checkout has `npm run microbench` (older commits do not). */
  readonly hasMicrobench: boolean;
}

export interface RegressRunOptions {
  readonly base: SideCheckout;
  readonly head: SideCheckout;
  /** Set for another repository's server: the command each checkout starts. */
  readonly serverCommand?: string;
  readonly suite: SuiteSettings;
  readonly seed: number;
  readonly serverCpus?: string;
  /** Runs base a second time in every round (the A/A arm). */
  readonly calibrate: boolean;
  readonly thresholds: Thresholds;
  readonly dir: string;
  readonly log: (line: string) => void;
  /** An interrupt: the trial under way ends early, nothing else starts, and the run says `interrupted`. */
  readonly signal?: AbortSignal;
}

export interface Confirmation {
  readonly subject: string;
  readonly metric: Finding['metric'];
  readonly seed: number;
  readonly rerun: Finding;
  readonly confirmed: boolean;
}

/** A side's server (or microbenchmarks) failing on a trial and on its retry, or erroring where base did not. */
export interface SideFailure {
  readonly side: Side;
  /** The cell (or `microbench`) it failed in. */
  readonly subject: string;
  readonly round: number;
  readonly cause: string;
  /** The two attempts' result files (raw/), or the rounds of an error comparison. */
  readonly files: readonly string[];
}

/** Extra rounds a cell runs at most to replace rounds that self-check failures left incomplete. */
export const MAX_REPLACEMENT_ROUNDS = 2;

export interface RegressRun {
  /** Base's closed-loop echo throughput per model, and the open-loop rates derived from it. */
  readonly load: Readonly<Record<string, { readonly closedLoopPerSec: number; readonly rates: Readonly<Record<SuiteScenario, number>> }>>;
  readonly observations: readonly Observation[];
  readonly findings: readonly Finding[];
  /** The A/A findings (base#2 vs base), with --calibrate. */
  readonly aaFindings: readonly Finding[];
  readonly confirmations: readonly Confirmation[];
  /** A side that failed (the run stopped there); empty when both sides' servers did their part. */
  readonly failures: readonly SideFailure[];
  /** Replacement rounds run per cell, for rounds that self-check failures left incomplete. */
  readonly replacements: Readonly<Record<string, number>>;
  /** Trials that failed (first attempts included), for the report. */
  readonly problems: readonly { readonly what: string; readonly problem: string }[];
  readonly trials: number;
  /** Set when an interrupt stopped the run: the observations are those so far, and nothing was judged. */
  readonly interrupted?: boolean;
}

const slug = (text: string): string => text.replace(/[^a-zA-Z0-9#]+/g, '-').replace(/-+$/, '');

function sourceOf(side: SideCheckout, o: RegressRunOptions): ServerSource {
  return o.serverCommand === undefined ? { kind: 'model', checkoutDir: side.dir } : { kind: 'command', checkoutDir: side.dir, command: o.serverCommand };
}

/**
 * Base's closed-loop echo throughput per model: the load level of everything after it. A closed
 * loop runs the load generator at its limit, so its self-check is not asked; a server failure is
 * retried once, and a second one is base's failure (the run stops: nothing to compare against).
 */
async function measureLoad(o: RegressRunOptions, models: readonly string[], failures: SideFailure[]): Promise<RegressRun['load']> {
  const load: Record<string, RegressRun['load'][string]> = {};
  for (const model of models) {
    const cell: Cell = { scenario: 'echo', model };
    const attempt = (n: number) =>
      runE2eTrial({
        cell,
        source: sourceOf(o.base, o),
        load: { clients: o.suite.clients, warmupSeconds: o.suite.warmupSeconds, durationSeconds: o.suite.durationSeconds, closedLoop: true, seed: o.seed },
        ...(o.serverCpus !== undefined && { serverCpus: o.serverCpus }),
        file: path.join(o.dir, 'raw', `closed-loop-${slug(model)}${n > 1 ? `-attempt${n}` : ''}.json`),
        ...(o.signal && { signal: o.signal }),
      });
    if (o.signal?.aborted) break;
    const first = await attempt(1);
    if (o.signal?.aborted) break;
    if (first.failure) o.log(`load: base ${model} closed-loop echo: ${first.failure}; retrying once`);
    const outcome = first.failure ? await attempt(2) : first;
    if (o.signal?.aborted) break;
    const r = outcome.result;
    if (outcome.failure || !r || r.status !== 'completed') {
      failures.push({ side: 'base', subject: `closed-loop echo · ${model}`, round: 0, cause: outcome.failure ?? 'no result', files: [first.file, outcome.file] });
      o.log(`load: base ${model} closed-loop echo failed on its retry too: the base side is broken, stopping`);
      break;
    }
    const closedLoopPerSec = Math.round(r.messages.receivedPerSec);
    load[model] = { closedLoopPerSec, rates: suiteRates(closedLoopPerSec, o.suite) };
    o.log(`load: base ${model} closed-loop echo ${closedLoopPerSec} msg/s → echo ${load[model]!.rates.echo} msg/s, broadcast ${load[model]!.rates.broadcast}/s`);
  }
  return load;
}

type Item = { kind: 'cell'; cell: Cell; side: Side } | { kind: 'microbench'; side: Side };

/** The cell an item runs, or `microbench`. */
const subjectOf = (item: Item): string => (item.kind === 'cell' ? cellName(item.cell) : 'microbench');

interface RunState {
  observations: Observation[];
  problems: RegressRun['problems'][number][];
  trials: number;
  failures: SideFailure[];
  errors: TrialErrors[];
  replacements: Record<string, number>;
}

/** The errors a trial saw, for the comparison of head's with base's. */
interface TrialErrors {
  readonly subject: string;
  readonly side: Side;
  readonly round: number;
  readonly errors: Readonly<Record<string, number>>;
}

export async function runRegress(o: RegressRunOptions): Promise<RegressRun> {
  const cells = suiteCells(o.suite);
  const state: RunState = { observations: [], problems: [], trials: 0, failures: [], errors: [], replacements: {} };
  const load = await measureLoad(o, [...new Set(cells.map((c) => c.model))], state.failures);
  const ended = (extra: Partial<RegressRun> = {}): RegressRun => ({ load, observations: state.observations, findings: [], aaFindings: [], confirmations: [], failures: state.failures, replacements: state.replacements, problems: state.problems, trials: state.trials, ...extra });
  if (o.signal?.aborted) return ended({ interrupted: true });
  if (state.failures.length > 0) return ended();
  const sides: Side[] = o.calibrate ? ['base', 'head', 'base#2'] : ['base', 'head'];
  const microbench = o.suite.microbenchRounds > 0 && o.serverCommand === undefined && o.base.hasMicrobench && o.head.hasMicrobench;
  await runRounds(o, { cells, sides, microbench, seed: o.seed, tag: '' }, load, state);
  if (o.signal?.aborted) return ended({ interrupted: true });
  state.failures.push(...errorsWhereBaseHadNone(state.errors));
  if (state.failures.length > 0) return ended();
  const head = findings(state.observations, o.thresholds, 'head');
  const aa = o.calibrate ? findings(state.observations, o.thresholds, 'base#2') : [];
  const confirmations: Confirmation[] = [];
  const suspects = head.filter((x) => x.gating && x.verdict === 'regressed');
  // One rerun per cell (or one microbenchmark rerun), however many of its metrics look regressed.
  const groups = [...new Set(suspects.map((f) => (f.metric === 'microbench' ? 'microbench' : f.subject)))];
  for (const [i, group] of groups.entries()) {
    const seed = o.seed + 1000 + i;
    const cell = cells.find((c) => cellName(c) === group);
    const metrics = suspects.filter((f) => (f.metric === 'microbench' ? 'microbench' : f.subject) === group);
    o.log(`confirming: ${metrics.map((f) => `${f.subject} ${f.metric}`).join(', ')} looked regressed; rerunning ${cell ? 'its cell' : 'the microbenchmarks'} with seed ${seed}`);
    const rerun: RunState = { ...state, observations: [], trials: 0, errors: [], replacements: {} };
    await runRounds(o, { cells: cell ? [cell] : [], sides: ['base', 'head'], microbench: !cell, seed, tag: `-confirm${i + 1}` }, load, rerun);
    state.trials += rerun.trials;
    for (const [subject, n] of Object.entries(rerun.replacements)) state.replacements[`${subject} (confirmation ${i + 1})`] = n;
    if (o.signal?.aborted) return ended({ interrupted: true });
    state.failures.push(...errorsWhereBaseHadNone(rerun.errors));
    if (state.failures.length > 0) return ended();
    const again = findings(rerun.observations, o.thresholds, 'head');
    for (const f of metrics) {
      const repeated = again.find((x) => x.subject === f.subject && x.metric === f.metric);
      if (!repeated) throw new Error(`the confirmation of ${f.subject} ${f.metric} produced no finding`);
      confirmations.push({ subject: f.subject, metric: f.metric, seed, rerun: repeated, confirmed: repeated.verdict === 'regressed' });
    }
  }
  return ended({ findings: head, aaFindings: aa, confirmations });
}

/**
 * Errors on the side under test where base had none: a cell in which head's trials saw errors in
 * at least two rounds (the second a repeat), and base's saw none in any round, fails head.
 */
function errorsWhereBaseHadNone(errors: readonly TrialErrors[]): SideFailure[] {
  const total = (e: TrialErrors): number => Object.values(e.errors).reduce((a, b) => a + b, 0);
  return [...new Set(errors.map((e) => e.subject))].flatMap((subject) => {
    const of = (side: Side) => errors.filter((e) => e.subject === subject && e.side === side);
    if (of('base').some((e) => total(e) > 0)) return [];
    const erring = of('head').filter((e) => total(e) > 0);
    if (erring.length < 2) return [];
    const causes: Record<string, number> = {};
    for (const e of erring) for (const [cause, n] of Object.entries(e.errors)) causes[cause] = (causes[cause] ?? 0) + n;
    const list = Object.entries(causes).sort(([, a], [, b]) => b - a).map(([cause, n]) => `${cause} ×${n}`).join(', ');
    return [{ side: 'head' as const, subject, round: erring[0]!.round, cause: `errors where base had none, in ${erring.length} of ${of('head').length} rounds: ${list}`, files: [] }];
  });
}

interface RoundPlan {
  readonly cells: readonly Cell[];
  readonly sides: readonly Side[];
  readonly microbench: boolean;
  readonly seed: number;
  /** Added to raw file names (confirmation reruns). */
  readonly tag: string;
}

async function runRounds(o: RegressRunOptions, plan: RoundPlan, load: RegressRun['load'], state: RunState): Promise<void> {
  const random = seededRandom(plan.seed);
  const perRound = plan.cells.length + (plan.microbench ? 1 : 0);
  const total = o.suite.rounds * perRound * plan.sides.length;
  for (let round = 1; round <= o.suite.rounds; round++) {
    const items: Item[] = [
      ...plan.cells.flatMap((cell) => plan.sides.map((side): Item => ({ kind: 'cell', cell, side }))),
      ...(plan.microbench && round <= o.suite.microbenchRounds ? plan.sides.map((side): Item => ({ kind: 'microbench', side })) : []),
    ];
    const label = (item: Item) => `[${++state.trials}/${total}${plan.tag}] round ${round} · ${subjectOf(item)} · ${item.side}`;
    if (!(await runItems(o, shuffle(items, random), round, plan, load, state, label))) return;
  }
  // Rounds a self-check failure left incomplete are replaced, a cell at a time, up to MAX_REPLACEMENT_ROUNDS.
  for (const cell of plan.cells) {
    const subject = cellName(cell);
    for (let extra = 1; extra <= MAX_REPLACEMENT_ROUNDS; extra++) {
      const rounds = new Set(state.observations.filter((x) => x.subject === subject).map((x) => x.round));
      const holes = [...rounds].filter((r) => state.observations.some((x) => x.subject === subject && x.round === r && x.value === undefined)).length;
      if (holes < extra) break;
      const round = o.suite.rounds + extra;
      state.replacements[subject] = extra;
      o.log(`${subject}: ${holes} round(s) with a hole; replacement round ${extra} of at most ${MAX_REPLACEMENT_ROUNDS}`);
      const items = plan.sides.map((side): Item => ({ kind: 'cell', cell, side }));
      const label = (item: Item) => `[${++state.trials}, replacement${plan.tag}] round ${round} · ${subject} · ${item.side}`;
      if (!(await runItems(o, shuffle(items, random), round, plan, load, state, label))) return;
    }
  }
}

/** Runs items in order; false when the run must stop (an interrupt, or a side that failed twice). */
async function runItems(o: RegressRunOptions, items: readonly Item[], round: number, plan: RoundPlan, load: RegressRun['load'], state: RunState, label: (item: Item) => string): Promise<boolean> {
  for (const item of items) {
    if (o.signal?.aborted) return false;
    collectGarbage();
    const what = label(item);
    const attempts = await runAttempts(o, item, round, plan, load, what, state);
    if (!attempts) return false; // interrupted: the trial is on disk, not among the observations
    const final = attempts.at(-1)!;
    const subject = subjectOf(item);
    const failed = attempts.filter((x) => x.failure);
    if (failed.length >= 2) {
      state.failures.push({ side: item.side, subject, round, cause: failed.at(-1)!.failure!, files: failed.map((x) => x.file) });
      o.log(`${what}: ${failed.at(-1)!.failure} — failed on its retry too: the ${item.side === 'head' ? 'head' : 'base'} side is broken, stopping`);
      return false;
    }
    if (item.kind === 'cell' && final.errors) state.errors.push({ subject, side: item.side, round, errors: final.errors });
    record(state.observations, item, round, final);
    o.log(`${what}: ${final.failure ?? final.hole ?? summary(final)}`);
  }
  return true;
}

/**
 * A trial and its retries: a failed attempt (a server failure or a hole) is retried once; when the
 * two disagree — a server failure and a hole — a third attempt decides, so that a server failure
 * is never written off as a hole the load generator made. Two server failures end it.
 */
async function runAttempts(o: RegressRunOptions, item: Item, round: number, plan: RoundPlan, load: RegressRun['load'], label: string, state: Pick<RunState, 'problems'>): Promise<ItemOutcome[] | undefined> {
  const problem = (x: ItemOutcome): string => (x.failure ? `server failure: ${x.failure}` : `self-check: ${x.hole!}`);
  const attempts: ItemOutcome[] = [];
  const again = (): boolean => {
    const last = attempts.at(-1);
    if (!last) return true;
    const failures = attempts.filter((x) => x.failure).length;
    if (!(last.failure || last.hole) || failures >= 2 || attempts.length >= 3) return false;
    return attempts.length < 2 || failures === 1;
  };
  while (again()) {
    const outcome = await runItem(o, item, round, plan, load, attempts.length + 1);
    if (o.signal?.aborted) return undefined;
    attempts.push(outcome);
    if (outcome.failure || outcome.hole) {
      state.problems.push({ what: `${label} (attempt ${attempts.length})`, problem: problem(outcome) });
      if (again()) o.log(`${label}: ${problem(outcome)}; ${attempts.length === 1 ? 'retrying once' : 'a server failure and a self-check failure disagree: one more attempt'}`);
    }
  }
  return attempts;
}

/**
 * The load generator runs every trial in this one process, so its garbage collector's pauses
 * (20–50 ms) fell inside measured windows, where its self-check rightly calls them
 * loadgen-saturated. npm run regress runs with --expose-gc, to collect between trials, and
 * --max-semi-space-size=64, so that a 2 s trial's young garbage rarely promotes: echo of the
 * actor and the mutex at 1,000 clients, 24 trials, failed self-checks (first attempts and retries)
 * 32 with the first flag alone, 10 with the second alone, 1 with both (all six cells, 72 trials: 5
 * and 3). Not enough yet: see the README's power experiment.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

type ItemOutcome = TrialOutcome & { means?: Record<string, number> };

function runItem(o: RegressRunOptions, item: Item, round: number, plan: RoundPlan, load: RegressRun['load'], attempt: number): Promise<ItemOutcome> {
  const checkout = item.side === 'head' ? o.head : o.base;
  const name = `${slug(subjectOf(item))}-${slug(item.side)}-${round}${plan.tag}${attempt > 1 ? `-attempt${attempt}` : ''}`;
  const file = path.join(o.dir, 'raw', `${name}.json`);
  if (item.kind === 'microbench') return runMicrobenchPass({ checkoutDir: checkout.dir, ...(o.serverCpus !== undefined && { cpus: o.serverCpus }), file });
  const rate = load[item.cell.model]!.rates[item.cell.scenario];
  return runE2eTrial({
    cell: item.cell,
    source: sourceOf(checkout, o),
    load: { clients: o.suite.clients, warmupSeconds: o.suite.warmupSeconds, durationSeconds: o.suite.durationSeconds, rate, closedLoop: false, seed: plan.seed * 1000 + round },
    ...(o.serverCpus !== undefined && { serverCpus: o.serverCpus }),
    file,
    ...(o.signal && { signal: o.signal }),
  });
}

function record(observations: Observation[], item: Item, round: number, outcome: ItemOutcome): void {
  if (item.kind === 'microbench') {
    for (const [subject, mean] of Object.entries(outcome.means ?? {})) observations.push({ subject, metric: 'microbench', side: item.side, round, value: mean });
    // A failed pass leaves a hole in every case it would have timed.
    if (!outcome.means) for (const subject of new Set(observations.filter((x) => x.metric === 'microbench').map((x) => x.subject))) observations.push({ subject, metric: 'microbench', side: item.side, round, value: undefined });
    return;
  }
  for (const metric of TRIAL_METRICS) observations.push({ subject: cellName(item.cell), metric, side: item.side, round, value: outcome.figures?.[metric] });
}

function summary(outcome: ItemOutcome): string {
  if (outcome.means) return `${Object.keys(outcome.means).length} cases timed`;
  const f = outcome.figures!;
  return `p50 ${f.p50.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms, ${Math.round(f.throughput)} msg/s, ${f.cpuPerMessage.toFixed(1)} µs CPU/msg`;
}
