/**
 * The one exit-code table of every command of the project (bench, compare, report, the scripts,
 * the server's start-up; the CI gate to come). Commands return these names, never bare numbers,
 * and runMain turns errors into them, as hyperfine and k6 keep one place for exit codes, so that a
 * CI job can tell a regression from a broken run and a broken run from a typo. A server stopped on
 * purpose (SIGINT/SIGTERM) closes its sockets and exits 0.
 */
import { constants } from 'node:os';

export const EXIT = {
  /** Everything ran and nothing failed. */
  success: 0,
  /** The run failed: the server died, a socket error the harness could not account for, a bug. */
  runFailed: 1,
  /** What was asked is not allowed (an option, a scenario file); nothing ran. */
  usage: 2,
  /** A gate (the CI regression job) found a regression. */
  gateFailed: 3,
  /** A gate could not decide (its runs were loadgen-saturated or too noisy); not a failure by itself. */
  inconclusive: 4,
  /** Stopped by SIGINT (Ctrl-C): 128 + 2, as shells report it. */
  interrupted: 128 + constants.signals.SIGINT,
  /** Stopped by SIGTERM: 128 + 15. */
  terminated: 128 + constants.signals.SIGTERM,
} as const;

/** The status a process that ended by `signal` reports: 128 + its number, as shells do. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** The exit code of a child process that ended with `code` or by `signal`. */
export function exitCodeOfChild(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return signal ? exitCodeForSignal(signal) : EXIT.runFailed;
}
