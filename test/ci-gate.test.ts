/**
 * scripts/ci-gate.sh (npm test): how the CI step reads the gate's exit code, with a stand-in `npm`
 * that prints a headline and exits with the code under test. An inconclusive gate is red unless
 * ALLOW_INCONCLUSIVE=true; a regression is red with the gate's headline as its annotation.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/ci-gate.sh', import.meta.url));

function gate(code: number, headline: string, env: Record<string, string> = {}): { status: number | null; stdout: string; summary: string } {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'ci-gate-'));
  writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\necho "| table |"\necho "${headline}"\nexit ${code}\n`);
  chmodSync(path.join(bin, 'npm'), 0o755);
  const summaryFile = path.join(bin, 'summary.md');
  writeFileSync(summaryFile, '');
  const run = spawnSync('bash', [SCRIPT, '--base', 'main'], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_STEP_SUMMARY: summaryFile, ...env }, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, summary: readFileSync(summaryFile, 'utf8') };
}

describe('scripts/ci-gate.sh', () => {
  it('passes a passed gate and fails a regression, annotated with the gate\u2019s headline', () => {
    expect(gate(0, 'PASSED: no gating metric past 1 + T').status).toBe(0);
    const regressed = gate(3, "REGRESSED: head's server failed in echo · actor (round 1, and on its retry): faulty deliveries: lost 2.0% of deliveries");
    expect(regressed.status).toBe(3);
    expect(regressed.stdout).toContain("::error title=Performance regression::REGRESSED: head's server failed in echo · actor");
  });

  it('fails an inconclusive gate unless ALLOW_INCONCLUSIVE=true, and says which in the summary', () => {
    const strict = gate(4, 'INCONCLUSIVE: 1 gating finding(s) could not be judged');
    expect(strict.status).toBe(4);
    expect(strict.stdout).toContain('::error title=Performance gate inconclusive::INCONCLUSIVE: 1 gating finding(s) could not be judged');
    expect(strict.summary).toContain('this job fails (allow-inconclusive is false)');
    const allowed = gate(4, 'INCONCLUSIVE: 1 gating finding(s) could not be judged', { ALLOW_INCONCLUSIVE: 'true' });
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain('::warning title=Performance gate inconclusive::');
    expect(allowed.summary).toContain('green because allow-inconclusive is true');
  });

  it('keeps a failed run (base broken, exit 1) and a usage error (exit 2) red', () => {
    const failed = gate(1, "FAILED: base's server failed in echo · actor (round 1, and on its retry): the server did not start — nothing to compare against");
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('::error title=Performance gate failed to run::FAILED: base');
    expect(gate(2, 'error: --base is required').status).toBe(2);
  });
});
