/**
 * Errors in what the user asked for (CLI options, scenario files). Each carries a code a program
 * can match and a one-line message that names what was wrong and what is allowed; the CLIs print
 * the message and exit with EXIT.usage (2).
 */
export type UsageErrorCode =
  | 'ERR_BAD_OPTION'
  | 'ERR_UNKNOWN_MODEL'
  | 'ERR_UNKNOWN_SCENARIO'
  | 'ERR_BAD_REPORT_INPUT'
  | 'ERR_BAD_SCENARIO'
  | 'ERR_FILE_LIMIT';

export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    readonly code: UsageErrorCode,
    message: string,
    /** Every problem found, when there were several (the message names them all). */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
  }
}

/**
 * Collects every problem of a set of options or a file instead of stopping at the first, as k6
 * validates its config: a user fixes them all in one go. `check` runs one parse and keeps its
 * error; `throwIfAny` throws one UsageError naming them all on one line.
 */
export class Problems {
  private readonly found: { code: UsageErrorCode; message: string }[] = [];

  /** Runs `parse`; on a UsageError, records it and returns `fallback` so that checking can go on. */
  check<T>(parse: () => T, fallback: T): T {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      for (const message of error.problems) this.found.push({ code: error.code, message });
      return fallback;
    }
  }

  add(code: UsageErrorCode, message: string): void {
    this.found.push({ code, message });
  }

  throwIfAny(): void {
    if (this.found.length === 0) return;
    const messages = this.found.map((f) => f.message);
    const message = messages.length === 1 ? messages[0]! : `${messages.length} problems: ${messages.join('; ')}`;
    throw new UsageError(this.found[0]!.code, message, messages);
  }
}

/** Parses an integer option within [min, max], or throws a UsageError naming the option. */
export function parseIntegerOption(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new UsageError('ERR_BAD_OPTION', `${flag} must be ${range}, got '${raw}'`);
  }
  return value;
}

/** Parses a number option (decimals allowed) that must be > min (or >= when inclusive). */
export function parseNumberOption(flag: string, raw: string, min: number, inclusive = false): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (inclusive ? value < min : value <= min)) {
    throw new UsageError('ERR_BAD_OPTION', `${flag} must be a number ${inclusive ? '>=' : '>'} ${min}, got '${raw}'`);
  }
  return value;
}

/** The command-line arguments besides `--resume <x>`: resuming takes its options from the interrupted run, so any other is refused. */
export function argsBesideResume(argv: readonly string[]): string[] {
  return argv.filter((a, i, all) => a !== '--resume' && all[i - 1] !== '--resume' && !a.startsWith('--resume='));
}
