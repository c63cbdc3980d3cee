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

/** Runs a full, synchronous garbage collection; returns how long it took, in ms. */
export function collectGarbage(): number {
  gc ??= exposedGc();
  const start = performance.now();
  gc();
  return performance.now() - start;
}

function exposedGc(): () => void {
  const global = globalThis as { gc?: () => void };
  if (typeof global.gc === 'function') return global.gc;
  // Without --expose-gc on the command line: expose it now; a fresh context picks the flag up.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
