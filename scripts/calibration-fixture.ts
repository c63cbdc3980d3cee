/**
 * Builds the calibration test's fixture (test/fixtures/echo-10k-trials.json) from stored A/A
 * comparisons: every completed trial's echo p50 and p99 (ms), pooled per model (an A/A's two arms
 * run the same server, so both are draws of one distribution).
 *
 *   node --import tsx scripts/calibration-fixture.ts results/examples/aa-actor-1 … > test/fixtures/echo-10k-trials.json
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { upgradeResult } from '../loadgen/result-upgrade.ts';
import type { BenchResult } from '../loadgen/result.ts';
import { runMain } from '../common/main.ts';
import { UsageError } from '../common/usage.ts';

interface StoredComparison {
  readonly command: string;
  readonly files: readonly { readonly file: string }[];
}

async function main(): Promise<void> {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) throw new UsageError('ERR_BAD_OPTION', 'give one or more comparison folders (results/<run id>)');
  const arms: Record<string, { p50: number[]; p99: number[] }> = {};
  const commands: string[] = [];
  for (const dir of dirs) {
    const stored = JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as StoredComparison;
    commands.push(stored.command);
    for (const f of stored.files) {
      const result = upgradeResult(JSON.parse(readFileSync(path.join(dir, f.file), 'utf8')) as BenchResult);
      if (result.status !== 'completed') continue;
      const latency = result.latencyByKind.echo?.summary ?? result.latency;
      if (latency.p50 === null || latency.p99 === null) continue;
      const pool = (arms[result.model] ??= { p50: [], p99: [] });
      pool.p50.push(latency.p50 / 1000);
      pool.p99.push(latency.p99 / 1000);
    }
  }
  const source = `the completed trials' echo p50 and p99 (ms) of ${dirs.length} A/A comparisons on this machine, pooled per model: ${[...new Set(commands)].join('; ')}`;
  process.stdout.write(JSON.stringify({ source, arms }, null, 1) + '\n');
}

runMain(main);
