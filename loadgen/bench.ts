/**
 * One bench run from a resolved plan: start the server (unless --target), run the load, stop the
 * server, and return the result; a failure becomes a failed result, never a lost one.
 */
import type { BenchPlan } from './plan.ts';
import { completedResult, failedResult, type BenchResult, type RunContext } from './result.ts';
import { runLoad, type RunObserver } from './runner.ts';
import type { Measurement } from './record/measurement.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { ServerStatsClient } from './server-stats.ts';
import { makeRunId } from './report/json-file.ts';
import { runHttpLoad, type HttpReport, type HttpRouteReport } from './http-load.ts';

export async function runBench(plan: BenchPlan, argv: readonly string[], observer: RunObserver = {}): Promise<BenchResult> {
  const startedAt = new Date();
  const model = plan.server.kind === 'spawn' ? plan.server.model : 'external';
  const context = (target: string): RunContext => ({ runId: makeRunId(startedAt, model, plan.scenario.name), startedAt, argv, plan, target });
  let server: ServerProcess | undefined;
  let target = plan.server.kind === 'external' ? plan.server.url : '';
  try {
    if (plan.server.kind === 'spawn') {
      server = await spawnServer(plan.server);
      target = server.url;
    }
    const serverStats = new ServerStatsClient(target);
    // HTTP side traffic starts with the measured phase and runs as long as it.
    let http: Promise<HttpRouteReport[]> | undefined;
    const withHttp: RunObserver = {
      ...observer,
      phase: (phase, detail) => {
        if (phase === 'measure' && plan.http && !http) http = runHttpLoad(serverStats.origin, plan.http, plan.load.durationMs);
        observer.phase?.(phase, detail);
      },
    };
    const measurement = await runLoad({ ...plan.load, url: target }, { observer: withHttp, serverStats, sideTraffic: () => http });
    const exit = server?.exitCode();
    if (exit !== undefined) throw Object.assign(new Error(`the ${model} server exited with code ${exit} during the run`), { code: 'ERR_SERVER_EXITED' });
    const routes = await http;
    return completedResult(context(target), measurement, routes && httpReport(routes, measurement));
  } catch (error) {
    return failedResult(context(target), error);
  } finally {
    await server?.stop();
  }
}

function httpReport(routes: HttpRouteReport[], m: Measurement): HttpReport {
  const broadcasts = routes.filter((r) => r.path === '/broadcast');
  if (broadcasts.length === 0) return { routes };
  const accepted = broadcasts.reduce((sum, r) => sum + r.ok, 0);
  const served = m.adminBroadcastsServed ?? null;
  return { routes, adminBroadcasts: { accepted, served, expectedDeliveries: served === null ? null : served * m.clientsOpen, delivered: m.adminBroadcastsReceived } };
}
