/**
 * A git ref checked out beside the working tree, ready to run: `npm run regress` builds the base
 * ref (and head, when head is a ref rather than the working tree) in a git worktree of its own.
 * Installing is `npm ci` once per lockfile: node_modules is kept in a cache keyed by the hash of
 * package-lock.json and the Node major version, and linked into every worktree that shares them,
 * so a job that checks out the same base twice, or base and head with one lockfile, installs once.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../common/usage.ts';
import { pathWithoutHarnessBin } from '../common/runtime.ts';

export interface CheckedOutRef {
  /** The ref as given (`main`, `HEAD~1`, a sha). */
  readonly ref: string;
  readonly commit: string;
  /** The worktree's folder. */
  readonly dir: string;
  /** Whether node_modules came from the cache or from an `npm ci` just now; `none` for a checkout without package-lock.json (another repository's server, say). */
  readonly install: 'cached' | 'installed' | 'none';
}

export interface CheckoutOptions {
  /** Where worktrees go, one folder per commit. */
  readonly worktreesDir: string;
  /** Where installed node_modules are kept, one folder per lockfile hash. */
  readonly cacheDir: string;
  /**
   * Install production dependencies only (`npm ci --omit=dev`): what this project's servers and
   * microbenchmarks need, without the test tools and the test browser (~64 MB). Another
   * repository's server gets everything its lockfile names: its start command may need a dev tool.
   */
  readonly omitDev?: boolean;
  readonly log?: (line: string) => void;
}

/** `git -C <repo> <args>`, its output trimmed. */
export const git = (repo: string, args: readonly string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The commit a ref names, or a usage error that says which ref and why. */
export function resolveCommit(repo: string, ref: string): string {
  try {
    return git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new UsageError('ERR_BAD_OPTION', `'${ref}' is not a commit in ${repo} (give a branch, tag or sha that git rev-parse knows; fetch it first in a shallow clone)`);
  }
}

/**
 * The environment `npm ci` runs in. This project's checkouts (`omitDev`) install under the
 * harness's runtime; another repository, whose server a shell command starts on the Node the user
 * set up (the harness's node_modules/.bin is off that command's PATH), is installed by that same
 * Node, so that its native addons are built for the runtime that loads them.
 */
function installEnv(omitDev: boolean): NodeJS.ProcessEnv {
  return omitDev ? process.env : { ...process.env, PATH: pathWithoutHarnessBin(process.env.PATH) };
}

/** The version of the `node` a --server-cmd repository is installed and run by: the first on PATH after the harness's own. */
function userNodeVersion(): string {
  try {
    return execFileSync('node', ['-p', 'process.versions.node'], { env: installEnv(false), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    throw new UsageError('ERR_BAD_OPTION', 'no node on PATH besides the harness\u2019s pinned one: a --server-cmd repository is installed (npm ci) and run by the Node on your PATH; set one up');
  }
}

/** The install cache's key: what `npm ci` installs depends on the lockfile, on the major version of the Node that runs npm, and on whether dev dependencies are left out. */
export function installKey(dir: string, omitDev = false): string {
  const lockfile = path.join(dir, 'package-lock.json');
  if (!existsSync(lockfile)) throw new UsageError('ERR_BAD_OPTION', `${dir} has no package-lock.json: npm ci needs one`);
  const version = omitDev ? process.versions.node : userNodeVersion();
  const major = version.split('.')[0]!;
  return createHash('sha256').update(readFileSync(lockfile)).update(`\nnode ${major}${omitDev ? '\nomit dev' : ''}`).digest('hex').slice(0, 16);
}

/** Links the cached node_modules for this lockfile into `dir`, installing it first when the cache has none. */
function install(dir: string, o: CheckoutOptions): CheckedOutRef['install'] {
  const target = path.join(dir, 'node_modules');
  if (existsSync(target)) return 'cached';
  if (!existsSync(path.join(dir, 'package-lock.json'))) {
    o.log?.(`${dir} has no package-lock.json: nothing installed`);
    return 'none';
  }
  const cached = path.join(o.cacheDir, installKey(dir, o.omitDev), 'node_modules');
  let how: CheckedOutRef['install'] = 'cached';
  if (!existsSync(cached)) {
    o.log?.(`npm ci${o.omitDev ? ' --omit=dev' : ''} in ${dir} (no cached install for this lockfile)`);
    execFileSync('npm', ['ci', ...(o.omitDev ? ['--omit=dev'] : []), '--no-audit', '--no-fund'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: installEnv(o.omitDev === true) });
    // A lockfile without dependencies installs nothing: the cache still records it.
    if (!existsSync(target)) mkdirSync(target);
    mkdirSync(path.dirname(cached), { recursive: true });
    renameSync(target, cached);
    how = 'installed';
  }
  symlinkSync(cached, target, 'dir');
  return how;
}

/** Checks `ref` out into its own worktree (reused when it is already there) and installs it. */
export function checkoutRef(repo: string, ref: string, o: CheckoutOptions): CheckedOutRef {
  const commit = resolveCommit(repo, ref);
  const dir = path.resolve(o.worktreesDir, commit.slice(0, 12));
  if (!existsSync(dir)) {
    mkdirSync(o.worktreesDir, { recursive: true });
    o.log?.(`git worktree add ${dir} ${commit.slice(0, 12)} (${ref})`);
    git(repo, ['worktree', 'add', '--detach', dir, commit]);
  } else if (git(dir, ['rev-parse', 'HEAD']) !== commit) {
    throw new Error(`${dir} holds another commit than ${commit}: remove it (git worktree remove) and run again`);
  }
  return { ref, commit, dir, install: install(dir, o) };
}

/** Removes a worktree this module made (its node_modules link goes with it; the cache stays). */
export function removeCheckout(repo: string, checkout: CheckedOutRef): void {
  git(repo, ['worktree', 'remove', '--force', checkout.dir]);
}
