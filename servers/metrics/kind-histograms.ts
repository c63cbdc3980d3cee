/** One latency histogram per label (message kind or lock operation), created on first use. */
import { createLatencyHistogram, encodeHistogram, summarize, type Histogram } from '../../common/histogram.ts';
import type { HistogramReport } from '../../common/stats-schema.ts';
export type { HistogramReport } from '../../common/stats-schema.ts';

export class LabelledHistograms {
  private readonly byLabel = new Map<string, Histogram>();

  /** Records a duration given in milliseconds (performance.now() differences). */
  recordMs(label: string, ms: number): void {
    let histogram = this.byLabel.get(label);
    if (!histogram) this.byLabel.set(label, (histogram = createLatencyHistogram()));
    const us = (ms * 1000 + 0.5) | 0; // ms to whole µs (durations here are far below 2^31 µs)
    histogram.recordValue(us < 1 ? 1 : us);
  }

  report(): Record<string, HistogramReport> {
    const out: Record<string, HistogramReport> = {};
    for (const [label, h] of [...this.byLabel].sort(([a], [b]) => a.localeCompare(b))) out[label] = { summary: summarize(h), histogram: encodeHistogram(h) };
    return out;
  }

  reset(): void {
    for (const h of this.byLabel.values()) h.reset();
  }
}
