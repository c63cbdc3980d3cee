/**
 * Sets the gate's thresholds T from base-vs-base runs on this machine (docs: "Calibrating T"):
 *
 *   node --import tsx scripts/regress-calibrate.ts --runs 3 [-- <regress options>]
 *
 * Runs `npm run regress -- --base HEAD --calibrate` (every round runs base twice, the A/A arm)
 * until --out holds --runs finished runs (a second call resumes: runs already there count), pools
 * their A/A rounds, applies the rule of calibratedThresholds (per metric, the quantile of the A/A
 * rounds' ratios that keeps a run's false alarms within 5% before its confirmation rerun, read in
 * both tails; at least 3%) and writes regress/thresholds.json with the closed-loop rates the runs
 * measured (a later run far below them is warned about). A team does the same on its runners with
 * `--calibrate` and `--thresholds`.
 */
import { writeJsonAtomically } from '../common/atomic-write.ts';
import { Command } from 'commander';
import type { RegressResult } from '../regress/result.ts';
import { finishedRuns, readRegressResult, runRegressCommand } from '../regress/run-command.ts';
import { DEFAULT_THRESHOLDS_FILE, readThresholds } from '../regress/thresholds.ts';
import { calibratedThresholds, type Finding, type Observation } from '../regress/verdict.ts';
import type { Runtime } from '../common/runtime.ts';

const program = new Command()
  .option('--runs <n>', 'calibration runs (those already finished in --out count)', '3')
  .option('--out <dir>', 'where the runs go', 'results/examples/regress-calibration')
  .option('--from <folders>', 'instead of running, read these regress folders (comma-separated): their --calibrate arm, or, for runs of unchanged servers against --base HEAD, head itself')
  .allowExcessArguments()
  .argument('[regress options...]');

/** A finished run's A/A observations and findings: its base#2 arm, or head when head is base's code. */
function aaOf(result: RegressResult, tag: string): { observations: Observation[]; findings: Finding[] } {
  const fromHead = result.aaFindings.length === 0;
  const observations = result.observations
    .filter((x) => x.side === 'base' || x.side === (fromHead ? 'head' : 'base#2'))
    .map((x) => ({ ...x, subject: `${tag}: ${x.subject}`, side: x.side === 'base' ? ('base' as const) : ('base#2' as const) }));
  const findings = (fromHead ? result.findings : result.aaFindings).map((f) => ({ ...f, subject: `${tag}: ${f.subject}`, side: 'base#2' as const }));
  return { observations, findings };
}

function main(): void {
  program.parse();
  const o = program.opts<{ runs: string; out: string; from?: string }>();
  const extra = program.args;
  const pooled: Finding[] = [];
  const observations: Observation[] = [];
  let rounds = 6;
  const folders: string[] = [];
  if (o.from !== undefined) folders.push(...o.from.split(',').map((f) => f.trim()));
  else {
    // Resumes: the A/A runs already in --out count; only the missing ones run.
    folders.push(...finishedRuns(o.out).filter((f) => readRegressResult(f).aaFindings.length > 0).slice(0, Number(o.runs)));
    // A seed no run in the folder has used: each run its own order.
    const used = new Set(finishedRuns(o.out).map((f) => readRegressResult(f).seed));
    let seed = 500;
    for (let run = folders.length + 1; run <= Number(o.runs); run++) {
      while (used.has(++seed));
      const done = runRegressCommand(['--base', 'HEAD', '--calibrate', '--seed', String(seed), ...extra], o.out);
      process.stderr.write(`calibration run ${run} of ${o.runs}: ${done.result.outcome} in ${done.seconds.toFixed(0)} s (${done.folder})\n`);
      folders.push(done.folder);
    }
  }
  for (const [i, folder] of folders.entries()) {
    const result = readRegressResult(folder);
    // Each run's rounds are its own: the subjects are tagged so that rounds of different runs never pair.
    const aa = aaOf(result, String(i + 1));
    pooled.push(...aa.findings);
    observations.push(...aa.observations);
    rounds = result.suite.rounds;
  }
  const thresholds = calibratedThresholds(observations, pooled, rounds, readThresholds(DEFAULT_THRESHOLDS_FILE).thresholds, folders.length);
  const source = `calibrated ${new Date().toISOString().slice(0, 10)} from ${folders.length} A/A run(s) on this machine: ${folders.join(', ')}`;
  // The closed-loop echo rate each model held in these runs: the load level the thresholds were calibrated at.
  const rates: Record<string, number[]> = {};
  for (const folder of folders) for (const [model, l] of Object.entries(readRegressResult(folder).load)) (rates[model] ??= []).push(l.closedLoopPerSec);
  const closedLoopPerSec = Object.fromEntries(Object.entries(rates).map(([model, list]) => [model, Math.round(list.sort((a, b) => a - b)[Math.floor((list.length - 1) / 2)]!)]));
  // The runtime the calibration's servers ran on (every run's must agree: thresholds from a mix calibrate neither).
  const runtimes = [...new Set(folders.map((folder) => JSON.stringify(readRegressResult(folder).head.runtime ?? null)))];
  if (runtimes.length > 1) throw new Error(`the calibration runs ran on different runtimes (${runtimes.join(', ')}): calibrate from runs on one`);
  const runtime = JSON.parse(runtimes[0]!) as Runtime | null;
  writeJsonAtomically(DEFAULT_THRESHOLDS_FILE, { schemaVersion: 1, source, thresholds, closedLoopPerSec, ...(runtime && { runtime }) });
  for (const f of pooled.filter((x) => x.estimate)) process.stdout.write(`A/A ${f.subject} ${f.metric}: ${f.estimate!.ratio.toFixed(3)}× [${f.estimate!.low.toFixed(3)}–${f.estimate!.high.toFixed(3)}]\n`);
  process.stdout.write(`thresholds written to ${DEFAULT_THRESHOLDS_FILE}: ${JSON.stringify(thresholds)}\n`);
}

main();
