/** The actor's contention instruments: its mailbox's depth, waits and handling times. */
import { performance } from 'node:perf_hooks';
import type { ContentionReport } from '../../common/stats-schema.ts';
import type { ContentionMetrics } from '../common/model-definition.ts';
import { LabelledHistograms } from '../metrics/kind-histograms.ts';
import { DEFAULT_TIMING_SAMPLE_EVERY } from '../metrics/timing-sample.ts';
import { TimeWeightedGauge } from '../metrics/time-weighted-gauge.ts';

const DEPTH_SAMPLE_MS = 50;

/**
 * Recorded by the actor registry. Timing every message cost a few % of the server's CPU on this
 * machine, so mailbox wait and handling time are timed for every 8th message; the depth's maximum
 * is exact (checked on every post) and its time-weighted mean is sampled every 50 ms.
 */
export class ActorMetrics implements ContentionMetrics {
  readonly mailboxDepth: TimeWeightedGauge;
  /** Time a message spent in the mailbox, by message kind (sampled). */
  readonly mailboxWait = new LabelledHistograms();
  /** Time from taking a message to finishing it (its awaited sends included), by message kind (sampled). */
  readonly handling = new LabelledHistograms();
  /** Messages handled, by kind (every message). */
  readonly handled = new Map<string, number>();
  /** False while recording is paused (see ServerMetrics.setRecording): the actor then records nothing. */
  recording = true;
  private sampler: NodeJS.Timeout | undefined;
  private depthMax = 0;

  constructor(
    readonly depth: () => number,
    /** Mailbox wait and handling are timed for one message in this many. */
    readonly sampleEvery = DEFAULT_TIMING_SAMPLE_EVERY,
  ) {
    this.mailboxDepth = new TimeWeightedGauge(performance.now());
    this.startSampler();
  }

  setRecording(on: boolean): void {
    this.recording = on;
    if (on) this.startSampler();
    else this.stopSampler();
  }

  private startSampler(): void {
    if (this.sampler) return;
    this.sampler = setInterval(() => this.mailboxDepth.set(this.depth(), performance.now()), DEPTH_SAMPLE_MS);
    this.sampler.unref();
  }

  private stopSampler(): void {
    clearInterval(this.sampler);
    this.sampler = undefined;
  }

  /** Called on every post with the depth after it: keeps the exact maximum without reading a clock. */
  observeDepth(depth: number): void {
    if (depth > this.depthMax) this.depthMax = depth;
  }

  countHandled(kind: string): void {
    this.handled.set(kind, (this.handled.get(kind) ?? 0) + 1);
  }

  depthReport(now: number): { readonly mean: number; readonly max: number; readonly current: number } {
    const sampled = this.mailboxDepth.read(now);
    return { mean: sampled.mean, max: Math.max(this.depthMax, sampled.max), current: this.depth() };
  }

  reset(now: number): void {
    this.mailboxDepth.set(this.depth(), now); // the new window starts from the depth now, not the last sample
    this.mailboxDepth.reset(now);
    this.depthMax = this.depth();
    this.mailboxWait.reset();
    this.handling.reset();
    this.handled.clear();
  }

  report(now: number): ContentionReport {
    return {
      kind: 'mailbox',
      gauges: [{ name: 'actor_mailbox_depth', help: 'mailbox depth', ...this.depthReport(now) }],
      counts: { name: 'actor_handled', help: 'messages handled', label: 'kind', byOperation: Object.fromEntries(this.handled) },
      timingSampleEvery: this.sampleEvery,
      timings: [
        { name: 'actor_mailbox_wait', help: 'mailbox wait', label: 'kind', byOperation: this.mailboxWait.report() },
        { name: 'actor_handling', help: 'handling', label: 'kind', byOperation: this.handling.report() },
      ],
    };
  }

  gauges(): Record<string, number> {
    return { actor_mailbox_depth: this.depth() };
  }

  close(): void {
    this.stopSampler();
  }
}
