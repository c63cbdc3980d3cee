/** Builds a model by name: its registry and the outbound each of its connections gets. */
import type { WebSocket } from 'ws';
import { ActorRegistry } from './actor/registry.ts';
import { BaselineRegistry } from './baseline/registry.ts';
import { MutexRegistry } from './mutex/registry.ts';
import { DirectOutbound, OutboundQueue, type Outbound } from './common/outbound.ts';
import type { ModelName, Registry } from './common/registry.ts';

export interface Model {
  readonly registry: Registry;
  readonly outboundFor: (ws: WebSocket) => Outbound;
}

export function createModel(name: ModelName): Model {
  switch (name) {
    case 'actor':
      return { registry: new ActorRegistry(), outboundFor: (ws) => new OutboundQueue(ws) };
    case 'mutex':
      return { registry: new MutexRegistry(), outboundFor: (ws) => new OutboundQueue(ws) };
    case 'baseline':
      return { registry: new BaselineRegistry(), outboundFor: (ws) => new DirectOutbound(ws) };
  }
}
