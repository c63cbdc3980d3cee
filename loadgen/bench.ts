/**
 * One bench run from a resolved plan: start the server (unless --target), run the load, stop the
 * server, and return the result; a failure becomes a failed result, never a lost one.
 */
import type { BenchPlan } from './plan.ts';
import { completedResult, failedResult, type BenchResult, type RunContext } from './result.ts';
import { runLoad, type RunObserver } from './runner.ts';
import { spawnServer, type ServerProcess } from './server-process.ts';
import { ServerStatsClient } from './server-stats.ts';
import { makeRunId } from './report/json-file.ts';

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
    const measurement = await runLoad({ ...plan.load, url: target }, { observer, serverStats: new ServerStatsClient(target) });
    const exit = server?.exitCode();
    if (exit !== undefined) throw Object.assign(new Error(`the ${model} server exited with code ${exit} during the run`), { code: 'ERR_SERVER_EXITED' });
    return completedResult(context(target), measurement);
  } catch (error) {
    return failedResult(context(target), error);
  } finally {
    await server?.stop();
  }
}
