/**
 * The order of a comparison's runs: for each scenario, rounds of one trial per arm, each round in
 * a seeded random order (A B C, C A B, …), so that drift on a shared, noisy machine falls on every
 * arm alike and no arm always runs first or last.
 */
import { shuffle } from 'simple-statistics';

/** One arm: a model, numbered when the same model appears twice (an A/A check). */
export interface Arm {
  readonly name: string;
  readonly model: string;
  /** Debug only: extra server flags for this arm (e.g. a per-message delay). */
  readonly serverArgs: readonly string[];
}

export interface ScheduledRun {
  readonly scenario: string;
  readonly round: number;
  readonly arm: Arm;
}

/** Names arms after their models; a repeated model gets #2, #3, … */
export function armsFor(models: readonly string[], slowArm?: { readonly index: number; readonly delayUs: number }): Arm[] {
  const seen = new Map<string, number>();
  return models.map((model, i) => {
    const n = (seen.get(model) ?? 0) + 1;
    seen.set(model, n);
    const repeated = models.filter((m) => m === model).length > 1;
    const slowed = slowArm !== undefined && slowArm.index === i;
    return {
      name: `${model}${repeated ? `#${n}` : ''}${slowed ? ` (+${slowArm.delayUs} µs/msg)` : ''}`,
      model,
      serverArgs: slowed ? ['--debug', '--debug-delay-per-message-us', String(slowArm.delayUs)] : [],
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
