/**
 * A deliberate fault (debug only: `--debug-fault`), thrown where the original would panic. A task
 * it escapes ends there, as a tokio task does: the actor's loop stops (unless supervised); a
 * connection's task ends without its cleanup, so its registry entry stays as a ghost.
 */
import type { FaultSite } from '../../common/fault.ts';

export class InjectedPanic extends Error {
  override readonly name = 'InjectedPanic';
  constructor(readonly site: FaultSite) {
    super(`injected fault (${site})`);
  }
}

export function isInjectedPanic(error: unknown): error is InjectedPanic {
  return error instanceof InjectedPanic;
}
