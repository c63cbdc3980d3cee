/** The policy's names and types are the shared contract (common/); what it did is counted here. */
export { AWAIT_POLICY, DEFAULT_SLOW_CONSUMER_TIMEOUT_MS, MAX_SLOW_CONSUMER_TIMEOUT_S, MIN_SLOW_CONSUMER_TIMEOUT_S, isSlowConsumerPolicyName, SLOW_CONSUMER_POLICIES, type SlowConsumerPolicy, type SlowConsumerPolicyName } from '../../common/slow-consumer-policy.ts';

/** Counts what the policy did, over the server's life (never reset: the load generator takes differences). */
export class PolicyCounters {
  /** Frames a policy threw away: dropped at a full queue, left in the queue of a closed client, or sent to it after. */
  dropped = 0;
  /** Clients closed with 1008 because their queue stayed full. */
  disconnected = 0;
}
