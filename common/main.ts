/**
 * Runs a command's main function and exits with the code from the project's one table: its own
 * result, 2 for a usage error (with its one-line message), 1 for anything else that went wrong.
 */
import { EXIT } from './exit-codes.ts';
import { UsageError } from './usage.ts';

export function runMain(main: () => Promise<number | void>): void {
  main().then((code) => process.exit(code ?? process.exitCode ?? EXIT.success), exitOnError);
}

/** Prints an error's one line and exits: 2 for a usage error, 1 for anything else. */
export function exitOnError(error: unknown): never {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof UsageError ? EXIT.usage : EXIT.runFailed);
}
