/**
 * compare with a lossy arm (npm run test:slow: a real comparison, 4 trials, ~12 s): an arm whose
 * server silently drops every 50th frame gets no latency verdict, its loss is named, and its p99 is
 * at least the drain timeout (lost deliveries are censored there), never flattered.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ComparisonAnalysis } from '../../compare/analysis.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const compare = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'compare/cli.ts', ...args], { cwd: ROOT, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });

describe('npm run compare with a lossy arm', () => {
  it('gives an arm whose server drops 2% of its frames no latency verdict, and names the loss', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'compare-lossy-'));
    const { code, stdout, stderr } = await compare(['--models', 'actor,mutex', '--clients', '20', '--duration', '1', '--warmup', '0', '--rate', '500', '--trials', '2', '--drain-timeout', '1', '--debug-lossy-arm', '1:50', '--out', out]);
    expect(stderr).toMatch(/4 runs: 1 scenario\(s\) × 2 arms × 2 trials/);
    expect(code).toBe(0);
    const folder = readdirSync(out).find((d) => d.endsWith('-compare'))!;
    const stored = JSON.parse(readFileSync(path.join(out, folder, 'compare.json'), 'utf8')) as ComparisonAnalysis;
    const s = stored.scenarios[0]!;
    // The lossy arm's latencies got no ratio at all, and its loss is named in the verdict, the tables and the Markdown.
    expect(s.ratios.filter((r) => ['p50', 'p99', 'fanoutP99'].includes(r.metric))).toEqual([]);
    expect(s.verdict).toMatch(/^mutex \(drops 1 in 50\) vs actor: verdict withheld: mutex \(drops 1 in 50\) lost 2\.0% of deliveries \(\d+ of \d+\) in 2 of 2 trials/);
    expect(s.arms[1]).toMatchObject({ faulty: 2 });
    expect(s.arms[0]).toMatchObject({ faulty: 0 });
    expect(stdout).toContain('verdict withheld');
    expect(readFileSync(path.join(out, folder, 'report.md'), 'utf8')).toContain(`**${s.verdict}**`);
    // Each lost delivery counts at the drain timeout (1 s): the lossy arm's p99 is at least that, never flattered.
    expect(s.arms[1]!.metrics.p99!.median).toBeGreaterThanOrEqual(999);
  });

});
