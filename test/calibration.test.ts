/**
 * Calibration by simulation: are compare's "significant" calls as rare as its α says when nothing
 * differs, and how often does it see a real 1.2× difference? Synthetic comparisons are drawn by
 * resampling stored raw trials of one arm (the equal-footing echo comparison at 10,000 clients):
 * A/A, both sides from the same trials; and shifted, one side's values × 1.2. Each comparison has
 * as many trials per arm as compare's default (5). The false-positive rate must stay within α plus
 * the simulation's own error (3 standard errors); the detection rate is stated, not asserted.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIDENCE, estimateRatio } from '../compare/statistics.ts';
import { seededRandom } from '../loadgen/random.ts';

const stored = JSON.parse(readFileSync(new URL('./fixtures/echo-10k-trials.json', import.meta.url), 'utf8')) as { arms: Record<string, { p50: number[]; p99: number[] }> };
const COMPARISONS = 1000;
const TRIALS = 5;
const SHIFT = 1.2;
const ALPHA = 1 - CONFIDENCE;

function simulate(values: readonly number[], seed: number): { falsePositives: number; detected: number } {
  const random = seededRandom(seed);
  const draw = (): number[] => Array.from({ length: TRIALS }, () => values[Math.floor(random() * values.length)]!);
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

describe.each(['p50', 'p99'] as const)('calibration of compare on stored echo trials (%s)', (metric) => {
  it(`keeps the A/A false-positive rate within α over ${COMPARISONS} synthetic comparisons, and states its detection rate at ${SHIFT}×`, () => {
    const values = stored.arms.actor![metric];
    expect(values).toHaveLength(TRIALS);
    const { falsePositives, detected } = simulate(values, metric === 'p50' ? 1 : 2);
    const rate = falsePositives / COMPARISONS;
    const standardError = Math.sqrt((ALPHA * (1 - ALPHA)) / COMPARISONS);
    const observedMargin = 1.96 * Math.sqrt((rate * (1 - rate)) / COMPARISONS);
    console.log(
      `${metric}: α ${ALPHA.toFixed(3)}; false-positive rate ${(rate * 100).toFixed(1)}% ± ${(observedMargin * 100).toFixed(1)}% (${falsePositives} of ${COMPARISONS} A/A comparisons); ` +
        `detection at ${SHIFT}× ${((detected / COMPARISONS) * 100).toFixed(1)}% (${detected} of ${COMPARISONS}); ${TRIALS} trials per arm`,
    );
    expect(rate).toBeLessThanOrEqual(ALPHA + 3 * standardError);
    expect(detected).toBeGreaterThan(falsePositives); // a shift must be seen more often than nothing
  });
});
