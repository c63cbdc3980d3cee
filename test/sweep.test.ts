/** Sweeps and the saturation search, apart from any server: parsing, judging a point, the search strategy. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../common/usage.ts';
import type { CompletedResult } from '../loadgen/result.ts';
import { findSaturation, judgePoint, parseLatencyBound, parseSweep, type PointOutcome } from '../loadgen/sweep.ts';
import { upgradeResult } from '../loadgen/result-upgrade.ts';

// Stored by an older version: read through the upgrade, as every stored result is.
const fixture = upgradeResult(JSON.parse(readFileSync(new URL('./fixtures/result-v3.json', import.meta.url), 'utf8')) as CompletedResult) as CompletedResult;

const usageMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('--sweep and --slo-p99', () => {
  it('parse clients and rate points', () => {
    expect(parseSweep('clients=1000,2500,5000,10000')).toEqual({ parameter: 'clients', values: [1000, 2500, 5000, 10000] });
    expect(parseSweep('rate=500,1500.5')).toEqual({ parameter: 'rate', values: [500, 1500.5] });
  });

  it('reject unknown parameters and bad values in one line', () => {
    expect(usageMessage(() => parseSweep('duration=1,2'))).toBe("--sweep must look like clients=N,N,… or rate=N,N,…, got 'duration=1,2'");
    expect(usageMessage(() => parseSweep('clients=10,2.5'))).toBe("--sweep clients values must be integers > 0 separated by commas, got '10,2.5'");
    expect(usageMessage(() => parseSweep('rate=100,,200'))).toMatch(/--sweep rate values must be numbers > 0/);
  });

  it('read latency bounds in ms or s', () => {
    expect(parseLatencyBound('--slo-p99', '50ms')).toBe(50);
    expect(parseLatencyBound('--slo-p99', '0.2s')).toBe(200);
    expect(parseLatencyBound('--slo-p99', '75')).toBe(75);
    expect(usageMessage(() => parseLatencyBound('--slo-p99', 'fast'))).toBe("--slo-p99 must be a duration > 0 such as 50ms or 0.5s, got 'fast'");
  });
});

describe('judging a point', () => {
  const p99Ms = fixture.latency.p99! / 1000;
  it('holds when nothing was lost, nothing failed and the p99 is within the bound', () => {
    expect(judgePoint(fixture, p99Ms + 1)).toEqual({ ok: true });
    expect(judgePoint(fixture, p99Ms / 2)).toMatchObject({ ok: false, loadgenLimited: false, reason: expect.stringMatching(/^p99 .* ms > /) });
  });
  it('fails on losses, errors and stalls, and blames the load generator when it was saturated', () => {
    const faulty = { ...fixture.integrity, verdict: 'faulty' as const, unexpectedLoss: 3, problems: ['lost 0.1% of deliveries (3 of 3,000)'] };
    expect(judgePoint({ ...fixture, integrity: faulty }, 1e9)).toMatchObject({ ok: false, reason: 'lost 0.1% of deliveries (3 of 3,000)' });
    // Loss the scenario causes (stopped readers) and refusals of a target that left are not failures of the point.
    const policyErrors = { total: 2, byCause: { 'closed-by-server:1008': 1, 'server:unknown-client': 1 } };
    const excused = { ...fixture.integrity, verdict: 'clean' as const, expectedLoss: 3, unexpectedLoss: 0, problems: [] };
    expect(judgePoint({ ...fixture, integrity: excused, errors: policyErrors }, 1e9)).toEqual({ ok: true });
    expect(judgePoint({ ...fixture, errors: { total: 2, byCause: { x: 2 } } }, 1e9)).toMatchObject({ ok: false, reason: '2 errors' });
    expect(judgePoint({ ...fixture, stall: { beganAtSecond: 3, stalledSeconds: 2 } }, 1e9)).toMatchObject({ ok: false, reason: 'server stalled from second 3' });
    expect(judgePoint({ ...fixture, verdict: 'loadgen-saturated' }, 1e9)).toMatchObject({ ok: false, loadgenLimited: true });
    // A stalled server floods the load generator with late replies: the stall is the finding.
    expect(judgePoint({ ...fixture, verdict: 'loadgen-saturated', stall: { beganAtSecond: 1, stalledSeconds: 3 } }, 1e9)).toMatchObject({ ok: false, loadgenLimited: false });
  });
});

describe('the saturation search', () => {
  /** A fake server that holds up to `limit` msg/s. */
  const serverUpTo = (limit: number) => async (rate: number): Promise<PointOutcome> => (rate <= limit ? { ok: true } : { ok: false, reason: 'p99', loadgenLimited: false });

  it('grows the rate ×1.5 until a point fails, then bisects towards the limit', async () => {
    const tried: number[] = [];
    const outcome = await findSaturation({ startRate: 1000, growth: 1.5, refineSteps: 3, maxRate: 1e6 }, async (rate) => {
      tried.push(rate);
      return serverUpTo(4000)(rate);
    });
    expect(tried.slice(0, 5)).toEqual([1000, 1500, 2250, 3375, 5063]);
    expect(tried).toHaveLength(8);
    expect(outcome.limitedBy).toBe('server');
    expect(outcome.sustainableRate).toBeGreaterThan(3375);
    expect(outcome.sustainableRate).toBeLessThanOrEqual(4000);
    expect(outcome.points.filter((p) => p.outcome.ok).every((p) => p.rate <= 4000)).toBe(true);
  });

  it('stops where the load generator gives out, saying so', async () => {
    const outcome = await findSaturation({ startRate: 1000, growth: 2, refineSteps: 3, maxRate: 1e6 }, async (rate) => (rate < 4000 ? { ok: true } : { ok: false, reason: 'saturated', loadgenLimited: true }));
    expect(outcome).toMatchObject({ sustainableRate: 2000, limitedBy: 'loadgen' });
  });

  it('keeps the server as the limit when the load generator gives out while bisecting below a server failure', async () => {
    const outcome = await findSaturation({ startRate: 1000, growth: 2, refineSteps: 3, maxRate: 1e6 }, async (rate) =>
      rate <= 2000 ? { ok: true } : rate === 3000 ? { ok: false, reason: 'saturated', loadgenLimited: true } : { ok: false, reason: 'p99', loadgenLimited: false },
    );
    expect(outcome).toMatchObject({ sustainableRate: 2000, limitedBy: 'server' });
    expect(outcome.points.map((p) => p.rate)).toEqual([1000, 2000, 4000, 3000]);
  });

  it('names a rate it tried, whichever way the search ends (×1.5 steps go fractional)', async () => {
    const byLoadgen = await findSaturation({ startRate: 1000, growth: 1.5, refineSteps: 3, maxRate: 1e6 }, async (rate) => (rate < 6000 ? { ok: true } : { ok: false, reason: 'saturated', loadgenLimited: true }));
    expect(byLoadgen).toMatchObject({ sustainableRate: 5063, limitedBy: 'loadgen' });
    const byMaximum = await findSaturation({ startRate: 1000, growth: 1.5, refineSteps: 3, maxRate: 7000 }, serverUpTo(1e9));
    expect(byMaximum).toMatchObject({ sustainableRate: 5063, limitedBy: 'max-rate' });
    for (const o of [byLoadgen, byMaximum]) expect(o.points.map((p) => p.rate)).toContain(o.sustainableRate);
  });

  it('reports no rate when even the first fails, and stops at the maximum rate', async () => {
    expect(await findSaturation({ startRate: 1000, growth: 2, refineSteps: 3, maxRate: 1e6 }, serverUpTo(10))).toMatchObject({ sustainableRate: undefined, limitedBy: 'server' });
    expect(await findSaturation({ startRate: 1000, growth: 2, refineSteps: 3, maxRate: 5000 }, serverUpTo(1e9))).toMatchObject({ sustainableRate: 4000, limitedBy: 'max-rate' });
  });
});
