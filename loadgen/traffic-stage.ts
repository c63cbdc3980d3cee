/**
 * The traffic stage of a run: warm-up, the measured phase and the drain. The driver sends, the
 * recorder counts; this only says when each begins and ends (the ticker, the self-check and churn
 * stop whatever happens). An aborted run (options.signal) skips what is left: no measured phase
 * after an interrupted warm-up, no drain after an interrupted measurement.
 */
import type { ServerGauges, ServerStats } from '../common/stats-schema.ts';
import { nowNs } from './clock.ts';
import type { ClientPool } from './drive/client-pool.ts';
import { drain } from './drive/drain.ts';
import type { TrafficDriver } from './drive/driver.ts';
import type { ProbeSender } from './drive/probe-sender.ts';
import { startSecondTicker } from './drive/second-ticker.ts';
import { scheduleFault, type ScheduledFault } from './drive/fault.ts';
import type { LoadPlan } from './plan.ts';
import type { Recorder } from './record/recorder.ts';
import type { RunOptions } from './runner.ts';

export interface TrafficContext {
  readonly plan: LoadPlan;
  readonly options: RunOptions;
  readonly recorder: Recorder;
  readonly pool: ClientPool;
  readonly sender: ProbeSender;
  readonly driver: TrafficDriver;
  readonly random: () => number;
  readonly gaugesBefore: ServerGauges | undefined;
}

export async function runTraffic(c: TrafficContext): Promise<{ trafficNs: number; drainNs: number; stats: ServerStats | undefined }> {
  const { plan, recorder, pool, sender, driver } = c;
  const { observer = {}, serverStats, signal } = c.options;
  const aborted = (): boolean => signal?.aborted === true;
  const trafficStart = nowNs();
  const measureStart = trafficStart + plan.warmupMs * 1e6;
  const ticker = startSecondTicker(recorder, pool, trafficStart, serverStats, (sample) => observer.tick?.(sample));
  let scheduled: ScheduledFault | undefined;
  try {
    if (plan.warmupMs > 0) observer.phase?.('warmup', `${pool.open} open, ${plan.warmupMs / 1000} s`);
    const trafficOn = pool.open > 0;
    if (trafficOn) await driver.warmUp(trafficStart, measureStart);
    if (aborted()) return { trafficNs: 0, drainNs: 0, stats: undefined }; // stopped in the warm-up: nothing was measured
    recorder.startMeasuring(sender.seq, measureStart);
    ticker.stage = 'measure';
    void serverStats?.reset();
    pool.pauseStoppedReaders();
    pool.startChurn(c.random);
    observer.phase?.('measure', `${pool.open} open, ${plan.durationMs / 1000} s ${plan.mode.kind}`);
    const fault = plan.behaviours?.fault;
    scheduled = fault && scheduleFault(pool, fault, measureStart, (atNs, client) => recorder.faultSent(atNs, client, fault.site));
    if (trafficOn && !aborted()) await driver.measure(measureStart, measureStart + plan.durationMs * 1e6, (atNs) => recorder.beginPhase(sender.seq, (atNs - trafficStart) / 1e9));
    driver.stop();
    const trafficNs = nowNs() - measureStart;
    recorder.stopWatching();
    await pool.stopChurn();
    if (!aborted()) await c.options.sideTraffic?.();
    // The server's figures cover the measured phase only (a long drain would dilute CPU and depth means).
    const stats = await serverStats?.snapshot();

    ticker.stage = 'drain';
    observer.phase?.('drain', `${recorder.outstanding} deliveries outstanding`);
    const drainStart = nowNs();
    if (!aborted()) await drain({ recorder, pool, timeoutMs: plan.drainTimeoutMs, serverStats, gaugesBefore: c.gaugesBefore, ...(signal && { signal }) });
    return { trafficNs, drainNs: nowNs() - drainStart, stats };
  } finally {
    scheduled?.cancel();
    ticker.stop();
    driver.stop();
    recorder.stopWatching();
    await pool.stopChurn();
  }
}

