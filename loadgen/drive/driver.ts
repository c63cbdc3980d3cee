/**
 * The traffic of a run, open loop or closed loop, behind one interface (as k6's executors are):
 * the coordinator asks for warm-up traffic, then for the measured traffic, and passes replies on;
 * how and when probes go out is the driver's alone.
 */
import type { LoadPlan, TrafficPhase } from '../plan.ts';
import type { ClientPool } from './client-pool.ts';
import type { LoadClient } from './connect.ts';
import { ClosedLoopDriver } from './closed-loop.ts';
import { OpenLoopDriver } from './open-loop.ts';
import type { ProbeSender } from './probe-sender.ts';

export interface TrafficDriver {
  /** Warm-up traffic over [startNs, endNs): sent, never timed (nothing when they are equal). */
  warmUp(startNs: number, endNs: number): Promise<void>;
  /** The measured traffic over [startNs, endNs); `phaseBegins(atNs)` as each traffic phase begins, before its first probe. */
  measure(startNs: number, endNs: number, phaseBegins: (atNs: number) => void): Promise<void>;
  /** A probe of `client`'s came back at `nowNs`. */
  replied(client: LoadClient, nowNs: number): void;
  /** No more probes from here on. */
  stop(): void;
}

export interface DriverContext {
  readonly plan: LoadPlan;
  readonly phases: readonly TrafficPhase[];
  readonly pool: ClientPool;
  readonly sender: ProbeSender;
  readonly random: () => number;
  /** How late a scheduled send left. */
  readonly sendLag: (lateNs: number) => void;
  /** Aborted (an interrupt, the server gone): warm-up and measured traffic end early. */
  readonly signal?: AbortSignal;
}

export function createDriver(context: DriverContext): TrafficDriver {
  const { mode } = context.plan;
  return mode.kind === 'closed-loop' ? new ClosedLoopDriver(context, mode.inFlight) : new OpenLoopDriver(context);
}

/** The plan's traffic phases: the scenario's, or one steady phase at the plan's rate. */
export function trafficPhases(plan: LoadPlan): readonly TrafficPhase[] {
  return plan.phases ?? [{ name: 'steady', durationMs: plan.durationMs, rate: plan.mode.kind === 'open-loop' ? plan.mode.rate : 0 }];
}
