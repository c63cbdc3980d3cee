/**
 * The two GitHub workflows, run here: each YAML file is parsed and its steps are carried out in
 * order against local clones of this repository (the committed HEAD), with the GITHUB_* variables
 * a runner sets. `run:` steps run in bash as the runner runs them, their `${{ … }}` expressions
 * replaced from a table of the expressions each workflow uses (an expression missing from the table
 * fails the test: nothing is guessed). `uses:` steps are stood in for: checkout clones, upload checks
 * that what it uploads exists, setup-node and the cache are no-ops. The gate runs a tiny suite (set
 * through the workflows' own option inputs) so each workflow takes a minute or two.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TINY_SUITE = '--models baseline --scenarios echo --clients 50 --duration 1 --warmup 0 --microbench-rounds 0 --no-pin';

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, string | number | boolean>;
  readonly env?: Record<string, string>;
  readonly 'working-directory'?: string;
}

interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, { readonly steps: readonly Step[] }>;
}

const read = (name: string): Workflow => parse(readFileSync(path.join(ROOT, '.github', 'workflows', name), 'utf8')) as Workflow;

/** Replaces every `${{ expr }}` from the table; an unknown expression is an error. */
function expand(text: string, expressions: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => {
    if (!(expression in expressions)) throw new Error(`the test has no value for \${{ ${expression} }}`);
    return expressions[expression]!;
  });
}

interface StepRun {
  readonly step: string;
  readonly status: number | 'skipped' | 'stood in';
  readonly output: string;
}

function runJob(steps: readonly Step[], workspace: string, expressions: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv): StepRun[] {
  const runs: StepRun[] = [];
  for (const step of steps) {
    const name = step.name ?? step.uses ?? step.run!.split('\n')[0]!;
    if (step.if !== undefined && expand(`\${{ ${step.if} }}`, expressions) !== 'true') {
      runs.push({ step: name, status: 'skipped', output: '' });
      continue;
    }
    if (step.uses !== undefined) {
      standIn(step, workspace, expressions);
      runs.push({ step: name, status: 'stood in', output: '' });
      continue;
    }
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), expressions)]));
    const cwd = path.join(workspace, step['working-directory'] ?? '.');
    const result = spawnSync('bash', ['-e', '-c', expand(step.run!, expressions)], { cwd, env: { ...env, ...stepEnv }, encoding: 'utf8', maxBuffer: 64 << 20 });
    runs.push({ step: name, status: result.status ?? 1, output: `${result.stdout}${result.stderr}` });
    if (result.status !== 0) break;
  }
  return runs;
}

/** What a runner's action would do, as far as the next steps can tell. */
function standIn(step: Step, workspace: string, expressions: Readonly<Record<string, string>>): void {
  const action = step.uses!.split('@')[0];
  const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, expand(String(v), expressions)]));
  if (action === 'actions/checkout') {
    const into = path.join(workspace, inputs.path ?? '.');
    mkdirSync(into, { recursive: true });
    execFileSync('git', ['clone', '-q', ROOT, into]);
    return;
  }
  if (action === 'actions/upload-artifact') {
    const first = inputs.path!.split('\n').map((p) => p.trim()).filter((p) => p !== '')[0]!;
    expect(existsSync(path.join(workspace, first)), `upload-artifact's ${first} exists`).toBe(true);
    return;
  }
  expect(['actions/setup-node', 'actions/cache/restore', 'actions/cache/save']).toContain(action);
}

function runnerEnv(workspace: string, event: string): NodeJS.ProcessEnv {
  const summary = path.join(workspace, '..', 'step-summary.md');
  writeFileSync(summary, '');
  return { ...process.env, CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace, GITHUB_EVENT_NAME: event, GITHUB_STEP_SUMMARY: summary, GITHUB_SHA: execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(), GITHUB_REPOSITORY: 'example/ws-actor-vs-mutex' };
}

const head = (): string => execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

/** Runs a workflow's one job in a fresh workspace as `event`; fails with the output of the first step that failed. */
function runWorkflow(workflow: Workflow, event: string, expressions: Readonly<Record<string, string>>): { workspace: string; env: NodeJS.ProcessEnv; runs: StepRun[] } {
  const workspace = path.join(mkdtempSync(path.join(os.tmpdir(), `${event}-`)), 'workspace');
  mkdirSync(workspace);
  const env = runnerEnv(workspace, event);
  const runs = runJob(workflow.jobs.gate!.steps, workspace, expressions, env);
  const failed = runs.find((r) => typeof r.status === 'number' && r.status !== 0);
  expect(failed, failed && `${failed.step} exited ${failed.status}:\n${failed.output.slice(-3000)}`).toBeUndefined();
  return { workspace, env, runs };
}

describe('.github/workflows', () => {
  it('perf.yml: on a push to main, gates against the previous commit, appends the history, prints its change points and uploads the reports', () => {
    const workflow = read('perf.yml');
    expect(Object.keys(workflow.on)).toEqual(['pull_request', 'push']);
    const expressions = {
      'github.ref': 'refs/heads/main',
      "github.event_name == 'push'": 'true',
      "github.event_name == 'push' && always()": 'true',
      'always()': 'true',
      'github.run_id': '1',
      'github.run_attempt': '1',
      "github.event_name == 'pull_request'": 'false',
      'github.event.pull_request.base.sha || github.event.before': head(),
      "github.event_name == 'push' && 'perf-history.jsonl' || ''": 'perf-history.jsonl',
      'vars.REGRESS_OPTIONS': TINY_SUITE,
      // This repository lets an inconclusive gate pass with a warning (scripts/ci-gate.sh, tested on its own in test/ci-gate.test.ts).
      "vars.ALLOW_INCONCLUSIVE || 'false'": 'true',
    };
    const { workspace, env, runs } = runWorkflow(workflow, 'push', expressions);
    expect(runs.filter((r) => r.status === 'skipped')).toEqual([]);
    const results = readdirSync(path.join(workspace, 'perf-results'));
    expect(results).toHaveLength(1);
    const result = JSON.parse(readFileSync(path.join(workspace, 'perf-results', results[0]!, 'regress.json'), 'utf8')) as { outcome: string; base: { commit: string } };
    expect(result.base.commit).toBe(head());
    expect(['passed', 'inconclusive']).toContain(result.outcome);
    expect(readFileSync(path.join(workspace, 'perf-history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
    const summary = readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain('## Performance gate: ');
    expect(summary).toContain('change points');
  }, 600_000);

  it('ws-perf-gate.yml: called by another repository, starts its server with server-cmd in base and head and gates it', () => {
    const workflow = read('ws-perf-gate.yml');
    const call = workflow.on.workflow_call as { inputs: Record<string, { required: boolean }> };
    expect(Object.entries(call.inputs).filter(([, i]) => i.required).map(([k]) => k)).toEqual(['server-cmd', 'harness-repository']);
    const expressions = {
      'inputs.harness-repository': 'example/ws-actor-vs-mutex',
      'inputs.harness-ref': 'main',
      'inputs.node-version': '20',
      'always()': 'true',
      'inputs.base-ref || github.event.pull_request.base.sha': head(),
      // The "other repository" here is a clone of this one, its baseline server started by command.
      'inputs.server-cmd': 'node --import tsx servers/main.ts --model baseline --port {port}',
      'inputs.regress-options': TINY_SUITE.replace('--models baseline ', ''),
      'inputs.allow-inconclusive': 'true',
    };
    const { workspace, env } = runWorkflow(workflow, 'pull_request', expressions);
    const [folder] = readdirSync(path.join(workspace, 'perf-results'));
    const result = JSON.parse(readFileSync(path.join(workspace, 'perf-results', folder!, 'regress.json'), 'utf8')) as { serverCommand: string; findings: { subject: string; metric: string }[] };
    expect(result.serverCommand).toContain('--model baseline');
    expect(result.findings.map((f) => `${f.subject} ${f.metric}`)).toContain('echo · server cpuPerMessage');
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toContain('## Performance gate: ');
  }, 600_000);
});
