/**
 * The gate's typed result (what regress.json holds, schema 1) and its outcome: the one place that
 * turns findings and confirmations into passed / regressed / inconclusive and an exit code.
 */
import { EXIT } from '../common/exit-codes.ts';
import type { Confirmation, RegressRun, SideFailure } from './run.ts';
import type { SuiteSettings } from './suite.ts';
import type { Finding, Thresholds } from './verdict.ts';
import type { Runtime } from '../common/runtime.ts';

/** 2: `failures` (a side's server failing twice: head REGRESSED, base FAILED), `replacements`; holes only from self-checks. */
export const REGRESS_SCHEMA_VERSION = 2;

/**
 * `interrupted`: SIGINT or SIGTERM stopped the run; the observations are those so far, nothing was judged.
 * `failed`: base's server failed on a trial and its retry: there is nothing to compare against.
 */
export type GateOutcome = 'passed' | 'regressed' | 'inconclusive' | 'failed' | 'interrupted';

export interface RegressSide {
  readonly ref: string;
  readonly commit?: string;
  /** The runtime its servers ran on (its checkout's pinned Node, else the gate's); absent with --server-cmd and before 2026-12-06. */
  readonly runtime?: Runtime;
}

export interface RegressResult extends RegressRun {
  readonly kind: 'regress';
  readonly schemaVersion: typeof REGRESS_SCHEMA_VERSION;
  readonly createdAt: string;
  readonly command: string;
  readonly machine: string;
  readonly base: RegressSide;
  readonly head: RegressSide;
  readonly serverCommand?: string;
  readonly suite: SuiteSettings;
  readonly seed: number;
  readonly thresholds: Thresholds;
  readonly thresholdsSource: string;
  /** With --calibrate: the thresholds this job's A/A arm gives (the rule of calibratedThresholds). */
  readonly calibratedThresholds?: Thresholds;
  readonly warnings: readonly string[];
  readonly outcome: GateOutcome;
  readonly exitCode: number;
}

/**
 * Failed: base's server failed twice (exit 1: nothing to compare against). Regressed: head's
 * server failed twice (did not start, exited, lost, duplicated, misrouted or altered messages,
 * erred where base did not), or a gating metric past 1 + T twice (the run and its confirmation).
 * Inconclusive: a gating metric, or the confirmation of one that looked regressed, could not be
 * judged (self-checks failed twice even after replacement rounds). Exploratory metrics never decide.
 */
export function gateOutcome(findings: readonly Finding[], confirmations: readonly Confirmation[], failures: readonly SideFailure[] = []): { outcome: GateOutcome; exitCode: number } {
  if (failures.some((f) => f.side !== 'head')) return { outcome: 'failed', exitCode: EXIT.runFailed };
  if (failures.length > 0) return { outcome: 'regressed', exitCode: EXIT.gateFailed };
  if (confirmations.some((c) => c.confirmed)) return { outcome: 'regressed', exitCode: EXIT.gateFailed };
  // A regression whose rerun could not be judged is neither confirmed nor cleared.
  if (confirmations.some((c) => c.rerun.verdict === 'inconclusive')) return { outcome: 'inconclusive', exitCode: EXIT.inconclusive };
  if (findings.some((f) => f.gating && f.verdict === 'inconclusive')) return { outcome: 'inconclusive', exitCode: EXIT.inconclusive };
  return { outcome: 'passed', exitCode: EXIT.success };
}

/** What a finding finally is, its confirmation counted: a regression the rerun did not repeat is "not confirmed". */
export function finalVerdict(f: Finding, confirmations: readonly Confirmation[]): string {
  if (f.verdict !== 'regressed' || !f.gating) return f.verdict === 'regressed' ? 'regressed (exploratory)' : f.verdict;
  const c = confirmations.find((x) => x.subject === f.subject && x.metric === f.metric);
  if (!c) return 'regressed (unconfirmed)';
  return c.confirmed ? 'REGRESSED (confirmed)' : `not confirmed (rerun: ${c.rerun.verdict})`;
}
