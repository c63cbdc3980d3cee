/**
 * scripts/ci-base.sh (npm test: scratch git repositories, no gate run): the base a CI gate compares
 * against when the event's SHA is usable, all zeros (a new branch), unreachable (a force-push), or
 * when there is nothing to compare with (a first commit).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/ci-base.sh', import.meta.url));
const ZERO = '0'.repeat(40);

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

function commit(dir: string, name: string): string {
  writeFileSync(path.join(dir, name), name);
  git(dir, 'add', name);
  git(dir, 'commit', '-qm', name);
  return git(dir, 'rev-parse', 'HEAD');
}

/** An "origin" with main at a—b, and a clone of it, as actions/checkout leaves one. */
function repository(): { origin: string; clone: string; a: string; b: string } {
  const origin = mkdtempSync(path.join(os.tmpdir(), 'ci-base-origin-'));
  git(origin, 'init', '-q');
  const a = commit(origin, 'a');
  const b = commit(origin, 'b');
  const clone = path.join(mkdtempSync(path.join(os.tmpdir(), 'ci-base-clone-')), 'repo');
  git(os.tmpdir(), 'clone', '-q', origin, clone);
  return { origin, clone, a, b };
}

function base(dir: string, ...args: string[]): { status: number | null; sha: string; notice: string } {
  const run = spawnSync('bash', [SCRIPT, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, sha: run.stdout.trim(), notice: run.stderr.trim() };
}

describe('scripts/ci-base.sh', () => {
  it('keeps the event\u2019s SHA when the clone has it, without a notice', () => {
    const { clone, a } = repository();
    expect(base(clone, a, 'main')).toEqual({ status: 0, sha: a, notice: '' });
  });

  it('falls back to the merge base with the default branch for a new branch (all-zero before)', () => {
    const { clone, b } = repository();
    git(clone, 'checkout', '-qb', 'feature');
    commit(clone, 'c');
    const r = base(clone, ZERO, 'main');
    expect(r).toMatchObject({ status: 0, sha: b });
    expect(r.notice).toContain('::notice title=Performance gate base::the event\u2019s base is all zeros (a new branch); comparing with');
    expect(r.notice).toContain('the merge base with origin/main');
  });

  it('falls back to head\u2019s first parent when the SHA is unreachable (a force-push) on the default branch itself', () => {
    const { origin, clone } = repository();
    // The old tip a force-push replaced: it exists in another repository, never in this clone.
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'ci-base-elsewhere-'));
    git(elsewhere, 'init', '-q');
    const gone = commit(elsewhere, 'gone');
    const parent = git(clone, 'rev-parse', 'HEAD');
    commit(origin, 'c');
    git(clone, 'pull', '-q');
    const r = base(clone, gone, 'main');
    expect(r).toMatchObject({ status: 0, sha: parent });
    expect(r.notice).toContain(`the event\u2019s base ${gone.slice(0, 12)} is not in this clone (a force-push?); comparing with`);
    expect(r.notice).toContain('head\u2019s first parent');
  });

  it('prints nothing, with a notice, when there is nothing to compare with (a first commit)', () => {
    const first = mkdtempSync(path.join(os.tmpdir(), 'ci-base-first-'));
    git(first, 'init', '-q');
    commit(first, 'a');
    const r = base(first, ZERO);
    expect(r).toMatchObject({ status: 0, sha: '' });
    expect(r.notice).toContain('head has no parent: nothing to compare with, the gate is skipped');
  });
});
