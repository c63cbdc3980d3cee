/**
 * Sets the gate's thresholds T from base-vs-base runs on this machine (README, "Calibrating T"):
 *
 *   node --import tsx scripts/regress-calibrate.ts --runs 1 [-- <regress options>]
 *
 * Runs `npm run regress -- --base HEAD --calibrate` (every round runs base twice, the A/A arm)
 * --runs times, pools the A/A rounds, applies the rule of calibratedThresholds (per metric, the
 * quantile of the A/A rounds' ratios that keeps a run's false alarms within 5% before its
 * confirmation rerun; at least 3%) and writes regress/thresholds.json. A team does the same on its runners with `--calibrate` and
 * `--thresholds`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import type { RegressResult } from '../regress/result.ts';
import { DEFAULT_THRESHOLDS_FILE, readThresholds } from '../regress/thresholds.ts';
import { calibratedThresholds, type Finding, type Observation } from '../regress/verdict.ts';

const program = new Command().option('--runs <n>', 'calibration runs', '1').option('--out <dir>', 'where the runs go', 'results/regress-calibration').allowExcessArguments().argument('[regress options...]');

function main(): void {
  program.parse();
  const o = program.opts<{ runs: string; out: string }>();
  const extra = program.args;
  const pooled: Finding[] = [];
  const observations: Observation[] = [];
  let rounds = 6;
  const folders: string[] = [];
  for (let run = 1; run <= Number(o.runs); run++) {
    const before = new Set(existsSync(o.out) ? readdirSync(o.out) : []);
    spawnSync('npm', ['run', '-s', 'regress', '--', '--base', 'HEAD', '--calibrate', '--seed', String(500 + run), ...extra, '--out', o.out], { stdio: ['ignore', 'inherit', 'inherit'] });
    const folder = readdirSync(o.out).find((f) => !before.has(f) && f.endsWith('-regress'));
    if (!folder) throw new Error(`calibration run ${run} wrote no result`);
    const result = JSON.parse(readFileSync(path.join(o.out, folder, 'regress.json'), 'utf8')) as RegressResult;
    // Each run's rounds are its own: tag the subjects so that rounds of different runs never pair.
    pooled.push(...result.aaFindings.map((f) => ({ ...f, subject: `${run}: ${f.subject}` })));
    observations.push(...result.observations.map((x) => ({ ...x, subject: `${run}: ${x.subject}` })));
    rounds = result.suite.rounds;
    folders.push(path.join(o.out, folder));
  }
  const thresholds = calibratedThresholds(observations, pooled, rounds, readThresholds(DEFAULT_THRESHOLDS_FILE).thresholds);
  const source = `calibrated ${new Date().toISOString().slice(0, 10)} from ${folders.length} A/A run(s) on this machine: ${folders.join(', ')}`;
  writeFileSync(DEFAULT_THRESHOLDS_FILE, `${JSON.stringify({ schemaVersion: 1, source, thresholds }, null, 2)}\n`);
  for (const f of pooled.filter((x) => x.estimate)) process.stdout.write(`A/A ${f.subject} ${f.metric}: ${f.estimate!.ratio.toFixed(3)}× [${f.estimate!.low.toFixed(3)}–${f.estimate!.high.toFixed(3)}]\n`);
  process.stdout.write(`thresholds written to ${DEFAULT_THRESHOLDS_FILE}: ${JSON.stringify(thresholds)}\n`);
}

main();
