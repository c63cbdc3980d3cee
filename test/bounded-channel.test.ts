import { describe, expect, it } from 'vitest';
import { BoundedChannel } from '../servers/common/bounded-channel.ts';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BoundedChannel', () => {
  it('accepts up to its capacity at once and hands items out in order', async () => {
    const channel = new BoundedChannel<number>(3);
    await Promise.all([channel.send(1), channel.send(2), channel.send(3)]);
    expect(channel.size).toBe(3);
    expect([channel.take(), channel.take(), channel.take(), channel.take()]).toEqual([1, 2, 3, undefined]);
  });

  it('makes senders wait when full and admits them first in, first out', async () => {
    const channel = new BoundedChannel<string>(1);
    await channel.send('a');
    const admitted: string[] = [];
    void channel.send('b').then(() => admitted.push('b'));
    void channel.send('c').then(() => admitted.push('c'));
    await flush();
    expect(admitted).toEqual([]);
    expect(channel.waitingSenders).toBe(2);
    expect(channel.trySend('d')).toBe(false);

    expect(channel.take()).toBe('a');
    await flush();
    expect(admitted).toEqual(['b']);
    expect(channel.take()).toBe('b');
    expect(channel.take()).toBe('c');
    await flush();
    expect(admitted).toEqual(['b', 'c']);
    expect(channel.waitingSenders).toBe(0);
  });

  it('wakes a waiting receiver and tells it when the channel closes', async () => {
    const channel = new BoundedChannel<number>(2);
    const first = channel.receive();
    await channel.send(7);
    expect(await first).toBe(7);
    const second = channel.receive();
    channel.close();
    expect(await second).toBeUndefined();
  });

  it('releases waiting senders on close and drops later sends', async () => {
    const channel = new BoundedChannel<number>(1);
    await channel.send(1);
    const waiting = channel.send(2);
    channel.close();
    await expect(waiting).resolves.toBeUndefined();
    await channel.send(3);
    expect(channel.size).toBe(0);
    expect(channel.take()).toBeUndefined();
  });

  it('rejects a capacity below 1', () => {
    expect(() => new BoundedChannel(0)).toThrow(/capacity/);
  });
});
