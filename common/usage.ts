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
  ) {
    super(message);
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
