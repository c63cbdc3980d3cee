/**
 * Equal footing, counted: how many microtask turns an uncontended echo and broadcast take from the
 * call to the frame landing in the receivers' outbound queues. Each design implies its count: the
 * actor's one mailbox hop (its message-passing cost), none for the mutex on a free lock (FIFO lock,
 * taken at once like tokio's) and none for the baseline; the `async-mutex` variant shows what that
 * library's promise chain costs. A model that gains or loses a hop fails here.
 */
import { describe, expect, it } from 'vitest';
import type { ModelDefinition } from '../servers/common/model-definition.ts';
import type { Registry } from '../servers/common/registry.ts';
import { MODEL_DEFINITIONS } from '../servers/models.ts';
import { serialChainModel } from './fixtures/models/serial-chain/model.ts';
import { RecordingOutbound } from './helpers/recording-outbound.ts';

/**
 * Calls `start`, then counts microtask turns until `done()`: each `await null` lets exactly one
 * turn of already-queued continuations run first, so the count is the depth of the chain of
 * microtasks the operation needed (0 when it completed synchronously).
 */
async function turnsUntil(done: () => boolean, start: () => unknown): Promise<number> {
  void start();
  let turns = 0;
  while (!done()) {
    await null;
    if (++turns > 50) throw new Error('the operation did not complete within 50 microtask turns');
  }
  return turns;
}

async function registryWithClients(definition: ModelDefinition, options: Record<string, string>, clients: number): Promise<{ registry: Registry; outs: RecordingOutbound[]; ids: number[] }> {
  const registry = definition.create({ queueFor: () => new RecordingOutbound(), timingSampleEvery: undefined, options }).registry;
  const outs = Array.from({ length: clients }, () => new RecordingOutbound());
  const ids = await Promise.all(outs.map((o) => registry.register(o)));
  await registry.size(); // every registration handled
  await new Promise((resolve) => setImmediate(resolve)); // and the model idle again
  return { registry, outs, ids };
}

const cases: [string, ModelDefinition, Record<string, string>, { echo: number; broadcast: number }][] = [
  ['actor', MODEL_DEFINITIONS.actor, {}, { echo: 1, broadcast: 1 }],
  ['mutex', MODEL_DEFINITIONS.mutex, {}, { echo: 0, broadcast: 0 }],
  ['baseline', MODEL_DEFINITIONS.baseline, {}, { echo: 0, broadcast: 0 }],
  ['mutex:lock=async-mutex', MODEL_DEFINITIONS.mutex, { lock: 'async-mutex' }, { echo: 4, broadcast: 4 }],
  // The test-only model awaits every send of its broadcast, READY ones too: one turn each.
  ['serial-chain', serialChainModel, {}, { echo: 1, broadcast: 7 }],
];

describe.each(cases)('%s, uncontended', (_label, definition, options, expected) => {
  it(`takes the microtask turns its design implies`, async () => {
    const { registry, outs, ids } = await registryWithClients(definition, options, 4);
    const echo = await turnsUntil(() => outs[0]!.frames.includes('ping'), () => registry.echo(ids[0]!, 'ping'));
    const broadcast = await turnsUntil(() => outs.slice(1).every((o) => o.frames.includes('news')), () => registry.broadcast(ids[0]!, 'news'));
    expect({ echo, broadcast }).toEqual(expected);
    registry.close();
  });
});
