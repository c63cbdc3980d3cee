/** What the server's HTTP side said about a run, as a part's facts. */
import type { ServerGauges, ServerStats } from '../../common/stats-schema.ts';
import type { ServerFacts } from './partial.ts';

/** What the slow-consumer policy did between two readings of the server's gauges. */
export function policyDelta(before: ServerGauges, after: ServerGauges): { dropped: number; disconnected: number } {
  return { dropped: after.policyDropped - before.policyDropped, disconnected: after.policyDisconnected - before.policyDisconnected };
}

/** The policy's and the admin route's counts are differences of the gauges read before and after the traffic. */
export function serverFacts(stats: ServerStats | undefined, before: ServerGauges | undefined, after: ServerGauges | undefined, countBeforeClose: number | undefined, countAfterClose: number | undefined): ServerFacts {
  const gauges = before && after;
  return {
    ...(stats && { stats }),
    ...(gauges && stats && { policy: { name: stats.slowConsumerPolicy.name, ...policyDelta(before, after) } }),
    ...(gauges && { adminBroadcastsServed: after.adminBroadcasts - before.adminBroadcasts }),
    ...(countBeforeClose !== undefined && { countBeforeClose }),
    ...(countAfterClose !== undefined && { countAfterClose }),
  };
}

