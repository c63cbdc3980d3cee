#!/usr/bin/env bash
# Keeps the gate's history of main where it survives: a file on an orphan branch of the repository
# itself (not the Actions cache, which evicts what goes unused for 7 days). Appends the lines of
# <new lines> to <file> on origin's <branch> in one commit (the branch is made when missing) and
# leaves the whole history in ./<file>. Runs on main are never cancelled, so two may finish
# together: a push that loses the race is fetched again and retried (up to 5 times), so that every
# run's line lands. Needs `contents: write`.
# Usage: ci-history.sh <branch> <file> <new lines file>
set -euo pipefail
branch="$1"
file="$2"
new_lines="$3"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-github-actions[bot]}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

if [[ ! -s "$new_lines" ]]; then
  echo "ci-history: $new_lines is empty: nothing to append (a run a broken side stopped adds no point)" >&2
  exit 0
fi
for attempt in 1 2 3 4 5; do
  parent=()
  if git fetch -q origin "refs/heads/$branch" 2>/dev/null; then
    parent=(-p FETCH_HEAD)
    git show "FETCH_HEAD:$file" > "$file" 2>/dev/null || : > "$file"
  else
    : > "$file"
  fi
  cat "$new_lines" >> "$file"
  blob="$(git hash-object -w "$file")"
  tree="$(printf '100644 blob %s\t%s\n' "$blob" "$(basename "$file")" | git mktree)"
  commit="$(git commit-tree "$tree" "${parent[@]}" -m "perf history: $(wc -l < "$new_lines") run(s), head ${GITHUB_SHA:-$(git rev-parse HEAD)}")"
  if git push -q origin "$commit:refs/heads/$branch" 2>/dev/null; then
    echo "ci-history: appended to $branch:$(basename "$file") ($(wc -l < "$file") runs), attempt $attempt" >&2
    exit 0
  fi
  echo "ci-history: push to $branch rejected (another run pushed first?); fetching again" >&2
  sleep "$attempt"
done
echo "::warning title=Performance history::could not push to $branch after 5 attempts; this run's line is only in the uploaded reports"
exit 1
