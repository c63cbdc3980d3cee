#!/usr/bin/env bash
# Runs `npm run regress` with the given options in a GitHub Actions job and turns its exit code
# (the project's one table, common/exit-codes.ts) into what the job shows: 0 passed; 4 inconclusive
# is a warning annotation and a green step (never a red build by itself); 3 a confirmed regression
# is an error annotation and a red step; 2 (usage) and 1 (the run failed) stay red.
set -uo pipefail
npm run -s regress -- "$@"
code=$?
case "$code" in
  0) ;;
  3) echo "::error title=Performance regression::a gating metric is past its threshold in the run and in its confirmation rerun (see the job summary)" ;;
  4) echo "::warning title=Performance gate inconclusive::a gating metric, or the confirmation of one that looked regressed, could not be judged (trials failed their self-check twice); no confirmed regression (see the job summary)"; code=0 ;;
  *) echo "::error title=Performance gate failed to run::npm run regress exited with $code" ;;
esac
exit "$code"
