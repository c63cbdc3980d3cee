/**
 * One bench run from a resolved plan: start the server (unless --target), run the load, stop the
 * server, and return the result; a failure becomes a failed result, never a lost one. An
 * interrupt (SIGINT/SIGTERM) or the server dying ends the run early, with what it had measured.
 */
import type { BenchPlan } from './plan.ts';
import { completedResult, failedResult, interruptedResult, type BenchResult, type RunContext } from './result.ts';
import { runLoad, type Phase, type RunObserver } from './runner.ts';
import { interruptSignalOf } from './interrupt.ts';
import type { Measurement } from './record/measurement.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { ServerStatsClient } from './server-stats.ts';
import { makeRunId } from './report/json-file.ts';
import { runHttpLoad, type HttpReport, type HttpRouteReport } from './http-load.ts';
import { startFaultProxies, type FaultProxies } from './fault-proxies.ts';
import { describeFaults } from '../common/network-faults.ts';
import { LOADGEN_CPU } from './pinning.ts';
import type { NetworkReport } from './result.ts';

export async function runBench(plan: BenchPlan, argv: readonly string[], observer: RunObserver = {}, interrupt?: AbortSignal): Promise<BenchResult> {
  const startedAt = new Date();
  const model = plan.server.kind === 'spawn' ? plan.server.model : 'external';
  const context = (target: string): RunContext => ({ runId: makeRunId(startedAt, model, plan.scenario.name), startedAt, argv, plan, target });
  let server: ServerProcess | undefined;
  let target = plan.server.kind === 'external' ? plan.server.url : '';
  let phase: Phase = 'connect';
  // The run stops early on an interrupt, or when its server dies: no point sending into nothing.
  const serverGone = new AbortController();
  const stop = interrupt ? AbortSignal.any([interrupt, serverGone.signal]) : serverGone.signal;
  // The phase the stop came in (the run goes on to close its sockets, a phase of its own).
  let stoppedIn: Phase | undefined;
  stop.addEventListener('abort', () => (stoppedIn ??= phase), { once: true });
  let measurement: Measurement | undefined;
  let proxies: FaultProxies | undefined;
  let network: NetworkReport | undefined;
  try {
    if (plan.server.kind === 'spawn') {
      server = await spawnServer(plan.server);
      target = server.url;
      void server.exited.then(() => serverGone.abort('server-exited'));
    }
    const serverStats = new ServerStatsClient(target);
    await serverStats.checkAdminAccess();
    const faults = plan.load.network;
    if (faults) proxies = await startFaultProxies(target, plan.load.clients, faults, plan.load.seed, plan.server.kind === 'spawn' && plan.server.cpus !== undefined ? LOADGEN_CPU : undefined);
    // HTTP side traffic starts with the measured phase and runs as long as it.
    let http: Promise<HttpRouteReport[]> | undefined;
    const withHttp: RunObserver = {
      ...observer,
      phase: (next, detail) => {
        phase = next;
        if (next === 'measure' && plan.http && !http) {
          http = runHttpLoad(serverStats.origin, plan.http, plan.load.durationMs, stop);
          http.catch(() => {}); // awaited below when the run completes; stopped, its figures are not needed
        }
        observer.phase?.(next, detail);
      },
    };
    // An outside server that dies is seen only by its sockets: when every one has dropped, the run ends as for a server child that exited.
    const onAllConnectionsLost = (): void => serverGone.abort('connections-lost');
    measurement = await runLoad({ ...plan.load, url: target, ...(proxies && { urls: proxies.urls }) }, { observer: withHttp, serverStats, sideTraffic: () => http, signal: stop, onAllConnectionsLost });
    if (faults && proxies) network = { faults, described: describeFaults(faults), proxies: proxies.urls.length, clientsPerProxy: proxies.clientsPerProxy, stats: await proxies.stop() };
    const signal = interruptSignalOf(interrupt);
    if (signal) return interruptedResult(context(target), signal, stoppedIn ?? phase, measurement);
    const exit = server?.exitCode();
    if (exit !== undefined) {
      const how = exit === -1 ? 'was killed by a signal' : `exited with code ${exit}`;
      throw Object.assign(new Error(`the ${model} server ${how} during the ${stoppedIn ?? phase} phase; the result keeps what was measured until then`), { code: 'ERR_SERVER_EXITED' });
    }
    if (serverGone.signal.aborted) {
      throw Object.assign(new Error(`every connection to ${target} was closed or dropped during the ${stoppedIn ?? phase} phase (the server went away?); the result keeps what was measured until then`), { code: 'ERR_CONNECTIONS_LOST' });
    }
    checkSomethingWorked(measurement, plan.load.clients, target);
    const routes = await http;
    return completedResult(context(target), measurement, routes && httpReport(routes, measurement), network);
  } catch (error) {
    const signal = interruptSignalOf(interrupt);
    if (signal) return interruptedResult(context(target), signal, stoppedIn ?? phase, measurement);
    return failedResult(context(target), error, measurement);
  } finally {
    if (proxies && !network) await proxies.stop();
    await server?.stop();
  }
}

/** A run in which no client connected, or nothing sent was answered, measured nothing: it fails, never reads as a result. */
function checkSomethingWorked(m: Measurement, requested: number, target: string): void {
  if (m.clientsOpen === 0) {
    const causes = Object.entries(m.counters.errors).sort(([, a], [, b]) => b - a).slice(0, 3).map(([cause, n]) => `${cause} ×${n}`).join(', ');
    const opened = requested - m.clientsFailed;
    const how = opened > 0 ? `${m.clientsFailed} of ${requested} handshakes failed and the ${opened} that opened were closed before the traffic began` : `${m.clientsFailed} of ${requested} handshakes failed`;
    throw Object.assign(new Error(`no client connected to ${target}: ${how}${causes ? ` (${causes})` : ''}`), { code: 'ERR_NO_CONNECTION' });
  }
  if (m.counters.expected > 0 && m.counters.received === 0) {
    throw Object.assign(new Error(`nothing was answered: 0 of ${m.counters.expected.toLocaleString('en-US')} expected deliveries of the measured phase came back from ${target}`), { code: 'ERR_NOTHING_ANSWERED' });
  }
}

function httpReport(routes: HttpRouteReport[], m: Measurement): HttpReport {
  const broadcasts = routes.filter((r) => r.path === '/broadcast');
  if (broadcasts.length === 0) return { routes };
  const accepted = broadcasts.reduce((sum, r) => sum + r.ok, 0);
  const served = m.adminBroadcastsServed ?? null;
  return { routes, adminBroadcasts: { accepted, served, expectedDeliveries: served === null ? null : served * m.clientsOpen, delivered: m.adminBroadcastsReceived } };
}
