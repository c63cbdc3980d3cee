#!/usr/bin/env bash
# The gate's comment on a pull request, in two halves, so that a pull request from a fork gets one
# without its code ever running with a token that can write:
#   prepare <dir> <pr number> <results dir>   (in the gate's job, read-only token) writes <dir>/pr-number
#       and <dir>/comment.md: the newest regress.md under <results dir>, or a line saying there is
#       no report; uploaded as an artifact.
#   post <dir> <owner/repo> <head sha> <run url>   (in perf-comment.yml, on workflow_run, with
#       pull-requests: write and this repository's own scripts) reads that artifact as data only:
#       the number must be digits and name a pull request whose head is the gated commit (a pull
#       request pushed to since is left alone, with a notice: its newer gate will comment); the
#       comment is updated in place when the gate commented before (found by its marker, among the
#       comments of github-actions[bot]), else made.
# `post` needs the GitHub CLI (gh) and GH_TOKEN.
set -euo pipefail
MARKER='<!-- ws-actor-vs-mutex performance gate -->'
MAX_BODY=60000 # GitHub refuses comments over 65,536 characters
BOT='github-actions[bot]'

# At most MAX_BODY bytes of a file, never ending inside a UTF-8 character (the reports use · and —).
clip() { head -c "$MAX_BODY" "$1" | iconv -c -f UTF-8 -t UTF-8; }

prepare() {
  local dir="$1" number="$2" results="$3" report
  mkdir -p "$dir"
  printf '%s\n' "$number" > "$dir/pr-number"
  report="$(find "$results" -name regress.md 2>/dev/null | sort | tail -n 1 || true)"
  {
    printf '%s\n' "$MARKER"
    if [[ -n "$report" ]]; then clip "$report"; else printf '## Performance gate: no report\n\nThe gate wrote no report (it was skipped, or failed before it could judge): see the run.\n'; fi
  } > "$dir/comment.md"
}

post() {
  local dir="$1" repository="$2" head_sha="$3" run_url="$4" number id pr_head
  number="$(head -n 1 "$dir/pr-number" | tr -d '[:space:]')"
  if [[ ! "$number" =~ ^[0-9]{1,10}$ ]]; then echo "ci-comment: the artifact's pr-number is not a number: refusing to comment" >&2; exit 1; fi
  pr_head="$(gh api "repos/$repository/pulls/$number" --jq .head.sha)"
  if [[ "$pr_head" != "$head_sha" ]]; then
    echo "::notice title=Performance gate comment::pull request #$number's head is now ${pr_head:0:12}, not the gated ${head_sha:0:12}: no comment (its newer gate comments)"
    exit 0
  fi
  { clip "$dir/comment.md"; printf '\n\n[The gate'"'"'s run](%s) · commit %s\n' "$run_url" "$head_sha"; } > "$dir/body.md"
  # The marker is the body's first line, whatever the artifact says.
  if [[ "$(head -n 1 "$dir/body.md")" != "$MARKER" ]]; then { printf '%s\n' "$MARKER"; cat "$dir/body.md"; } > "$dir/body.tmp" && mv "$dir/body.tmp" "$dir/body.md"; fi
  # awk reads every page (head would close the pipe early, and pipefail would fail on gh's SIGPIPE).
  id="$(gh api --paginate "repos/$repository/issues/$number/comments" --jq ".[] | select(.user.login == \"$BOT\" and (.body | startswith(\"$MARKER\"))) | .id" | awk 'NR == 1')"
  if [[ -n "$id" ]]; then
    gh api -X PATCH "repos/$repository/issues/comments/$id" -F "body=@$dir/body.md" > /dev/null
    echo "ci-comment: updated the gate's comment on #$number"
  else
    gh api -X POST "repos/$repository/issues/$number/comments" -F "body=@$dir/body.md" > /dev/null
    echo "ci-comment: commented on #$number"
  fi
}

case "${1:-}" in
  prepare) shift; prepare "$@" ;;
  post) shift; post "$@" ;;
  *) echo "usage: ci-comment.sh prepare <dir> <pr number> <results dir> | post <dir> <owner/repo> <head sha> <run url>" >&2; exit 2 ;;
esac
