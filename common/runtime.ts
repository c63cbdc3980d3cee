/**
 * The JavaScript runtime a run measured: a figure taken on one V8 is not comparable with another's,
 * so every result records the Node.js and V8 versions it ran on, and reports label them. The
 * project pins its runtime through the registry's `node` package (package.json's dependencies):
 * `npm ci` installs that binary into node_modules/.bin, where `npm run` finds it first, whatever
 * Node started npm. Every child (servers, proxies, workers) runs on `process.execPath`, this
 * process's own binary, or on a checkout's pinned binary when it runs that checkout's servers.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Runtime {
  /** process.version, e.g. "v26.10.0". */
  readonly node: string;
  /** process.versions.v8, e.g. "14.6.202.34-node.30". */
  readonly v8: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function currentRuntime(): Runtime {
  return { node: process.version, v8: process.versions.v8 };
}

/** "Node v26.10.0 (V8 14.6.202.34)"; a result stored before V8 was recorded has no V8 part. */
export function runtimeLabel(r: { readonly node: string; readonly v8?: string }): string {
  return r.v8 === undefined ? `Node ${r.node}` : `Node ${r.node} (V8 ${r.v8.replace(/-node\.\d+$/, '')})`;
}

/** The Node.js version `dir`'s package.json pins (its exact `node` dependency, "v" + version), or undefined when it pins none. */
export function pinnedNode(dir: string = ROOT): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const spec = pkg.dependencies?.node;
    return spec !== undefined && /^\d+\.\d+\.\d+$/.test(spec) ? `v${spec}` : undefined;
  } catch {
    return undefined;
  }
}

/** A warning when this process does not run on the pinned runtime (started with another `node` than npm run's), else undefined. */
export function unpinnedWarning(): string | undefined {
  const pinned = pinnedNode();
  if (pinned === undefined || pinned === process.version) return undefined;
  return `running on Node ${process.version}, not the ${pinned} package.json pins: figures are labelled with ${process.version}; run through npm (npm run bench …) after npm ci to use the pinned runtime`;
}

/** Says on stderr, once, that this process is not on the pinned runtime (a measuring command's first line). */
export function warnIfUnpinned(): void {
  const warning = unpinnedWarning();
  if (warning !== undefined) process.stderr.write(`warning: ${warning}\n`);
}

/**
 * The Node.js binary that runs `checkoutDir`'s own code: its installed pinned runtime when it has
 * one (node_modules/.bin/node), else this process's. `npm run regress` runs base's and head's
 * servers this way, so that a commit that changes the pinned runtime is measured on it.
 */
export function checkoutNode(checkoutDir: string): string {
  const pinned = path.join(checkoutDir, 'node_modules', '.bin', 'node');
  return pinnedNode(checkoutDir) !== undefined && existsSync(pinned) ? pinned : process.execPath;
}

/**
 * `PATH` without this project's node_modules/.bin, which `npm run` puts first: a server under
 * test started by a shell command (`--server-cmd 'node server.js'`) runs on the Node the user
 * set up, not on the harness's pinned one.
 */
export function pathWithoutHarnessBin(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const harnessBin = path.join(ROOT, 'node_modules', '.bin');
  return value.split(path.delimiter).filter((entry) => path.resolve(entry) !== harnessBin).join(path.delimiter);
}

/** The runtime of a Node.js binary, asked of the binary itself. */
export function runtimeOf(binary: string): Runtime {
  if (binary === process.execPath) return currentRuntime();
  let answer = '';
  try {
    answer = execFileSync(binary, ['-p', 'process.version + " " + process.versions.v8'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    throw new Error(`${binary} did not run (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): reinstall that checkout (npm ci)`);
  }
  const match = /^(v\d+\.\d+\.\d+\S*) (\S+)$/.exec(answer);
  if (!match) throw new Error(`${binary} answered '${answer.slice(0, 80)}' when asked its Node.js and V8 versions: is it Node.js?`);
  return { node: match[1]!, v8: match[2]! };
}
