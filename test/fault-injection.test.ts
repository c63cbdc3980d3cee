/**
 * The injected faults of the fault-isolation experiment, over real sockets, in every model: what
 * the original's tokio servers do on a panic, reproduced (SEED-NOTES, "Faults").
 * - registry site, midway through a broadcast: the actor's task ends (the others are no longer
 *   served, the registry cannot even be counted) unless supervised; the mutex and the baseline
 *   lose the broadcasting connection's task (a ghost stays in the map) and serve everyone else;
 * - connection site: the connection's own task ends without its cleanup — a ghost, in every model.
 * Counts only; no timings.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FAULT_MARK } from '../common/fault.ts';
import { startServer, type RunningServer } from '../servers/server.ts';
import { connectTestClient, pause, type TestClient } from './helpers/test-client.ts';
import { RecordingOutbound } from './helpers/recording-outbound.ts';
import { ActorRegistry } from '../servers/actor/registry.ts';
import { READY } from '../servers/common/bounded-channel.ts';
import type { Outbound } from '../servers/common/outbound.ts';
import { InjectedPanic } from '../servers/common/panic.ts';

const CLIENTS = 9; // the sender and 8 others: the broadcast fails after 4 of them got it

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientCount(s: RunningServer): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${s.port}/clients/count`);
  return res.ok ? ((await res.json()) as { count: number }).count : undefined;
}

/** Whether `client` gets an echo back within a second. */
async function served(client: TestClient, text: string): Promise<boolean> {
  const before = client.frames.length;
  client.ws.send(text);
  for (let i = 0; i < 50; i++) {
    if (client.frames.slice(before).includes(text)) return true;
    await pause(20);
  }
  return false;
}

async function setUp(model: 'actor' | 'mutex' | 'baseline', site: 'registry' | 'connection', modelOptions: Record<string, string> = {}): Promise<TestClient[]> {
  server = await startServer({ model, modelOptions, port: 0, debug: { fault: site } });
  const url = `ws://127.0.0.1:${server.port}`;
  const clients: TestClient[] = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(await connectTestClient(url));
  expect(await clientCount(server)).toBe(CLIENTS);
  return clients;
}

describe('a fault midway through a broadcast (site registry)', () => {
  it('actor: ends the actor — half the broadcast delivered, nobody served after, the registry gone', async () => {
    const [faulty, ...others] = await setUp('actor', 'registry');
    faulty!.ws.send(`/broadcast ${FAULT_MARK} 1`);
    await pause(300);
    expect(others.filter((c) => c.frames.some((f) => f.startsWith(FAULT_MARK))).length).toBe(4);
    expect(server!.faultsInjected()).toBe(1);
    expect(await served(others[0]!, 'still there?')).toBe(false);
    expect(await clientCount(server!)).toBeUndefined(); // GET /clients/count fails: no registry service
  });

  it('actor with supervision=resume: the failed message is dropped and every client is still served', async () => {
    const [faulty, ...others] = await setUp('actor', 'registry', { supervision: 'resume' });
    faulty!.ws.send(`/broadcast ${FAULT_MARK} 1`);
    await pause(300);
    expect(others.filter((c) => c.frames.some((f) => f.startsWith(FAULT_MARK))).length).toBe(4);
    for (const client of [faulty!, ...others]) expect(await served(client, 'still there?')).toBe(true);
    expect(await clientCount(server!)).toBe(CLIENTS);
  });

  it.each([['mutex'], ['baseline']] as const)('%s: ends the broadcasting connection without its cleanup — a ghost; everyone else served', async (model) => {
    const [faulty, ...others] = await setUp(model, 'registry');
    faulty!.ws.send(`/broadcast ${FAULT_MARK} 1`);
    await faulty!.closed; // the server dropped its socket
    await pause(200);
    expect(others.filter((c) => c.frames.some((f) => f.startsWith(FAULT_MARK))).length).toBe(4);
    for (const client of others) expect(await served(client, 'still there?')).toBe(true);
    expect(await clientCount(server!)).toBe(CLIENTS); // the faulty client's entry stays: a ghost
  });
});

describe('a fault in a connection task (site connection)', () => {
  it.each([['actor'], ['mutex'], ['baseline']] as const)('%s: the connection ends without its cleanup — a ghost; everyone else served', async (model) => {
    const [faulty, ...others] = await setUp(model, 'connection');
    faulty!.ws.send(`${FAULT_MARK} 1`);
    await faulty!.closed;
    await pause(200);
    for (const client of others) expect(await served(client, 'still there?')).toBe(true);
    expect(await clientCount(server!)).toBe(CLIENTS);
    for (const client of others) client.ws.close();
    await Promise.all(others.map((c) => c.closed));
    await pause(200);
    expect(await clientCount(server!)).toBe(1); // only the ghost is left
  });
});

describe('an actor whose task has ended', () => {
  it('fails the registrations and size requests queued behind the fatal message, instead of leaving them unanswered', async () => {
    const registry = new ActorRegistry();
    const panicking: Outbound = {
      send: (frame) => {
        if (frame.toString().startsWith(FAULT_MARK)) throw new InjectedPanic('registry');
        return READY;
      },
      close: () => {},
    };
    const sender = await registry.register(new RecordingOutbound());
    await registry.register(panicking);
    // All three are in the mailbox before the actor takes the first.
    const broadcast = registry.broadcast(sender, `${FAULT_MARK} 1`);
    const size = registry.size();
    const register = registry.register(new RecordingOutbound());
    await broadcast; // posted: the failure is the actor's, not the poster's
    await expect(size).rejects.toMatchObject({ code: 'ERR_ACTOR_STOPPED' });
    await expect(register).rejects.toMatchObject({ code: 'ERR_ACTOR_STOPPED' });
    await expect(registry.echo(sender, 'later')).rejects.toThrow(/the actor has stopped: injected fault \(registry\)/);
  });
});
