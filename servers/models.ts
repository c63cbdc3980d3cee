/** Builds a model by name: its registry and the outbound each of its connections gets. */
import type { WebSocket } from 'ws';
import { ActorRegistry } from './actor/registry.ts';
import { BaselineRegistry } from './baseline/registry.ts';
import { MutexRegistry } from './mutex/registry.ts';
import { DEFAULT_OUTBOUND_CAPACITY, DEFAULT_WRITE_HIGH_WATER_MARK, DirectOutbound, OutboundQueue, type Outbound } from './common/outbound.ts';
import type { ServerMetrics } from './metrics/server-metrics.ts';
import type { ModelName, Registry } from './common/registry.ts';

export interface Model {
  readonly registry: Registry;
  readonly outboundFor: (ws: WebSocket) => Outbound;
}

/** Builds a model; with `metrics`, its registry and outbound queues record into them. */
export function createModel(name: ModelName, metrics?: ServerMetrics): Model {
  const queueFor = (ws: WebSocket): Outbound => new OutboundQueue(ws, DEFAULT_OUTBOUND_CAPACITY, DEFAULT_WRITE_HIGH_WATER_MARK, metrics?.queueFull);
  switch (name) {
    case 'actor': {
      const registry = new ActorRegistry(metrics?.actor);
      if (metrics) metrics.actorDepth = () => registry.mailboxDepth;
      return { registry, outboundFor: queueFor };
    }
    case 'mutex':
      return { registry: new MutexRegistry(metrics?.mutex), outboundFor: queueFor };
    case 'baseline':
      return { registry: new BaselineRegistry(), outboundFor: (ws) => new DirectOutbound(ws) };
  }
}
