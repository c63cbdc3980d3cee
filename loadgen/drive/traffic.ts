/** Who sends what, when: the open-loop schedule and the choice of senders, targets and kinds. */
import type { ProbeKind } from '../../common/protocol.ts';
import type { LoadClient } from './connect.ts';
import type { TrafficMix } from '../scenario.ts';

const TICK_MS = 1;

/**
 * Calls send(k, scheduledNs, lateNs) for every message due by now, on a ~1 ms timer, for messages
 * scheduled in [start, end): message k is due at start + k/rate, whatever the replies. Ends early
 * once `signal` is aborted.
 */
export function sendOnSchedule(rate: number, start: number, end: number, now: () => number, send: (k: number, scheduledNs: number, lateNs: number) => void, signal?: AbortSignal): Promise<void> {
  const intervalNs = 1e9 / rate;
  let k = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const t = now();
      if (signal?.aborted) return resolve();
      for (let due = start + k * intervalNs; due <= t && due < end; due = start + k * intervalNs) send(k++, Math.round(due), t - due);
      if (t < end) setTimeout(tick, TICK_MS);
      else resolve();
    };
    tick();
  });
}

/** Whether a client can be picked as a sender or a target: open, and not about to leave. */
const available = (client: LoadClient): boolean => client.open && !client.retiring;

/** Round-robin over the clients, skipping those that have gone or are leaving. */
export function pickInTurn(clients: readonly LoadClient[], k: number): LoadClient | undefined {
  for (let i = 0; i < clients.length; i++) {
    const client = clients[(k + i) % clients.length]!;
    if (available(client)) return client;
  }
  return undefined;
}

export function pickAtRandom(clients: readonly LoadClient[], random: () => number): LoadClient | undefined {
  return pickInTurn(clients, Math.floor(random() * clients.length));
}

/** A random open client other than `sender`. */
export function pickOther(clients: readonly LoadClient[], sender: LoadClient, random: () => number): LoadClient | undefined {
  for (let tries = 0; tries < 16; tries++) {
    const candidate = clients[Math.floor(random() * clients.length)]!;
    if (candidate !== sender && available(candidate)) return candidate;
  }
  return clients.find((c) => c !== sender && available(c));
}

/** Picks each message's kind in proportion to the mix's weights. */
export function kindPicker(mix: TrafficMix, random: () => number): () => ProbeKind {
  const total = mix.echo + mix.broadcast + mix.sendTo;
  if (mix.echo === total) return () => 'echo';
  if (mix.broadcast === total) return () => 'broadcast';
  if (mix.sendTo === total) return () => 'send-to';
  return () => {
    const r = random() * total;
    return r < mix.echo ? 'echo' : r < mix.echo + mix.broadcast ? 'broadcast' : 'send-to';
  };
}
