/**
 * Every model passes the same contract: register, unregister, echo, broadcast, send-to, size —
 * each built from its plug-in definition, the test-only one included (test/helpers/contract-models.ts).
 */
import { describe, expect, it } from 'vitest';
import { READY } from '../servers/common/bounded-channel.ts';
import type { ModelDefinition } from '../servers/common/model-definition.ts';
import type { Frame, Outbound } from '../servers/common/outbound.ts';
import type { Registry } from '../servers/common/registry.ts';
import { CONTRACT_MODELS, STALLS_BEHIND_A_FULL_QUEUE } from './helpers/contract-models.ts';
import { RecordingOutbound } from './helpers/recording-outbound.ts';

/** A client whose queue is full: every send waits until `release()`. */
class BlockedOutbound extends RecordingOutbound {
  private waiters: (() => void)[] = [];
  blocked = false;
  override send(frame: Frame): Promise<void> {
    if (!this.blocked) return super.send(frame);
    return new Promise<void>((resolve) => this.waiters.push(() => resolve(void super.send(frame))));
  }
  release(): void {
    this.blocked = false;
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** A model's registry, without metrics; the tests hand it outbounds of their own. */
const registryOf = (definition: ModelDefinition): Registry =>
  definition.create({
    queueFor: () => new RecordingOutbound(),
    timingSampleEvery: undefined,
    options: {},
  }).registry;

const models: [string, () => Registry][] = CONTRACT_MODELS.map((d) => [d.name, () => registryOf(d)]);

/** The actor answers asynchronously: a size() round trip proves earlier mail has been handled. */
const settled = (registry: Registry): Promise<number> => registry.size();
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe.each(models)('%s registry', (_name, create) => {
  it('assigns distinct ids, welcomes each client first, and counts them', async () => {
    const registry = create();
    const outs = Array.from({ length: 50 }, () => new RecordingOutbound());
    const ids = await Promise.all(outs.map((o) => registry.register(o)));
    expect(new Set(ids).size).toBe(50);
    outs.forEach((o, i) => expect(o.frames).toEqual([`/welcome ${ids[i]}`]));
    expect(await registry.size()).toBe(50);
    registry.close();
  });

  it('echoes to the sender only', async () => {
    const registry = create();
    const [a, b] = [new RecordingOutbound(), new RecordingOutbound()];
    const idA = await registry.register(a);
    await registry.register(b);
    await registry.echo(idA, Buffer.from('ping'));
    await settled(registry);
    expect(a.payloads).toEqual(['ping']);
    expect(b.payloads).toEqual([]);
    registry.close();
  });

  it('broadcasts to every other client, never back to the sender', async () => {
    const registry = create();
    const outs = Array.from({ length: 5 }, () => new RecordingOutbound());
    const ids: number[] = [];
    for (const out of outs) ids.push(await registry.register(out));
    await registry.broadcast(ids[2]!, Buffer.from('news'));
    await settled(registry);
    expect(outs.map((o) => o.payloads.length)).toEqual([1, 1, 0, 1, 1]);
    expect(outs[0]!.payloads).toEqual(['news']);
    registry.close();
  });

  it('sends to one client by id, and tells the sender when the id is unknown', async () => {
    const registry = create();
    const [a, b, c] = [new RecordingOutbound(), new RecordingOutbound(), new RecordingOutbound()];
    const idA = await registry.register(a);
    const idB = await registry.register(b);
    await registry.register(c);
    await registry.sendTo(idA, idB, Buffer.from('for b'));
    await registry.sendTo(idA, 9999, Buffer.from('for nobody'));
    await settled(registry);
    expect(b.payloads).toEqual(['for b']);
    expect(c.payloads).toEqual([]);
    expect(a.payloads).toHaveLength(1);
    expect(a.payloads[0]).toMatch(/^\/error unknown-client /);
    registry.close();
  });

  it("keeps the order of one sender's messages", async () => {
    const registry = create();
    const [a, b] = [new RecordingOutbound(), new RecordingOutbound()];
    const idA = await registry.register(a);
    const idB = await registry.register(b);
    for (let i = 0; i < 100; i++) await registry.sendTo(idA, idB, Buffer.from(String(i)));
    await settled(registry);
    expect(b.payloads).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    registry.close();
  });

  it('forgets unregistered clients and is empty after all leave', async () => {
    const registry = create();
    const outs = Array.from({ length: 20 }, () => new RecordingOutbound());
    const ids = await Promise.all(outs.map((o) => registry.register(o)));
    await registry.unregister(ids[0]!);
    await registry.broadcast(ids[1]!, Buffer.from('after'));
    await settled(registry);
    expect(outs[0]!.payloads).toEqual([]);
    expect(await registry.size()).toBe(19);
    await Promise.all(ids.map((id) => registry.unregister(id)));
    expect(await registry.size()).toBe(0);
    registry.close();
  });
});

/**
 * The behaviour the design note is about: in both models a send to a full client queue is awaited
 * while the registry is held (the actor busy, or the lock taken), so it stalls every other
 * operation; the baseline never waits.
 */
describe.each(CONTRACT_MODELS.map((d) => [d.name, () => registryOf(d), STALLS_BEHIND_A_FULL_QUEUE[d.name]] as const))('%s registry behind a full client queue', (name, create, stallsEveryone) => {
  it(stallsEveryone ? 'stalls other clients until the queue drains' : 'keeps serving other clients', async () => {
    expect(stallsEveryone, `${name}: say in STALLS_BEHIND_A_FULL_QUEUE whether the design stalls behind a full queue`).toBeTypeOf('boolean');
    const registry = create();
    const slow = new BlockedOutbound();
    const [a, b] = [new RecordingOutbound(), new RecordingOutbound()];
    await registry.register(slow);
    const idA = await registry.register(a);
    const idB = await registry.register(b);
    slow.blocked = true;

    void registry.broadcast(idA, Buffer.from('big news')); // reaches b, then waits on slow
    const echoed = registry.echo(idB, Buffer.from('b asks')).then(() => registry.size());
    for (let i = 0; i < 10; i++) await tick();
    expect(b.payloads.includes('b asks')).toBe(!stallsEveryone);

    slow.release();
    await echoed;
    expect(b.payloads).toContain('b asks');
    expect(slow.payloads).toEqual(['big news']);
    registry.close();
  });
});
