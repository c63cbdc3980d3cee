/** The server's registry size, read until it has settled at what we expect (unregistering is asynchronous). */
import { nowNs } from '../clock.ts';
import type { ServerStatsClient } from '../server-stats.ts';
import { sleep } from './sleep.ts';

const REGISTRY_SETTLE_MS = 5000;

/** The count once it equals `expected`, or what it was when time ran out (undefined when unreadable). */
export async function settledCount(serverStats: ServerStatsClient | undefined, expected: number): Promise<number | undefined> {
  if (!serverStats) return undefined;
  const deadline = nowNs() + REGISTRY_SETTLE_MS * 1e6;
  let count = await serverStats.clientCount();
  while (count !== undefined && count !== expected && nowNs() < deadline) {
    await sleep(50);
    count = await serverStats.clientCount();
  }
  return count;
}
