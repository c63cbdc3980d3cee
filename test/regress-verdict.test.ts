/**
 * The gate's verdicts from figures (test: npm test): past 1 + T in every round but one, the direction of each
 * metric, holes from failed self-checks, and the outcome and exit code the table and the workflow read.
 */
import { describe, expect, it } from 'vitest';
import { EXIT } from '../common/exit-codes.ts';
import { finalVerdict, gateOutcome } from '../regress/result.ts';
import { calibratedThresholds, findings, judgeRatio, roundShare, type Observation, type Thresholds } from '../regress/verdict.ts';

const T: Thresholds = { p50: 0.1, cpuPerMessage: 0.1, microbench: 0.1, p99: 0.5, throughput: 0.1 };

/** Six rounds of one subject and metric, head = base × factor[round]. */
function rounds(metric: Observation['metric'], base: readonly number[], factors: readonly number[], side: 'head' | 'base#2' = 'head'): Observation[] {
  return base.flatMap((value, i) => [
    { subject: 'echo · actor', metric, side: 'base' as const, round: i + 1, value },
    { subject: 'echo · actor', metric, side, round: i + 1, value: value * factors[i]! },
  ]);
}

const BASE = [1.0, 1.2, 0.9, 1.1, 1.05, 0.95];

describe('judgeRatio', () => {
  it('calls a lower-is-better metric regressed only when the whole range lies past 1 + T', () => {
    expect(judgeRatio({ low: 1.11, high: 1.5 }, 'lower', 0.1)).toBe('regressed');
    expect(judgeRatio({ low: 1.09, high: 1.5 }, 'lower', 0.1)).toBe('unchanged');
    expect(judgeRatio({ low: 0.6, high: 0.85 }, 'lower', 0.1)).toBe('improved');
  });

  it('reads a higher-is-better metric (throughput) the other way round', () => {
    expect(judgeRatio({ low: 0.6, high: 0.85 }, 'higher', 0.1)).toBe('regressed');
    expect(judgeRatio({ low: 1.2, high: 1.4 }, 'higher', 0.1)).toBe('improved');
  });
});

describe('roundShare', () => {
  it('finds the per-round chance at which R − 1 of R rounds past 1 + T has the given probability', () => {
    const q = roundShare(0.05 / 20, 6);
    // P(at least 5 of 6) = 6 q^5 (1 − q) + q^6.
    expect(6 * q ** 5 * (1 - q) + q ** 6).toBeCloseTo(0.0025, 6);
    expect(q).toBeGreaterThan(0.21);
    expect(q).toBeLessThan(0.23);
    // More rounds allow a larger share per round.
    expect(roundShare(0.05 / 20, 10)).toBeGreaterThan(q);
  });
});

describe('findings', () => {
  it('finds a 1.5× CPU regression when every round shows it, and none in an unchanged p50', () => {
    const list = findings([...rounds('cpuPerMessage', BASE, [1.45, 1.5, 1.55, 1.4, 1.6, 1.5]), ...rounds('p50', BASE, [1.02, 0.97, 1.01, 0.99, 1.03, 1.0])], T);
    expect(list.find((f) => f.metric === 'cpuPerMessage')).toMatchObject({ verdict: 'regressed', gating: true, estimate: { low: 1.4, high: 1.6 } });
    expect(list.find((f) => f.metric === 'p50')).toMatchObject({ verdict: 'unchanged' });
  });

  it('does not call one slow round a regression', () => {
    const [f] = findings(rounds('p50', BASE, [1.0, 1.02, 3.0, 0.99, 1.01, 1.0]), T);
    expect(f).toMatchObject({ verdict: 'unchanged' });
  });

  it('does not let one round whose trials saw different machines hide a regression, but two do', () => {
    // A slow spell over base's trial of round 4 makes that round read 0.9× though the code is 1.5× slower.
    const [one] = findings(rounds('cpuPerMessage', BASE, [1.5, 1.55, 1.45, 0.9, 1.5, 1.6]), T);
    expect(one).toMatchObject({ verdict: 'regressed', decisive: { low: 1.45, high: 1.55, rounds: 6 }, estimate: { low: 0.9, high: 1.6 } });
    const [two] = findings(rounds('cpuPerMessage', BASE, [1.5, 1.05, 1.45, 0.9, 1.5, 1.6]), T);
    expect(two).toMatchObject({ verdict: 'unchanged' });
  });

  it('is inconclusive when a trial failed its self-check twice, and says which', () => {
    const observations = rounds('p50', BASE, [1.5, 1.5, 1.5, 1.5, 1.5, 1.5]).map((o) => (o.side === 'head' && o.round === 3 ? { ...o, value: undefined } : o));
    const [f] = findings(observations, T);
    expect(f).toMatchObject({ verdict: 'inconclusive', reason: '5 complete rounds: self-check failed twice (head round 3)' });
    // A replacement round (7) completes six pairs: the hole is left out and the cell judged.
    const replaced = [...observations, { subject: 'echo · actor', metric: 'p50' as const, side: 'base' as const, round: 7, value: 1 }, { subject: 'echo · actor', metric: 'p50' as const, side: 'head' as const, round: 7, value: 1.5 }];
    expect(findings(replaced, T)[0]).toMatchObject({ verdict: 'regressed', estimate: { trials: 6 } });
  });

  it('is inconclusive below 6 complete rounds', () => {
    const [f] = findings(rounds('p50', BASE.slice(0, 5), [1.5, 1.5, 1.5, 1.5, 1.5]), T);
    expect(f?.verdict).toBe('inconclusive');
    expect(f?.reason).toContain('6 needed');
  });

  it('leaves out a subject only one side has (a microbenchmark case new in head)', () => {
    expect(findings([{ subject: 'new case', metric: 'microbench', side: 'head', round: 1, value: 1 }], T)).toEqual([]);
  });
});

describe('the outcome', () => {
  const regressed = findings(rounds('cpuPerMessage', BASE, [1.5, 1.5, 1.5, 1.5, 1.5, 1.5]), T);
  const rerun = regressed[0]!;

  it('fails the gate only when the confirmation rerun is past 1 + T too', () => {
    expect(gateOutcome(regressed, [{ subject: rerun.subject, metric: rerun.metric, seed: 1001, rerun, confirmed: true }])).toEqual({ outcome: 'regressed', exitCode: EXIT.gateFailed });
    const notAgain = { ...rerun, verdict: 'unchanged' as const };
    const outcome = gateOutcome(regressed, [{ subject: rerun.subject, metric: rerun.metric, seed: 1001, rerun: notAgain, confirmed: false }]);
    expect(outcome).toEqual({ outcome: 'passed', exitCode: EXIT.success });
    expect(finalVerdict(rerun, [{ subject: rerun.subject, metric: rerun.metric, seed: 1001, rerun: notAgain, confirmed: false }])).toBe('not confirmed (rerun: unchanged)');
  });

  it('fails head (exit 3) when its server failed twice, and ends the run (exit 1) when base did', () => {
    const failure = { subject: 'echo · actor', round: 1, cause: 'the server did not start', files: ['a.json', 'b.json'] };
    expect(gateOutcome([], [], [{ ...failure, side: 'head' }])).toEqual({ outcome: 'regressed', exitCode: EXIT.gateFailed });
    expect(gateOutcome([], [], [{ ...failure, side: 'base' }])).toEqual({ outcome: 'failed', exitCode: EXIT.runFailed });
  });

  it('is inconclusive, not passed, when a regression\'s rerun could not be judged', () => {
    const unjudged = { ...rerun, verdict: 'inconclusive' as const, reason: 'self-check failed twice (head round 2)' };
    expect(gateOutcome(regressed, [{ subject: rerun.subject, metric: rerun.metric, seed: 1001, rerun: unjudged, confirmed: false }])).toEqual({ outcome: 'inconclusive', exitCode: EXIT.inconclusive });
  });

  it('is inconclusive (exit 4, a warning in the workflow) when a gating metric could not be judged', () => {
    const holes = findings(rounds('p50', BASE.slice(0, 5), [1, 1, 1, 1, 1]), T);
    expect(gateOutcome(holes, [])).toEqual({ outcome: 'inconclusive', exitCode: EXIT.inconclusive });
  });

  it('never fails on an exploratory metric (p99, throughput)', () => {
    const p99 = findings(rounds('p99', BASE, [3, 3, 3, 3, 3, 3]), T);
    expect(p99[0]).toMatchObject({ verdict: 'regressed', gating: false });
    expect(gateOutcome(p99, [])).toEqual({ outcome: 'passed', exitCode: EXIT.success });
  });
});

describe('calibratedThresholds', () => {
  it('sets T to the quantile of the A/A rounds that keeps P(5 of 6 rounds past 1 + T) × (gating findings) within 5%, at least 3%', () => {
    // Two gating findings over 6 rounds: 6q⁵(1 − q) + q⁶ = 0.05 / 2 gives q = 0.36, T = the 64th percentile of the ratios − 1.
    const p50Factors = [1.0, 1.02, 1.04, 1.06, 1.08, 1.1];
    const observations = [...rounds('p50', BASE, p50Factors, 'base#2'), ...rounds('cpuPerMessage', BASE, [0.99, 1, 1.01, 0.98, 1, 1.01], 'base#2')];
    const aa = findings(observations, T, 'base#2');
    const t = calibratedThresholds(observations, aa, 6, T);
    expect(t.p50).toBe(0.07); // 1.06 + 0.2 × 0.02 = 1.064, rounded up
    expect(t.cpuPerMessage).toBe(0.03);
    expect(t.microbench).toBe(T.microbench);
  });

  it('counts the gating findings of one run when it pools several (m = 2 here, not 6)', () => {
    const p50Factors = [1.0, 1.02, 1.04, 1.06, 1.08, 1.1];
    const one = [...rounds('p50', BASE, p50Factors, 'base#2'), ...rounds('cpuPerMessage', BASE, [0.99, 1, 1.01, 0.98, 1, 1.01], 'base#2')];
    const three = [1, 2, 3].flatMap((run) => one.map((o) => ({ ...o, subject: `${run}: ${o.subject}` })));
    // q = 0.36 as for one run: the 64th percentile of the 18 pooled ratios is 1.06, so T = 6%.
    expect(calibratedThresholds(three, findings(three, T, 'base#2'), 6, T, 3).p50).toBe(0.06);
    // Read as one run of six findings, q would be smaller and T larger.
    expect(calibratedThresholds(three, findings(three, T, 'base#2'), 6, T).p50).toBeGreaterThan(0.06);
  });

  it('reads both tails: A/A rounds lopsided one way set T as if they had gone the other way', () => {
    // The A/A side ran 20% slower in every round: read as a speed-up the other way, that is 1/0.8 − 1 = 25% — for a higher-is-better metric too.
    const slower = rounds('throughput', BASE, [0.8, 0.8, 0.8, 0.8, 0.8, 0.8], 'base#2');
    expect(calibratedThresholds(slower, findings(slower, T, 'base#2'), 6, T).throughput).toBe(0.25);
    // Faster in every round (ratios 0.94): the worse tail alone would give the floor; both tails give 1/0.94 − 1 ≈ 7%.
    const faster = rounds('p50', BASE, [0.94, 0.94, 0.94, 0.94, 0.94, 0.94], 'base#2');
    expect(calibratedThresholds(faster, findings(faster, T, 'base#2'), 6, T).p50).toBe(0.07);
  });
});
