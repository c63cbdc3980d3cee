/**
 * The GitHub workflows, run here (npm run test:slow: each runs npm ci and real gates). Each job's
 * steps are carried out in order against local clones of this repository (the committed HEAD),
 * with the GITHUB_* variables a runner sets: `run:` steps in bash as the runner runs them, their
 * `${{ … }}` expressions replaced from a table of the expressions each job uses (an expression
 * missing from the table fails the test: nothing is guessed). `uses:` steps are stood in for:
 * checkout clones (from a bare "origin" the job can push to), upload and download keep artifacts
 * in a folder, setup-node is a no-op; `gh` is a stand-in that records the comment it is asked to
 * post. The gate runs a tiny suite (set through the workflows' own option inputs). Not run on
 * GitHub: these are the workflows' steps on this machine (docs/gate.md says so).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TINY_SUITE = '--models baseline --scenarios echo --clients 50 --duration 1 --warmup 0 --microbench-rounds 0 --no-pin';
const ZERO = '0'.repeat(40);

interface Step {
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

/** Where the stand-ins keep what a runner would: the origin to clone and push to, and the artifacts. */
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

function runJob(job: Job, workspace: string, expressions: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv, r: Runner): StepRun[] {
  const runs: StepRun[] = [];
  for (const step of job.steps) {
    const name = step.name ?? step.uses ?? step.run!.split('\n')[0]!;
    if (step.if !== undefined && expand(`\${{ ${step.if} }}`, expressions) !== 'true') {
      runs.push({ step: name, status: 'skipped', output: '' });
      continue;
    }
    if (step.uses !== undefined) {
      standIn(step, workspace, expressions, r);
      runs.push({ step: name, status: 'stood in', output: '' });
      continue;
    }
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v), expressions)]));
    const cwd = path.join(workspace, step['working-directory'] ?? '.');
    const PATH = r.bin ? `${r.bin}:${env.PATH}` : env.PATH;
    const result = spawnSync('bash', ['-e', '-c', expand(step.run!, expressions)], { cwd, env: { ...env, ...stepEnv, PATH }, encoding: 'utf8', maxBuffer: 64 << 20 });
    runs.push({ step: name, status: result.status ?? 1, output: `${result.stdout}${result.stderr}` });
    if (result.status !== 0) break;
  }
  return runs;
}

/** What a runner's action would do, as far as the next steps can tell. */
function standIn(step: Step, workspace: string, expressions: Readonly<Record<string, string>>, r: Runner): void {
  const action = step.uses!.split('@')[0];
  const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, expand(String(v), expressions)]));
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
    // One folder uploads its contents; several paths keep their places under the workspace.
    if (paths.length === 1) cpSync(path.join(workspace, paths[0]!), store, { recursive: true });
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

/** Runs one job of a workflow in a fresh workspace as `event`; fails with the output of the first step that failed. */
function runWorkflow(workflow: Workflow, jobName: string, event: string, expressions: Readonly<Record<string, string>>, r: Runner): { workspace: string; env: NodeJS.ProcessEnv; runs: StepRun[]; output: string } {
  const job = workflow.jobs[jobName]!;
  if (job.if !== undefined) expect(expand(`\${{ ${job.if} }}`, expressions), `${jobName} runs on ${event}`).toBe('true');
  const workspace = path.join(mkdtempSync(path.join(os.tmpdir(), `${event}-`)), 'workspace');
  mkdirSync(workspace);
  const env = runnerEnv(workspace, event);
  const runs = runJob(job, workspace, expressions, env, r);
  const failed = runs.find((x) => typeof x.status === 'number' && x.status !== 0);
  expect(failed, failed && `${failed.step} exited ${failed.status}:\n${failed.output.slice(-3000)}`).toBeUndefined();
  return { workspace, env, runs, output: runs.map((x) => x.output).join('\n') };
}

/** The one regress.json a job wrote under perf-results. */
function gateResult(workspace: string, folder = 'perf-results'): { outcome: string; base: { commit: string }; serverCommand?: string; findings: { subject: string; metric: string }[] } {
  const results = readdirSync(path.join(workspace, folder));
  expect(results).toHaveLength(1);
  return JSON.parse(readFileSync(path.join(workspace, folder, results[0]!, 'regress.json'), 'utf8'));
}

const historyOn = (origin: string): string[] => git(origin, 'show', 'perf-history:perf-history.jsonl').split('\n');

describe('.github/workflows, run', () => {
  it('perf.yml on main: gates every push against the commit before it, falling back to its parent for a zero or force-pushed before, and keeps the history on its branch', () => {
    const workflow = read('perf.yml');
    expect(Object.keys(workflow.on)).toEqual(['pull_request', 'push']);
    const r = runner();
    const push = (before: string) => ({
      "github.event_name == 'push'": 'true',
      "github.event_name == 'pull_request'": 'false',
      'always()': 'true',
      'github.event.before': before,
      'github.event.repository.default_branch': 'main',
      'vars.REGRESS_OPTIONS': TINY_SUITE,
      // This repository lets an inconclusive gate pass with a warning (scripts/ci-gate.sh, tested on its own in test/ci-gate.test.ts).
      "vars.ALLOW_INCONCLUSIVE || 'false'": 'true',
    });

    // A push after the commit before it; the history branch does not exist yet.
    const first = runWorkflow(workflow, 'main', 'push', push(parent()), r);
    expect(first.runs.filter((x) => x.status === 'skipped')).toEqual([]);
    expect(gateResult(first.workspace).base.commit).toBe(parent());
    expect(['passed', 'inconclusive']).toContain(gateResult(first.workspace).outcome);
    expect(historyOn(r.origin)).toHaveLength(1);
    expect(JSON.parse(historyOn(r.origin)[0]!)).toMatchObject({ commit: head(), committedAt: expect.any(String) });
    const summary = readFileSync(first.env.GITHUB_STEP_SUMMARY!, 'utf8');
    expect(summary).toContain('## Performance gate: ');
    expect(summary).toContain('change points');

    // The first push of a branch (an all-zero before): head's parent, with a notice; the history grows.
    const zero = runWorkflow(workflow, 'main', 'push', push(ZERO), r);
    expect(zero.output).toContain('::notice title=Performance gate base::the event\u2019s base is all zeros (a new branch); comparing with');
    expect(gateResult(zero.workspace).base.commit).toBe(parent());
    expect(historyOn(r.origin)).toHaveLength(2);

    // A force-push (a before this clone never had) after the history was lost (its branch deleted): head's parent, a new history.
    git(r.origin, 'branch', '-D', 'perf-history');
    const gone = 'dead'.repeat(10);
    const forced = runWorkflow(workflow, 'main', 'push', push(gone), r);
    expect(forced.output).toContain(`the event\u2019s base ${gone.slice(0, 12)} is not in this clone (a force-push?)`);
    expect(gateResult(forced.workspace).base.commit).toBe(parent());
    expect(historyOn(r.origin)).toHaveLength(1);
  }, 1_200_000);

  it('perf.yml on a pull request from a fork: gates it with a read-only token, and perf-comment.yml comments its report', () => {
    const r = runner();
    const gated = runWorkflow(read('perf.yml'), 'pull-request', 'pull_request', {
      "github.event_name == 'pull_request'": 'true',
      'always()': 'true',
      'github.event.pull_request.base.sha': parent(),
      'github.event.repository.default_branch': 'main',
      'github.event.pull_request.number': '42',
      'vars.REGRESS_OPTIONS': TINY_SUITE,
      "vars.ALLOW_INCONCLUSIVE || 'false'": 'true',
    }, r);
    expect(gateResult(gated.workspace).base.commit).toBe(parent());
    expect(readFileSync(path.join(r.artifacts, 'perf-comment', 'pr-number'), 'utf8').trim()).toBe('42');

    // perf-comment.yml, on workflow_run, with a stand-in gh: the pull request's head is the gated commit.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'gh-'));
    const posted = path.join(bin, 'posted.md');
    writeFileSync(path.join(bin, 'gh'), `#!/bin/bash\ncase "$*" in\n  *"/pulls/42"*) echo '${head()}' ;;\n  *"--paginate"*) true ;;\n  *"-X POST"*) for a in "$@"; do case "$a" in body=@*) cat "\${a#body=@}" > '${posted}' ;; esac; done ;;\n  *) echo "unexpected gh $*" >&2; exit 1 ;;\nesac\n`);
    chmodSync(path.join(bin, 'gh'), 0o755);
    const comment = runWorkflow(read('perf-comment.yml'), 'comment', 'workflow_run', {
      "github.event.workflow_run.event == 'pull_request' && github.event.workflow_run.conclusion != 'cancelled' && github.event.workflow_run.conclusion != 'skipped'": 'true',
      'github.event.workflow_run.id': '7',
      'github.token': 'token',
      'github.repository': 'example/ws-actor-vs-mutex',
      'github.event.workflow_run.head_sha': head(),
      'github.event.workflow_run.html_url': 'https://github.com/example/ws-actor-vs-mutex/actions/runs/7',
    }, { ...r, bin });
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
    const { workspace, env } = runWorkflow(workflow, 'gate', 'pull_request', {
      'inputs.harness-repository': 'example/ws-actor-vs-mutex',
      'inputs.harness-ref': 'main',
      'inputs.node-version': '20',
      'always()': 'true',
      'inputs.base-ref || github.event.pull_request.base.sha || github.event.before': head(),
      'github.event.repository.default_branch': 'main',
      // The "other repository" here is a clone of this one, its baseline server started by command.
      'inputs.server-cmd': 'node --import tsx servers/main.ts --model baseline --port {port}',
      'inputs.regress-options': TINY_SUITE.replace('--models baseline ', ''),
      'inputs.allow-inconclusive': 'true',
    }, runner());
    const result = gateResult(workspace);
    expect(result.serverCommand).toContain('--model baseline');
    expect(result.findings.map((f) => `${f.subject} ${f.metric}`)).toContain('echo · server cpuPerMessage');
    expect(readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8')).toContain('## Performance gate: ');
  }, 600_000);
});
