/**
 * The gate against a broken side (npm run test:slow: each case runs a real gate, 20–60 s): a
 * scratch clone of this repository gets a commit that breaks its server, and `npm run regress`
 * run in the clone must fail it with the cause named — a head that drops every 50th frame, one
 * whose server exits about 1 s into the measured phase, one whose server never starts (exit 3) —
 * and must stop with exit 1 when base is the broken side. The clone shares this checkout's
 * node_modules (linked, and seeded into the gate's install cache), so nothing is installed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installKey } from '../../regress/checkout.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A clone of this repository's committed HEAD with `break` committed on top (tagged `broken`) and, unless asked, fixed again after it. */
function scratchClone(breakage: string): string {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'regress-broken-')), 'repo');
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' }).trim();
  execFileSync('git', ['clone', '-q', ROOT, dir]);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  // The gate installs this project's servers without dev dependencies: seed that cache entry.
  const cached = path.join(dir, '.regress', 'installs', installKey(dir, true));
  mkdirSync(cached, { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(cached, 'node_modules'), 'dir');
  git('tag', 'good');
  const main = path.join(dir, 'servers', 'main.ts');
  const original = readFileSync(main, 'utf8');
  // Statements before the imports run after them (ESM hoists imports): before commander parses argv.
  writeFileSync(main, `${breakage}\n${original}`);
  git('commit', '-qam', 'break the server');
  git('tag', 'broken');
  writeFileSync(main, original);
  git('commit', '-qam', 'fix the server');
  return dir;
}

interface GateRun {
  readonly code: number | null;
  readonly output: string;
  readonly result: { outcome: string; exitCode: number; failures: { side: string; subject: string; cause: string }[] };
}

/** `npm run regress` in the clone (its own load generator and gate), head checked out as asked. */
function gate(dir: string, args: readonly string[]): Promise<GateRun> {
  const out = path.join(dir, '..', 'results');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--max-semi-space-size=64', '--import', 'tsx', 'regress/cli.ts', ...args, '--models', 'actor', '--scenarios', 'echo', '--microbench-rounds', '0', '--out', out], { cwd: dir });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => {
      const [folder] = readdirSync(out);
      resolve({ code, output, result: JSON.parse(readFileSync(path.join(out, folder!, 'regress.json'), 'utf8')) as GateRun['result'] });
    });
  });
}

describe('npm run regress against a broken side', () => {
  it.each([
    ['drops every 50th frame', "process.argv.push('--debug', '--debug-drop-every', '50');", /^faulty deliveries: lost 2\.0% of deliveries \(\d/, /REGRESSED: head's server failed in echo · actor \(round \d, and on its retry\): faulty deliveries: lost 2\.0% of deliveries/],
    ['exits about 1 s into the measured phase', "process.argv.push('--debug', '--debug-exit-after-ms', '2500');", /^the server exited during the run/, /REGRESSED: head's server failed in echo · actor \(round \d, and on its retry\): the server exited during the run/],
    ['never starts', "throw new Error('this server never starts');", /^the server did not start/, /REGRESSED: head's server failed in echo · actor \(round 1, and on its retry\): the server did not start/],
  ])('fails a head whose server %s (exit 3), naming the cause', async (_what, breakage, cause, headline) => {
    const dir = scratchClone(breakage);
    const run = await gate(dir, ['--base', 'good', '--head', 'broken']);
    expect(run.code, run.output.slice(-3000)).toBe(3);
    expect(run.result).toMatchObject({ outcome: 'regressed', exitCode: 3, failures: [{ side: 'head', subject: 'echo · actor' }] });
    expect(run.result.failures[0]!.cause).toMatch(cause);
    expect(run.output).toMatch(headline);
  }, 300_000);

  it('stops with exit 1 when base is the broken side: nothing to compare against', async () => {
    const dir = scratchClone("throw new Error('this server never starts');");
    const run = await gate(dir, ['--base', 'broken']);
    expect(run.code, run.output.slice(-3000)).toBe(1);
    expect(run.result).toMatchObject({ outcome: 'failed', exitCode: 1, failures: [{ side: 'base', subject: 'closed-loop echo · actor' }] });
    expect(run.output).toMatch(/FAILED: base's server failed in closed-loop echo · actor \(and on its retry\): the server did not start.* — nothing to compare against/);
  }, 300_000);
});
