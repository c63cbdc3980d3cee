/**
 * The regression job's checkouts: a ref lands in its own git worktree with the ref's files, `npm ci`
 * runs once per lockfile (a second ref with the same lockfile links the cached node_modules), and
 * a ref git does not know is a one-line usage error. Real git and npm, in a throwaway repository.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkoutRef, installKey, removeCheckout } from '../regress/checkout.ts';

function repository(): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'regress-repo-'));
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' }).trim();
  git('init', '-q');
  writeFileSync(path.join(repo, 'package.json'), JSON.stringify({ name: 'target', version: '1.0.0', private: true }));
  writeFileSync(path.join(repo, 'package-lock.json'), JSON.stringify({ name: 'target', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'target', version: '1.0.0' } } }));
  writeFileSync(path.join(repo, 'server.txt'), 'base');
  git('add', '.');
  git('commit', '-qm', 'base');
  git('tag', 'base');
  writeFileSync(path.join(repo, 'server.txt'), 'head');
  git('commit', '-qam', 'head');
  return repo;
}

describe('regress checkouts', () => {
  it('checks each ref out into its own worktree, and installs once per lockfile', () => {
    const repo = repository();
    const work = mkdtempSync(path.join(os.tmpdir(), 'regress-work-'));
    const o = { worktreesDir: path.join(work, 'worktrees'), cacheDir: path.join(work, 'cache') };
    const base = checkoutRef(repo, 'base', o);
    expect(base.install).toBe('installed');
    expect(readFileSync(path.join(base.dir, 'server.txt'), 'utf8')).toBe('base');
    const head = checkoutRef(repo, 'HEAD', o);
    expect(head.commit).not.toBe(base.commit);
    expect(readFileSync(path.join(head.dir, 'server.txt'), 'utf8')).toBe('head');
    // Same lockfile: the head worktree links the install the base one made.
    expect(head.install).toBe('cached');
    expect(lstatSync(path.join(head.dir, 'node_modules')).isSymbolicLink()).toBe(true);
    expect(realpathSync(readlinkSync(path.join(head.dir, 'node_modules')))).toBe(realpathSync(path.join(o.cacheDir, installKey(base.dir), 'node_modules')));
    // Asked again, the same worktree is reused.
    expect(checkoutRef(repo, 'base', o)).toMatchObject({ dir: base.dir, install: 'cached' });
    removeCheckout(repo, base);
    removeCheckout(repo, head);
    expect(execFileSync('git', ['-C', repo, 'worktree', 'list'], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(1);
  });

  it('names a ref git does not know, in one line', () => {
    const repo = repository();
    expect(() => checkoutRef(repo, 'no-such-branch', { worktreesDir: os.tmpdir(), cacheDir: os.tmpdir() })).toThrow(/^'no-such-branch' is not a commit in .* \(give a branch, tag or sha that git rev-parse knows; fetch it first in a shallow clone\)$/);
  });
});
