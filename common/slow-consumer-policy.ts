/**
 * What a send does when it finds a client's outbound queue full (a client that reads slower than
 * it is sent to). `await` is the original's behaviour: the sender waits for room, so the actor or
 * the lock holder stalls behind the slowest client. `drop` drops that frame and counts it.
 * `disconnect` drops too, and closes a client whose queue has stayed full longer than a timeout
 * with 1008 (policy violation), counting it and every frame it never got.
 */
export const SLOW_CONSUMER_POLICIES = ['await', 'drop', 'disconnect'] as const;
export type SlowConsumerPolicyName = (typeof SLOW_CONSUMER_POLICIES)[number];

export type SlowConsumerPolicy = { readonly kind: 'await' } | { readonly kind: 'drop' } | { readonly kind: 'disconnect'; readonly timeoutMs: number };

export const DEFAULT_SLOW_CONSUMER_TIMEOUT_MS = 1000;
/** The range a disconnect timeout may take, in seconds (the server takes ms from 1 to 3,600,000). */
export const MIN_SLOW_CONSUMER_TIMEOUT_S = 0.001;
export const MAX_SLOW_CONSUMER_TIMEOUT_S = 3600;
export const AWAIT_POLICY: SlowConsumerPolicy = { kind: 'await' };

export function isSlowConsumerPolicyName(value: string): value is SlowConsumerPolicyName {
  return (SLOW_CONSUMER_POLICIES as readonly string[]).includes(value);
}
