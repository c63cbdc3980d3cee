/**
 * A full garbage collection between the connect phase and the traffic. Opening 10,000 sockets
 * leaves tens of MB of garbage in the old generation; collected later, it costs a Mark-Compact of
 * 10–20 ms (plus its backlog, up to ~45 ms of event-loop delay) in the middle of the measured
 * phase, which the self-check then rightly blames on the load generator. Collected here, before
 * the first probe, the next major collection falls after a 10 s run in most runs. Benchmark
 * harnesses do the same before measuring (tinybench, JMH).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

let unavailable = false;

/**
 * Runs a full, synchronous garbage collection; returns how long it took in ms, or undefined where
 * gc() cannot be had (it is an optimisation of the measurement, never a reason to fail a run).
 */
export function collectGarbage(): number | undefined {
  if (unavailable) return undefined;
  gc ??= exposedGc();
  if (!gc) {
    unavailable = true;
    return undefined;
  }
  const start = performance.now();
  gc();
  return performance.now() - start;
}

function exposedGc(): (() => void) | undefined {
  const global = globalThis as { gc?: unknown };
  if (typeof global.gc === 'function') return global.gc as () => void;
  // Without --expose-gc on the command line: expose it now (Node calls flags set after start-up
  // undefined behaviour, hence the checks); a fresh context picks the flag up.
  try {
    setFlagsFromString('--expose-gc');
    const exposed: unknown = runInNewContext('gc');
    return typeof exposed === 'function' ? (exposed as () => void) : undefined;
  } catch {
    return undefined;
  }
}
