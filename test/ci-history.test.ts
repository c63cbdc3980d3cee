/**
 * scripts/ci-history.sh (npm test: scratch git repositories, no gate run): the history of main on
 * an orphan branch — made when missing (a first run, or a history lost), appended to after; a push
 * that loses the race with another run is fetched again and retried, so no run's line is lost, and
 * any other refusal fails at once with git's words; `view` shows the history with a run's line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/ci-history.sh', import.meta.url));

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

/** A bare origin with one commit on main, and a clone of it (the job's checkout). */
function repository(): { origin: string; clone: string } {
  const seed = mkdtempSync(path.join(os.tmpdir(), 'ci-history-seed-'));
  git(seed, 'init', '-q');
  writeFileSync(path.join(seed, 'README'), 'x');
  git(seed, 'add', 'README');
  git(seed, 'commit', '-qm', 'a');
  const origin = path.join(mkdtempSync(path.join(os.tmpdir(), 'ci-history-origin-')), 'origin.git');
  git(os.tmpdir(), 'clone', '-q', '--bare', seed, origin);
  const clone = path.join(mkdtempSync(path.join(os.tmpdir(), 'ci-history-clone-')), 'repo');
  git(os.tmpdir(), 'clone', '-q', origin, clone);
  return { origin, clone };
}

function append(clone: string, line: string): { status: number | null; log: string } {
  writeFileSync(path.join(clone, 'new-line.jsonl'), `${line}\n`);
  const run = spawnSync('bash', [SCRIPT, 'push', 'perf-history', 'perf-history.jsonl', 'new-line.jsonl'], { cwd: clone, encoding: 'utf8' });
  return { status: run.status, log: `${run.stdout}${run.stderr}` };
}

const onBranch = (origin: string): string => git(origin, 'show', 'perf-history:perf-history.jsonl');

describe('scripts/ci-history.sh', () => {
  it('makes the orphan branch on the first run and appends to it after', () => {
    const { origin, clone } = repository();
    expect(append(clone, '{"run":1}').status).toBe(0);
    expect(onBranch(origin)).toBe('{"run":1}');
    expect(git(origin, 'rev-list', '--count', 'perf-history')).toBe('1');
    expect(append(clone, '{"run":2}').status).toBe(0);
    expect(onBranch(origin)).toBe('{"run":1}\n{"run":2}');
    // The job is left with the whole history, for npm run history.
    expect(readFileSync(path.join(clone, 'perf-history.jsonl'), 'utf8')).toBe('{"run":1}\n{"run":2}\n');
    // An orphan: it shares no commit with main.
    expect(spawnSync('git', ['merge-base', 'main', 'perf-history'], { cwd: origin }).status).not.toBe(0);
  });

  it('retries a push that lost the race with another run, keeping both lines', () => {
    const { origin, clone } = repository();
    const other = path.join(mkdtempSync(path.join(os.tmpdir(), 'ci-history-other-')), 'repo');
    git(os.tmpdir(), 'clone', '-q', origin, other);
    expect(append(clone, '{"run":1}').status).toBe(0);
    writeFileSync(path.join(other, 'new-line.jsonl'), '{"run":2}\n');
    // Another run pushes between this run's fetch and its push: a stand-in git lets it push first,
    // so this run's first push is a real non-fast-forward, rejected by origin.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'ci-history-bin-'));
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const flag = path.join(bin, 'raced');
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nif [ "$1" = push ] && [ ! -f '${flag}' ]; then touch '${flag}'; (cd '${other}' && PATH='${process.env.PATH}' bash '${SCRIPT}' push perf-history perf-history.jsonl new-line.jsonl) >&2; fi\nexec '${realGit}' "$@"\n`);
    chmodSync(path.join(bin, 'git'), 0o755);
    writeFileSync(path.join(clone, 'new-line.jsonl'), '{"run":3}\n');
    const raced = spawnSync('bash', [SCRIPT, 'push', 'perf-history', 'perf-history.jsonl', 'new-line.jsonl'], { cwd: clone, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(raced.status, raced.stderr).toBe(0);
    expect(raced.stderr).toContain('rejected');
    expect(onBranch(origin).split('\n')).toEqual(['{"run":1}', '{"run":2}', '{"run":3}']);
  });

  it('fails at once, with git\u2019s words, when the push is refused for another reason than a lost race', () => {
    const { origin, clone } = repository();
    const hook = path.join(origin, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "protected branch: perf-history" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const refused = append(clone, '{"run":1}');
    expect(refused.status).toBe(1);
    expect(refused.log).toContain('protected branch: perf-history');
    expect(refused.log).toContain('::error title=Performance history::git push to perf-history was refused');
    expect(refused.log).not.toContain('fetching again');
  });

  it('views the history with this run\u2019s line appended, pushing nothing', () => {
    const { origin, clone } = repository();
    expect(append(clone, '{"run":1}').status).toBe(0);
    writeFileSync(path.join(clone, 'new-line.jsonl'), '{"run":2}\n');
    const view = spawnSync('bash', [SCRIPT, 'view', 'perf-history', 'perf-history.jsonl', 'new-line.jsonl'], { cwd: clone, encoding: 'utf8' });
    expect(view.status).toBe(0);
    expect(readFileSync(path.join(clone, 'perf-history.jsonl'), 'utf8')).toBe('{"run":1}\n{"run":2}\n');
    expect(onBranch(origin)).toBe('{"run":1}');
    // Before any history exists, the view is this run's line alone.
    const fresh = repository();
    writeFileSync(path.join(fresh.clone, 'new-line.jsonl'), '{"run":1}\n');
    expect(spawnSync('bash', [SCRIPT, 'view', 'perf-history', 'perf-history.jsonl', 'new-line.jsonl'], { cwd: fresh.clone }).status).toBe(0);
    expect(readFileSync(path.join(fresh.clone, 'perf-history.jsonl'), 'utf8')).toBe('{"run":1}\n');
  });

  it('appends nothing for a run that wrote no line', () => {
    const { origin, clone } = repository();
    writeFileSync(path.join(clone, 'new-line.jsonl'), '');
    const run = spawnSync('bash', [SCRIPT, 'push', 'perf-history', 'perf-history.jsonl', 'new-line.jsonl'], { cwd: clone, encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(spawnSync('git', ['rev-parse', '--verify', 'perf-history'], { cwd: origin }).status).not.toBe(0);
  });
});
