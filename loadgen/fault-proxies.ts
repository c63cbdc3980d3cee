/**
 * Starts the fault proxies a run with a `network` setting goes through: as many processes as its
 * clients need (each proxy holds two sockets per client under the open-file limit), each forwarding
 * to the server; client i connects through proxy i mod n. Stopping them collects what each did.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { markFileLimitRaised, readFileLimits } from '../common/file-limit.ts';
import { childCommand, killOnExit } from './server-process.ts';
import type { NetworkFaults, ProxyStats } from '../common/network-faults.ts';
import { fileLimitClients } from '../netfault/proxy.ts';

const PROXY_MAIN = fileURLToPath(new URL('../netfault/main.ts', import.meta.url));
const START_TIMEOUT_MS = 20_000;

export interface FaultProxies {
  /** One ws:// URL per proxy. */
  readonly urls: readonly string[];
  readonly clientsPerProxy: number;
  /** Stops every proxy; resolves with each one's stats (undefined for one that died). */
  stop(): Promise<(ProxyStats | undefined)[]>;
}

/** `cpus`: pin the proxies there (the load generator's CPU under --pin, off the server's). */
export async function startFaultProxies(target: string, clients: number, faults: NetworkFaults, seed: number, cpus?: string): Promise<FaultProxies> {
  const hard = readFileLimits().hard;
  const clientsPerProxy = fileLimitClients(hard);
  const count = Math.max(1, Math.ceil(clients / clientsPerProxy));
  const url = new URL(target);
  const upstream = `${url.hostname}:${url.port || (url.protocol === 'wss:' ? '443' : '80')}`;
  const settled = await Promise.allSettled(Array.from({ length: count }, (_, i) => startOne(upstream, faults, seed + i, cpus)));
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((p) => p.stop()));
    throw failed.reason;
  }
  return {
    urls: started.map((p) => `ws://127.0.0.1:${p.port}${url.pathname}${url.search}`),
    clientsPerProxy,
    stop: () => Promise.all(started.map((p) => p.stop())),
  };
}

interface OneProxy {
  readonly port: number;
  stop(): Promise<ProxyStats | undefined>;
}

function startOne(upstream: string, faults: NetworkFaults, seed: number, cpus: string | undefined): Promise<OneProxy> {
  const command = childCommand(['--import', 'tsx', PROXY_MAIN, '--upstream', upstream, '--faults', JSON.stringify(faults), '--seed', String(seed)], cpus);
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: markFileLimitRaised(process.env),
    detached: true, // stopped by the run, not by a Ctrl-C meant for the run
  });
  killOnExit(child);
  let stats: ProxyStats | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`a fault proxy did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`a fault proxy exited with code ${code} before listening (see its error above)`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = parseLine(line);
      if (event?.event === 'stats') stats = event as unknown as ProxyStats;
      if (event?.event !== 'listening' || typeof event.port !== 'number') return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ port: event.port, stop: () => stopOne(child, () => stats) });
    });
  });
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function stopOne(child: ChildProcess, stats: () => ProxyStats | undefined): Promise<ProxyStats | undefined> {
  if (child.exitCode === null && child.signalCode === null) {
    // 'close', not 'exit': its stdout (the stats line) has been read by then.
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  const s = stats();
  if (!s) return undefined;
  const { connections, bytesUp, bytesDown, chunksStalled, resets, pauses } = s;
  return { connections, bytesUp, bytesDown, chunksStalled, resets, pauses };
}
