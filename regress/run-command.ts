/**
 * Runs `npm run regress` as a child process and reads back the folder it wrote: what the
 * calibration and experiment scripts do once per run. The run's output (its progress and table)
 * is kept beside its result as regress.log, so every stored run has its log.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomically } from '../common/atomic-write.ts';
import type { RegressResult } from './result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface RegressCommandRun {
  readonly exitCode: number;
  readonly result: RegressResult;
  /** The run's folder. */
  readonly folder: string;
  readonly seconds: number;
}

/** `npm run regress -- <args> --out <out>`; its output goes to <folder>/regress.log, and its last line (the outcome) to stderr. */
export function runRegressCommand(args: readonly string[], out: string): RegressCommandRun {
  const started = Date.now();
  const before = new Set(existsSync(out) ? readdirSync(out) : []);
  const child = spawnSync('npm', ['run', '-s', 'regress', '--', ...args, '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, encoding: 'utf8' });
  const name = existsSync(out) ? readdirSync(out).find((f) => !before.has(f) && f.endsWith('-regress')) : undefined;
  if (!name) throw new Error(`npm run regress -- ${args.join(' ')} wrote no result (exit ${child.status}): ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const folder = path.join(out, name);
  writeFileAtomically(path.join(folder, 'regress.log'), `$ npm run regress -- ${args.join(' ')} --out ${out}\n${child.stderr}${child.stdout}exit ${child.status}\n`);
  return { exitCode: child.status ?? 1, result: readRegressResult(folder), folder, seconds: (Date.now() - started) / 1000 };
}

export function readRegressResult(folder: string): RegressResult {
  return JSON.parse(readFileSync(path.join(folder, 'regress.json'), 'utf8')) as RegressResult;
}

/** Finished runs (a regress.json that is not interrupted) in `out`, oldest first. */
export function finishedRuns(out: string): string[] {
  if (!existsSync(out)) return [];
  return readdirSync(out)
    .filter((f) => f.endsWith('-regress') && existsSync(path.join(out, f, 'regress.json')))
    .sort()
    .map((f) => path.join(out, f))
    .filter((folder) => readRegressResult(folder).outcome !== 'interrupted');
}
