// npm test (fast): the pinned runtime, read from package.json and found in a checkout; no sockets.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkoutNode, currentRuntime, pathWithoutHarnessBin, pinnedNode, runtimeLabel, runtimeOf } from '../common/runtime.ts';
import { describeEnvironment, machineLabel } from '../loadgen/result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function checkout(dependencies: Record<string, string>, withBinary: boolean): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runtime-test-'));
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
    // npm run puts node_modules/.bin first on PATH, and vitest's workers run on process.execPath.
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

  it('is recorded in every result\u2019s environment and labelled, older results without V8 too', () => {
    const env = describeEnvironment();
    expect(env).toMatchObject({ node: process.version, v8: process.versions.v8 });
    expect(machineLabel(env)).toContain(`Node ${process.version} (V8 `);
    expect(runtimeLabel({ node: 'v20.20.2' })).toBe('Node v20.20.2');
    expect(runtimeLabel({ node: 'v26.10.0', v8: '14.1.146.11-node.14' })).toBe('Node v26.10.0 (V8 14.1.146.11)');
  });

  it('leaves the harness\u2019s own node_modules/.bin off the PATH of a server started by command', () => {
    const harnessBin = path.join(ROOT, 'node_modules', '.bin');
    const value = [harnessBin, '/usr/local/bin', `${harnessBin}/`, '/usr/bin'].join(path.delimiter);
    expect(pathWithoutHarnessBin(value)).toBe(['/usr/local/bin', '/usr/bin'].join(path.delimiter));
    expect(pathWithoutHarnessBin(undefined)).toBeUndefined();
  });
});
