/**
 * The microbenchmarks: every case does the work it claims (counted by its own fixture), a case
 * whose work goes missing is marked failed rather than timed, and the CLI refuses bad options with
 * one line. Counts only: how fast anything is belongs to `npm run microbench`, not to a test.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allCases, BROADCAST_RECEIVERS, CONCURRENCY, type MicrobenchCase } from '../microbench/cases.ts';
import { runMicrobench, type MicrobenchResult } from '../microbench/run.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = { timeMs: 5, iterations: 3, warmupMs: 0 };

describe('microbench cases', () => {
  it('cover each lock, each model and mutex lock, both broadcast sizes, at 1, 10 and 100 tasks', () => {
    const cases = allCases();
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.filter((c) => c.group === 'lock').map((c) => c.subject)).toEqual(['fifo', 'fifo', 'fifo', 'async-mutex', 'async-mutex', 'async-mutex']);
    const subjects = ['actor', 'mutex', 'mutex:lock=async-mutex', 'baseline'];
    expect([...new Set(cases.filter((c) => c.group === 'round-trip').map((c) => c.subject))]).toEqual(subjects);
    for (const receivers of BROADCAST_RECEIVERS) {
      for (const subject of subjects) {
        expect(cases.filter((c) => c.group === 'broadcast' && c.subject === subject && c.receivers === receivers).map((c) => c.concurrency)).toEqual([...CONCURRENCY]);
      }
    }
  });

  it('do the work they claim: every case at 1 and 10 tasks (the 10,000-receiver broadcasts aside, for time) completes with its counts checked', async () => {
    const cases = allCases().filter((c) => c.receivers !== 10_000 && c.concurrency !== 100);
    const result = await runMicrobench(cases, QUICK);
    expect(result.cases.filter((c) => c.state !== 'completed')).toEqual([]);
    expect(result).toMatchObject({ kind: 'microbench', schemaVersion: 1, state: 'completed' });
    for (const f of result.cases) {
      expect(f.samples).toBeGreaterThanOrEqual(3);
      expect(f.unitsPerSecond).toBeGreaterThan(0);
      expect(f.p99Us).toBeGreaterThanOrEqual(f.p50Us);
    }
  });

  it('mark a case failed, not timed, when its work goes missing', async () => {
    const lying: MicrobenchCase = {
      name: 'lying case',
      group: 'lock',
      subject: 'none',
      concurrency: 2,
      unitsPerIteration: 2,
      setup: () => {
        let done = 0;
        return { run: async () => void done++, done: () => done, close: () => undefined };
      },
    };
    const result = await runMicrobench([lying], QUICK);
    expect(result.state).toBe('failed');
    expect(result.cases[0]!.error).toMatch(/^did \d+ units of work where \d+ iterations claim \d+$/);
  });
});

describe('npm run microbench', () => {
  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'microbench/cli.ts', ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });

  it('prints a table and writes the typed result', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'microbench-'));
    const { code, stdout } = await run(['--filter', 'round trip.*· (actor|mutex) · 10 tasks', '--time', '5', '--iterations', '3', '--warmup', '0', '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/registry round trip \(size\) · actor · 10 tasks.*replies\/s/);
    const [file] = readdirSync(out);
    const result = JSON.parse(readFileSync(path.join(out, file!), 'utf8')) as MicrobenchResult;
    expect(result.cases.map((c) => c.subject)).toEqual(['actor', 'mutex']);
  });

  it.each([
    [['--filter', 'nothing-matches'], /^error: --filter 'nothing-matches' matches no case; --list shows them$/],
    [['--filter', '('], /^error: --filter must be a regular expression, got '\('$/],
    [['--time', '0'], /^error: --time must be an integer from 1 to 600000, got '0'$/],
  ])('exits 2 with one line for %j', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr.trim()).toMatch(message);
  });
});
