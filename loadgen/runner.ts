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
 *
 * A scenario may split the measured traffic into phases of different rates, give probes a size
 * range, and give clients behaviours: a publisher streaming big frames, clients that stop reading
 * (until the drain), churn. After the drain, the registry's size is checked against the clients
 * still open, and again once they have all left.
 */
import { recordNs } from '../common/histogram.ts';
import { encodeProbeFrame, parseServerControl, probeSentAtNs, probeSeq, PROBE_TAG, type ProbeKind } from '../common/protocol.ts';
import type { ServerStats } from '../common/stats-schema.ts';
import { nowNs } from './clock.ts';
import { closeClients, connectClients, type LoadClient } from './drive/connect.ts';
import { RunCounters } from './record/counters.ts';
import { DeliveryLedger } from './record/ledger.ts';
import type { LoadPlan } from './plan.ts';
import { seededRandom } from './random.ts';
import { SelfCheck, type SelfCheckReport } from './record/self-check.ts';
import type { ServerStatsClient } from './server-stats.ts';
import { TimeSeries, type TimeSeriesSample } from './record/time-series.ts';
import { kindPicker, pickAtRandom, pickInTurn, pickOther, sendOnSchedule } from './drive/traffic.ts';
import { assignRoles } from './drive/roles.ts';
import { startChurn, type Churn, type ChurnReport } from './drive/churn.ts';
import { detectStall, type StallReport } from './record/stall.ts';
import { PhaseStats, type PhaseReport } from './record/phase-stats.ts';
import { connectClient } from './drive/connect.ts';
import type { TrafficPhase } from './plan.ts';
import { ADMIN_BROADCAST_PREFIX } from './admin-broadcast.ts';
import { collectGarbage } from './drive/heap.ts';

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
  /** Other traffic started with the measured phase (HTTP): awaited when the probes stop, before the drain. */
  readonly sideTraffic?: () => Promise<unknown> | undefined;
}

export interface Measurement {
  readonly counters: RunCounters;
  /** Expected deliveries of measured probes still missing after the drain. */
  readonly lost: number;
  /** The same for probes sent during warm-up (not counted elsewhere, never excused). */
  readonly lostInWarmup: number;
  /** Deliveries the warm-up probes called for. */
  readonly warmupExpected: number;
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
  /** The measured traffic phase by phase. */
  readonly phases: readonly PhaseReport[];
  /** Set when the server stopped answering for two seconds or more of the measured phase. */
  readonly stall: StallReport | undefined;
  /** What the server's slow-consumer policy did during the run (when the server reports it). */
  readonly policy: { readonly name: string; readonly dropped: number; readonly disconnected: number } | undefined;
  /** Send-to probes the server refused because the target had gone (`unknown-client`). */
  readonly refused: number;
  /** Registry size (GET /clients/count) after the drain, next to the clients we had open; and after all left. */
  readonly registry: { readonly openBeforeClose: number; readonly countBeforeClose: number | undefined; readonly countAfterClose: number | undefined };
  readonly churn: ChurnReport | undefined;
  /** Frames of POST /broadcast (HTTP side traffic) received by the clients. */
  readonly adminBroadcastsReceived: number;
  /** POST /broadcast requests the server carried out during the run (when it reports them). */
  readonly adminBroadcastsServed: number | undefined;
  /** How many clients had each role. */
  readonly roles: { readonly publisher: number; readonly stoppedReaders: number; readonly senders: number };
}

const SLASH = 0x2f;
/** Probes are built as bytes but travel as text frames, like every frame of the protocol. */
const TEXT_FRAME = { binary: false } as const;
const DRAIN_POLL_MS = 20;
const SAMPLE_EVERY_MS = 1000;
const CLOSE_TIMEOUT_MS = 15_000;
/** How long a client leaving by churn stays open after its last probe, so its replies can arrive. */
const CHURN_GRACE_MS = 1000;
const REGISTRY_SETTLE_MS = 5000;

export async function runLoad(plan: LoadPlan, options: RunOptions = {}): Promise<Measurement> {
  const { observer = {}, serverStats } = options;
  const counters = new RunCounters();
  const series = new TimeSeries();
  const selfCheck = new SelfCheck(plan.maxSendLagMs);
  const random = seededRandom(plan.seed);
  const closedLoop = plan.mode.kind === 'closed-loop';
  const behaviours = plan.behaviours ?? {};
  const phases: readonly TrafficPhase[] = plan.phases ?? [{ name: 'steady', durationMs: plan.durationMs, rate: plan.mode.kind === 'open-loop' ? plan.mode.rate : 0 }];
  const phaseStats = new PhaseStats(phases);
  const sizeRange = (plan.messageBytesMax ?? plan.messageBytes) - plan.messageBytes;
  const messageBytes = (): number => (sizeRange > 0 ? plan.messageBytes + Math.floor(random() * (sizeRange + 1)) : plan.messageBytes);
  // Probes sent during warm-up are accounted in a ledger of their own and never timed.
  const warmupLedger = new DeliveryLedger();
  const ledger = new DeliveryLedger();
  let measuring = false;
  let firstMeasuredSeq = Number.POSITIVE_INFINITY;
  let trafficOn = false;
  let clientsLost = 0;
  let openCount = 0;
  let seq = 0;
  let adminBroadcastsReceived = 0;
  /** Deliveries the warm-up probes called for (the accounting covers warm-up and measured probes alike). */
  let warmupExpected = 0;

  /** Sends one probe; `target` is a send-to's target id (a random sender when absent). */
  const sendProbe = (client: LoadClient, kind: ProbeKind, sentAtNs: number, bytes: number, target?: number): void => {
    let deliveries = 1;
    let to = 0;
    if (kind === 'broadcast') {
      deliveries = openCount - 1;
    } else if (kind === 'send-to') {
      if (target !== undefined) to = target;
      else {
        const other = pickOther(roles.senders, client, random);
        if (!other) return;
        to = other.id;
      }
    }
    client.ws.send(encodeProbeFrame(kind, client.index, seq, sentAtNs, bytes, to), TEXT_FRAME);
    series.sent++;
    if (!measuring) {
      warmupLedger.expect(seq++, deliveries);
      warmupExpected += deliveries;
      return;
    }
    ledger.expect(seq++, deliveries);
    phaseStats.sent(deliveries);
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
      if (data.toString('latin1', 0, ADMIN_BROADCAST_PREFIX.length) === ADMIN_BROADCAST_PREFIX) adminBroadcastsReceived++;
      else counters.unexpected++;
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
        phaseStats.received(probe, latencyNs);
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
    if (closedLoop && trafficOn && tag === PROBE_TAG.echo && client.open) sendProbe(client, 'echo', now, messageBytes());
  };

  // ---- connect -----------------------------------------------------------------------------
  observer.phase?.('connect', `${plan.clients} clients, ${plan.connectConcurrency} handshakes in flight`);
  const connectStart = nowNs();
  const hooks = {
    onFrame,
    onHandshake: (ns: number) => recordNs(counters.handshake, ns),
    onError: (cause: string) => counters.addError(cause),
    onLost: (_client: LoadClient, cause: string) => {
      clientsLost++;
      openCount--;
      counters.addError(cause);
    },
  };
  const clients = await connectClients(
    { url: plan.url, count: plan.clients, concurrency: plan.connectConcurrency, timeoutMs: plan.connectTimeoutMs, ...(plan.connectPerSecond !== undefined && { perSecond: plan.connectPerSecond }) },
    hooks,
  );
  openCount = clients.filter((c) => c.open).length; // some may have been closed by the server already
  const connectNs = nowNs() - connectStart;
  collectGarbage(); // the handshakes' garbage, collected before the traffic rather than during it
  const roles = assignRoles(clients, behaviours);
  const joinedByChurn: LoadClient[] = [];

  // ---- warm-up, then measure (the sampler and the self-check stop whatever happens) ---------
  // A first request now, so that fetch's lazy start-up (tens of ms) never lands in the traffic.
  const gaugesBefore = await serverStats?.gauges();
  const clientsOpen = openCount;
  const pickKind = kindPicker(plan.mix, random);
  const trafficStart = nowNs();
  const secondsSinceStart = (ns: number): number => (ns - trafficStart) / 1e9;
  let measureStart = trafficStart + plan.warmupMs * 1e6;
  const trafficEnd = measureStart + plan.durationMs * 1e6;
  let phase: TimeSeriesSample['phase'] = 'warmup';
  let churn: Churn | undefined;
  const startMeasuring = (atNs: number): void => {
    if (measuring) return;
    measuring = true;
    phase = 'measure';
    firstMeasuredSeq = seq;
    measureStart = atNs;
    selfCheck.start(nowNs());
    void serverStats?.reset();
    if (!behaviours.keepReading) for (const c of roles.stopped) c.ws.pause();
    if (behaviours.churnPerSecond !== undefined) {
      churn = startChurn({
        perSecond: behaviours.churnPerSecond,
        roles,
        random,
        graceMs: CHURN_GRACE_MS,
        firstIndex: plan.clients,
        connect: (index) => connectClient(index, { url: plan.url, timeoutMs: plan.connectTimeoutMs }, hooks),
        onLeft: () => void openCount--,
        onJoined: (client) => {
          openCount++;
          joinedByChurn.push(client);
        },
      });
    }
    observer.phase?.('measure', `${openCount} open, ${plan.durationMs / 1000} s ${plan.mode.kind}`);
  };
  const outstanding = (): number => ledger.outstanding + warmupLedger.outstanding;
  // Each sample carries the server gauges of the latest answer (polled alongside, never awaited).
  let lastGauges: TimeSeriesSample['server'];
  const sampler = setInterval(() => {
    const sample = series.take(secondsSinceStart(nowNs()), phase, openCount, counters.errorTotal, outstanding(), phase === 'measure' ? phaseStats.currentName : undefined);
    if (lastGauges) sample.server = lastGauges;
    void serverStats?.gauges().then((gauges) => (lastGauges = gauges));
    observer.tick?.(sample);
  }, SAMPLE_EVERY_MS);
  let trafficNs = 0;
  let drainNs = 0;
  let selfCheckReport: SelfCheckReport | undefined;
  let server: ServerStats | undefined;
  let churnReport: ChurnReport | undefined;
  let turn = 0;
  /** One message of the mix, due at scheduledNs. */
  const sendMix = (scheduledNs: number, lateNs: number): void => {
    if (measuring) selfCheck.recordSendLag(lateNs);
    const kind = pickKind();
    // Echoes go round-robin, so each client sends an even share; other kinds come from random clients.
    const client = kind === 'echo' ? pickInTurn(roles.senders, turn++) : pickAtRandom(roles.senders, random);
    if (client) sendProbe(client, kind, scheduledNs, messageBytes());
  };
  const publisher = behaviours.publisher;
  const publish = (scheduledNs: number): void => {
    const from = roles.publisher;
    if (!publisher || !from?.open) return;
    if (publisher.kind === 'broadcast') sendProbe(from, 'broadcast', scheduledNs, publisher.bytes);
    else for (const target of roles.stopped) sendProbe(from, 'send-to', scheduledNs, publisher.bytes, target.id);
  };
  try {
    if (plan.warmupMs > 0) observer.phase?.('warmup', `${openCount} open, ${plan.warmupMs / 1000} s`);
    trafficOn = openCount > 0;
    if (trafficOn && plan.mode.kind === 'closed-loop') {
      if (plan.warmupMs === 0) startMeasuring(trafficStart);
      for (const client of roles.senders) {
        for (let i = 0; i < plan.mode.inFlight && client.open; i++) sendProbe(client, 'echo', nowNs(), messageBytes());
      }
      await sleepUntil(measureStart);
      startMeasuring(nowNs());
      phaseStats.begin(seq, secondsSinceStart(nowNs()));
      await sleepUntil(trafficEnd);
    } else if (trafficOn) {
      // Warm-up at the first phase's rate, then each phase on its own schedule.
      if (plan.warmupMs > 0) await onSchedule(phases[0]!.rate, trafficStart, measureStart, (_k, due, late) => sendMix(due, late));
      startMeasuring(measureStart);
      phaseStats.begin(seq, secondsSinceStart(measureStart)); // before the publisher's first probes
      const publishing = publisher ? onSchedule(1000 / publisher.everyMs, measureStart, trafficEnd, (_k, due) => publish(due)) : undefined;
      let phaseStart = measureStart;
      for (const [i, p] of phases.entries()) {
        const phaseEnd = Math.min(phaseStart + p.durationMs * 1e6, trafficEnd);
        if (i > 0) phaseStats.begin(seq, secondsSinceStart(phaseStart));
        await onSchedule(p.rate, phaseStart, phaseEnd, (_k, due, late) => sendMix(due, late));
        phaseStart = phaseEnd;
      }
      await publishing;
    }
    startMeasuring(measureStart); // no traffic at all
    trafficOn = false;
    trafficNs = nowNs() - measureStart;
    selfCheckReport = selfCheck.finish(nowNs(), !closedLoop);
    churnReport = await churn?.stop();
    await options.sideTraffic?.();
    // The server's figures cover the measured phase only (a long drain would dilute CPU and depth means).
    server = await serverStats?.snapshot();

    // ---- drain: wait for what is still on its way (clients that stopped reading read again) ----
    phase = 'drain';
    for (const c of roles.stopped) if (c.ws.isPaused) c.ws.resume();
    observer.phase?.('drain', `${outstanding()} deliveries outstanding`);
    const drainStart = nowNs();
    const drainDeadline = drainStart + plan.drainTimeoutMs * 1e6;
    // What will never arrive and is known: frames a slow-consumer policy dropped, sends refused for a gone target.
    // Clients the policy disconnected: their close frames queue behind what they had not read, so a
    // resumed reader sees its close only after reading that; wait for it, so that the registry check
    // below compares like with like.
    let lastPoll = 0;
    let dropped = 0;
    let disconnected = 0;
    const refused = (): number => counters.errors.get('server:unknown-client') ?? 0;
    const poll = async (): Promise<void> => {
      lastPoll = nowNs();
      const g = gaugesBefore && (await serverStats?.gauges());
      if (!g || !gaugesBefore) return;
      dropped = g.policyDropped - gaugesBefore.policyDropped;
      disconnected = g.policyDisconnected - gaugesBefore.policyDisconnected;
    };
    if (gaugesBefore && roles.stopped.length > 0) await poll();
    const closedByPolicy = (): number => counters.errors.get('closed-by-server:1008') ?? 0;
    const settled = (): boolean => outstanding() <= dropped + refused() && closedByPolicy() >= disconnected;
    while (!settled() && nowNs() < drainDeadline && openCount > 0) {
      await sleep(DRAIN_POLL_MS);
      if (gaugesBefore && nowNs() - lastPoll > 250e6) await poll();
    }
    drainNs = nowNs() - drainStart;
  } finally {
    clearInterval(sampler);
    selfCheck.stop();
    await churn?.stop();
  }
  const gaugesAfter = await serverStats?.gauges();

  // ---- close, checking the registry before and after ---------------------------------------
  const openBeforeClose = openCount;
  const countBeforeClose = await settledCount(serverStats, openBeforeClose);
  observer.phase?.('close', `${openCount} clients`);
  const closeStart = nowNs();
  const closesForced = await closeClients([...new Set([...clients, ...joinedByChurn, ...(churn?.retired ?? [])])], CLOSE_TIMEOUT_MS);
  const closeNs = nowNs() - closeStart;
  const countAfterClose = await settledCount(serverStats, 0);
  const extra = ledger.extra + warmupLedger.extra;
  if (extra > 0) counters.errors.set('extra-delivery', extra);

  return {
    counters,
    lost: ledger.outstanding,
    lostInWarmup: warmupLedger.outstanding,
    warmupExpected,
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
    phases: phaseStats.report(series.samples, counters.latency),
    stall: detectStall(series.samples),
    policy:
      gaugesBefore && gaugesAfter && server
        ? { name: server.slowConsumerPolicy.name, dropped: gaugesAfter.policyDropped - gaugesBefore.policyDropped, disconnected: gaugesAfter.policyDisconnected - gaugesBefore.policyDisconnected }
        : undefined,
    refused: counters.errors.get('server:unknown-client') ?? 0,
    registry: { openBeforeClose, countBeforeClose, countAfterClose },
    churn: churnReport,
    adminBroadcastsReceived,
    adminBroadcastsServed: gaugesBefore && gaugesAfter ? gaugesAfter.adminBroadcasts - gaugesBefore.adminBroadcasts : undefined,
    roles: { publisher: roles.publisher ? 1 : 0, stoppedReaders: roles.stopped.length, senders: roles.senders.length },
  };
}

/** Open-loop sends on a schedule; a phase at rate 0 just waits out its time. */
function onSchedule(rate: number, start: number, end: number, send: (k: number, scheduledNs: number, lateNs: number) => void): Promise<void> {
  if (rate <= 0) return sleepUntil(end);
  return sendOnSchedule(rate, start, end, nowNs, send);
}

/** The registry's size once it has settled at `expected` (unregistering is asynchronous), or what it was when time ran out. */
async function settledCount(serverStats: ServerStatsClient | undefined, expected: number): Promise<number | undefined> {
  if (!serverStats) return undefined;
  const deadline = nowNs() + REGISTRY_SETTLE_MS * 1e6;
  let count = await serverStats.clientCount();
  while (count !== undefined && count !== expected && nowNs() < deadline) {
    await sleep(50);
    count = await serverStats.clientCount();
  }
  return count;
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
