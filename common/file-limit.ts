/**
 * Open-file limits. Every socket is a file: the load generator needs one per client, and so does a
 * server it spawns (which inherits our limits). Node cannot call setrlimit, so when the soft limit
 * is too low but the hard limit suffices, a CLI runs itself again under `ulimit -n <hard>`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { exitCodeOfChild } from './exit-codes.ts';
import { readFileSync } from 'node:fs';
import { UsageError } from './usage.ts';

/** Files a process needs beyond its sockets: stdio, the listening socket, module files, pipes. */
export const RESERVED_FILES = 64;
const RAISED_MARK = 'WS_BENCH_FILE_LIMIT_RAISED';

export interface FileLimits {
  readonly soft: number;
  readonly hard: number;
}

export function readFileLimits(): FileLimits {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').replace('Max open files', '').trim().split(/\s+/);
    return { soft: toLimit(soft), hard: toLimit(hard) };
  } catch {
    const out = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).stdout.trim().split('\n');
    return { soft: toLimit(out[0]), hard: toLimit(out[1]) };
  }
}

function toLimit(value: string | undefined): number {
  if (value === undefined || value === 'unlimited') return Number.MAX_SAFE_INTEGER;
  const n = Number(value);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

export function filesNeeded(clients: number): number {
  return clients + RESERVED_FILES;
}

/** The largest --clients the hard limit allows. */
export function maxClientsFor(limits: FileLimits): number {
  return Math.max(0, limits.hard - RESERVED_FILES);
}

/**
 * 'ok' when the soft limit suffices, 'raise' when only the hard one does; throws a UsageError with
 * the fix when even the hard limit is too low.
 */
export function checkFileLimit(clients: number, limits: FileLimits): 'ok' | 'raise' {
  const needed = filesNeeded(clients);
  if (needed <= limits.soft) return 'ok';
  if (needed <= limits.hard) return 'raise';
  throw new UsageError(
    'ERR_FILE_LIMIT',
    `--clients ${clients} needs ${needed} open files but this process may hold at most ${limits.hard} (hard limit); use --clients ${maxClientsFor(limits)} or less, or raise the hard limit (as root: ulimit -Hn ${needed}, or LimitNOFILE= in systemd)`,
  );
}

/** The environment for a child that already has the raised limit, so that it does not raise it again. */
export function markFileLimitRaised(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, [RAISED_MARK]: '1' };
}

/** True when this process was already started again with a raised limit (no loops). */
export function alreadyRaised(): boolean {
  return process.env[RAISED_MARK] === '1';
}

/**
 * Runs this same command again with the soft limit raised to `limit`, forwards SIGINT and SIGTERM
 * to it, and exits with its status. Returns a promise that never settles: the caller stops there.
 */
export function rerunWithFileLimit(limit: number): Promise<never> {
  const child = spawn('sh', ['-c', 'ulimit -n "$1" && shift && exec "$@"', 'sh', String(limit), process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: markFileLimitRaised(process.env),
    // Its own process group: a Ctrl-C reaches it once, forwarded from here, and never twice (a
    // second signal means "exit now, without the partial result").
    detached: true,
  });
  // Its death by a signal becomes 128 + the signal's number (130, 143).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(exitCodeOfChild(code, signal)));
  return new Promise<never>(() => {});
}
