/**
 * Calibration by simulation: are compare's "significant" calls as rare as its α says when nothing
 * differs, and how often does it see a real 1.2× difference? Synthetic comparisons are drawn by
 * resampling stored raw trials of one arm (each model's A/A comparisons of echo at 10,000 clients,
 * pinned, on this machine): A/A, both sides drawn from the same trials; and shifted, one side's
 * values × 1.2. Each comparison has compare's default number of trials per arm (10), and 5 on p50
 * for contrast. The false-positive rate must stay within α plus the simulation's own error (3 standard
 * errors); the detection rate is stated, and must beat the false-positive rate.
 * In npm run test:slow: 6,000 synthetic comparisons, about 35 s.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIDENCE, estimateRatio } from '../../compare/statistics.ts';
import { seededRandom } from '../../loadgen/random.ts';

interface StoredTrials {
  readonly source: string;
  readonly arms: Record<string, { readonly p50: readonly number[]; readonly p99: readonly number[] }>;
}

const stored = JSON.parse(readFileSync(new URL('../fixtures/echo-10k-trials.json', import.meta.url), 'utf8')) as StoredTrials;
const COMPARISONS = 1000;
const SHIFT = 1.2;
const ALPHA = 1 - CONFIDENCE;
/** compare's default --trials. */
const DEFAULT_TRIALS = 10;

function simulate(values: readonly number[], trials: number, seed: number): { falsePositives: number; detected: number } {
  const random = seededRandom(seed);
  const draw = (): number[] => Array.from({ length: trials }, () => values[Math.floor(random() * values.length)]!);
  let falsePositives = 0;
  let detected = 0;
  for (let i = 0; i < COMPARISONS; i++) {
    if (estimateRatio(draw(), draw(), seededRandom(2 * i))!.significant) falsePositives++;
    const shifted = estimateRatio(
      draw().map((v) => v * SHIFT),
      draw(),
      seededRandom(2 * i + 1),
    )!;
    if (shifted.significant && shifted.ratio > 1) detected++;
  }
  return { falsePositives, detected };
}

// At the default number of trials on both metrics; at 5 on p50 too, the contrast behind the default.
const cases = Object.keys(stored.arms).flatMap((model) => [[model, 'p50', DEFAULT_TRIALS], [model, 'p99', DEFAULT_TRIALS], [model, 'p50', 5]] as const);

describe.each(cases)('calibration of compare on stored echo trials: %s %s, %i trials per arm', (model, metric, trials) => {
  it(`keeps the A/A false-positive rate within α over ${COMPARISONS} synthetic comparisons, and states its detection rate at ${SHIFT}×`, () => {
    const values = stored.arms[model]![metric];
    expect(values.length).toBeGreaterThanOrEqual(20);
    const { falsePositives, detected } = simulate(values, trials, metric === 'p50' ? 1 : 2);
    const rate = falsePositives / COMPARISONS;
    const standardError = Math.sqrt((ALPHA * (1 - ALPHA)) / COMPARISONS);
    const observedMargin = 1.96 * Math.sqrt((rate * (1 - rate)) / COMPARISONS);
    console.log(
      `${model} ${metric}, ${trials} trials per arm (${values.length} stored): α ${ALPHA.toFixed(3)}; false-positive rate ${(rate * 100).toFixed(1)}% ± ${(observedMargin * 100).toFixed(1)}% (${falsePositives} of ${COMPARISONS} A/A comparisons); ` +
        `detection at ${SHIFT}× ${((detected / COMPARISONS) * 100).toFixed(1)}% (${detected} of ${COMPARISONS})`,
    );
    expect(rate).toBeLessThanOrEqual(ALPHA + 3 * standardError);
    expect(detected).toBeGreaterThan(falsePositives); // a shift must be seen more often than nothing
  });
});
