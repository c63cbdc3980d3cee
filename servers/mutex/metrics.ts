/** The mutex model's contention instruments: its lock's waiters, acquisitions, wait and hold times. */
import type { ContentionReport } from '../../common/stats-schema.ts';
import type { ContentionMetrics } from '../common/model-definition.ts';
import { LabelledHistograms } from '../metrics/kind-histograms.ts';
import { DEFAULT_TIMING_SAMPLE_EVERY } from '../metrics/timing-sample.ts';

/**
 * Recorded by the mutex registry: waiters (exact, on every acquisition), acquisitions by operation
 * (exact), and lock wait and hold times for every 8th acquisition, for the same reason as the actor.
 */
export class MutexMetrics implements ContentionMetrics {
  /** Time from asking for the lock to getting it, by operation (sampled). */
  readonly lockWait = new LabelledHistograms();
  /** Time the lock was held (awaited sends included), by operation (sampled). */
  readonly lockHold = new LabelledHistograms();
  /** Acquisitions by operation (every one). */
  readonly acquisitions = new Map<string, number>();
  /** False while recording is paused (see ServerMetrics.setRecording): the registry then records nothing. */
  recording = true;
  waiters = 0;
  maxWaiters = 0;

  /** `sampleEvery`: lock wait and hold are timed for one acquisition in this many. */
  constructor(readonly sampleEvery = DEFAULT_TIMING_SAMPLE_EVERY) {}

  /** Counts an acquisition, and a waiter when the lock was taken at the time. */
  acquired(operation: string, waits: boolean): void {
    if (waits && ++this.waiters > this.maxWaiters) this.maxWaiters = this.waiters;
    this.acquisitions.set(operation, (this.acquisitions.get(operation) ?? 0) + 1);
  }

  reset(): void {
    this.lockWait.reset();
    this.lockHold.reset();
    this.acquisitions.clear();
    this.maxWaiters = this.waiters;
  }

  setRecording(on: boolean): void {
    this.recording = on;
  }

  report(): ContentionReport {
    return {
      kind: 'lock',
      gauges: [{ name: 'mutex_waiters', help: 'lock waiters', current: this.waiters, max: this.maxWaiters }],
      counts: { name: 'mutex_acquisitions', help: 'lock acquisitions', label: 'operation', byOperation: Object.fromEntries(this.acquisitions) },
      timingSampleEvery: this.sampleEvery,
      timings: [
        { name: 'mutex_lock_wait', help: 'lock wait', label: 'operation', byOperation: this.lockWait.report() },
        { name: 'mutex_lock_hold', help: 'lock hold', label: 'operation', byOperation: this.lockHold.report() },
      ],
    };
  }

  gauges(): Record<string, number> {
    return { mutex_waiters: this.waiters };
  }

  close(): void {}
}
