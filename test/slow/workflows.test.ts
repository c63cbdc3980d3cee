/**
 * The GitHub workflows, run here (npm run test:slow: each runs npm ci and real gates). Each job's
 * steps are carried out in order against local clones of this repository (the committed HEAD),
 * with the GITHUB_* variables a runner sets: jobs in order of `needs`, each job's and step's `if:`
 * and every `${{ … }}` evaluated by GitHub's expression library against the event's context
 * (test/helpers/actions-expressions.ts; a step without `if:` runs only while the steps before it
 * succeeded), `run:` steps in bash with $GITHUB_OUTPUT read back. `uses:` steps are stood in for:
 * checkout clones (from a bare "origin" the job can push to), upload and download keep artifacts
 * in a folder, setup-node is a no-op; `gh` is a stand-in that records the comment it is asked to
 * post. The gate runs a tiny suite (set through the workflows' own option inputs). Not run on
 * GitHub: these are the workflows' steps on this machine (docs/gate.md says so).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { expand, holds, type ExpressionContext } from '../helpers/actions-expressions.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TINY_SUITE = '--models baseline --scenarios echo --clients 50 --duration 1 --warmup 0 --microbench-rounds 0 --no-pin';
const ZERO = '0'.repeat(40);

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, string | number | boolean>;
  readonly env?: Record<string, string>;
  readonly 'working-directory'?: string;
}

interface Job {
  readonly if?: string;
  readonly needs?: string;
  readonly outputs?: Record<string, string>;
  readonly steps: readonly Step[];
}

interface Workflow {
  readonly on: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}

const read = (name: string): Workflow => parse(readFileSync(path.join(ROOT, '.github', 'workflows', name), 'utf8')) as Workflow;
const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
const head = (): string => git(ROOT, 'rev-parse', 'HEAD');
const parent = (): string => git(ROOT, 'rev-parse', 'HEAD^');

interface StepRun {
  readonly step: string;
  readonly status: number | 'skipped' | 'stood in';
  readonly output: string;
}

/** Where the stand-ins keep what a runner would: the origin to clone and push to, and the run's artifacts. */
interface Runner {
  readonly origin: string;
  readonly artifacts: string;
  /** Prepended to PATH in run steps (the stand-in gh). */
  readonly bin?: string;
}

function runner(): Runner {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workflows-'));
  const origin = path.join(dir, 'origin.git');
  execFileSync('git', ['clone', '-q', '--bare', ROOT, origin]);
  const artifacts = path.join(dir, 'artifacts');
  mkdirSync(artifacts);
  return { origin, artifacts };
}

/** Key=value lines a step wrote to $GITHUB_OUTPUT. */
function readOutputs(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  return Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/**
 * A job's steps as a runner takes them: each `if:` evaluated (a step without one runs only while
 * every step before it succeeded), `${{ … }}` expanded, step outputs gathered for later steps and
 * for the job's outputs.
 */
function runJob(job: Job, workspace: string, context: ExpressionContext, env: NodeJS.ProcessEnv, r: Runner): { runs: StepRun[]; outputs: Record<string, string> } {
  const runs: StepRun[] = [];
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  let status: 'success' | 'failure' = 'success';
  for (const [i, step] of job.steps.entries()) {
    const name = step.name ?? step.uses ?? step.run!.split('\n')[0]!;
    const ctx = { ...context, steps };
    if (!holds(step.if ?? 'success()', ctx, status)) {
      runs.push({ step: name, status: 'skipped', output: '' });
      continue;
    }
    if (step.uses !== undefined) {
      standIn(step, workspace, ctx, r);
      runs.push({ step: name, status: 'stood in', output: '' });
      continue;
    }
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), ctx, status)]));
    const cwd = path.join(workspace, step['working-directory'] ?? '.');
    const PATH = r.bin ? `${r.bin}:${env.PATH}` : env.PATH;
    const outputFile = path.join(workspace, '..', `output-${i}`);
    const result = spawnSync('bash', ['-e', '-c', expand(step.run!, ctx, status)], { cwd, env: { ...env, ...stepEnv, PATH, GITHUB_OUTPUT: outputFile }, encoding: 'utf8', maxBuffer: 64 << 20 });
    runs.push({ step: name, status: result.status ?? 1, output: `${result.stdout}${result.stderr}` });
    if (step.id) steps[step.id] = { outputs: readOutputs(outputFile) };
    if (result.status !== 0) status = 'failure';
  }
  const outputs = Object.fromEntries(Object.entries(job.outputs ?? {}).map(([k, v]) => [k, expand(v, { ...context, steps })]));
  return { runs, outputs };
}

/** What a runner's action would do, as far as the next steps can tell. */
function standIn(step: Step, workspace: string, context: ExpressionContext, r: Runner): void {
  const action = step.uses!.split('@')[0];
  const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, expand(String(v), context)]));
  if (action === 'actions/checkout') {
    const into = path.join(workspace, inputs.path ?? '.');
    mkdirSync(into, { recursive: true });
    execFileSync('git', ['clone', '-q', r.origin, into]);
    return;
  }
  if (action === 'actions/upload-artifact') {
    const paths = inputs.path!.split('\n').map((p) => p.trim()).filter((p) => p !== '');
    expect(existsSync(path.join(workspace, paths[0]!)), `upload-artifact's ${paths[0]} exists`).toBe(true);
    const store = path.join(r.artifacts, inputs.name!);
    // One folder uploads its contents; a file or several paths keep their names under the workspace.
    if (paths.length === 1 && statSync(path.join(workspace, paths[0]!)).isDirectory()) cpSync(path.join(workspace, paths[0]!), store, { recursive: true });
    else for (const p of paths.filter((x) => existsSync(path.join(workspace, x)))) cpSync(path.join(workspace, p), path.join(store, p), { recursive: true });
    return;
  }
  if (action === 'actions/download-artifact') {
    const stored = path.join(r.artifacts, inputs.name!);
    expect(existsSync(stored), `artifact ${inputs.name} was uploaded`).toBe(true);
    cpSync(stored, path.join(workspace, inputs.path ?? '.'), { recursive: true });
    return;
  }
  expect(action).toBe('actions/setup-node');
}

function runnerEnv(workspace: string, event: string): NodeJS.ProcessEnv {
  const summary = path.join(workspace, '..', 'step-summary.md');
  writeFileSync(summary, '');
  return { ...process.env, CI: 'true', GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: workspace, GITHUB_EVENT_NAME: event, GITHUB_STEP_SUMMARY: summary, GITHUB_SHA: head(), GITHUB_REPOSITORY: 'example/ws-actor-vs-mutex' };
}

interface JobRun {
  readonly workspace: string;
  readonly env: NodeJS.ProcessEnv;
  readonly runs: StepRun[];
  readonly outputs: Record<string, string>;
  readonly output: string;
}

/** Runs one job of a workflow in a fresh workspace, when its `if:` holds; fails with the output of the first step that failed. */
function runWorkflowJob(workflow: Workflow, jobName: string, context: ExpressionContext, r: Runner): JobRun | undefined {
  const job = workflow.jobs[jobName]!;
  if (job.if !== undefined && !holds(job.if, context)) return undefined;
  const event = String((context.github as { event_name: string }).event_name);
  const workspace = path.join(mkdtempSync(path.join(os.tmpdir(), `${event}-`)), 'workspace');
  mkdirSync(workspace);
  const env = runnerEnv(workspace, event);
  const { runs, outputs } = runJob(job, workspace, context, env, r);
  const failed = runs.find((x) => typeof x.status === 'number' && x.status !== 0);
  expect(failed, failed && `${failed.step} exited ${failed.status}:\n${failed.output.slice(-3000)}`).toBeUndefined();
  return { workspace, env, runs, outputs, output: runs.map((x) => x.output).join('\n') };
}

/** A workflow's jobs in order (each after the jobs it needs), each job's outputs passed on as `needs`. */
function runWorkflow(workflow: Workflow, context: ExpressionContext, r: Runner): Record<string, JobRun | undefined> {
  const done: Record<string, JobRun | undefined> = {};
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const needs = Object.fromEntries([job.needs].flat().filter((n): n is string => n !== undefined).map((n) => [n, { result: done[n] ? 'success' : 'skipped', outputs: done[n]?.outputs ?? {} }]));
    done[name] = runWorkflowJob(workflow, name, { ...context, needs }, r);
  }
  return done;
}

/** The one regress.json a job wrote under perf-results. */
function gateResult(workspace: string, folder = 'perf-results'): { outcome: string; base: { commit: string }; serverCommand?: string; findings: { subject: string; metric: string }[] } {
  const results = readdirSync(path.join(workspace, folder));
  expect(results).toHaveLength(1);
  return JSON.parse(readFileSync(path.join(workspace, folder, results[0]!, 'regress.json'), 'utf8'));
}

const historyOn = (origin: string): string[] => git(origin, 'show', 'perf-history:perf-history.jsonl').split('\n');

describe('.github/workflows, run', () => {
  const vars = { REGRESS_OPTIONS: TINY_SUITE, ALLOW_INCONCLUSIVE: 'true' };

  it('perf.yml on main: gates every push against the commit before it, falling back to its parent for a zero or force-pushed before, and keeps the history on its branch', () => {
    const workflow = read('perf.yml');
    expect(Object.keys(workflow.on)).toEqual(['pull_request', 'push']);
    const r = runner();
    const push = (before: string, runId: string): ExpressionContext => ({
      github: { event_name: 'push', ref: 'refs/heads/main', sha: head(), run_id: runId, repository: 'example/ws-actor-vs-mutex', event: { before, repository: { default_branch: 'main' } } },
      // This repository lets an inconclusive gate pass with a warning (scripts/ci-gate.sh, tested on its own in test/ci-gate.test.ts).
      vars,
    });

    // A push after the commit before it; the history branch does not exist yet.
    const first = runWorkflow(workflow, push(parent(), '1'), r);
    expect(first['pull-request']).toBeUndefined();
    const main = first.main!;
    expect(main.runs.filter((x) => x.status === 'skipped')).toEqual([]);
    expect(gateResult(main.workspace).base.commit).toBe(parent());
    expect(['passed', 'inconclusive']).toContain(gateResult(main.workspace).outcome);
    expect(first.history, 'the history job ran').toBeDefined();
    expect(historyOn(r.origin)).toHaveLength(1);
    expect(JSON.parse(historyOn(r.origin)[0]!)).toMatchObject({ commit: head(), committedAt: expect.any(String) });
    const summary = readFileSync(main.env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain('## Performance gate: ');
    expect(summary).toContain('1 runs in perf-history.jsonl');

    // The first push of a branch (an all-zero before): head's parent, with a notice; the history grows.
    const zero = runWorkflow(workflow, push(ZERO, '2'), r);
    expect(zero.main!.output).toContain('::notice title=Performance gate base::the event\u2019s base is all zeros (a new branch); comparing with');
    expect(gateResult(zero.main!.workspace).base.commit).toBe(parent());
    expect(historyOn(r.origin)).toHaveLength(2);
    expect(readFileSync(zero.main!.env.GITHUB_STEP_SUMMARY!, 'utf8')).toContain('2 runs in perf-history.jsonl');

    // A force-push (a before this clone never had) after the history was lost (its branch deleted): head's parent, a new history.
    git(r.origin, 'branch', '-D', 'perf-history');
    const gone = 'dead'.repeat(10);
    const forced = runWorkflow(workflow, push(gone, '3'), r);
    expect(forced.main!.output).toContain(`the event\u2019s base ${gone.slice(0, 12)} is not in this clone (a force-push?)`);
    expect(gateResult(forced.main!.workspace).base.commit).toBe(parent());
    expect(historyOn(r.origin)).toHaveLength(1);
  }, 1_200_000);

  it('perf.yml on a pull request from a fork: gates it with a read-only token, and perf-comment.yml comments its report', () => {
    const r = runner();
    const gated = runWorkflow(read('perf.yml'), {
      github: { event_name: 'pull_request', ref: 'refs/pull/42/merge', sha: head(), run_id: '7', repository: 'example/ws-actor-vs-mutex', event: { pull_request: { number: 42, base: { sha: parent() }, head: { repo: { fork: true } } }, repository: { default_branch: 'main' } } },
      vars,
    }, r);
    expect(gated.main).toBeUndefined();
    expect(gated.history).toBeUndefined();
    expect(gateResult(gated['pull-request']!.workspace).base.commit).toBe(parent());
    expect(readFileSync(path.join(r.artifacts, 'perf-comment', 'pr-number'), 'utf8').trim()).toBe('42');

    // perf-comment.yml, on workflow_run, with a stand-in gh: the pull request's head is the gated commit.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'gh-'));
    const posted = path.join(bin, 'posted.md');
    writeFileSync(path.join(bin, 'gh'), `#!/bin/bash\ncase "$*" in\n  *"/pulls/42"*) echo '${head()}' ;;\n  *"--paginate"*) true ;;\n  *"-X POST"*) for a in "$@"; do case "$a" in body=@*) cat "\${a#body=@}" > '${posted}' ;; esac; done ;;\n  *) echo "unexpected gh $*" >&2; exit 1 ;;\nesac\n`);
    chmodSync(path.join(bin, 'gh'), 0o755);
    const workflowRun = (conclusion: string): ExpressionContext => ({
      github: { event_name: 'workflow_run', repository: 'example/ws-actor-vs-mutex', token: 'token', event: { workflow_run: { event: 'pull_request', conclusion, id: 7, head_sha: head(), html_url: 'https://github.com/example/ws-actor-vs-mutex/actions/runs/7' } } },
    });
    // A cancelled gate left no comment to post: the job does not run.
    expect(runWorkflow(read('perf-comment.yml'), workflowRun('cancelled'), { ...r, bin }).comment).toBeUndefined();
    const comment = runWorkflow(read('perf-comment.yml'), workflowRun('success'), { ...r, bin }).comment!;
    expect(comment.output).toContain('commented on #42');
    const body = readFileSync(posted, 'utf8');
    expect(body.split('\n')[0]).toBe('<!-- ws-actor-vs-mutex performance gate -->');
    expect(body).toContain('## Performance gate: ');
    expect(body).toContain('actions/runs/7');
  }, 900_000);

  it('ws-perf-gate.yml: called by another repository, starts its server with server-cmd in base and head and gates it', () => {
    const workflow = read('ws-perf-gate.yml');
    const call = workflow.on.workflow_call as { inputs: Record<string, { required: boolean }> };
    expect(Object.entries(call.inputs).filter(([, i]) => i.required).map(([k]) => k)).toEqual(['server-cmd', 'harness-repository']);
    const { gate } = runWorkflow(workflow, {
      github: { event_name: 'pull_request', repository: 'example/server', event: { pull_request: { base: { sha: head() } }, repository: { default_branch: 'main' } } },
      inputs: {
        'harness-repository': 'example/ws-actor-vs-mutex',
        'harness-ref': 'main',
        'node-version': '24',
        'runs-on': 'ubuntu-latest',
        'base-ref': '',
        // The "other repository" here is a clone of this one, its baseline server started by command.
        'server-cmd': 'node --import tsx servers/main.ts --model baseline --port {port}',
        'regress-options': TINY_SUITE.replace('--models baseline ', ''),
        'allow-inconclusive': true,
      },
    }, runner());
    const result = gateResult(gate!.workspace);
    expect(result.base.commit).toBe(head());
    expect(result.serverCommand).toContain('--model baseline');
    expect(result.findings.map((f) => `${f.subject} ${f.metric}`)).toContain('echo · server cpuPerMessage');
    expect(readFileSync(gate!.env.GITHUB_STEP_SUMMARY!, 'utf8')).toContain('## Performance gate: ');
  }, 600_000);
});
