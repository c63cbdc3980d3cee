#!/usr/bin/env bash
# The gate's history of main, kept where it survives: a file on an orphan branch of the repository
# itself (not the Actions cache, which evicts what goes unused for 7 days).
#   view <branch> <file> <new lines>   the history on origin's <branch> with <new lines> appended,
#       into ./<file> (read only: for the change points, in the job that ran the gate);
#   push <branch> <file> <new lines>   appends <new lines> to <file> on origin's <branch> in one
#       commit (the branch is made when missing), in a job that runs nothing else (contents: write).
#       Runs on main are never cancelled, so two may finish together: a push rejected as not a
#       fast-forward is fetched again and retried (up to 5 attempts), so that every run's line
#       lands; any other refusal (no permission, a protected branch) fails at once with git's words.
# Usage: ci-history.sh view|push <branch> <file> <new lines file>
set -euo pipefail
mode="$1"
branch="$2"
file="$3"
new_lines="$4"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-github-actions[bot]}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"

# origin's history into ./$file; true when the branch exists. A branch that is missing starts a new
# history; origin that cannot be read at all is an error, never an empty history.
fetch_history() {
  local code=0
  git ls-remote --exit-code origin "refs/heads/$branch" > /dev/null || code=$?
  if [[ "$code" == 2 ]]; then
    : > "$file"
    return 1
  elif [[ "$code" != 0 ]]; then
    echo "ci-history: cannot read origin (git ls-remote exited $code)" >&2
    exit 1
  fi
  git fetch -q origin "refs/heads/$branch" || { echo "ci-history: cannot fetch $branch from origin" >&2; exit 1; }
  git show "FETCH_HEAD:$(basename "$file")" > "$file" 2>/dev/null || : > "$file"
}

case "$mode" in
  view)
    fetch_history || echo "ci-history: no branch $branch on origin yet: the history starts with this run" >&2
    if [[ -s "$new_lines" ]]; then cat "$new_lines" >> "$file"; fi
    exit 0
    ;;
  push) ;;
  *) echo "usage: ci-history.sh view|push <branch> <file> <new lines file>" >&2; exit 2 ;;
esac

if [[ ! -s "$new_lines" ]]; then
  echo "ci-history: $new_lines is empty or missing: nothing to append (a run a broken side stopped adds no point)" >&2
  exit 0
fi
for attempt in 1 2 3 4 5; do
  parent=()
  if fetch_history; then parent=(-p FETCH_HEAD); fi
  cat "$new_lines" >> "$file"
  blob="$(git hash-object -w "$file")"
  tree="$(printf '100644 blob %s\t%s\n' "$blob" "$(basename "$file")" | git mktree)"
  commit="$(git commit-tree "$tree" "${parent[@]}" -m "perf history: $(wc -l < "$new_lines") run(s), head ${GITHUB_SHA:-$(git rev-parse HEAD)}")"
  if output="$(git push origin "$commit:refs/heads/$branch" 2>&1)"; then
    echo "ci-history: appended to $branch:$(basename "$file") ($(wc -l < "$file") runs), attempt $attempt" >&2
    exit 0
  fi
  if ! grep -qE 'non-fast-forward|fetch first|cannot lock ref|stale info' <<< "$output"; then
    printf 'ci-history: git push to %s was refused:\n%s\n' "$branch" "$output" >&2
    echo "::error title=Performance history::git push to $branch was refused (see the log); this run's line is only in the uploaded reports"
    exit 1
  fi
  echo "ci-history: push to $branch rejected as not a fast-forward (another run pushed first); fetching again" >&2
  if [[ "$attempt" -lt 5 ]]; then sleep "$attempt"; fi
done
echo "::warning title=Performance history::could not push to $branch after 5 attempts; this run's line is only in the uploaded reports"
exit 1
