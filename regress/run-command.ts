/**
 * Runs `npm run regress` as a child process and reads back the folder it wrote: what the
 * calibration and experiment scripts do once per run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RegressResult } from './result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface RegressCommandRun {
  readonly exitCode: number;
  readonly result: RegressResult;
  /** The run's folder. */
  readonly folder: string;
  readonly seconds: number;
}

/** `npm run regress -- <args> --out <out>`, its stderr shown (its progress), its table dropped. */
export function runRegressCommand(args: readonly string[], out: string): RegressCommandRun {
  const started = Date.now();
  const before = new Set(existsSync(out) ? readdirSync(out) : []);
  const child = spawnSync('npm', ['run', '-s', 'regress', '--', ...args, '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const name = readdirSync(out).find((f) => !before.has(f) && f.endsWith('-regress'));
  if (!name) throw new Error(`npm run regress -- ${args.join(' ')} wrote no result (exit ${child.status})`);
  const folder = path.join(out, name);
  return { exitCode: child.status ?? 1, result: readRegressResult(folder), folder, seconds: (Date.now() - started) / 1000 };
}

export function readRegressResult(folder: string): RegressResult {
  return JSON.parse(readFileSync(path.join(folder, 'regress.json'), 'utf8')) as RegressResult;
}
