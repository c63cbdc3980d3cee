/**
 * Debug only (off unless --debug-stall-ms is given): blocks the server's event loop for `stallMs`
 * once every `everyMs`, so that tests can check that a stalled server shows in the latency tail.
 */
export function startDebugStall(stallMs: number, everyMs: number): () => void {
  const timer = setInterval(() => {
    const until = Date.now() + stallMs;
    while (Date.now() < until) {
      // busy-wait on purpose: nothing else runs on this event loop meanwhile
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
