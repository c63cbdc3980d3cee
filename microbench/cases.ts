/**
 * The microbenchmarks' cases: the coordination primitives the servers use, in one process, with no
 * sockets. Each lock's acquire/release; each model's registry round trip (`size()`: for the actor a
 * mailbox post and reply, for the mutex a lock acquire, read and release, for the baseline
 * nothing); and a broadcast into 1,000 or 10,000 in-memory outbound queues (the servers' own
 * OutboundQueue over a socket stand-in that accepts every frame) through each model. Every case
 * runs at 1, 10 and 100 concurrent tasks contending. A case's fixture counts the work it did, so
 * the runner can check that an iteration really did what it claims.
 */
import type { WebSocket } from 'ws';
import { READY } from '../servers/common/bounded-channel.ts';
import { createLock, LOCK_KINDS, type RegistryLock } from '../servers/common/fifo-lock.ts';
import { OutboundQueue } from '../servers/common/outbound.ts';
import type { Registry } from '../servers/common/registry.ts';
import { MODEL_DEFINITIONS } from '../servers/models.ts';

export const CONCURRENCY = [1, 10, 100] as const;
export const BROADCAST_RECEIVERS = [1000, 10_000] as const;

/** The models as the servers run them, the mutex with each of its locks. */
const SUBJECTS = [
  { label: 'actor', model: 'actor', options: {} },
  { label: 'mutex', model: 'mutex', options: {} },
  { label: 'mutex:lock=async-mutex', model: 'mutex', options: { lock: 'async-mutex' } },
  { label: 'baseline', model: 'baseline', options: {} },
] as const;

export type CaseGroup = 'lock' | 'round-trip' | 'broadcast';

export interface Fixture {
  /** One benchmark iteration. */
  run(): Promise<void>;
  /** Units of work done so far (acquisitions, replies, frames delivered), counted by the fixture itself. */
  done(): number;
  close(): void;
}

export interface MicrobenchCase {
  readonly name: string;
  readonly group: CaseGroup;
  /** The lock kind or model arm under test. */
  readonly subject: string;
  readonly concurrency: number;
  readonly receivers?: number;
  /** Units of work one iteration does: `concurrency`, or `concurrency × receivers` frames for a broadcast. */
  readonly unitsPerIteration: number;
  setup(): Fixture;
}

/** A socket stand-in: every frame is accepted at once and counted. */
function countingSocket(): { socket: WebSocket; sent: () => number } {
  let sent = 0;
  const socket = {
    bufferedAmount: 0,
    send: (_frame: unknown, _options: unknown, callback?: (error?: Error) => void) => {
      sent++;
      callback?.();
    },
    close: () => undefined,
  };
  return { socket: socket as unknown as WebSocket, sent: () => sent };
}

/** A model's registry as its server builds it, without metrics (the cases hand it outbounds of their own). */
function registryOf(subject: (typeof SUBJECTS)[number]): Registry {
  return MODEL_DEFINITIONS[subject.model].create({ queueFor: () => new OutboundQueue(countingSocket().socket), timingSampleEvery: undefined, options: subject.options }).registry;
}

/** `n` tasks at once, each running `task`; settles when all have. */
function together(n: number, task: () => Promise<void>): Promise<void> {
  if (n === 1) return task();
  const tasks: Promise<void>[] = new Array<Promise<void>>(n);
  for (let i = 0; i < n; i++) tasks[i] = task();
  return Promise.all(tasks).then(() => undefined);
}

function lockCase(kind: (typeof LOCK_KINDS)[number], concurrency: number): MicrobenchCase {
  return {
    name: `lock acquire+release · ${kind} · ${concurrency} task${concurrency > 1 ? 's' : ''}`,
    group: 'lock',
    subject: kind,
    concurrency,
    unitsPerIteration: concurrency,
    setup() {
      const lock: RegistryLock = createLock(kind);
      let acquisitions = 0;
      // As the mutex registry does: no await when the lock was free (READY).
      const once = (): Promise<void> => {
        const got = lock.acquire();
        if (got === READY) {
          acquisitions++;
          lock.release();
          return READY;
        }
        return got.then(() => {
          acquisitions++;
          lock.release();
        });
      };
      return { run: () => together(concurrency, once), done: () => acquisitions, close: () => undefined };
    },
  };
}

function roundTripCase(subject: (typeof SUBJECTS)[number], concurrency: number): MicrobenchCase {
  return {
    name: `registry round trip (size) · ${subject.label} · ${concurrency} task${concurrency > 1 ? 's' : ''}`,
    group: 'round-trip',
    subject: subject.label,
    concurrency,
    unitsPerIteration: concurrency,
    setup() {
      const registry = registryOf(subject);
      let replies = 0;
      const once = (): Promise<void> => registry.size().then(() => void replies++);
      return { run: () => together(concurrency, once), done: () => replies, close: () => registry.close() };
    },
  };
}

function broadcastCase(subject: (typeof SUBJECTS)[number], receivers: number, concurrency: number): MicrobenchCase {
  return {
    name: `broadcast to ${receivers.toLocaleString('en-US')} queues · ${subject.label} · ${concurrency} task${concurrency > 1 ? 's' : ''}`,
    group: 'broadcast',
    subject: subject.label,
    concurrency,
    receivers,
    unitsPerIteration: concurrency * receivers,
    setup() {
      const sockets = Array.from({ length: receivers + 1 }, countingSocket);
      const registry = registryOf(subject);
      let sender = 0;
      const ready = Promise.all(sockets.map((s) => registry.register(new OutboundQueue(s.socket)))).then((ids) => void (sender = ids[0]!));
      const frame = Buffer.alloc(64, 'b');
      // Every model's broadcast is followed by one size() round trip: the actor's post returns before
      // its loop has handled the broadcast, and this makes all three wait for the fan-out alike.
      const once = (): Promise<void> => registry.broadcast(sender, frame);
      return {
        run: () => ready.then(() => together(concurrency, once)).then(() => registry.size().then(() => undefined)),
        // Frames the sockets took, less the welcome each client got on registering.
        done: () => sockets.reduce((sum, s) => sum + s.sent(), 0) - sockets.length,
        close: () => registry.close(),
      };
    },
  };
}

/** Every case, in a stable order: locks, round trips, broadcasts; each at every concurrency. */
export function allCases(): MicrobenchCase[] {
  return [
    ...LOCK_KINDS.flatMap((kind) => CONCURRENCY.map((c) => lockCase(kind, c))),
    ...SUBJECTS.flatMap((subject) => CONCURRENCY.map((c) => roundTripCase(subject, c))),
    ...BROADCAST_RECEIVERS.flatMap((receivers) => SUBJECTS.flatMap((subject) => CONCURRENCY.map((c) => broadcastCase(subject, receivers, c)))),
  ];
}
