/**
 * The Grafana dashboard (ops/grafana/wsbench-servers.json) queries only metrics the servers export:
 * every metric name in every panel's PromQL is in some model's GET /metrics (the model's own
 * contention metrics in that model's), and the model-neutral ones in every model's.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../servers/server.ts';

const DASHBOARD = fileURLToPath(new URL('../ops/grafana/wsbench-servers.json', import.meta.url));
const MODELS = ['actor', 'mutex', 'baseline'] as const;

interface Dashboard {
  readonly panels: readonly { readonly id: number; readonly title: string; readonly targets: readonly { readonly expr: string }[] }[];
}

/** Metric names in a PromQL expression: identifiers followed by a selector, a range or the end (not functions, labels or keywords). */
function metricNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '{}');
  return [...withoutLabels.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=\{|\[|$|\))/g)].map((m) => m[1]!).filter((name) => name.includes('_'));
}

/** The sample names a scrape can hold: each TYPE line's name, with a histogram's or summary's series. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name! + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name! + suffix);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const exported = new Map<string, Set<string>>();
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    for (const model of MODELS) {
      const server = await startServer({ model, port: 0 });
      servers.push(server);
      const url = `http://127.0.0.1:${server.port}/metrics`;
      await fetch(url); // the first scrape starts prom-client's process metrics
      exported.set(model, exportedNames(await (await fetch(url)).text()));
    }
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('finds the metric names in PromQL', () => {
    expect(metricNames('rate(wsbench_admin_requests_refused_total{model=~"$model", route="x"}[1m])')).toEqual(['wsbench_admin_requests_refused_total']);
    expect(metricNames('wsbench_connections{model=~"$model"}')).toEqual(['wsbench_connections']);
  });

  it('has panels with unique ids, each with at least one query', () => {
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) expect(panel.targets.length, panel.title).toBeGreaterThan(0);
  });

  it('queries only metrics the servers export', () => {
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricNames(t.expr))));
    expect(queried.size).toBeGreaterThanOrEqual(15);
    for (const name of queried) {
      const exportedBy = MODELS.filter((m) => exported.get(m)!.has(name));
      const own = MODELS.find((m) => name.startsWith(`wsbench_${m}_`));
      expect(exportedBy, `${name} is queried by the dashboard`).toEqual(own ? [own] : [...MODELS]);
    }
  });
});
