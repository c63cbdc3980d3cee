/**
 * The history of main: each gate run on main appends head's figures (one JSON line per run), and
 * change points are found over each series, to catch the slow drift that per-PR gates miss (a
 * series of 3% steps, each under T, is a 15% drift after five merges).
 *
 * The method (simpler than Otava's E-divisive, the same idea): binary segmentation with a
 * permutation test. In a segment, every split leaving at least MIN_SEGMENT points on each side is
 * scored by a two-sample t statistic; the best split is a change point when fewer than ALPHA of
 * PERMUTATIONS random reorderings of the segment score as high (under no change every order is
 * equally likely, so the test holds whatever the noise's shape, and the maximum over splits is
 * what is compared, so trying every split costs no false alarms). Each side is then searched again.
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { median, shuffle } from 'simple-statistics';
import { UsageError } from '../common/usage.ts';
import { seededRandom } from '../loadgen/random.ts';
import type { RegressResult } from './result.ts';
import { runtimeLabel, type Runtime } from '../common/runtime.ts';
import { sideMedian } from './verdict.ts';

export const HISTORY_SCHEMA_VERSION = 1;

export interface HistoryEntry {
  readonly schemaVersion: typeof HISTORY_SCHEMA_VERSION;
  readonly commit: string;
  readonly createdAt: string;
  /**
   * When head's commit was made (its committer date): the history's order. Runs on main are never
   * cancelled and may finish out of order, so the order of the lines is not the order of main.
   * Absent in lines written before 2026-12-05, which keep their place by createdAt.
   */
  readonly committedAt?: string;
  /** Head's median per subject and metric, keyed `subject · metric`. */
  readonly figures: Readonly<Record<string, number>>;
  /** The runtime head's servers ran on; absent in lines written before 2026-12-06 (all on Node v20.20.2) and with --server-cmd. */
  readonly runtime?: Runtime;
}

export function historyEntry(r: RegressResult, committedAt?: string): HistoryEntry {
  const figures: Record<string, number> = {};
  for (const f of r.findings.filter((x) => x.gating)) {
    const value = sideMedian(r.observations, f.subject, f.metric, 'head');
    if (value !== undefined) figures[`${f.subject} · ${f.metric}`] = value;
  }
  return { schemaVersion: HISTORY_SCHEMA_VERSION, commit: r.head.commit ?? 'unknown', createdAt: r.createdAt, ...(committedAt && { committedAt }), figures, ...(r.head.runtime && { runtime: r.head.runtime }) };
}

export function appendHistory(file: string, r: RegressResult, committedAt?: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  appendFileSync(file, `${JSON.stringify(historyEntry(r, committedAt))}\n`);
}

/**
 * The runs in the order of main: by commit date (createdAt for older lines), ties kept in file
 * order. Commits made in the same second (a rebase-and-merge of several) keep the order their runs
 * finished in, which may not be main's.
 */
export function inCommitOrder(entries: readonly HistoryEntry[]): HistoryEntry[] {
  const key = (e: HistoryEntry): number => Date.parse(e.committedAt ?? e.createdAt);
  return entries.map((e, i) => ({ e, i })).sort((a, b) => key(a.e) - key(b.e) || a.i - b.i).map(({ e }) => e);
}

/** Absent (older lines), or {node, v8?} with strings. */
function validRuntime(r: unknown): boolean {
  if (r === undefined) return true;
  if (typeof r !== 'object' || r === null) return false;
  const { node, v8 } = r as { node?: unknown; v8?: unknown };
  return typeof node === 'string' && (v8 === undefined || typeof v8 === 'string');
}

export function readHistory(file: string): HistoryEntry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError('ERR_BAD_REPORT_INPUT', `cannot read the history ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const entries = text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), number: i + 1 }))
    .filter((l) => l.line !== '')
    .map(({ line, number }) => {
      let entry: Partial<HistoryEntry>;
      try {
        entry = JSON.parse(line) as Partial<HistoryEntry>;
      } catch {
        throw new UsageError('ERR_BAD_REPORT_INPUT', `${file} line ${number}: not JSON (each line must be one run: {"schemaVersion": 1, "commit", "createdAt", "figures"})`);
      }
      const dated = (d: unknown): boolean => typeof d === 'string' && !Number.isNaN(Date.parse(d));
      if (entry.schemaVersion !== HISTORY_SCHEMA_VERSION || typeof entry.commit !== 'string' || !dated(entry.createdAt) || (entry.committedAt !== undefined && !dated(entry.committedAt)) || typeof entry.figures !== 'object' || entry.figures === null || !validRuntime(entry.runtime)) {
        throw new UsageError('ERR_BAD_REPORT_INPUT', `${file} line ${number}: expected {"schemaVersion": 1, "commit": "<sha>", "createdAt": "<date>", "figures": {…}}, optionally "committedAt": "<date>" and "runtime": {"node": "v…", "v8": "…"}`);
      }
      return entry as HistoryEntry;
    });
  return inCommitOrder(entries);
}

export const MIN_SEGMENT = 5;
export const ALPHA = 0.01;
export const PERMUTATIONS = 499;

export interface ChangePoint {
  /** Index of the first point after the change. */
  readonly index: number;
  readonly before: number;
  readonly after: number;
  /** after / before − 1. */
  readonly change: number;
  /** The permutation test's p-value. */
  readonly p: number;
}

/**
 * The best split of a segment: the largest two-sample t statistic (the sides' mean difference over
 * their pooled within-side spread, so a step does not inflate its own yardstick), from prefix sums.
 */
function bestSplit(values: readonly number[]): { index: number; score: number } {
  const n = values.length;
  const sum = [0];
  const squares = [0];
  for (const v of values) {
    sum.push(sum.at(-1)! + v);
    squares.push(squares.at(-1)! + v * v);
  }
  let best = { index: -1, score: 0 };
  for (let k = MIN_SEGMENT; k <= n - MIN_SEGMENT; k++) {
    const meanBefore = sum[k]! / k;
    const meanAfter = (sum[n]! - sum[k]!) / (n - k);
    const within = squares[k]! - k * meanBefore ** 2 + (squares[n]! - squares[k]!) - (n - k) * meanAfter ** 2;
    const pooled = Math.max(within, 1e-24) / (n - 2);
    const score = Math.abs(meanAfter - meanBefore) / Math.sqrt(pooled * (1 / k + 1 / (n - k)));
    if (score > best.score) best = { index: k, score };
  }
  return best;
}

/** Change points of one series, in order, by binary segmentation with a permutation test. */
export function changePoints(series: readonly number[], seed = 1): ChangePoint[] {
  const random = seededRandom(seed);
  const found: ChangePoint[] = [];
  const search = (from: number, to: number): void => {
    const segment = series.slice(from, to);
    if (segment.length < 2 * MIN_SEGMENT) return;
    const best = bestSplit(segment);
    if (best.index < 0) return;
    let asHigh = 0;
    for (let i = 0; i < PERMUTATIONS; i++) if (bestSplit(shuffle([...segment], random)).score >= best.score) asHigh++;
    const p = (asHigh + 1) / (PERMUTATIONS + 1);
    if (p >= ALPHA) return;
    const before = median(segment.slice(0, best.index));
    const after = median(segment.slice(best.index));
    search(from, from + best.index);
    found.push({ index: from + best.index, before, after, change: after / before - 1, p });
    search(from + best.index, to);
  };
  search(0, series.length);
  return found;
}

export interface SeriesChange extends ChangePoint {
  readonly series: string;
  readonly commit: string;
  readonly createdAt: string;
  /** Set when the runtime changed within RUNTIME_NEARBY runs of the change point: the step may be the runtime's. */
  readonly runtimeChanged?: { readonly commit: string; readonly from: string; readonly to: string };
}

/** How near a runtime change must be to a change point to be named with it (segmentation may place a step a run or two off under noise). */
export const RUNTIME_NEARBY = 2;

/** A line's runtime label; lines from before runtimes were recorded (or with --server-cmd) are one value of their own. */
const runtimeOfLine = (e: HistoryEntry): string => (e.runtime ? runtimeLabel(e.runtime) : 'not recorded');

/** The runtime's labels on each side of `index` when they differ. */
function runtimeStep(points: readonly HistoryEntry[], index: number): { from: string; to: string } | undefined {
  const [before, after] = [points[index - 1], points[index]];
  if (!before || !after || runtimeOfLine(before) === runtimeOfLine(after)) return undefined;
  return { from: runtimeOfLine(before), to: runtimeOfLine(after) };
}

/** The runtime change nearest a change point at `index`, within RUNTIME_NEARBY runs. */
function runtimeStepNear(points: readonly HistoryEntry[], index: number): SeriesChange['runtimeChanged'] {
  for (let d = 0; d <= RUNTIME_NEARBY; d++) {
    for (const i of d === 0 ? [index] : [index - d, index + d]) {
      const step = runtimeStep(points, i);
      if (step) return { commit: points[i]!.commit, ...step };
    }
  }
  return undefined;
}

/** Every run whose runtime differs from the run before it: where the history's runtime changed. */
export function runtimeChanges(entries: readonly HistoryEntry[]): { commit: string; createdAt: string; from: string; to: string }[] {
  return entries.flatMap((e, i) => {
    const step = runtimeStep(entries, i);
    return step ? [{ commit: e.commit, createdAt: e.createdAt, ...step }] : [];
  });
}

/** Every series' change points, each with the commit of the first run after it. */
export function historyChanges(entries: readonly HistoryEntry[]): SeriesChange[] {
  const names = [...new Set(entries.flatMap((e) => Object.keys(e.figures)))].sort();
  return names.flatMap((series) => {
    const points = entries.filter((e) => e.figures[series] !== undefined);
    return changePoints(points.map((e) => e.figures[series]!)).map((c) => {
      const runtimeChanged = runtimeStepNear(points, c.index);
      return { ...c, series, commit: points[c.index]!.commit, createdAt: points[c.index]!.createdAt, ...(runtimeChanged && { runtimeChanged }) };
    });
  });
}
