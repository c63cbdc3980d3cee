/**
 * GET /metrics in the Prometheus text format (prom-client), so that Prometheus or Grafana can scrape
 * a long-running server. Values are read from ServerMetrics at scrape time; latency figures are
 * exposed as summaries would be (quantile-labelled gauges plus a count of timed samples), in seconds;
 * exact counts are the wsbench_actor_handled and wsbench_mutex_acquisitions gauges. They cover the
 * window since the last reset, like the JSON snapshot (a server nobody resets counts from its start).
 * prom-client's own process metrics (nodejs_*, process_*) are added from the first scrape on.
 */
import client from 'prom-client';
import type { LatencySummary } from '../../common/histogram.ts';
import type { LabelledHistograms } from './kind-histograms.ts';
import type { ServerMetrics } from './server-metrics.ts';

const QUANTILES: [string, keyof LatencySummary][] = [
  ['0.5', 'p50'],
  ['0.9', 'p90'],
  ['0.99', 'p99'],
  ['0.999', 'p999'],
  ['1', 'max'],
];

export interface PrometheusExport {
  readonly contentType: string;
  /** The text for GET /metrics. */
  scrape(): Promise<string>;
}

export function createPrometheusExport(metrics: ServerMetrics): PrometheusExport {
  const registry = new client.Registry();
  registry.setDefaultLabels({ model: metrics.model });
  // prom-client's process metrics watch every GC and the event loop: start them at the first
  // scrape, so that a server nobody scrapes (a bench run) does not pay for them.
  let defaultsOn = false;
  const scrape = (): Promise<string> => {
    if (!defaultsOn) {
      client.collectDefaultMetrics({ register: registry });
      defaultsOn = true;
    }
    return registry.metrics();
  };

  const gauge = (name: string, help: string, labelNames: string[], collect: (g: client.Gauge) => void): void => {
    registry.registerMetric(
      new client.Gauge({
        name,
        help,
        labelNames,
        registers: [],
        collect() {
          this.reset();
          collect(this);
        },
      }),
    );
  };
  const latency = (name: string, help: string, label: string, histograms: LabelledHistograms): void => {
    gauge(`${name}_seconds`, `${help} (quantiles over the window, seconds)`, [label, 'quantile'], (g) => {
      for (const [value, summary] of Object.entries(histograms.summaries())) {
        for (const [q, key] of QUANTILES) g.set({ [label]: value, quantile: q }, summary[key] / 1e6);
      }
    });
    gauge(`${name}_count`, `${help} (timed samples over the window)`, [label], (g) => {
      for (const [value, summary] of Object.entries(histograms.summaries())) g.set({ [label]: value }, summary.count);
    });
  };

  gauge('wsbench_connections', 'Open WebSocket connections', [], (g) => g.set(metrics.gauges().connections));
  gauge('wsbench_outbound_queue_full_events', 'Sends that found a client outbound queue full and waited (window)', [], (g) => g.set(metrics.outboundQueueFullEvents));
  gauge('wsbench_slow_consumer_dropped_frames', 'Frames the slow-consumer policy dropped since the server started', ['policy'], (g) => {
    const p = metrics.policyReport();
    g.set({ policy: p.name }, p.dropped);
  });
  gauge('wsbench_slow_consumer_disconnects', 'Clients the slow-consumer policy closed with 1008 since the server started', ['policy'], (g) => {
    const p = metrics.policyReport();
    g.set({ policy: p.name }, p.disconnected);
  });
  gauge('wsbench_event_loop_utilization', 'Event-loop utilization over the window (0..1)', [], (g) => g.set(metrics.utilization()));
  if (metrics.actor) {
    const actor = metrics.actor;
    gauge('wsbench_actor_mailbox_depth', 'Actor mailbox depth: current, max and time-weighted mean over the window', ['stat'], (g) => {
      const depth = actor.depthReport(performance.now());
      g.set({ stat: 'current' }, depth.current);
      g.set({ stat: 'max' }, depth.max);
      g.set({ stat: 'mean' }, depth.mean);
    });
    gauge('wsbench_actor_handled', 'Messages the actor handled over the window, by kind', ['kind'], (g) => {
      for (const [kind, n] of actor.handled) g.set({ kind }, n);
    });
    latency('wsbench_actor_mailbox_wait', 'Time messages waited in the actor mailbox', 'kind', actor.mailboxWait);
    latency('wsbench_actor_handling', 'Time the actor spent on a message, awaited sends included', 'kind', actor.handling);
  }
  if (metrics.mutex) {
    const mutex = metrics.mutex;
    gauge('wsbench_mutex_waiters', 'Tasks waiting for the registry lock: current and max over the window', ['stat'], (g) => {
      g.set({ stat: 'current' }, mutex.waiters);
      g.set({ stat: 'max' }, mutex.maxWaiters);
    });
    gauge('wsbench_mutex_acquisitions', 'Registry lock acquisitions over the window, by operation', ['operation'], (g) => {
      for (const [operation, n] of mutex.acquisitions) g.set({ operation }, n);
    });
    latency('wsbench_mutex_lock_wait', 'Time from asking for the registry lock to getting it', 'operation', mutex.lockWait);
    latency('wsbench_mutex_lock_hold', 'Time the registry lock was held, awaited sends included', 'operation', mutex.lockHold);
  }
  return { contentType: registry.contentType, scrape };
}
