/**
 * Debug only (`--debug-gc`): a full garbage collection on request, so that a test can compare the
 * server's memory before and after a burst of hostile or refused traffic without starting node
 * with --expose-gc. The flag is set at run time and `gc` taken from a fresh context.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

/** Collects everything twice (a second pass frees what finalizers released) and returns the memory after. */
export function collectGarbage(): { rssBytes: number; heapUsedBytes: number } {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
}
