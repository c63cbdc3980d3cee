/**
 * By default the registries time one message (or lock acquisition) in 8: a systematic sample that
 * keeps the cost of timing small; counts stay exact. `--timing-sample-every 1` times every one.
 */
export const DEFAULT_TIMING_SAMPLE_EVERY = 8;
