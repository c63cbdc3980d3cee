/**
 * Once a second of traffic: the recorder closes the second, with the server's gauges of the
 * latest answer (polled alongside, never awaited), and the observer hears about it.
 */
import type { ServerGauges } from '../../common/stats-schema.ts';
import { nowNs } from '../clock.ts';
import type { Recorder } from '../record/recorder.ts';
import type { TimeSeriesSample } from '../record/time-series.ts';
import type { ServerStatsClient } from '../server-stats.ts';
import type { ClientPool } from './client-pool.ts';

const SAMPLE_EVERY_MS = 1000;

export interface SecondTicker {
  /** The stage the next samples belong to. */
  stage: TimeSeriesSample['phase'];
  stop(): void;
}

export function startSecondTicker(recorder: Recorder, pool: ClientPool, trafficStartNs: number, serverStats: ServerStatsClient | undefined, onSample?: (sample: TimeSeriesSample) => void): SecondTicker {
  let lastGauges: ServerGauges | undefined;
  const ticker: SecondTicker = {
    stage: 'warmup',
    stop: () => clearInterval(timer),
  };
  const timer = setInterval(() => {
    const sample = recorder.tick({ t: (nowNs() - trafficStartNs) / 1e9, phase: ticker.stage, openClients: pool.open, ...(lastGauges && { server: lastGauges }) });
    void serverStats?.gauges().then((gauges) => (lastGauges = gauges));
    onSample?.(sample);
  }, SAMPLE_EVERY_MS);
  return ticker;
}
