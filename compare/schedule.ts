/**
 * The order of a comparison's runs: for each scenario, rounds of one trial per arm, each round in
 * a seeded random order (A B C, C A B, …), so that drift on a shared, noisy machine falls on every
 * arm alike and no arm always runs first or last.
 */
import { shuffle } from 'simple-statistics';
import { armBenchOptions, type ArmSpec } from '../common/arm-spec.ts';
import { benchArgs, type BenchOptions } from '../loadgen/bench-options.ts';

/** One arm: a model with its options, numbered when the same spec appears twice (an A/A check). */
export interface Arm {
  readonly name: string;
  readonly model: string;
  /** The arm's options as bench options (e.g. slowConsumerPolicy: 'drop'; a slowed arm's debug delay). */
  readonly benchOptions: Partial<BenchOptions>;
  /** The same as bench flags (for the command line each trial records). */
  readonly benchArgs: readonly string[];
}

export interface ScheduledRun {
  readonly scenario: string;
  readonly round: number;
  readonly arm: Arm;
}

/** Names arms after their specs (`actor:policy=drop`); a repeated spec gets #2, #3, … */
export function armsFor(specs: readonly ArmSpec[], slowArm?: { readonly index: number; readonly delayUs: number }, lossyArm?: { readonly index: number; readonly dropEvery: number }): Arm[] {
  const seen = new Map<string, number>();
  return specs.map((spec, i) => {
    const n = (seen.get(spec.label) ?? 0) + 1;
    seen.set(spec.label, n);
    const repeated = specs.filter((s) => s.label === spec.label).length > 1;
    const slowed = slowArm !== undefined && slowArm.index === i;
    const lossy = lossyArm !== undefined && lossyArm.index === i;
    const benchOptions: Partial<BenchOptions> = { ...(armBenchOptions(spec) as Partial<BenchOptions>), ...(slowed && { debugDelayPerMessageUs: slowArm.delayUs }), ...(lossy && { debugDropEvery: lossyArm.dropEvery }) };
    return {
      name: `${spec.label}${repeated ? `#${n}` : ''}${slowed ? ` (+${slowArm.delayUs} µs/msg)` : ''}${lossy ? ` (drops 1 in ${lossyArm.dropEvery})` : ''}`,
      model: spec.model,
      benchOptions,
      benchArgs: benchArgs(benchOptions),
    };
  });
}

export function interleave(scenarios: readonly string[], arms: readonly Arm[], trials: number, random: () => number): ScheduledRun[] {
  const runs: ScheduledRun[] = [];
  for (const scenario of scenarios) {
    for (let round = 1; round <= trials; round++) {
      for (const arm of shuffle([...arms], random)) runs.push({ scenario, round, arm });
    }
  }
  return runs;
}
