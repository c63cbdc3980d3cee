/**
 * Runs one load plan against one server: connect → warm-up (sent, not counted) → measure → drain
 * → close. Measures only; it never prints (the observer hears about phases and each second,
 * reporters turn the measurement into text).
 *
 * Open loop (default): probes go out on a fixed schedule (message k at start + k/rate), whatever
 * the replies, and each probe carries its *scheduled* send time, so a stalled server shows in the
 * latency tail instead of slowing the senders down (no coordinated omission, as wrk2 does it).
 * Closed loop: each client keeps `inFlight` echoes outstanding and sends the next on each reply;
 * it finds the maximum throughput, and its latency is measured from the actual send.
 */
import { recordNs } from '../common/histogram.ts';
import { encodeProbeFrame, parseServerControl, probeSentAtNs, probeSeq, PROBE_TAG, type ProbeKind } from '../common/protocol.ts';
import type { ServerStats } from '../servers/metrics/server-metrics.ts';
import { nowNs } from './clock.ts';
import { closeClients, connectClients, type LoadClient } from './connect.ts';
import { RunCounters } from './counters.ts';
import { DeliveryLedger } from './ledger.ts';
import type { LoadPlan } from './plan.ts';
import { seededRandom } from './random.ts';
import { SelfCheck, type SelfCheckReport } from './self-check.ts';
import type { ServerStatsClient } from './server-stats.ts';
import { TimeSeries, type TimeSeriesSample } from './time-series.ts';
import { kindPicker, pickAtRandom, pickInTurn, pickOther, sendOnSchedule } from './traffic.ts';

export type Phase = 'connect' | 'warmup' | 'measure' | 'drain' | 'close';

export interface RunObserver {
  phase?(phase: Phase, detail: string): void;
  /** Once a second of traffic, with that second's sample. */
  tick?(sample: TimeSeriesSample): void;
}

export interface RunOptions {
  readonly observer?: RunObserver;
  /** The server's own metrics: reset when the measured phase starts, read when it ends. */
  readonly serverStats?: ServerStatsClient;
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
  readonly selfCheck: SelfCheckReport;
  readonly timeSeries: readonly TimeSeriesSample[];
  /** The server's metrics over the measured phase, when it has them. */
  readonly server: ServerStats | undefined;
}

const SLASH = 0x2f;
/** Probes are built as bytes but travel as text frames, like every frame of the protocol. */
const TEXT_FRAME = { binary: false } as const;
const DRAIN_POLL_MS = 20;
const SAMPLE_EVERY_MS = 1000;
const CLOSE_TIMEOUT_MS = 15_000;

export async function runLoad(plan: LoadPlan, options: RunOptions = {}): Promise<Measurement> {
  const { observer = {}, serverStats } = options;
  const counters = new RunCounters();
  const series = new TimeSeries();
  const selfCheck = new SelfCheck(plan.maxSendLagMs);
  const random = seededRandom(plan.seed);
  const closedLoop = plan.mode.kind === 'closed-loop';
  // Probes sent during warm-up are accounted in a ledger of their own and never timed.
  const warmupLedger = new DeliveryLedger();
  const ledger = new DeliveryLedger();
  let measuring = false;
  let firstMeasuredSeq = Number.POSITIVE_INFINITY;
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
    series.sent++;
    if (!measuring) {
      warmupLedger.expect(seq++, deliveries);
      return;
    }
    ledger.expect(seq++, deliveries);
    counters.expected += deliveries;
    counters.sent++;
    if (kind === 'broadcast') {
      counters.broadcasts++;
      counters.broadcastsExpected += deliveries;
    }
  };

  const onFrame = (client: LoadClient, data: Buffer): void => {
    const tag = data[0];
    if (tag === SLASH) {
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
    const latencyNs = now - sentAt;
    const probe = probeSeq(data);
    series.received++;
    series.recordLatencyNs(latencyNs);
    if (probe >= firstMeasuredSeq) {
      counters.received++;
      counters.lastReceiveNs = now;
      const delivery = ledger.deliver(probe);
      if (delivery !== 'extra') {
        if (tag === PROBE_TAG.echo) recordNs(counters.latencyByKind.echo, latencyNs);
        else if (tag === PROBE_TAG['send-to']) recordNs(counters.latencyByKind['send-to'], latencyNs);
        else if (tag === PROBE_TAG.broadcast) {
          recordNs(counters.latencyByKind.broadcast, latencyNs);
          counters.broadcastsDelivered++;
          if (delivery === 'complete') {
            counters.fanoutsCompleted++;
            recordNs(counters.fanout, latencyNs); // this was the last receiver
          }
        }
      }
    } else {
      warmupLedger.deliver(probe);
    }
    if (closedLoop && trafficOn && tag === PROBE_TAG.echo && client.open) sendProbe(client, 'echo', now, clients);
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

  // ---- warm-up, then measure (the sampler and the self-check stop whatever happens) ---------
  // A first request now, so that fetch's lazy start-up (tens of ms) never lands in the traffic.
  await serverStats?.gauges();
  const clientsOpen = openCount;
  const pickKind = kindPicker(plan.mix, random);
  const trafficStart = nowNs();
  let measureStart = trafficStart + plan.warmupMs * 1e6;
  const trafficEnd = measureStart + plan.durationMs * 1e6;
  let phase: TimeSeriesSample['phase'] = 'warmup';
  const startMeasuring = (atNs: number): void => {
    if (measuring) return;
    measuring = true;
    phase = 'measure';
    firstMeasuredSeq = seq;
    measureStart = atNs;
    selfCheck.start(nowNs());
    void serverStats?.reset();
    observer.phase?.('measure', `${openCount} open, ${plan.durationMs / 1000} s ${plan.mode.kind}`);
  };
  // Each sample carries the server gauges of the latest answer (polled alongside, never awaited).
  let lastGauges: TimeSeriesSample['server'];
  const sampler = setInterval(() => {
    const sample = series.take((nowNs() - trafficStart) / 1e9, phase, openCount, counters.errorTotal);
    if (lastGauges) sample.server = lastGauges;
    void serverStats?.gauges().then((gauges) => (lastGauges = gauges));
    observer.tick?.(sample);
  }, SAMPLE_EVERY_MS);
  let trafficNs = 0;
  let drainNs = 0;
  let selfCheckReport: SelfCheckReport | undefined;
  let server: ServerStats | undefined;
  try {
    if (plan.warmupMs > 0) observer.phase?.('warmup', `${openCount} open, ${plan.warmupMs / 1000} s`);
    else startMeasuring(trafficStart);
    trafficOn = openCount > 0;
    if (trafficOn) {
      if (plan.mode.kind === 'closed-loop') {
        for (const client of clients) {
          for (let i = 0; i < plan.mode.inFlight && client.open; i++) sendProbe(client, 'echo', nowNs(), clients);
        }
        await sleepUntil(measureStart);
        startMeasuring(nowNs());
        await sleepUntil(trafficEnd);
      } else {
        await sendOnSchedule(plan.mode.rate, trafficStart, trafficEnd, nowNs, (k, scheduledNs, lateNs) => {
          if (!measuring && scheduledNs >= measureStart) startMeasuring(measureStart);
          if (measuring) selfCheck.recordSendLag(lateNs);
          const kind = pickKind();
          // Echoes go round-robin, so each client sends an even share; other kinds come from random clients.
          const client = kind === 'echo' ? pickInTurn(clients, k) : pickAtRandom(clients, random);
          if (client) sendProbe(client, kind, scheduledNs, clients);
        });
      }
    }
    startMeasuring(measureStart); // no traffic at all, or a rate too low to send after warm-up
    trafficOn = false;
    trafficNs = nowNs() - measureStart;
    selfCheckReport = selfCheck.finish(nowNs(), !closedLoop);
    // The server's figures cover the measured phase only (a long drain would dilute CPU and depth means).
    server = await serverStats?.snapshot();

    // ---- drain: wait for what is still on its way ------------------------------------------
    phase = 'drain';
    const outstanding = (): number => ledger.outstanding + warmupLedger.outstanding;
    observer.phase?.('drain', `${outstanding()} deliveries outstanding`);
    const drainStart = nowNs();
    const drainDeadline = drainStart + plan.drainTimeoutMs * 1e6;
    while (outstanding() > 0 && nowNs() < drainDeadline && openCount > 0) await sleep(DRAIN_POLL_MS);
    drainNs = nowNs() - drainStart;
  } finally {
    clearInterval(sampler);
    selfCheck.stop();
  }

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
    selfCheck: selfCheckReport!,
    timeSeries: series.samples,
    server,
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
