/**
 * Records one part of a run: every probe sent and every frame received, errors, handshakes, the
 * per-second samples, the phases and the self-check. It never drives (the driver tells it what was
 * sent) and never judges (verdicts come from the merged measurement). `encode` gives the part as a
 * partial measurement.
 */
import { recordNs } from '../../common/histogram.ts';
import { parseServerControl, probeSender, probeSentAtNs, probeSeq, PROBE_TAG, type ProbeKind } from '../../common/protocol.ts';
import { ADMIN_BROADCAST_PREFIX } from '../admin-broadcast.ts';
import type { TrafficPhase } from '../plan.ts';
import { RunCounters } from './counters.ts';
import { DeliveryLedger, type ExpectedReceivers } from './ledger.ts';
import { PARTIAL_SCHEMA_VERSION, type PartFacts, type PartialMeasurement } from './partial.ts';
import { PhaseStats } from './phase-stats.ts';
import { SelfCheck } from './self-check.ts';
import { TimeSeries, type SecondContext, type TimeSeriesSample } from './time-series.ts';
import { ReceiverTimes } from './receiver-times.ts';
import { FAULT_MARK, type FaultSite } from '../../common/fault.ts';

const SLASH = 0x2f;

export interface RecorderOptions {
  readonly phases: readonly TrafficPhase[];
  /** Keep, per receiver, the send times of the first and last measured probes it got (the fault-isolation experiment). */
  readonly trackReceivers?: boolean;
  readonly maxSendLagMs: number;
  readonly openLoop: boolean;
  /** Whether this part watches its process's loop and CPU (one part per process does). */
  readonly watchProcess?: boolean;
}

export class Recorder {
  readonly counters = new RunCounters();
  private readonly ledger = new DeliveryLedger();
  private readonly series = new TimeSeries();
  private readonly phaseStats: PhaseStats;
  private readonly selfCheck: SelfCheck;
  private measuring = false;
  private firstMeasuredSeq = Number.POSITIVE_INFINITY;
  private measureStartNs = 0;
  private clientsLost = 0;
  private readonly receivers: ReceiverTimes | undefined;
  private fault: PartialMeasurement['fault'];
  /** The next sequence number at each of the last two ticks (where the fault's excused loss begins). */
  private nextSeq = 0;
  private seqAtTicks: [number, number] = [0, 0];

  constructor(private readonly options: RecorderOptions) {
    this.phaseStats = new PhaseStats(options.phases);
    this.receivers = options.trackReceivers ? new ReceiverTimes() : undefined;
    this.selfCheck = new SelfCheck(options.maxSendLagMs, options.openLoop, () => this.ledger.outstanding > 0);
  }

  /** Deliveries still missing of the probes sent here (what the drain waits for). */
  get outstanding(): number {
    return this.ledger.outstanding;
  }

  get currentTrafficPhase(): string | undefined {
    return this.measuring ? this.phaseStats.currentName : undefined;
  }

  /** Probes numbered from `firstSeq` on are measured; the self-check starts watching. */
  startMeasuring(firstSeq: number, atNs: number): void {
    if (this.measuring) return;
    this.measuring = true;
    this.firstMeasuredSeq = firstSeq;
    this.measureStartNs = atNs;
    if (this.options.watchProcess !== false) this.selfCheck.start();
  }

  beginPhase(firstSeq: number, atSecond: number): void {
    this.phaseStats.begin(firstSeq, atSecond);
  }

  /** Probe `seq` went out from client `sender` and calls for `deliveries` to `to` (one client, or a broadcast's bitset). */
  sent(seq: number, kind: ProbeKind, sender: number, deliveries: number, to: ExpectedReceivers): void {
    this.ledger.expect(seq, kind, sender, deliveries, to);
    if (seq >= this.nextSeq) this.nextSeq = seq + 1;
    this.series.sent++;
    this.series.expectedSoFar += deliveries;
    const c = this.counters;
    if (!this.measuring) {
      c.warmupExpected += deliveries;
      return;
    }
    this.phaseStats.sent(deliveries);
    c.expected += deliveries;
    c.sent++;
    if (kind === 'broadcast') {
      c.broadcasts++;
      c.broadcastsExpected += deliveries;
    }
  }

  /** How late a scheduled send left (measured phase only). */
  sendLag(lateNs: number): void {
    if (this.measuring) this.selfCheck.recordSendLag(lateNs);
  }

  /** A frame from the server at client `receiver`, at `nowNs`; returns the tag of the probe it carried, if any. */
  frame(data: Buffer, nowNs: number, receiver: number): number | undefined {
    const tag = data[0];
    if (tag === SLASH) {
      const control = parseServerControl(data.toString());
      this.counters.addError(control?.kind === 'error' ? `server:${control.code}` : 'unexpected-control-frame');
      return undefined;
    }
    const sentAt = probeSentAtNs(data);
    if (sentAt < 0) {
      const prefix = data.toString('latin1', 0, Math.max(ADMIN_BROADCAST_PREFIX.length, FAULT_MARK.length));
      if (prefix.startsWith(ADMIN_BROADCAST_PREFIX)) this.counters.adminBroadcastsReceived++;
      else if (prefix.startsWith(FAULT_MARK)) this.counters.faultFramesReceived++;
      else this.counters.unexpected++;
      return undefined;
    }
    this.probe(tag!, probeSeq(data), receiver, probeSender(data), nowNs - sentAt, nowNs);
    return tag;
  }

  /** The fault-isolation experiment's fault frame left client `client` at `atNs`. */
  faultSent(atNs: number, client: number, site: FaultSite): void {
    // Probes sent from the tick before last on (1–2 s before the fault) may be lost to it: in flight, or queued behind it.
    const excuseLossFromSeq = Math.max(this.seqAtTicks[0], Number.isFinite(this.firstMeasuredSeq) ? this.firstMeasuredSeq : 0);
    this.fault = { atNs, msIntoMeasure: Math.round((atNs - this.measureStartNs) / 1e6), client, site, excuseLossFromSeq };
  }

  handshake(durationNs: number): void {
    recordNs(this.counters.handshake, durationNs);
  }

  error(cause: string): void {
    this.counters.addError(cause);
  }

  clientLost(cause: string): void {
    this.clientsLost++;
    this.counters.addError(cause);
  }

  /** Closes the current second. */
  tick(context: Omit<SecondContext, 'errorsSoFar' | 'trafficPhase'>): TimeSeriesSample {
    this.seqAtTicks = [this.seqAtTicks[1], this.nextSeq];
    const trafficPhase = context.phase === 'measure' ? this.currentTrafficPhase : undefined;
    return this.series.take({ ...context, errorsSoFar: this.counters.errorTotal, ...(trafficPhase !== undefined && { trafficPhase }) });
  }

  /** The measured phase is over: the self-check stops watching. */
  stopWatching(): void {
    this.selfCheck.stop();
  }

  encode(facts: PartFacts): PartialMeasurement {
    const c = this.counters;
    return {
      schemaVersion: PARTIAL_SCHEMA_VERSION,
      ...facts,
      firstMeasuredSeq: Number.isFinite(this.firstMeasuredSeq) ? this.firstMeasuredSeq : null,
      receiveSpanNs: c.lastReceiveNs > 0 ? c.lastReceiveNs - this.measureStartNs : 0,
      clientsLost: this.clientsLost,
      counters: c.encode(),
      ledger: this.ledger.encode(),
      phases: this.phaseStats.encode(),
      timeSeries: this.series.parts,
      selfCheck: this.selfCheck.encode(),
      ...(this.fault && { fault: this.fault }),
      ...(this.receivers && { receivers: this.receivers.encode() }),
    };
  }

  /** One probe delivery: every delivery is timed (surplus ones too: the ledger names their cause). */
  private probe(tag: number, seq: number, receiver: number, sender: number, latencyNs: number, nowNs: number): void {
    const surplus = this.ledger.deliver(seq, tag, receiver, sender, latencyNs);
    this.series.received++;
    if (!surplus) this.series.receivedSoFar++;
    this.series.recordLatencyNs(latencyNs);
    if (seq < this.firstMeasuredSeq) return;
    const c = this.counters;
    c.received++;
    c.lastReceiveNs = nowNs;
    this.receivers?.record(receiver, nowNs - latencyNs);
    this.phaseStats.received(seq, latencyNs);
    if (tag === PROBE_TAG.echo) recordNs(c.latencyByKind.echo, latencyNs);
    else if (tag === PROBE_TAG['send-to']) recordNs(c.latencyByKind['send-to'], latencyNs);
    else if (tag === PROBE_TAG.broadcast) recordNs(c.latencyByKind.broadcast, latencyNs);
  }
}
