/**
 * The states a result can be in, shared by everything that writes or reads results:
 * - `completed`: the run went through every phase; its figures are whole.
 * - `failed`: the run could not go on (the server died, a harness error); it carries the error.
 * - `interrupted`: SIGINT or SIGTERM stopped it; it carries what was measured so far, and the
 *   command exits with 130 or 143 (see exit-codes.ts).
 */
export const RESULT_STATES = ['completed', 'failed', 'interrupted'] as const;
export type ResultState = (typeof RESULT_STATES)[number];

/** The signals that interrupt a run (and are then reported, never ignored). */
export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];
