/**
 * Runs one load plan against one server: connect → warm-up (sent, not counted) → measure → drain
 * → close. It only coordinates: the client pool and the driver (drive/) send, the recorder
 * (record/) counts, and the run's measurement is merged from the recorder's partial measurement
 * (one part today; the same merge serves parts recorded by several processes). It never prints:
 * the observer hears about phases and each second, reporters turn the measurement into text.
 * After the drain, the registry's size is checked against the clients still open, and again once
 * they have all left.
 */
import { nowNs } from './clock.ts';
import { ClientPool } from './drive/client-pool.ts';
import { createDriver, trafficPhases, type TrafficDriver } from './drive/driver.ts';
import { collectGarbage } from './drive/heap.ts';
import { ProbeSender } from './drive/probe-sender.ts';
import { settledCount } from './drive/registry-check.ts';
import type { LoadPlan } from './plan.ts';
import { seededRandom } from './random.ts';
import { mergeMeasurements, type Measurement } from './record/measurement.ts';
import type { PartialMeasurement } from './record/partial.ts';
import { serverFacts } from './record/server-facts.ts';
import { runTraffic } from './traffic-stage.ts';
import { Recorder, type RecorderOptions } from './record/recorder.ts';
import type { TimeSeriesSample } from './record/time-series.ts';
import type { ServerStatsClient } from './server-stats.ts';
import { PROBE_TAG } from '../common/protocol.ts';

export type Phase = 'connect' | 'warmup' | 'measure' | 'drain' | 'close';

const INTERRUPTED_CLOSE_TIMEOUT_MS = 2000;

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
  /** Builds the part's recorder (tests split one run's recording over several parts this way). */
  readonly recorder?: (options: RecorderOptions) => Recorder;
  /**
   * Aborted (SIGINT/SIGTERM, or the server gone): the phase under way ends early, what is left is
   * skipped but the close, and the part encodes what it recorded so far.
   */
  readonly signal?: AbortSignal;
  /** Every open client was closed by the server or dropped, outside the close phase: the server has gone. */
  readonly onAllConnectionsLost?: () => void;
}

/** The run's measurement, built (like every run's) by merging its partial measurements. */
export async function runLoad(plan: LoadPlan, options: RunOptions = {}): Promise<Measurement> {
  return mergeMeasurements([await runPart(plan, options)]);
}

/** One process's part of a run, as a partial measurement. */
export async function runPart(plan: LoadPlan, options: RunOptions = {}): Promise<PartialMeasurement> {
  const { observer = {}, serverStats } = options;
  const phases = trafficPhases(plan);
  const recorderOptions: RecorderOptions = { phases, maxSendLagMs: plan.maxSendLagMs, openLoop: plan.mode.kind === 'open-loop', trackReceivers: plan.behaviours?.fault !== undefined };
  const recorder = options.recorder?.(recorderOptions) ?? new Recorder(recorderOptions);
  const random = seededRandom(plan.seed);
  let driver: TrafficDriver | undefined;
  let pool: ClientPool | undefined;

  observer.phase?.('connect', `${plan.clients} clients, ${plan.connectConcurrency} handshakes in flight`);
  const connectStart = nowNs();
  pool = await ClientPool.connect(plan, {
    onFrame: (client, data) => {
      const now = nowNs();
      if (recorder.frame(data, now, client.index) === PROBE_TAG.echo) driver?.replied(client, now);
    },
    onHandshake: (ns) => recorder.handshake(ns),
    onError: (cause) => recorder.error(cause),
    onLost: (_client, cause) => {
      recorder.clientLost(cause);
      if (pool && pool.open === 0) options.onAllConnectionsLost?.();
    },
  }, options.signal);
  const connectNs = nowNs() - connectStart;
  collectGarbage(); // the handshakes' garbage, collected before the traffic rather than during it
  const sender = new ProbeSender(plan, pool, recorder, random);
  driver = createDriver({ plan, phases, pool, sender, random, sendLag: (ns) => recorder.sendLag(ns), ...(options.signal && { signal: options.signal }) });
  // A first request now, so that fetch's lazy start-up (tens of ms) never lands in the traffic.
  const gaugesBefore = await serverStats?.gauges();
  const openAtStart = pool.open;

  const aborted = (): boolean => options.signal?.aborted === true;
  // No client open: nothing to send (the run fails as such, see bench.ts), so no traffic phase to wait through.
  const traffic = aborted() || pool.open === 0 ? { trafficNs: 0, drainNs: 0, stats: undefined } : await runTraffic({ plan, options, recorder, pool, sender, driver, random, gaugesBefore });
  const gaugesAfter = await serverStats?.gauges();

  const openBeforeClose = pool.open;
  // An aborted run does not wait for the registry to settle: it closes and reports.
  const countBeforeClose = aborted() ? undefined : await settledCount(serverStats, openBeforeClose);
  observer.phase?.('close', `${pool.open} clients`);
  const closeStart = nowNs();
  // Interrupted, a stalled server does not get the usual 15 s to answer the close handshakes.
  const closesForced = await pool.closeAll(aborted() ? INTERRUPTED_CLOSE_TIMEOUT_MS : undefined);
  const closeNs = nowNs() - closeStart;
  const countAfterClose = aborted() ? undefined : await settledCount(serverStats, 0);
  const churn = await pool.stopChurn();
  const server = serverStats && serverFacts(traffic.stats, gaugesBefore, gaugesAfter, countBeforeClose, countAfterClose);
  return recorder.encode({
    clients: { requested: plan.clients, connected: pool.clients.length, openAtStart, openBeforeClose, closesForced },
    roles: pool.roleCounts,
    stoppedReaders: pool.stoppedReaderIndexes,
    drainTimeoutMs: plan.drainTimeoutMs,
    phasesMs: { connect: ms(connectNs), warmup: plan.warmupMs, measure: ms(traffic.trafficNs), drain: ms(traffic.drainNs), close: ms(closeNs) },
    trafficNs: traffic.trafficNs,
    ...(churn && { churn }),
    ...(server && { server }),
  });
}

function ms(ns: number): number {
  return Math.round(ns / 1e5) / 10;
}
