/** Builds a model by name: its registry and the outbound each of its connections gets. */
import type { WebSocket } from 'ws';
import { ActorRegistry } from './actor/registry.ts';
import { BaselineRegistry } from './baseline/registry.ts';
import { MutexRegistry } from './mutex/registry.ts';
import { DEFAULT_OUTBOUND_CAPACITY, DEFAULT_WRITE_HIGH_WATER_MARK, DirectOutbound, OutboundQueue, type Outbound } from './common/outbound.ts';
import type { ServerMetrics } from './metrics/server-metrics.ts';
import { AWAIT_POLICY, PolicyCounters, type SlowConsumerPolicy } from './common/slow-consumer-policy.ts';
import type { ModelName, Registry } from './common/registry.ts';

export interface Model {
  readonly registry: Registry;
  readonly outboundFor: (ws: WebSocket) => Outbound;
  /** What the slow-consumer policy did (always zero for the baseline, which has no queues). */
  readonly policyCounters: PolicyCounters;
}

/**
 * Builds a model; with `metrics`, its registry and outbound queues record into them. The
 * slow-consumer policy applies to the models' outbound queues; the baseline has none to apply it to.
 */
export function createModel(name: ModelName, metrics?: ServerMetrics, policy: SlowConsumerPolicy = AWAIT_POLICY): Model {
  const policyCounters = new PolicyCounters();
  const queueFor = (ws: WebSocket): Outbound =>
    new OutboundQueue(ws, { capacity: DEFAULT_OUTBOUND_CAPACITY, highWaterMark: DEFAULT_WRITE_HIGH_WATER_MARK, ...(metrics && { onFull: metrics.queueFull }), policy, policyCounters });
  switch (name) {
    case 'actor': {
      const registry = new ActorRegistry(metrics?.actor);
      if (metrics) metrics.actorDepth = () => registry.mailboxDepth;
      return { registry, outboundFor: queueFor, policyCounters };
    }
    case 'mutex':
      return { registry: new MutexRegistry(metrics?.mutex), outboundFor: queueFor, policyCounters };
    case 'baseline':
      return { registry: new BaselineRegistry(), outboundFor: (ws) => new DirectOutbound(ws), policyCounters };
  }
}
