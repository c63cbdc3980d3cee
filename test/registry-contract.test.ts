/** Every model passes the same contract: register, unregister, echo, broadcast, send-to, size. */
import { describe, expect, it } from 'vitest';
import { ActorRegistry } from '../servers/actor/registry.ts';
import { BaselineRegistry } from '../servers/baseline/registry.ts';
import { MutexRegistry } from '../servers/mutex/registry.ts';
import type { Frame, Outbound } from '../servers/common/outbound.ts';
import type { Registry } from '../servers/common/registry.ts';

class RecordingOutbound implements Outbound {
  readonly frames: string[] = [];
  send(frame: Frame): Promise<void> {
    this.frames.push(frame.toString());
    return Promise.resolve();
  }
  close(): void {}
}

const models: [string, () => Registry][] = [
  ['actor', () => new ActorRegistry()],
  ['mutex', () => new MutexRegistry()],
  ['baseline', () => new BaselineRegistry()],
];

/** The actor answers asynchronously: a size() round trip proves earlier mail has been handled. */
const settled = (registry: Registry): Promise<number> => registry.size();

describe.each(models)('%s registry', (_name, create) => {
  it('assigns distinct ids and counts registered clients', async () => {
    const registry = create();
    const ids = await Promise.all(Array.from({ length: 50 }, () => registry.register(new RecordingOutbound())));
    expect(new Set(ids).size).toBe(50);
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
    expect(a.frames).toEqual(['ping']);
    expect(b.frames).toEqual([]);
    registry.close();
  });

  it('broadcasts to every other client, never back to the sender', async () => {
    const registry = create();
    const outs = Array.from({ length: 5 }, () => new RecordingOutbound());
    const ids: number[] = [];
    for (const out of outs) ids.push(await registry.register(out));
    await registry.broadcast(ids[2]!, Buffer.from('news'));
    await settled(registry);
    expect(outs.map((o) => o.frames.length)).toEqual([1, 1, 0, 1, 1]);
    expect(outs[0]!.frames).toEqual(['news']);
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
    expect(b.frames).toEqual(['for b']);
    expect(c.frames).toEqual([]);
    expect(a.frames).toHaveLength(1);
    expect(a.frames[0]).toMatch(/^\/error unknown-client /);
    registry.close();
  });

  it('keeps the order of one sender\'s messages', async () => {
    const registry = create();
    const [a, b] = [new RecordingOutbound(), new RecordingOutbound()];
    const idA = await registry.register(a);
    const idB = await registry.register(b);
    for (let i = 0; i < 100; i++) await registry.sendTo(idA, idB, Buffer.from(String(i)));
    await settled(registry);
    expect(b.frames).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
    registry.close();
  });

  it('forgets unregistered clients and is empty after all leave', async () => {
    const registry = create();
    const outs = Array.from({ length: 20 }, () => new RecordingOutbound());
    const ids = await Promise.all(outs.map((o) => registry.register(o)));
    await registry.unregister(ids[0]!);
    await registry.broadcast(ids[1]!, Buffer.from('after'));
    await settled(registry);
    expect(outs[0]!.frames).toEqual([]);
    expect(await registry.size()).toBe(19);
    await Promise.all(ids.map((id) => registry.unregister(id)));
    expect(await registry.size()).toBe(0);
    registry.close();
  });
});
