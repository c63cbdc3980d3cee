#!/usr/bin/env bash
# Runs `npm run regress` with the given options in a GitHub Actions job and turns its exit code
# (the project's one table, common/exit-codes.ts) into what the job shows, the gate's one-line
# outcome (its headline) as the annotation:
#   0 passed;
#   3 a regression: a confirmed one, or head's server failing twice (not starting, exiting, losing,
#     duplicating, misrouting or altering messages) — an error annotation and a red step;
#   4 inconclusive — a red step too, unless ALLOW_INCONCLUSIVE=true (the workflows' input
#     allow-inconclusive), then a warning annotation and a green step; the job summary says which;
#   1 the run failed (base's server failed twice, or the harness did) and 2 (usage) stay red.
set -uo pipefail
output="$(mktemp)"
npm run -s regress -- "$@" | tee "$output"
code=${PIPESTATUS[0]}
headline="$(grep -E '^(PASSED|REGRESSED|INCONCLUSIVE|FAILED): ' "$output" | tail -n 1)"
rm -f "$output"
summary() { if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then printf '\n%s\n' "$1" >> "$GITHUB_STEP_SUMMARY"; fi; }
case "$code" in
  0) ;;
  3) echo "::error title=Performance regression::${headline:-a gating metric is past its threshold in the run and in its rerun, or the head server failed (see the job summary)}" ;;
  4)
    if [ "${ALLOW_INCONCLUSIVE:-false}" = "true" ]; then
      echo "::warning title=Performance gate inconclusive::${headline:-the gate could not judge} (allowed: allow-inconclusive is true)"
      summary "**The gate was inconclusive; this job is green because allow-inconclusive is true.**"
      code=0
    else
      echo "::error title=Performance gate inconclusive::${headline:-the gate could not judge} (set allow-inconclusive: true to let such a run pass)"
      summary "**The gate was inconclusive, so this job fails (allow-inconclusive is false).**"
    fi
    ;;
  *) echo "::error title=Performance gate failed to run::${headline:-npm run regress exited with $code}" ;;
esac
exit "$code"
