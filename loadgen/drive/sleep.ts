/** Waiting, in ms or until an hrtime (ns). */
import { nowNs } from '../clock.ts';

export function sleep(msDelay: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, msDelay));
}

/** Sleeps in steps of at most 100 ms until `endNs` has passed, or `signal` is aborted. */
export async function sleepUntil(endNs: number, signal?: AbortSignal): Promise<void> {
  for (let left = endNs - nowNs(); left > 0 && !signal?.aborted; left = endNs - nowNs()) await sleep(Math.min(left / 1e6, 100));
}
