/**
 * Partial measurements merge without loss: one real run (a mix of echo, broadcast and send-to,
 * two traffic phases, warm-up) is recorded whole and, at the same time, split over three parts as
 * if each part held a third of the clients — each probe recorded by its sender's part, each
 * delivery by its receiver's — and the three parts, passed through JSON, merge into exactly the
 * single measurement: histograms, counts, time series,
 * accounting, self-check. Then the same against a server that duplicates and loses, so that the
 * ledger's merge is checked on losses and surpluses too.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { encodeHistogram, type Histogram } from '../common/histogram.ts';
import { encodeWelcome } from '../common/protocol.ts';
import type { LoadPlan } from '../loadgen/plan.ts';
import { mergeMeasurements, type Measurement } from '../loadgen/record/measurement.ts';
import type { PartFacts, PartialMeasurement } from '../loadgen/record/partial.ts';
import { Recorder, type RecorderOptions } from '../loadgen/record/recorder.ts';
import { runPart } from '../loadgen/runner.ts';
import { spawnServer, type ServerProcess } from '../loadgen/server-process.ts';
import { ServerStatsClient } from '../loadgen/server-stats.ts';
import { testPlan } from './helpers/load-plan.ts';

const PARTS = 3;

/** Records everything itself and hands each event to one of three parts as well. */
class SplitRecorder extends Recorder {
  readonly parts: Recorder[];

  constructor(options: RecorderOptions) {
    super(options);
    // The parts share this process: the single recording's watch of it is the only one.
    this.parts = Array.from({ length: PARTS }, () => new Recorder({ ...options, watchProcess: false }));
  }

  override startMeasuring(firstSeq: number, atNs: number): void {
    super.startMeasuring(firstSeq, atNs);
    for (const p of this.parts) p.startMeasuring(firstSeq, atNs);
  }
  override beginPhase(firstSeq: number, atSecond: number): void {
    super.beginPhase(firstSeq, atSecond);
    for (const p of this.parts) p.beginPhase(firstSeq, atSecond);
  }
  override sent(...args: Parameters<Recorder['sent']>): void {
    super.sent(...args);
    this.parts[args[2] % PARTS]!.sent(...args); // by sending client, as if each part held a third of the clients
  }
  override sendLag(lateNs: number): void {
    super.sendLag(lateNs);
    this.parts[Math.floor(lateNs) % PARTS]!.sendLag(lateNs);
  }
  override frame(data: Buffer, nowNs: number, receiver: number): number | undefined {
    // By receiving client: a broadcast's receivers, and mostly a send-to's target, are in other parts than its sender.
    this.parts[receiver % PARTS]!.frame(data, nowNs, receiver);
    return super.frame(data, nowNs, receiver);
  }
  override handshake(durationNs: number): void {
    super.handshake(durationNs);
    this.parts[Math.floor(durationNs) % PARTS]!.handshake(durationNs);
  }
  override error(cause: string): void {
    super.error(cause);
    this.parts[cause.length % PARTS]!.error(cause);
  }
  override clientLost(cause: string): void {
    super.clientLost(cause);
    this.parts[1]!.clientLost(cause);
  }
  override tick(context: Parameters<Recorder['tick']>[0]): ReturnType<Recorder['tick']> {
    // Part 0 holds the clients and reads the server; the others have no clients of their own.
    this.parts.forEach((p, i) => p.tick(i === 0 ? context : { t: context.t, phase: context.phase, openClients: 0 }));
    return super.tick(context);
  }
  override stopWatching(): void {
    super.stopWatching();
    for (const p of this.parts) p.stopWatching();
  }

  /** The parts as JSON, part 0 with the run's facts and this process's watch, the others with none. */
  encodeParts(whole: PartialMeasurement): PartialMeasurement[] {
    const noClients: PartFacts = {
      clients: { requested: 0, connected: 0, openAtStart: 0, openBeforeClose: 0, closesForced: 0 },
      roles: { publisher: 0, stoppedReaders: 0, senders: 0 },
      phasesMs: whole.phasesMs,
      trafficNs: whole.trafficNs,
      // Every part knows the plan's drain timeout.
      ...(whole.drainTimeoutMs !== undefined && { drainTimeoutMs: whole.drainTimeoutMs }),
    };
    const { clients, roles, phasesMs, trafficNs, churn, server, stoppedReaders, drainTimeoutMs } = whole;
    return this.parts.map((p, i) => {
      const part = p.encode(i === 0 ? { clients, roles, phasesMs, trafficNs, ...(stoppedReaders && { stoppedReaders }), ...(drainTimeoutMs !== undefined && { drainTimeoutMs }), ...(churn && { churn }), ...(server && { server }) } : noClients);
      const withWatch = i === 0 ? { ...part, selfCheck: { ...part.selfCheck, ...(whole.selfCheck.process && { process: whole.selfCheck.process }) } } : part;
      return JSON.parse(JSON.stringify(withWatch)) as PartialMeasurement;
    });
  }
}

/** A measurement with its histograms as their encodings, for a deep comparison. */
function comparable(m: Measurement): unknown {
  const encode = (h: Histogram): { count: number; encoded: string } => ({ count: h.totalCount, encoded: encodeHistogram(h) });
  const h = m.histograms;
  return {
    ...m,
    histograms: {
      latency: encode(h.latency),
      latencyByKind: { echo: encode(h.latencyByKind.echo), broadcast: encode(h.latencyByKind.broadcast), 'send-to': encode(h.latencyByKind['send-to']) },
      fanout: encode(h.fanout),
      handshake: encode(h.handshake),
    },
  };
}

async function recordSplit(plan: LoadPlan, serverStats?: ServerStatsClient): Promise<{ single: Measurement; merged: Measurement }> {
  let split: SplitRecorder | undefined;
  const whole = await runPart(plan, { ...(serverStats && { serverStats }), recorder: (options) => (split = new SplitRecorder(options)) });
  const parts = split!.encodeParts(whole);
  return { single: mergeMeasurements([JSON.parse(JSON.stringify(whole)) as PartialMeasurement]), merged: mergeMeasurements(parts) };
}

describe('merging partial measurements', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ model: 'actor', host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.stop());

  it('gives the single measurement back from three parts of a real run', async () => {
    const plan = testPlan(server.url, {
      clients: 60,
      warmupMs: 300,
      durationMs: 2200,
      mode: { kind: 'open-loop', rate: 400 },
      mix: { echo: 2, broadcast: 1, sendTo: 1 },
      phases: [
        { name: 'steady', durationMs: 1200, rate: 400 },
        { name: 'burst', durationMs: 1000, rate: 800 },
      ],
    });
    const { single, merged } = await recordSplit(plan, new ServerStatsClient(server.url));
    // The run did what the comparison needs: every kind, both phases, seconds to plot, nothing lost.
    expect(single.counters.broadcasts).toBeGreaterThan(0);
    expect(single.histograms.latencyByKind['send-to'].totalCount).toBeGreaterThan(0);
    expect(single.histograms.fanout.totalCount).toBe(single.counters.fanoutsCompleted);
    expect(single.phases.map((p) => p.name)).toEqual(['steady', 'burst']);
    expect(single.timeSeries.length).toBeGreaterThanOrEqual(2);
    expect(single.lost + single.lostInWarmup).toBe(0);
    expect(single.counters.received).toBe(single.counters.expected);
    expect(comparable(merged)).toEqual(comparable(single));
  });
});

describe('merging partial measurements with losses and duplicates', () => {
  let wss: WebSocketServer;
  let url: string;
  beforeAll(async () => {
    // Every other frame is answered twice, the rest not at all.
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    let id = 0;
    let n = 0;
    wss.on('connection', (ws) => {
      ws.send(encodeWelcome(++id));
      ws.on('message', (data: Buffer) => {
        if (n++ % 2 === 0) for (let i = 0; i < 2; i++) ws.send(data, { binary: false });
      });
    });
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => wss.close(() => resolve())));

  it('settles every probe across the parts as the single ledger does', async () => {
    const plan = testPlan(url, { clients: 10, connectConcurrency: 10, warmupMs: 200, durationMs: 500, mode: { kind: 'open-loop', rate: 200 }, messageBytes: 0, drainTimeoutMs: 1000 });
    const { single, merged } = await recordSplit(plan);
    expect(single.lost).toBeGreaterThan(0);
    expect(single.extra).toBeGreaterThan(0);
    expect(single.deliveryCauses.measured.duplicate + single.deliveryCauses.warmup.duplicate).toBe(single.extra);
    expect(single.counters.errors['duplicate-delivery']).toBe(single.extra);
    expect(comparable(merged)).toEqual(comparable(single));
  });
});
