#!/usr/bin/env bash
# Prints the commit a CI gate compares head against, from the SHA the event gave:
#   - that SHA, when this clone has it;
#   - otherwise (a new branch's all-zero "before", or a SHA a force-push left unreachable) the
#     merge base of head with origin/<default branch> when that is not head itself, else head's
#     first parent — with a notice that says which and why;
#   - nothing, with a notice, when there is neither (a first commit): the caller skips the gate.
# Usage: ci-base.sh <sha> [<default branch>]   (run in the checkout of head, fetched with history)
set -uo pipefail
sha="${1:-}"
default_branch="${2:-}"
notice() { echo "::notice title=Performance gate base::$1" >&2; }

if [[ -n "$sha" && ! "$sha" =~ ^0+$ ]] && git cat-file -e "${sha}^{commit}" 2>/dev/null; then
  echo "$sha"
  exit 0
fi
if [[ -z "$sha" ]]; then
  why="the event gave no base commit"
elif [[ "$sha" =~ ^0+$ ]]; then
  why="the event’s base is all zeros (a new branch)"
else
  why="the event’s base ${sha:0:12} is not in this clone (a force-push?)"
fi
head="$(git rev-parse HEAD)"
if [[ -n "$default_branch" ]] && merge_base="$(git merge-base HEAD "origin/$default_branch" 2>/dev/null)" && [[ "$merge_base" != "$head" ]]; then
  notice "$why; comparing with ${merge_base:0:12}, the merge base with origin/$default_branch"
  echo "$merge_base"
  exit 0
fi
if parent="$(git rev-parse -q --verify 'HEAD^' 2>/dev/null)"; then
  notice "$why; comparing with ${parent:0:12}, head’s first parent"
  echo "$parent"
  exit 0
fi
notice "$why, and head has no parent: nothing to compare with, the gate is skipped"
