/**
 * The drain: after the measured traffic, wait (at most the plan's drain timeout) for what is still
 * on its way. Clients that stopped reading read again. What will never arrive and is known is not
 * waited for: frames a slow-consumer policy dropped, sends refused because their target had gone.
 * Clients the policy disconnected: their close frames queue behind what they had not read, so a
 * resumed reader sees its close only after reading that; the drain waits for those closes, so
 * that the registry check that follows compares like with like.
 */
import type { ServerGauges } from '../../common/stats-schema.ts';
import { nowNs } from '../clock.ts';
import type { Recorder } from '../record/recorder.ts';
import { policyDelta } from '../record/server-facts.ts';
import type { ServerStatsClient } from '../server-stats.ts';
import type { ClientPool } from './client-pool.ts';
import { sleep } from './sleep.ts';

const DRAIN_POLL_MS = 20;
const GAUGES_POLL_NS = 250e6;

export interface DrainContext {
  readonly recorder: Recorder;
  readonly pool: ClientPool;
  readonly timeoutMs: number;
  readonly serverStats: ServerStatsClient | undefined;
  /** The server's gauges before the traffic (the policy's counts are read against them). */
  readonly gaugesBefore: ServerGauges | undefined;
  /** Aborted: stop waiting. */
  readonly signal?: AbortSignal;
}

export async function drain(c: DrainContext): Promise<void> {
  const { recorder, pool } = c;
  pool.resumeStoppedReaders();
  const deadline = nowNs() + c.timeoutMs * 1e6;
  let lastPoll = 0;
  let policy = { dropped: 0, disconnected: 0 };
  const poll = async (): Promise<void> => {
    lastPoll = nowNs();
    const g = c.gaugesBefore && (await c.serverStats?.gauges());
    if (g && c.gaugesBefore) policy = policyDelta(c.gaugesBefore, g);
  };
  if (c.gaugesBefore && pool.hasStoppedReaders) await poll();
  const refused = (): number => recorder.counters.error('server:unknown-client');
  const closedByPolicy = (): number => recorder.counters.error('closed-by-server:1008');
  const settled = (): boolean => recorder.outstanding <= policy.dropped + refused() && closedByPolicy() >= policy.disconnected;
  while (!settled() && nowNs() < deadline && pool.open > 0 && !c.signal?.aborted) {
    await sleep(DRAIN_POLL_MS);
    if (c.gaugesBefore && nowNs() - lastPoll > GAUGES_POLL_NS) await poll();
  }
}
