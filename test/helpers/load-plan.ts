/** A small load plan for tests: 50 echo clients at 500 msg/s for 1.5 s unless overridden. */
import type { LoadPlan } from '../../loadgen/plan.ts';

export function testPlan(url: string, overrides: Partial<LoadPlan> = {}): LoadPlan {
  return {
    url,
    clients: 50,
    connectConcurrency: 50,
    connectTimeoutMs: 20_000,
    warmupMs: 0,
    durationMs: 1500,
    mode: { kind: 'open-loop', rate: 500 },
    mix: { echo: 1, broadcast: 0, sendTo: 0 },
    messageBytes: 64,
    drainTimeoutMs: 20_000,
    maxSendLagMs: 10,
    seed: 1,
    ...overrides,
  };
}
