// npm test (fast): the pinned runtime, read from package.json and found in a checkout; no sockets.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { checkoutNode, currentRuntime, pathWithoutHarnessBin, pinnedNode, runtimeLabel, runtimeOf } from '../common/runtime.ts';
import { describeEnvironment, machineLabel, machinesLabel } from '../loadgen/result.ts';
import { startSideServer } from '../regress/side-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function checkout(dependencies: Record<string, string>, withBinary: boolean): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runtime-test-'));
  made.push(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', dependencies }));
  if (withBinary) {
    mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(process.execPath, path.join(dir, 'node_modules', '.bin', 'node'));
  }
  return dir;
}

describe('the pinned runtime', () => {
  it('is the exact version of package.json\u2019s node dependency, and the one npm test runs on', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.node).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pinnedNode()).toBe(`v${pkg.dependencies.node}`);
    // npm run puts node_modules/.bin first on PATH, and vitest's workers run on process.execPath:
    // the test loop runs on the pinned runtime (started without npm, on another Node, this fails).
    expect(process.version).toBe(pinnedNode());
  });

  it('is none for a range or a missing dependency', () => {
    expect(pinnedNode(checkout({ node: '^26.0.0' }, false))).toBeUndefined();
    expect(pinnedNode(checkout({ ws: '8.0.0' }, false))).toBeUndefined();
    expect(pinnedNode(path.join(os.tmpdir(), 'no-such-checkout'))).toBeUndefined();
  });

  it('runs a checkout\u2019s servers on its installed pinned binary, else on this process\u2019s', () => {
    const pinnedAndInstalled = checkout({ node: '26.10.0' }, true);
    expect(checkoutNode(pinnedAndInstalled)).toBe(path.join(pinnedAndInstalled, 'node_modules', '.bin', 'node'));
    expect(checkoutNode(checkout({ node: '26.10.0' }, false))).toBe(process.execPath);
    expect(checkoutNode(checkout({}, true))).toBe(process.execPath);
  });

  it('asks a binary for its own versions', () => {
    const viaLink = checkoutNode(checkout({ node: '26.10.0' }, true));
    expect(runtimeOf(viaLink)).toEqual(currentRuntime());
    expect(currentRuntime()).toEqual({ node: process.version, v8: process.versions.v8 });
  });

  it('is in the environment every result writer records (describeEnvironment), and labelled; older results without V8 too', () => {
    const env = describeEnvironment();
    expect(env).toMatchObject({ node: process.version, v8: process.versions.v8 });
    expect(machineLabel(env)).toContain(`Node ${process.version} (V8 `);
    expect(runtimeLabel({ node: 'v20.20.2' })).toBe('Node v20.20.2');
    expect(runtimeLabel({ node: 'v26.10.0', v8: '14.1.146.11-node.14' })).toBe('Node v26.10.0 (V8 14.1.146.11)');
  });

  it('labels runs on several machines or runtimes by which ran where', () => {
    const env26 = describeEnvironment();
    const env20 = { ...env26, node: 'v20.20.2', v8: undefined };
    expect(machinesLabel([{ name: 'actor', environment: env26 }, { name: 'mutex', environment: env26 }])).toBe(machineLabel(env26));
    const mixed = machinesLabel([{ name: 'actor', environment: env26 }, { name: 'mutex', environment: env20 }, { name: 'actor', environment: env26 }]);
    expect(mixed).toMatch(/^the runs were made on different machines or runtimes/);
    expect(mixed).toContain(`actor on ${machineLabel(env26)}`);
    expect(mixed).toContain('mutex on 2 × ');
    expect(mixed).toContain('Node v20.20.2');
  });

  it('leaves the harness\u2019s own node_modules/.bin off the PATH of a server started by command', () => {
    const harnessBin = path.join(ROOT, 'node_modules', '.bin');
    const value = [harnessBin, '/usr/local/bin', `${harnessBin}/`, '/usr/bin'].join(path.delimiter);
    expect(pathWithoutHarnessBin(value)).toBe(['/usr/local/bin', '/usr/bin'].join(path.delimiter));
    expect(pathWithoutHarnessBin(undefined)).toBeUndefined();
  });

  it('starts a --server-cmd server on the PATH\u2019s node, not the harness\u2019s pinned one (a real command and port)', async () => {
    const dir = checkout({}, false);
    const harnessNode = path.join(ROOT, 'node_modules', '.bin', 'node');
    const server = await startSideServer({ kind: 'command', checkoutDir: dir, command: `command -v node > which-node.txt; exec node -e "require('net').createServer().listen(Number(process.env.PORT), '127.0.0.1')"` }, 'baseline', undefined);
    try {
      const used = readFileSync(path.join(dir, 'which-node.txt'), 'utf8').trim();
      expect(used).not.toBe('');
      expect(path.resolve(used)).not.toBe(harnessNode);
    } finally {
      await server.stop();
    }
  });
});
