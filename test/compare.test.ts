/**
 * The comparison: its statistics (intervals that cover what they should, significance only when
 * the arms really differ), its interleaved schedule, its verdict wording, and a small real run of
 * `npm run compare` writing its folder.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clopperPearson } from '../compare/statistics.ts';
import { analyse, describeRatio, type RatioFinding, type Trial } from '../compare/analysis.ts';
import { armsFor, interleave } from '../compare/schedule.ts';
import { renderHtml } from '../compare/report-html.ts';
import { estimateMedian, estimatePairedRatio, estimateRatio, trialsToDecide } from '../compare/statistics.ts';
import { seededRandom } from '../loadgen/random.ts';
import type { CompletedResult } from '../loadgen/result.ts';
import { parseArmList } from '../common/arm-spec.ts';
import { upgradeResult } from '../loadgen/result-upgrade.ts';

// Stored by an older version: read through the upgrade, as every stored result is.
const fixture = upgradeResult(JSON.parse(readFileSync(new URL('./fixtures/result-v3.json', import.meta.url), 'utf8')) as CompletedResult) as CompletedResult;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('statistics', () => {
  it('estimate a median with the exact order-statistic interval, labelled with its real coverage', () => {
    const e = estimateMedian([10, 12, 11, 13, 9]);
    expect(e.median).toBe(11);
    expect(e.trials).toBe(5);
    // Five trials: the best interval there is, their min–max, covers the median 1 − 2/2⁵ of the time.
    expect([e.low, e.high]).toEqual([9, 13]);
    expect(e.coverage).toBe(0.9375);
    // Ten: the 2nd and 9th, covering 1 − 2·(1 + 10)/2¹⁰ = 97.85% (the 3rd and 8th would be 89%, under 95%).
    const ten = estimateMedian([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
    expect([ten.low, ten.high, ten.coverage]).toEqual([2, 9, 0.9785]);
  });

  it('cover the true median of a skewed distribution at least as often as the label says (2,000 draws of 10)', () => {
    const random = seededRandom(3);
    // Log-normal draws: median e⁰ = 1, a long right tail like latency's.
    const draw = (): number => Math.exp(Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
    let covered = 0;
    const draws = 2000;
    for (let i = 0; i < draws; i++) {
      const e = estimateMedian(Array.from({ length: 10 }, draw));
      if (e.low <= 1 && e.high >= 1) covered++;
    }
    // 97.85% claimed; the simulation's own standard error is about 0.3%: allow 3 of them.
    expect(covered / draws).toBeGreaterThan(0.9785 - 3 * Math.sqrt((0.9785 * 0.0215) / draws));
  });

  it('see, paired by round, a shift that drift between rounds hides from independent intervals', () => {
    // Each round the machine is slower or faster (×1 to ×1.6); within a round, b is 10% slower than a.
    const drift = [1, 1.6, 1.2, 1.45, 1.05, 1.3, 1.55, 1.1, 1.4, 1.25];
    const a = drift.map((d) => 10 * d);
    const b = drift.map((d, i) => 11 * d * (1 + (i % 3) * 0.002));
    expect(estimateRatio(b, a, seededRandom(1))!.significant).toBe(false);
    const paired = estimatePairedRatio(b.map((v, i) => [v, a[i]!]))!;
    expect(paired.significant).toBe(true);
    expect(paired.low).toBeGreaterThan(1.09);
    expect(paired.coverage).toBe(0.9785);
    expect(estimatePairedRatio([[5, 5]])).toMatchObject({ singleRuns: true, significant: false });
    // Five pairs all one way: their min–max covers 93.75%, short of 95%, so no verdict either way.
    expect(estimatePairedRatio(b.slice(0, 5).map((v, i) => [v, a[i]!]))).toMatchObject({ significant: false, tooFewPairs: true, coverage: 0.9375 });
    // A round whose reference is 0 has no ratio: no paired estimate at all, rather than one without it.
    expect(estimatePairedRatio([[1, 0], [2, 2], [3, 3]])).toBeUndefined();
  });

  it('find no significant difference between identical arms, and a clear one between separated arms', () => {
    const a = [10, 12, 11, 13, 9];
    expect(estimateRatio(a, [...a], seededRandom(1))).toMatchObject({ ratio: 1, significant: false });
    const slow = estimateRatio([20, 22, 21, 23, 19], a, seededRandom(1))!;
    expect(slow.significant).toBe(true);
    expect(slow.ratio).toBeCloseTo(21 / 11, 5);
    expect(slow.low).toBeGreaterThan(1);
  });

  it('never call a ratio within 1% of 1.0 a difference, however narrow its interval', () => {
    const r = estimateRatio([1005, 1005, 1005, 1005, 1005], [1000, 1000, 1000, 1000, 1000], seededRandom(1))!;
    expect(r.low).toBeGreaterThan(1);
    expect(r.significant).toBe(false);
  });

  it('give the Clopper–Pearson interval of a count (the gate experiments\' false alarms and power)', () => {
    // Reference values (R: binom.test(k, 10)$conf.int).
    const close = (x: { low: number; high: number }, low: number, high: number) => {
      expect(x.low).toBeCloseTo(low, 4);
      expect(x.high).toBeCloseTo(high, 4);
    };
    close(clopperPearson(0, 10), 0, 0.3085);
    close(clopperPearson(10, 10), 0.6915, 1);
    close(clopperPearson(7, 10), 0.3475, 0.9333);
    close(clopperPearson(1, 10), 0.0025, 0.445);
    expect(() => clopperPearson(11, 10)).toThrow(/whole 0 ≤ k ≤ n/);
  });

  it('give the same intervals for the same seed', () => {
    const a = [3, 5, 4, 6, 5];
    const b = [4, 4, 5, 6, 7];
    expect(estimateRatio(a, b, seededRandom(7))).toEqual(estimateRatio(a, b, seededRandom(7)));
  });
});

describe('the schedule', () => {
  it('runs every arm once per round, in seeded orders that vary between rounds', () => {
    const arms = armsFor(parseArmList('actor,mutex,baseline'));
    const runs = interleave(['echo'], arms, 6, seededRandom(3));
    expect(runs).toHaveLength(18);
    const rounds = Array.from({ length: 6 }, (_, r) => runs.filter((x) => x.round === r + 1).map((x) => x.arm.name));
    for (const order of rounds) expect([...order].sort()).toEqual(['actor', 'baseline', 'mutex']);
    expect(new Set(rounds.map((o) => o.join())).size).toBeGreaterThan(1);
    expect(interleave(['echo'], arms, 6, seededRandom(3))).toEqual(runs);
  });

  it('numbers a repeated model and marks a deliberately slowed arm', () => {
    expect(armsFor(parseArmList('actor,actor')).map((a) => a.name)).toEqual(['actor#1', 'actor#2']);
    const slowed = armsFor(parseArmList('actor,actor'), { index: 1, delayUs: 50 });
    expect(slowed[1]).toEqual({ name: 'actor#2 (+50 µs/msg)', model: 'actor', benchOptions: { debugDelayPerMessageUs: 50 }, benchArgs: ['(server: --debug-delay-per-message-us 50)'] });
  });

  it('labels arms by their options, normalised, and passes the options to the bench', () => {
    const arms = armsFor(parseArmList('actor, actor:policy=drop ,mutex:timeout=0.5:policy=disconnect'));
    expect(arms.map((a) => a.name)).toEqual(['actor', 'actor:policy=drop', 'mutex:policy=disconnect:timeout=0.5']);
    expect(arms[1]).toMatchObject({ model: 'actor', benchOptions: { slowConsumerPolicy: 'drop' }, benchArgs: ['--slow-consumer-policy', 'drop'] });
    expect(arms[2]!.benchOptions).toEqual({ slowConsumerPolicy: 'disconnect', slowConsumerTimeoutSeconds: 0.5 });
    expect(armsFor(parseArmList('actor:policy=drop,actor:policy=drop')).map((a) => a.name)).toEqual(['actor:policy=drop#1', 'actor:policy=drop#2']);
  });

  it("carries a model's own options (mutex:lock=async-mutex) into its label and its bench options", () => {
    const arms = armsFor(parseArmList('mutex,mutex:policy=drop:lock=async-mutex'));
    expect(arms.map((a) => a.name)).toEqual(['mutex', 'mutex:lock=async-mutex:policy=drop']);
    expect(arms[1]!.benchOptions).toEqual({ slowConsumerPolicy: 'drop', modelOptions: { lock: 'async-mutex' } });
    expect(arms[1]!.benchArgs).toEqual(['--model-option', 'lock=async-mutex', '--slow-consumer-policy', 'drop']);
    expect(() => parseArmList('mutex:lock=spin,actor:lock=fifo')).toThrow(
      "2 problems: arm 'mutex:lock=spin': lock must be one of fifo, async-mutex, got 'spin'; arm 'actor:lock=fifo': unknown option 'lock'; an arm of actor takes supervision=…, policy=…, timeout=…",
    );
  });

  it('names every problem of every arm in one message', () => {
    expect(() => parseArmList('actr:policy=drop,mutex:colour=red:policy=ignore')).toThrow(
      "3 problems: arm 'actr:policy=drop': the model must be one of actor, mutex, baseline, got 'actr'; arm 'mutex:colour=red:policy=ignore': unknown option 'colour'; an arm of mutex takes lock=…, policy=…, timeout=…; arm 'mutex:colour=red:policy=ignore': policy must be a slow-consumer policy, one of await, drop, disconnect, got 'ignore'",
    );
    expect(() => parseArmList('actor')).toThrow("--models needs at least two arms to compare, got 'actor'");
    expect(() => parseArmList('actor,mutex:timeout=1')).toThrow("arm 'mutex:timeout=1': timeout applies to policy=disconnect only");
    // The server's own range, checked before anything runs; a misspelt policy is named once, as itself.
    expect(() => parseArmList('actor,mutex:policy=disconnect:timeout=4000')).toThrow(
      "arm 'mutex:policy=disconnect:timeout=4000': timeout must be the seconds a full queue may last before policy=disconnect closes its client, from 0.001 to 3600, got '4000'",
    );
    expect(() => parseArmList('actor,mutex:policy=disconect:timeout=1')).toThrow(/^arm '[^']+': policy must be a slow-consumer policy, one of await, drop, disconnect, got 'disconect'$/);
    expect(armsFor(parseArmList('actor, mutex : policy = drop')).map((a) => a.name)).toEqual(['actor', 'mutex:policy=drop']);
  });
});

describe('the analysis', () => {
  const trial = (arm: string, round: number, p99Ms: number): Trial => ({
    scenario: 'echo',
    arm,
    round,
    file: `raw/${arm}-${round}.json`,
    result: { ...fixture, latencyByKind: {}, latency: { ...fixture.latency, p99: p99Ms * 1000 } },
  });

  it('stands its verdict on the primary metric the scenario names, and labels other differences exploratory', () => {
    const slow = (arm: string, round: number, p50Ms: number, p99Ms: number, primaryMetric?: 'p50'): Trial => {
      const t = trial(arm, round, p99Ms);
      const result = t.result as CompletedResult;
      return { ...t, result: { ...result, scenario: { ...result.scenario, ...(primaryMetric && { primaryMetric }) }, latency: { ...fixture.latency, p50: p50Ms * 1000, p99: p99Ms * 1000 } } };
    };
    const trials = (primary?: 'p50'): Trial[] => [1, 2, 3, 4, 5].flatMap((r) => [slow('actor', r, 1 + r * 0.01, 10 * r, primary), slow('actor+delay', r, 2 + r * 0.01, 10 * ((r % 5) + 1), primary)]);
    const onP50 = analyse(trials('p50'), ['actor', 'actor+delay'], 1).scenarios[0]!;
    expect(onP50.primaryMetric).toBe('p50');
    expect(onP50.verdict).toMatch(/^actor\+delay 1\.9\d× higher p50 than actor \(CI [\d.]+–[\d.]+\)$/);
    // A scenario that names no primary metric: p99, on which these arms are inconclusive; the p50 difference is exploratory.
    const onP99 = analyse(trials(), ['actor', 'actor+delay'], 1).scenarios[0]!;
    expect(onP99.primaryMetric).toBe('p99');
    expect(onP99.verdict).toMatch(/^actor\+delay vs actor: no significant difference in p99, not equivalent within 10% either — inconclusive.*; exploratory: actor\+delay 1\.9\d× higher p50 than actor/);
  });

  it('says which arm is slower, by how much, with the interval', () => {
    const trials = [1, 2, 3, 4, 5].flatMap((r) => [trial('actor', r, 10 + r * 0.1), trial('mutex', r, 20 + r * 0.1)]);
    const analysis = analyse(trials, ['actor', 'mutex'], 1);
    const verdict = analysis.scenarios[0]!.verdict;
    expect(verdict).toMatch(/^mutex 1\.\d\d× higher p99 than actor \(CI \d\.\d\d–\d\.\d\d\)$/);
  });

  it('writes a line, not an empty axis, for a chart with nothing to show', () => {
    const trials = [1, 2].flatMap((r) => [trial('actor', r, 10), trial('mutex', r, 12)]);
    const html = renderHtml(analyse(trials, ['actor', 'mutex'], 1), [], { runId: 'x', command: 'c', machine: 'm', trials: 2, seed: 1 });
    expect(html).toMatch(/<p class="no-data">echo: latency by percentile \(all trials merged\): nothing to show/);
    expect(html).not.toContain('<canvas');
  });

  it('calls arms equivalent within 10% only when the whole interval fits, and estimates the trials an inconclusive one needs', () => {
    const finding = (ratio: number, low: number, high: number): RatioFinding => ({ metric: 'p50', arm: 'mutex', reference: 'actor', estimate: { ratio, low, high, significant: false, trials: 5 } });
    expect(describeRatio(finding(0.99, 0.93, 1.06))).toBe('mutex vs actor: equivalent within 10% in p50 (ratio 0.99, CI 0.93–1.06)');
    // The equal-footing echo comparison's interval: neither excludes 1 nor fits ±10%.
    const wide = describeRatio(finding(0.98, 0.84, 1.12));
    expect(wide).toMatch(/^mutex vs actor: no significant difference in p50, not equivalent within 10% either — inconclusive, more trials needed \(about (\d+) per arm\)/);
    expect(Number(/about (\d+)/.exec(wide)![1])).toBeGreaterThan(5);
    expect(trialsToDecide({ ratio: 1, low: 0.95, high: 1.05, significant: false, trials: 5 })).toBeLessThanOrEqual(5);
  });

  it('reads a ratio far below 1 as its inverse, and a zero as none', () => {
    const finding = (ratio: number, low: number, high: number): RatioFinding => ({ metric: 'p50', arm: 'actor:policy=drop', reference: 'actor', estimate: { ratio, low, high, significant: true } });
    expect(describeRatio(finding(0.00031, 0.00028, 0.00034))).toBe('actor:policy=drop 3,226× lower p50 than actor (CI of the ratio 0.00028–0.00034: 2,941–3,571× lower)');
    expect(describeRatio(finding(0.8, 0.7, 0.9))).toBe('actor:policy=drop 1.25× lower p50 than actor (CI of the ratio 0.70–0.90: 1.11–1.43× lower)');
    expect(describeRatio(finding(0, 0, 0))).toBe('actor:policy=drop has no p50 where actor has some (ratio 0 in every resample)');
    expect(describeRatio(finding(12.4, 11, 14))).toBe('actor:policy=drop 12.4× higher p50 than actor (CI 11.0–14.0)');
    expect(describeRatio(finding(14355.26, 13815.26, 14523.13))).toBe('actor:policy=drop 14,355× higher p50 than actor (CI 13,815–14,523)');
  });

  it('calls overlapping arms "no significant difference", never a win', () => {
    const noisy = [9, 11, 10, 12, 8];
    const trials = noisy.flatMap((v, i) => [trial('actor#1', i + 1, v), trial('actor#2', i + 1, noisy[(i + 2) % 5]!)]);
    const s = analyse(trials, ['actor#1', 'actor#2'], 1).scenarios[0]!;
    // Noise of ±20% over 5 trials: no difference shown, and no equivalence either — how many trials would tell.
    expect(s.verdict).toMatch(/^actor#2 vs actor#1: no significant difference in p99, not equivalent within 10% either — inconclusive, more trials needed \(about \d+ per arm\) \(ratio 1\.00, CI /);
    const p99 = s.ratios.find((r) => r.metric === 'p99')!;
    expect(describeRatio(p99)).not.toMatch(/higher|lower/);
  });

  it('pairs by round on request: the per-round ratios, with their exact interval', () => {
    // Round r makes both arms slower alike; within a round, mutex is 10% slower.
    const trials = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((r) => [trial('actor', r, 10 * (1 + r / 5)), trial('mutex', r, 11 * (1 + r / 5))]);
    const independent = analyse(trials, ['actor', 'mutex'], 1);
    const paired = analyse(trials, ['actor', 'mutex'], 1, { pairing: 'by-round' });
    expect(independent.pairing).toBe('independent');
    expect(independent.scenarios[0]!.ratios.find((r) => r.metric === 'p99')!.estimate.significant).toBe(false);
    expect(paired.pairing).toBe('by-round');
    const p99 = paired.scenarios[0]!.ratios.find((r) => r.metric === 'p99')!.estimate;
    expect(p99).toMatchObject({ significant: true, trials: 10, coverage: 0.9785 });
    expect(p99.ratio).toBeCloseTo(1.1, 6);
    expect(paired.scenarios[0]!.verdict).toMatch(/^mutex 1\.10× higher p99 than actor/);
  });

  it('stands a saturation comparison on the sustainable rate alone, and gives no ratio from searches the load generator ended (censored)', () => {
    const search = (arm: string, round: number, rate: number, limitedBy: 'server' | 'loadgen' = 'server'): Trial => ({
      ...trial(arm, round, 20),
      saturation: { sloP99Ms: 50, sustainableRate: rate, limitedBy, points: [{ rate, ok: true, file: 'x' }] },
    });
    const uncensored = [1, 2, 3, 4, 5].flatMap((r) => [search('actor', r, 12000 + r * 100), search('mutex', r, 6000 + r * 100)]);
    const s = analyse(uncensored, ['actor', 'mutex'], 1, { saturation: { sloP99Ms: 50 } }).scenarios[0]!;
    expect(s.primaryMetric).toBe('sustainableRate');
    // Figures measured at each arm's own limit are not compared.
    expect(s.ratios.map((r) => r.metric)).toEqual(['sustainableRate']);
    expect(Object.keys(s.arms[0]!.metrics)).toEqual(['sustainableRate']);
    expect(s.arms[0]!.metrics.sustainableRate).toMatchObject({ median: 12300, low: 12100, high: 12500 });
    expect(s.verdict).toMatch(/^mutex 1\.9\d× lower sustainable rate within the p99 bound than actor \(CI of the ratio/);
    // One search the load generator ended holds a lower bound, not a value: no ratio, no trials-to-decide, and the count said.
    const trials = [1, 2, 3, 4, 5].flatMap((r) => [search('actor', r, 12000 + r * 100), search('mutex', r, 6000 + r * 100, r === 3 ? 'loadgen' : 'server')]);
    const censored = analyse(trials, ['actor', 'mutex'], 1, { saturation: { sloP99Ms: 50 } }).scenarios[0]!;
    expect(censored.ratios).toEqual([]);
    expect(censored.arms[1]!.saturated).toBe(1);
    expect(censored.arms[1]!.searches?.censored).toBe(1);
    expect(censored.verdict).toMatch(/^mutex vs actor: verdict withheld: 1 of 5 mutex searches censored \(stopped by the load generator or --max-rate: their rates are lower bounds\) \[mutex: 1 loadgen-saturated, 1 search\(es\) censored: rate ≥ the one found\]$/);
    expect(censored.verdict).not.toMatch(/searches per arm would decide/);
    // A search that held no rate at all, or stopped at --max-rate, is said, not silently dropped.
    const failedSearch: Trial = { ...trial('mutex', 6, 20), saturation: { sloP99Ms: 50, sustainableRate: null, limitedBy: 'server', points: [{ rate: 4000, ok: false, reason: 'p99', file: 'x' }] } };
    const capped: Trial = { ...search('actor', 6, 200000), saturation: { sloP99Ms: 50, sustainableRate: 200000, limitedBy: 'max-rate', points: [] } };
    const withBoth = analyse([...trials, failedSearch, capped], ['actor', 'mutex'], 1, { saturation: { sloP99Ms: 50 } }).scenarios[0]!;
    expect(withBoth.arms[1]!.metrics.sustainableRate!.trials).toBe(5);
    expect(withBoth.verdict).toMatch(/\[actor: 1 search\(es\) reached --max-rate \(a lower bound\), 1 search\(es\) censored: rate ≥ the one found; mutex: 1 loadgen-saturated, 1 search\(es\) held no rate, not even the first \(left out of the median\), 1 search\(es\) censored: rate ≥ the one found\]$/);
    // Without --find-saturation the rate is no metric at all.
    expect(analyse(trials, ['actor', 'mutex'], 1).scenarios[0]!.ratios.some((r) => r.metric === 'sustainableRate')).toBe(false);
  });

  it('reads a reference at 0 the other way round: "has … where … has none", not "nothing to compare"', () => {
    const faulted = (arm: string, round: number, served: number): Trial => {
      const t = trial(arm, round, 10);
      const result = t.result as CompletedResult;
      return { ...t, result: { ...result, scenario: { ...result.scenario, primaryMetric: 'servedAfterFault' }, fault: { site: 'registry', atSecond: 3, activeBefore: 100, servedAfter: served, secondsAfter: 5, secondsDisrupted: served === 0 ? 5 : 0, ghosts: 0, faultFramesReceived: 1 } } as unknown as CompletedResult };
    };
    const trials = [1, 2, 3, 4, 5].flatMap((r) => [faulted('actor', r, 0), faulted('actor:supervision=resume', r, 100)]);
    const s = analyse(trials, ['actor', 'actor:supervision=resume'], 1).scenarios[0]!;
    expect(s.primaryMetric).toBe('servedAfterFault');
    expect(s.verdict).toMatch(/^actor:supervision=resume has clients served after the fault where actor has none \(actor's is 0 in every resample\)/);
    expect(s.ratios.find((r) => r.metric === 'servedAfterFault')).toMatchObject({ inverse: true, estimate: { ratio: 0, significant: true } });
  });

  it('counts failed, saturated and stalled trials instead of hiding them', () => {
    const trials = [
      trial('actor', 1, 10),
      trial('actor', 2, 11),
      { ...trial('mutex', 1, 10), result: { ...fixture, verdict: 'loadgen-saturated' as const } },
      { ...trial('mutex', 2, 10), result: { ...fixture, status: 'failed' as const, error: { code: 'ERR_RUN_FAILED', message: 'x' } } },
    ];
    const s = analyse(trials as Trial[], ['actor', 'mutex'], 1).scenarios[0]!;
    expect(s.arms[1]).toMatchObject({ trials: 2, completed: 1, saturated: 1 });
    expect(s.verdict).toMatch(/\[mutex: 1 failed, 1 loadgen-saturated\]$/);
  });
});

describe('npm run compare', () => {
  const compare = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'compare/cli.ts', ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });

  it.each([
    [['--models', 'actor'], /^error: --models needs at least two arms to compare, got 'actor'$/],
    [['--models', 'actor,actors'], /^error: arm 'actors': the model must be one of actor, mutex, baseline, got 'actors'$/],
    [['--trials', '1'], /^error: --trials must be an integer from 2 to 100, got '1'$/],
    [['--find-saturation', '--rate', '5000', '--max-rate', '4000', '--models', 'actor,mutex'], /^error: --find-saturation starts at the rate \(5000 msg\/s\), which must not exceed --max-rate \(4000\); lower --rate or raise --max-rate$/],
    [['--debug-slow-arm', '5:10', '--models', 'actor,mutex'], /^error: --debug-slow-arm must be <arm index 0\.\.1>:<µs ≥ 1>/],
    [['--scenarios', 'echo,nope'], /^error: --scenario must be one of /],
  ])('exits 2 with a one-line error for %j', async (args, message) => {
    const { code, stderr } = await compare(args);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.trim()).toMatch(message);
  });

  it('runs interleaved trials and writes raw results, compare.json and report.md', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'compare-'));
    const { code, stdout, stderr } = await compare(['--models', 'baseline,baseline', '--clients', '5', '--duration', '0.3', '--warmup', '0', '--rate', '50', '--trials', '2', '--out', out]);
    expect(stderr).toMatch(/4 runs: 1 scenario\(s\) × 2 arms × 2 trials, interleaved/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/baseline#2 \/ baseline#1/);
    // The verdict is one string, written alike to compare.json and report.md.
    const folder = readdirSync(out).find((d) => d.endsWith('-compare'))!;
    const stored = JSON.parse(readFileSync(path.join(out, folder, 'compare.json'), 'utf8')) as { scenarios: { verdict: string }[] };
    const markdown = readFileSync(path.join(out, folder, 'report.md'), 'utf8');
    for (const s of stored.scenarios) expect(markdown).toContain(`**${s.verdict}**`);
    // Two trials per arm: the report says what its intervals really cover (50%), not just "95%".
    expect(markdown).toMatch(/coverage of the median 50%: with this few trials 95% cannot be had/);
    // The answer comes first: a line per scenario, on its primary metric, before any table.
    expect(markdown.indexOf(`**echo** (on latency p50): ${stored.scenarios[0]!.verdict}`)).toBeGreaterThan(0);
    expect(markdown.indexOf('**echo** (on latency p50)')).toBeLessThan(markdown.indexOf('| metric'));
    const [dir] = readdirSync(out);
    expect(readdirSync(path.join(out, dir!, 'raw')).sort()).toEqual(['echo-baseline#1-1.json', 'echo-baseline#1-2.json', 'echo-baseline#2-1.json', 'echo-baseline#2-2.json']);
    const analysis = JSON.parse(readFileSync(path.join(out, dir!, 'compare.json'), 'utf8')) as { schemaVersion: number; reference: string; scenarios: { verdict: string }[] };
    expect(analysis).toMatchObject({ schemaVersion: 3, reference: 'baseline#1', pairing: 'independent' });
    const report = readFileSync(path.join(out, dir!, 'report.md'), 'utf8');
    expect(report).toMatch(/^# Comparison .*-compare$/m);
    expect(report).toContain(`**${analysis.scenarios[0]!.verdict}**`);
  });
});

describe('npm run compare --find-saturation', () => {
  it('searches once per trial, writes every point, and regenerates its report as a saturation comparison', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'compare-saturation-'));
    const run = (script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
      });
    // 5 clients at 40 then 60 msg/s both hold a 1 s bound; the next step (90) is past --max-rate: each search ends at 60.
    const args = ['--models', 'baseline,baseline', '--find-saturation', '--slo-p99', '1s', '--max-rate', '80', '--clients', '5', '--duration', '0.3', '--warmup', '0', '--rate', '40', '--trials', '2', '--out', out];
    const { code, stdout } = await run('compare/cli.ts', args);
    expect(code).toBe(0);
    const [folder] = readdirSync(out);
    const dir = path.join(out, folder!);
    expect(readdirSync(path.join(dir, 'raw')).filter((f) => f.startsWith('echo-baseline#1-1-')).sort()).toEqual(['echo-baseline#1-1-rate40.json', 'echo-baseline#1-1-rate60.json']);
    const stored = JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as { saturation: { sloP99Ms: number }; files: { saturation: { sustainableRate: number; limitedBy: string; points: unknown[] } }[]; scenarios: { primaryMetric: string; verdict: string }[] };
    expect(stored.saturation).toEqual({ sloP99Ms: 1000 });
    expect(stored.files).toHaveLength(4);
    for (const f of stored.files) expect(f.saturation).toMatchObject({ sustainableRate: 60, limitedBy: 'max-rate', points: [{ rate: 40, ok: true }, { rate: 60, ok: true }] });
    expect(stored.scenarios[0]).toMatchObject({ primaryMetric: 'sustainableRate' });
    expect(stdout).toContain('sustainable rate within the p99 bound');
    // Regenerated from the folder alone: still a saturation comparison, with the same verdict.
    const again = await run('compare/report-cli.ts', [dir]);
    expect(again.code).toBe(0);
    const regenerated = JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as typeof stored;
    expect(regenerated.scenarios[0]!.verdict).toBe(stored.scenarios[0]!.verdict);
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain('each trial a search for the highest open-loop rate held with p99 ≤ 1000 ms');
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('No charts for a saturation comparison');
    // Re-read paired by round, then back: compare.json records the analysis it holds.
    expect((await run('compare/report-cli.ts', [dir, '--paired'])).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8'))).toMatchObject({ pairing: 'by-round', saturation: { sloP99Ms: 1000 } });
    expect((await run('compare/report-cli.ts', [dir, '--independent'])).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8'))).toMatchObject({ pairing: 'independent' });
  });
});

describe('npm run report', () => {
  const report = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'compare/report-cli.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  const fixtureFile = fileURLToPath(new URL('./fixtures/result-v3.json', import.meta.url));

  it('regenerates report.md and report.html from a comparison folder alone', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'report-'));
    const files = [1, 2].flatMap((round) => ['actor', 'mutex'].map((arm) => ({ scenario: 'echo', arm, round, file: `raw/echo-${arm}-${round}.json` })));
    mkdirSync(path.join(dir, 'raw'));
    for (const f of files) writeFileSync(path.join(dir, f.file), readFileSync(fixtureFile));
    const stored = { runId: 'stored-run', command: 'npm run compare -- …', machine: 'test', trials: 2, seed: 1, arms: [{ name: 'actor' }, { name: 'mutex' }], files };
    writeFileSync(path.join(dir, 'compare.json'), JSON.stringify(stored));
    const { code, stdout } = await report([dir]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/mutex \/ actor/);
    expect(readFileSync(path.join(dir, 'report.md'), 'utf8')).toMatch(/^# Comparison stored-run$/m);
    expect(readFileSync(path.join(dir, 'report.html'), 'utf8')).toMatch(/<canvas id="echo-distribution"/);
  });

  it('compares two stored results as single runs, without a verdict it cannot give', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'report-files-'));
    const { code, stdout } = await report([fixtureFile, fixtureFile, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/mutex#2 vs mutex#1: p99 ratio 1\.00 from single runs \(no interval, no verdict\)/);
    const [dir] = readdirSync(out);
    expect(readdirSync(path.join(out, dir!)).sort()).toEqual(['report.html', 'report.md']);
  });

  it('exits 2 with a one-line error for a path that does not exist, or a single file', async () => {
    for (const [args, message] of [
      [['/nonexistent/run'], /^error: \/nonexistent\/run: no such file or folder$/],
      [[fixtureFile], /^error: give one comparison folder \(results\/<run id>\) or two or more bench result files$/],
    ] as [string[], RegExp][]) {
      const { code, stderr } = await report(args);
      expect(code).toBe(2);
      expect(stderr.trim()).toMatch(message);
    }
  });
});
