/**
 * The server of one side (base or head) for one trial: either one of this project's models from
 * that side's checkout, or, for another repository, the side's own `--server-cmd` run in its
 * checkout. Either way the trial drives it through a ws:// URL with head's load generator, and the
 * server's CPU time is read from /proc (the process and its descendants), so CPU per message is
 * measured the same way for both kinds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { DEFAULT_HOST } from '../common/server-defaults.ts';
import type { ModelName } from '../common/models.ts';
import { spawnServer } from '../loadgen/server-process.ts';
import { pathWithoutHarnessBin } from '../common/runtime.ts';

export interface SideServer {
  readonly url: string;
  readonly pid: number;
  /** Set once the process exits. */
  exited(): boolean;
  stop(): Promise<void>;
}

export type ServerSource =
  /** A model of this project, started from `checkoutDir`'s servers/main.ts. */
  | { readonly kind: 'model'; readonly checkoutDir: string }
  /** A shell command run in `checkoutDir`; `{port}` in it (and $PORT) is the port it must listen on. */
  | { readonly kind: 'command'; readonly checkoutDir: string; readonly command: string };

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startSideServer(source: ServerSource, model: ModelName, cpus: string | undefined): Promise<SideServer> {
  if (source.kind === 'model') {
    const server = await spawnServer({ model, host: DEFAULT_HOST, port: 0, checkoutDir: source.checkoutDir, ...(cpus !== undefined && { cpus }) });
    return { url: server.url, pid: server.pid, exited: () => server.exitCode() !== undefined, stop: () => server.stop() };
  }
  return startCommand(source, cpus);
}

async function startCommand(source: Extract<ServerSource, { kind: 'command' }>, cpus: string | undefined): Promise<SideServer> {
  const port = await freePort();
  const command = source.command.replaceAll('{port}', String(port));
  // Any shell command (`cd srv && node server.js`, `PORT=… npm start`): its shell's whole tree is
  // counted through /proc and stopped through its process group.
  const argv = ['sh', '-c', command];
  const child = spawn(cpus === undefined ? argv[0]! : 'taskset', cpus === undefined ? argv.slice(1) : ['-c', cpus, ...argv], {
    cwd: source.checkoutDir,
    env: { ...process.env, PATH: pathWithoutHarnessBin(process.env.PATH), PORT: String(port) },
    // Its output goes to stderr: stdout carries the gate's table.
    stdio: ['ignore', 2, 2],
    detached: true,
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitForPort(port, () => exited, command);
  } catch (error) {
    await stopGroup(child, () => exited);
    throw error;
  }
  return { url: `ws://${DEFAULT_HOST}:${port}`, pid: child.pid!, exited: () => exited, stop: () => stopGroup(child, () => exited) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, DEFAULT_HOST, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, exited: () => boolean, command: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`--server-cmd '${command}' exited before it listened on port ${port}`);
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`--server-cmd '${command}' did not listen on ${DEFAULT_HOST}:${port} within ${START_TIMEOUT_MS / 1000} s (it must listen on {port} or $PORT)`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, DEFAULT_HOST);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** SIGTERM to the command's whole process group (npm start, say, has children), SIGKILL to what is left after 5 s. */
async function stopGroup(child: ChildProcess, exited: () => boolean): Promise<void> {
  const signal = (s: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-child.pid!, s);
      return true;
    } catch {
      return false; // no process of the group is left
    }
  };
  if (!signal('SIGTERM')) return;
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (signal(0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signal('SIGKILL');
  if (!exited()) await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

/**
 * CPU time of a process and all its descendants, in ns: the sum of every thread's time on a CPU
 * (/proc/<pid>/task/<tid>/schedstat, ns resolution, where /proc/<pid>/stat counts 10 ms ticks).
 * Linux only; undefined where /proc cannot be read.
 */
export function processTreeCpuNs(pid: number): number | undefined {
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        const children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        for (const child of children === '' ? [] : children.split(' ')) total += processTreeCpuNs(Number(child)) ?? 0;
      } catch {
        // a thread that ended while being read: its time is gone with it
      }
    }
    return total;
  } catch {
    return undefined;
  }
}
