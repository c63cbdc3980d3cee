/** The bench CLI as a user runs it: exit codes, one-line errors, and a small real run writing its JSON. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../loadgen/result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'loadgen/cli.ts', ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('npm run bench', () => {
  it.each([
    [['--model', 'nope'], /^error: --model must be one of actor, mutex, baseline, got 'nope'$/],
    [['--model', 'actor', '--clients', '0'], /^error: --clients must be an integer >= 1, got '0'$/],
    [['--model', 'actor', '--clients', '2000000000'], /^error: --clients 2000000000 needs \d+ open files but this process may hold at most \d+ \(hard limit\); use --clients \d+ or less/],
    [['--model', 'actor', '--scenario', 'missing'], /^error: --scenario must be one of /],
    [['--model', 'actor', '--sweep', 'seconds=1,2'], /^error: --sweep must look like clients=N,N,… or rate=N,N,…, got 'seconds=1,2'$/],
    [['--model', 'actor', '--sweep', 'rate=1', '--find-saturation'], /^error: give --sweep or --find-saturation, not both$/],
    [['--model', 'actor', '--find-saturation', '--slo-p99', 'soon'], /^error: --slo-p99 must be a duration > 0 such as 50ms or 0.5s, got 'soon'$/],
    [['--model', 'actor', '--slow-consumer-policy', 'ignore'], /^error: --slow-consumer-policy must be one of await, drop, disconnect, got 'ignore'$/],
  ])('exits 2 with a one-line error for %j', async (args, message) => {
    const { code, stderr, stdout } = await bench(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr.trim()).toMatch(message);
  });

  it('lists the scenarios with their descriptions', async () => {
    const { code, stdout } = await bench(['--list-scenarios']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^broadcast\s+\S.*\n/m);
    expect(stdout).toMatch(/^echo\s+\S.*\n/m);
  });

  it('runs a small bench end to end, prints the table and writes a versioned JSON result', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));
    const { code, stdout, stderr } = await bench(['--model', 'mutex', '--clients', '20', '--duration', '0.5', '--rate', '200', '--out', out]);
    expect(stderr).toMatch(/result written to /);
    expect(code).toBe(0);
    expect(stdout).toMatch(/mutex · echo/);
    expect(stdout).toMatch(/latency p99\.9/);
    const files = readdirSync(out);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\dT.*-mutex-echo\.json$/);
    const result = JSON.parse(readFileSync(path.join(out, files[0]!), 'utf8')) as BenchResult;
    expect(result.schemaVersion).toBe(6);
    expect(result.status).toBe('completed');
    if (result.status !== 'completed') return;
    expect(result.command.argv).toContain('--clients');
    expect(result.environment.node).toBe(process.version);
    expect(result.connections).toMatchObject({ requested: 20, open: 20, failed: 0 });
    expect(result.messages).toMatchObject({ sent: 100, expected: 100, received: 100, lost: 0 });
    expect(result.latency.count).toBe(100);
    expect(result.latencyHistogram.length).toBeGreaterThan(10);
    expect(result.integrity).toEqual({ verdict: 'clean', problems: [], expectedLoss: 0, unexpectedLoss: 0, surplus: 0, altered: 0 });
    expect(result.censoring).toEqual({ atMs: 10_000, deliveries: 0, fanouts: 0 });
  });

  it('runs a sweep: a run per point, a curve table, and a curve file next to the results', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'bench-sweep-'));
    const { code, stdout, stderr } = await bench(['--model', 'baseline', '--sweep', 'clients=5,10', '--duration', '0.5', '--warmup', '0', '--rate', '100', '--out', out]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/curve written to /);
    expect(stdout).toMatch(/baseline · echo, sweep over clients/);
    const rows = stdout.split('\n').filter((line) => /^│ (5|10)\s/.test(line));
    expect(rows).toHaveLength(2);
    const files = readdirSync(out).sort();
    expect(files.filter((f) => f.endsWith('-baseline-echo.json'))).toHaveLength(2);
    const curveFile = files.find((f) => f.endsWith('-sweep-clients.json'))!;
    const curve = JSON.parse(readFileSync(path.join(out, curveFile), 'utf8')) as { kind: string; points: { clients: number; status: string; lost: number }[] };
    expect(curve.kind).toBe('sweep');
    expect(curve.points.map((p) => [p.clients, p.status, p.lost])).toEqual([
      [5, 'completed', 0],
      [10, 'completed', 0],
    ]);
  });
});
