/**
 * The fault-isolation experiment's contract between the load generator and a server started with
 * `--debug --debug-fault <site>`: a client frame whose payload begins with FAULT_MARK makes the
 * server fail while handling it, at `site`:
 * - `registry`: midway through the broadcast of that frame — inside the actor's handler, or while
 *   the mutex is held, or in the baseline's loop — half the receivers got it, the rest never will;
 * - `connection`: in the sending connection's own task, before the registry is reached.
 * The failure is a panic in the tokio sense: whatever task it happens in ends there.
 */
export const FAULT_SITES = ['registry', 'connection'] as const;
export type FaultSite = (typeof FAULT_SITES)[number];

export const FAULT_MARK = 'fault-injection';

export function isFaultSite(value: string): value is FaultSite {
  return (FAULT_SITES as readonly string[]).includes(value);
}
