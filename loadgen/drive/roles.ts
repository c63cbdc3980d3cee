/**
 * Which client does what. With a publisher, client 0 is it; the next `stopReading` clients stop
 * reading during the measured phases; everyone else sends the scenario's mix (and is the pool of
 * send-to targets). Churn replaces senders in place, so the roles keep their sizes.
 */
import type { LoadClient } from './connect.ts';
import type { ClientBehaviours } from '../plan.ts';

export interface Roles {
  readonly publisher: LoadClient | undefined;
  readonly stopped: readonly LoadClient[];
  /** Clients that send the mix; churn swaps members in place. */
  readonly senders: LoadClient[];
}

export function assignRoles(clients: readonly LoadClient[], behaviours: ClientBehaviours = {}): Roles {
  let next = 0;
  const publisher = behaviours.publisher ? clients[next++] : undefined;
  const stopCount = behaviours.stopReading ?? 0;
  const stopped = clients.slice(next, next + stopCount);
  next += stopped.length;
  return { publisher, stopped, senders: clients.slice(next) };
}

/** Puts `joined` where `left` was among the senders (churn). */
export function replaceSender(roles: Roles, left: LoadClient, joined: LoadClient): void {
  const at = roles.senders.indexOf(left);
  if (at >= 0) roles.senders[at] = joined;
  else roles.senders.push(joined);
}
