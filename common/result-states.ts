/**
 * The states a result can be in (`status` of loadgen/result.ts's BenchResult), and the signals that
 * interrupt a run:
 * - `completed`: the run went through every phase; its figures are whole.
 * - `failed`: the run could not go on (the server died, a harness error); it carries the error.
 * - `interrupted`: SIGINT or SIGTERM stopped it; it carries what was measured so far, and the
 *   command exits with 130 or 143 (see exit-codes.ts).
 */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';
