/**
 * Ctrl-C and SIGTERM stop a run, they do not kill it: the first signal aborts the run's signal, so
 * the phase under way ends early, the sockets close, the server child stops and the partial
 * result is written with the `interrupted` state (exit 130 or 143). A second signal means "now":
 * the process exits at once with the same code, as k6 does.
 */
import { exitCodeForSignal } from '../common/exit-codes.ts';
import type { InterruptSignal } from '../common/result-states.ts';

export interface Interrupt {
  /** Aborted, with the InterruptSignal as its reason, on the first signal. */
  readonly signal: AbortSignal;
  /** The signal that came, if one did. */
  readonly received: InterruptSignal | undefined;
  /** Stops listening (tests, and commands that have finished). */
  dispose(): void;
}

export function listenForInterrupt(log: (line: string) => void = (line) => void process.stderr.write(`${line}\n`)): Interrupt {
  const controller = new AbortController();
  let received: InterruptSignal | undefined;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = (): void => {
      if (received !== undefined) {
        log(`${name} again: exiting now, without the partial result`);
        process.exit(exitCodeForSignal(name));
      }
      received = name;
      log(`${name}: stopping the run, closing its sockets and writing what it measured (again to exit at once)`);
      controller.abort(name);
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}

/** The signal a run was interrupted by, when `signal` was aborted by listenForInterrupt. */
export function interruptSignalOf(signal: AbortSignal | undefined): InterruptSignal | undefined {
  return signal?.aborted && (signal.reason === 'SIGINT' || signal.reason === 'SIGTERM') ? signal.reason : undefined;
}
