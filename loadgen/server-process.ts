/**
 * Starts a reference server as a child process (so the server and the load generator never share
 * an event loop) and waits for its `listening` line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { markFileLimitRaised, readFileLimits } from '../common/file-limit.ts';
import { exitCodeForSignal } from '../common/exit-codes.ts';
import type { ModelName } from '../common/models.ts';
import { checkoutNode } from '../common/runtime.ts';
import { serverArgs, type ServerSettings } from '../common/server-settings.ts';

const SERVER_MAIN = fileURLToPath(new URL('../servers/main.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface ServerProcess {
  readonly model: ModelName;
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Set once the child exits; a run checks it to tell a crashed server from a slow one. */
  exitCode(): number | null | undefined;
  /** Resolves when the child exits, however it exits (a run ends early when its server dies). */
  readonly exited: Promise<void>;
  stop(): Promise<void>;
}

export interface SpawnServerOptions extends ServerSettings {
  /** CPU list for `taskset -c` (e.g. "0"), to keep the server off the load generator's core. */
  readonly cpus?: string;
  /** Extra Node.js flags for the server process (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** Start the servers of this checkout of the project (its servers/main.ts, its install) instead of this one's: `npm run regress` runs base's servers this way. */
  readonly checkoutDir?: string;
}

export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const main = options.checkoutDir === undefined ? SERVER_MAIN : path.join(options.checkoutDir, 'servers', 'main.ts');
  const args = [...(options.nodeArgs ?? []), '--import', 'tsx', main, ...serverArgs(options)];
  const command = childCommand(args, options.cpus, options.checkoutDir === undefined ? process.execPath : checkoutNode(options.checkoutDir));
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    // Its own process group, so that a Ctrl-C meant for the run does not kill the server under it:
    // the run closes its sockets first, then stops the server (and kills it if this process exits).
    detached: true,
    env: markFileLimitRaised(process.env),
    // --import tsx resolves from the working directory: a checkout's servers use its own install.
    ...(options.checkoutDir !== undefined && { cwd: options.checkoutDir }),
  });
  let exited: number | null | undefined;
  killOnExit(child);
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? -1 : null);
      resolve();
    }),
  );

  const listening = await waitForListening(child);
  return {
    model: options.model,
    url: `ws://${formatHost(options.host)}:${listening.port}`,
    port: listening.port,
    pid: child.pid!,
    exitCode: () => exited,
    exited: exitedPromise,
    stop: () => stopChild(child),
  };
}

/**
 * A Node.js child's command line (`node` `args`, by default this process's own binary): it gets
 * the hard open-file limit from `ulimit` in an exec'd shell, so the pid we hold (and signal on
 * stop) is the child itself, never a wrapper that could leave it orphaned; pinned to `cpus` with
 * taskset when given. Servers and fault proxies.
 */
export function childCommand(args: readonly string[], cpus: string | undefined, node: string = process.execPath): string[] {
  const shell = ['sh', '-c', 'ulimit -n "$1" 2>/dev/null; shift; exec "$@"', 'sh', String(readFileLimits().hard), node, ...args];
  return cpus === undefined ? shell : ['taskset', '-c', cpus, ...shell];
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A child (server, fault proxy) never outlives this process, however it exits (a second Ctrl-C, an uncaught error). */
export function killOnExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
    // A closed terminal sends SIGHUP, whose default action skips 'exit' handlers: exit instead, so they run.
    if (process.listenerCount('SIGHUP') === 0) process.once('SIGHUP', () => process.exit(exitCodeForSignal('SIGHUP')));
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

function waitForListening(child: ChildProcess): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`server did not report 'listening' within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const onExit = (code: number | null): void => fail(new Error(`server exited with code ${code} before listening (see its error above)`));
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.once('exit', onExit);
    lines.on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; port?: number };
        if (event.event === 'listening' && typeof event.port === 'number') {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve({ port: event.port });
          return;
        }
      } catch {
        // not a JSON line: pass it on below
      }
      process.stderr.write(`[server] ${line}\n`);
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
