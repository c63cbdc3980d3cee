#!/usr/bin/env bash
# The headline check on the pinned runtime and on the machine's Node 20, interleaved run by run so
# that a slow spell of the machine falls on both: 5 rounds, each one `headline-check --runs 1`
# (actor then mutex, 10,000 clients) on each runtime, in alternating order. Resumes: a round whose
# two summaries exist is skipped. Run from the project's root after npm ci:
#   bash results/examples/headline-runtimes/run.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=results/examples/headline-runtimes
pinned=node_modules/.bin/node
system=${SYSTEM_NODE:-/usr/bin/node}
for round in 1 2 3 4 5; do
  if [ $((round % 2)) -eq 1 ]; then order="pinned system"; else order="system pinned"; fi
  for which in $order; do
    dir="$out/$which/round-$round"
    if ls "$dir"/*-headline-check.json >/dev/null 2>&1; then continue; fi
    mkdir -p "$dir"
    node=$pinned; [ "$which" = system ] && node=$system
    echo "round $round: $which ($("$node" -v))"
    # headline-check exits 3 when a run was loadgen-saturated: a finding here, not a failure of the script.
    "$node" --import tsx scripts/headline-check.ts --runs 1 --out "$dir" > "$dir/headline-check.log" 2>&1 || [ $? -eq 3 ]
    tail -n 3 "$dir/headline-check.log"
  done
done
