/**
 * A bad network as a scenario setting: the load generator's clients connect through fault proxies
 * (netfault/), which add delay and jitter, stall periodically, cap bandwidth and reset connections.
 * An empty setting (`"network": {}`) still routes through the proxies, without faults: the
 * control run, so that a difference is the faults' and not the proxy's. The kernel's netem is
 * not available here; a userspace proxy is, on loopback.
 */
import { z } from 'zod';

export const networkFaultsSchema = z
  .object({
    /** Added to every chunk, each direction, ms. */
    delayMs: z.number().min(0).max(60_000).default(0),
    /** A further uniform 0..jitterMs per chunk (order within a connection kept), ms. */
    jitterMs: z.number().min(0).max(60_000).default(0),
    /** Every `everyMs`, nothing is forwarded for `forMs` (all connections, both directions). */
    stall: z
      .object({ everyMs: z.number().min(10).max(3_600_000), forMs: z.number().min(1).max(3_600_000) })
      .strict()
      .refine((s) => s.forMs < s.everyMs, 'forMs must be shorter than everyMs')
      .optional(),
    /** Bytes per second per connection and direction (absent: uncapped). */
    bandwidthBytesPerSec: z.number().min(1024).max(1e10).optional(),
    /** Connections reset (TCP RST) per second, chosen at random among those open (absent: none). */
    resetsPerSecond: z.number().min(0).max(10_000).optional(),
  })
  .strict();

export type NetworkFaults = z.infer<typeof networkFaultsSchema>;

/** Whether the settings do anything (the control run's do not). */
export function hasFaults(f: NetworkFaults): boolean {
  return f.delayMs > 0 || f.jitterMs > 0 || f.stall !== undefined || f.bandwidthBytesPerSec !== undefined || (f.resetsPerSecond ?? 0) > 0;
}

/** One line for a report: what the proxies did to the traffic. */
export function describeFaults(f: NetworkFaults): string {
  if (!hasFaults(f)) return 'no faults (control run through the proxy)';
  const parts = [
    f.delayMs > 0 && `+${f.delayMs} ms delay`,
    f.jitterMs > 0 && `0–${f.jitterMs} ms jitter`,
    f.stall && `${f.stall.forMs} ms stall every ${f.stall.everyMs} ms`,
    f.bandwidthBytesPerSec !== undefined && `${Math.round(f.bandwidthBytesPerSec / 1024)} KiB/s per connection and direction`,
    (f.resetsPerSecond ?? 0) > 0 && `${f.resetsPerSecond} resets/s`,
  ].filter(Boolean);
  return parts.join(', ');
}

/** What one proxy counted, reported when it stops. */
export interface ProxyStats {
  readonly connections: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Chunks that waited for a stall to end. */
  readonly chunksStalled: number;
  readonly resets: number;
  /** Times a side was paused because too much waited in the proxy (backpressure). */
  readonly pauses: number;
}
