/**
 * Runs one load plan against one server: connect → warm-up (sent, not counted) → measure → drain
 * → close. Measures only; it
 * never prints (the observer hears about phases, reporters turn the measurement into text).
 *
 * Open loop (default): probes go out on a fixed schedule (message k at start + k/rate), whatever
 * the replies, and each probe carries its *scheduled* send time, so a stalled server shows in the
 * latency tail instead of slowing the senders down (no coordinated omission, as wrk2 does it).
 * Closed loop: each client keeps `inFlight` echoes outstanding and sends the next on each reply;
 * it finds the maximum throughput, and its latency is measured from the actual send.
 */
import { encodeProbeFrame, parseServerControl, probeSentAtNs, probeSeq, PROBE_TAG, type ProbeKind } from '../common/protocol.ts';
import { recordNs } from '../common/histogram.ts';
import { nowNs } from './clock.ts';
import { closeClients, connectClients, type LoadClient } from './connect.ts';
import { RunCounters } from './counters.ts';
import { DeliveryLedger } from './ledger.ts';
import type { LoadPlan } from './plan.ts';
import { seededRandom } from './random.ts';

export type Phase = 'connect' | 'warmup' | 'measure' | 'drain' | 'close';

export interface RunObserver {
  phase?(phase: Phase, detail: string): void;
}

export interface Measurement {
  readonly counters: RunCounters;
  /** Expected deliveries of measured probes still missing after the drain. */
  readonly lost: number;
  /** The same for probes sent during warm-up (not counted elsewhere, never excused). */
  readonly lostInWarmup: number;
  /** Deliveries beyond what their probe called for (duplicates, or a broadcast that reached its sender). */
  readonly extra: number;
  /** Clients open when the traffic phase began. */
  readonly clientsOpen: number;
  readonly clientsFailed: number;
  /** Clients the server closed (or that dropped) during the run. */
  readonly clientsLost: number;
  /** Clients whose closing handshake did not finish in time and were terminated. */
  readonly closesForced: number;
  readonly phasesMs: { readonly connect: number; readonly warmup: number; readonly measure: number; readonly drain: number; readonly close: number };
  /** Measured-phase length in ns, for rates. */
  readonly trafficNs: number;
  /** ns from the start of the measured phase to the last measured probe received (0 when none). */
  readonly receiveSpanNs: number;
}

const SLASH = 0x2f;
/** Probes are built as bytes but travel as text frames, like every frame of the protocol. */
const TEXT_FRAME = { binary: false } as const;
const DRAIN_POLL_MS = 20;
const TICK_MS = 1;
const CLOSE_TIMEOUT_MS = 15_000;

export async function runLoad(plan: LoadPlan, observer: RunObserver = {}): Promise<Measurement> {
  const counters = new RunCounters();
  const random = seededRandom(plan.seed);
  const closedLoop = plan.mode.kind === 'closed-loop';
  // Probes sent during warm-up are accounted in a ledger of their own and never timed.
  const warmupLedger = new DeliveryLedger();
  const ledger = new DeliveryLedger();
  let measuring = plan.warmupMs === 0;
  let firstMeasuredSeq = measuring ? 0 : Number.POSITIVE_INFINITY;
  let trafficOn = false;
  let clientsLost = 0;
  let openCount = 0;
  let seq = 0;

  const sendProbe = (client: LoadClient, kind: ProbeKind, sentAtNs: number, clients: readonly LoadClient[]): void => {
    let deliveries = 1;
    let target = 0;
    if (kind === 'broadcast') {
      deliveries = openCount - 1;
    } else if (kind === 'send-to') {
      const other = pickOther(clients, client, random);
      if (!other) return;
      target = other.id;
    }
    client.ws.send(encodeProbeFrame(kind, client.index, seq, sentAtNs, plan.messageBytes, target), TEXT_FRAME);
    if (measuring) {
      ledger.expect(seq++, deliveries);
      counters.expected += deliveries;
      counters.sent++;
    } else {
      warmupLedger.expect(seq++, deliveries);
    }
  };

  const onFrame = (client: LoadClient, data: Buffer): void => {
    if (data[0] === SLASH) {
      const control = parseServerControl(data.toString());
      counters.addError(control?.kind === 'error' ? `server:${control.code}` : 'unexpected-control-frame');
      return;
    }
    const sentAt = probeSentAtNs(data);
    if (sentAt < 0) {
      counters.unexpected++;
      return;
    }
    const now = nowNs();
    const probe = probeSeq(data);
    if (probe >= firstMeasuredSeq) {
      counters.received++;
      counters.lastReceiveNs = now;
      if (ledger.deliver(probe) === 'extra') return; // a duplicate or stray: counted, not timed
      recordNs(counters.latency, now - sentAt);
    } else {
      warmupLedger.deliver(probe);
    }
    if (closedLoop && trafficOn && data[0] === PROBE_TAG.echo && client.open) {
      sendProbe(client, 'echo', now, clients);
    }
  };

  // ---- connect -----------------------------------------------------------------------------
  observer.phase?.('connect', `${plan.clients} clients, ${plan.connectConcurrency} handshakes in flight`);
  const connectStart = nowNs();
  const clients = await connectClients(
    { url: plan.url, count: plan.clients, concurrency: plan.connectConcurrency, timeoutMs: plan.connectTimeoutMs },
    {
      onFrame,
      onHandshake: (ns) => recordNs(counters.handshake, ns),
      onError: (cause) => counters.addError(cause),
      onLost: (_client, cause) => {
        clientsLost++;
        openCount--;
        counters.addError(cause);
      },
    },
  );
  openCount = clients.filter((c) => c.open).length; // some may have been closed by the server already
  const connectNs = nowNs() - connectStart;

  // ---- warm-up, then measure ---------------------------------------------------------------
  const clientsOpen = openCount;
  const pickKind = kindPicker(plan.mix, random);
  const trafficStart = nowNs();
  let measureStart = trafficStart + plan.warmupMs * 1e6;
  const trafficEnd = measureStart + plan.durationMs * 1e6;
  const startMeasuring = (atNs: number): void => {
    if (measuring) return;
    measuring = true;
    firstMeasuredSeq = seq;
    measureStart = atNs;
    observer.phase?.('measure', `${plan.durationMs / 1000} s`);
  };
  observer.phase?.(measuring ? 'measure' : 'warmup', `${openCount} open, ${(measuring ? plan.durationMs : plan.warmupMs) / 1000} s ${plan.mode.kind}`);
  trafficOn = openCount > 0;
  if (trafficOn) {
    if (plan.mode.kind === 'closed-loop') {
      for (const client of clients) {
        for (let i = 0; i < plan.mode.inFlight && client.open; i++) sendProbe(client, 'echo', nowNs(), clients);
      }
      if (!measuring) {
        await sleepUntil(measureStart);
        startMeasuring(nowNs());
      }
      await sleepUntil(trafficEnd);
    } else {
      await sendOnSchedule(plan.mode.rate, trafficStart, trafficEnd, (k, scheduledNs) => {
        if (!measuring && scheduledNs >= measureStart) startMeasuring(measureStart);
        const kind = pickKind();
        // Echoes go round-robin, so each client sends an even share; other kinds come from random clients.
        const client = kind === 'echo' ? pickInTurn(clients, k) : pickAtRandom(clients, random);
        if (client) sendProbe(client, kind, scheduledNs, clients);
      });
      startMeasuring(measureStart); // a rate too low to send anything after warm-up
    }
  }
  trafficOn = false;
  const trafficNs = nowNs() - measureStart;

  // ---- drain: wait for what is still on its way ------------------------------------------
  const outstanding = (): number => ledger.outstanding + warmupLedger.outstanding;
  observer.phase?.('drain', `${outstanding()} deliveries outstanding`);
  const drainStart = nowNs();
  const drainDeadline = drainStart + plan.drainTimeoutMs * 1e6;
  while (outstanding() > 0 && nowNs() < drainDeadline && openCount > 0) await sleep(DRAIN_POLL_MS);
  const drainNs = nowNs() - drainStart;

  // ---- close -------------------------------------------------------------------------------
  observer.phase?.('close', `${openCount} clients`);
  const closeStart = nowNs();
  const closesForced = await closeClients(clients, CLOSE_TIMEOUT_MS);
  const closeNs = nowNs() - closeStart;
  const extra = ledger.extra + warmupLedger.extra;
  if (extra > 0) counters.errors.set('extra-delivery', extra);

  return {
    counters,
    lost: ledger.outstanding,
    lostInWarmup: warmupLedger.outstanding,
    extra,
    clientsOpen,
    clientsFailed: plan.clients - clients.length,
    clientsLost,
    closesForced,
    phasesMs: { connect: ms(connectNs), warmup: plan.warmupMs, measure: ms(trafficNs), drain: ms(drainNs), close: ms(closeNs) },
    trafficNs,
    receiveSpanNs: counters.lastReceiveNs > 0 ? counters.lastReceiveNs - measureStart : 0,
  };
}

/** Calls send(k, scheduledNs) for every message due by now, on a ~1 ms timer, until `end`. */
function sendOnSchedule(rate: number, start: number, end: number, send: (k: number, scheduledNs: number) => void): Promise<void> {
  const intervalNs = 1e9 / rate;
  let k = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = nowNs();
      // Messages due in [start, end): exactly duration × rate of them.
      for (let due = start + k * intervalNs; due <= now && due < end; due = start + k * intervalNs) send(k++, Math.round(due));
      if (now < end) setTimeout(tick, TICK_MS);
      else resolve();
    };
    tick();
  });
}

/** Round-robin over the clients, skipping those that have gone. */
function pickInTurn(clients: readonly LoadClient[], k: number): LoadClient | undefined {
  for (let i = 0; i < clients.length; i++) {
    const client = clients[(k + i) % clients.length]!;
    if (client.open) return client;
  }
  return undefined;
}

function pickAtRandom(clients: readonly LoadClient[], random: () => number): LoadClient | undefined {
  const start = Math.floor(random() * clients.length);
  return pickInTurn(clients, start);
}

function pickOther(clients: readonly LoadClient[], sender: LoadClient, random: () => number): LoadClient | undefined {
  for (let tries = 0; tries < 16; tries++) {
    const candidate = clients[Math.floor(random() * clients.length)]!;
    if (candidate !== sender && candidate.open) return candidate;
  }
  return clients.find((c) => c !== sender && c.open);
}

function kindPicker(mix: LoadPlan['mix'], random: () => number): () => ProbeKind {
  const total = mix.echo + mix.broadcast + mix.sendTo;
  if (mix.echo === total) return () => 'echo';
  if (mix.broadcast === total) return () => 'broadcast';
  if (mix.sendTo === total) return () => 'send-to';
  return () => {
    const r = random() * total;
    return r < mix.echo ? 'echo' : r < mix.echo + mix.broadcast ? 'broadcast' : 'send-to';
  };
}

function sleep(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}

async function sleepUntil(endNs: number): Promise<void> {
  for (let left = endNs - nowNs(); left > 0; left = endNs - nowNs()) await sleep(Math.min(left / 1e6, 100));
}

function ms(ns: number): number {
  return Math.round(ns / 1e5) / 10;
}
