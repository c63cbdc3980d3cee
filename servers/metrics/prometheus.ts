/**
 * GET /metrics in the Prometheus text format (prom-client), so that Prometheus or Grafana can scrape
 * a long-running server. Values are read from ServerMetrics at scrape time; latency figures are
 * exposed as summaries would be (quantile-labelled gauges plus a count of timed samples), in seconds;
 * the model's contention comes from its generic report (gauges, exact counts, timings), so the
 * metric names are the model's own (wsbench_actor_mailbox_depth, wsbench_mutex_lock_wait_seconds…)
 * with no per-model code here. They cover the
 * window since the last reset, like the JSON snapshot (a server nobody resets counts from its start).
 * prom-client's own process metrics (nodejs_*, process_*) are added from the first scrape on.
 */
import client from 'prom-client';
import type { LatencySummary } from '../../common/histogram.ts';
import type { ContentionReport, HistogramReport } from '../../common/stats-schema.ts';
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
  const latency = (name: string, help: string, label: string, reports: () => Record<string, HistogramReport>): void => {
    gauge(`${name}_seconds`, `${help} (quantiles over the window, seconds)`, [label, 'quantile'], (g) => {
      for (const [value, { summary }] of Object.entries(reports())) {
        // An empty window has no quantiles: no sample rather than a 0 that reads as instant.
        for (const [q, key] of QUANTILES) if (summary[key] !== null) g.set({ [label]: value, quantile: q }, summary[key] / 1e6);
      }
    });
    gauge(`${name}_count`, `${help} (timed samples over the window)`, [label], (g) => {
      for (const [value, { summary }] of Object.entries(reports())) g.set({ [label]: value }, summary.count);
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
  gauge('wsbench_admin_requests_waiting', 'Admin HTTP requests waiting for the registry (GET /clients/count, POST /broadcast)', [], (g) => g.set(metrics.admin?.waiting ?? 0));
  const admin = metrics.admin;
  registry.registerMetric(
    new client.Counter({
      name: 'wsbench_admin_requests_refused_total',
      help: 'Admin HTTP requests refused with 503 because the waiting cap was full, since the server started',
      labelNames: ['route'],
      registers: [],
      collect() {
        this.reset();
        for (const [route, n] of admin?.refused ?? []) this.inc({ route }, n);
      },
    }),
  );
  registry.registerMetric(
    new client.Counter({
      name: 'wsbench_heartbeat_terminations_total',
      help: 'Clients terminated because they missed a heartbeat pong, since the server started',
      registers: [],
      collect() {
        this.reset();
        this.inc(metrics.heartbeatTerminations());
      },
    }),
  );
  gauge('wsbench_event_loop_utilization', 'Event-loop utilization over the window (0..1)', [], (g) => g.set(metrics.utilization()));
  // The model's contention, whatever the model: each gauge, its exact counts, its sampled timings.
  const contention = metrics.contention;
  if (contention) {
    const read = (): ContentionReport => contention.report(performance.now());
    for (const g of read().gauges) {
      gauge(`wsbench_${g.name}`, `${g.help}: current, max${g.mean === undefined ? '' : ' and time-weighted mean'} over the window`, ['stat'], (m) => {
        const now = read().gauges.find((x) => x.name === g.name);
        if (!now) return;
        m.set({ stat: 'current' }, now.current);
        m.set({ stat: 'max' }, now.max);
        if (now.mean !== undefined) m.set({ stat: 'mean' }, now.mean);
      });
    }
    const counts = read().counts;
    if (counts) {
      gauge(`wsbench_${counts.name}`, `${counts.help} over the window, by ${counts.label}`, [counts.label], (m) => {
        for (const [key, n] of Object.entries(read().counts?.byOperation ?? {})) m.set({ [counts.label]: key }, n);
      });
    }
    for (const t of read().timings) latency(`wsbench_${t.name}`, t.help, t.label, () => read().timings.find((x) => x.name === t.name)?.byOperation ?? {});
  }
  return { contentType: registry.contentType, scrape };
}
