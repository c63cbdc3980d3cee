/**
 * The GitHub workflows, read (npm test; test/slow/workflows.test.ts runs their steps): each passes
 * GitHub's own workflow parser (@actions/workflow-parser, the schema the Actions service and its
 * language server use) and a planted mistake does not; perf.yml runs on changes to every folder the
 * gate runs code from; the comment is posted by a workflow that never runs a pull request's code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'));

/** GitHub's parser's complaints about a workflow's text, one line each. */
function problems(name: string, content: string): string[] {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

const text = (file: string): string => readFileSync(path.join(WORKFLOWS, file), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- workflow YAML is read as data
const yaml = (file: string): any => parse(text(file));

/** Relative imports of a TypeScript file, followed: the top-level folders whose code it runs. */
function importedFolders(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = entries.map((e) => path.join(ROOT, e));
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
      stack.push(path.resolve(path.dirname(file), (m[1] ?? m[2])!));
    }
  }
  return new Set([...seen].map((f) => path.relative(ROOT, f).split(path.sep)[0]!));
}

describe('.github/workflows, read', () => {
  it.each(files)('%s passes GitHub\u2019s workflow parser', (file) => {
    expect(problems(file, text(file))).toEqual([]);
  });

  it('the parser is not vacuous: planted mistakes are caught, each named', () => {
    const perf = text('perf.yml');
    expect(problems('perf.yml', perf.replace('runs-on: ubuntu-latest', 'runs-onn: ubuntu-latest')).join('\n')).toMatch(/runs-onn|runs-on/);
    expect(problems('perf.yml', perf.replace('cancel-in-progress:', 'cancel-in-progres:')).join('\n')).toContain('cancel-in-progres');
    expect(problems('perf.yml', perf.replace("${{ github.event_name == 'pull_request' }}", "${{ github.event_name == }}")).length).toBeGreaterThan(0);
    expect(problems('perf-comment.yml', text('perf-comment.yml').replace('types: [completed]', 'types: [finished]')).join('\n')).toContain('finished');
  });

  it('perf.yml runs on a change to any folder the gate runs code from', () => {
    // regress/cli.ts and what it imports, the servers and microbenchmarks it starts in each checkout.
    const folders = importedFolders(['regress/cli.ts', 'servers/main.ts', 'microbench/cli.ts']);
    const paths: string[] = yaml('perf.yml').on.pull_request.paths;
    for (const folder of folders) expect(paths, `${folder}/** is in perf.yml's paths`).toContain(`${folder}/**`);
    for (const file of ['package.json', 'package-lock.json', '.github/workflows/perf.yml']) expect(paths).toContain(file);
    // Every script a step of the pull request's job runs.
    const steps = JSON.stringify(yaml('perf.yml').jobs['pull-request'].steps);
    for (const script of new Set([...steps.matchAll(/scripts\/[\w-]+\.sh/g)].map((m) => m[0]))) expect(paths).toContain(script);
  });

  it('a pull request\u2019s gate has a read-only token; the comment comes from a workflow that never checks out its code', () => {
    const perf = yaml('perf.yml');
    expect(perf.permissions).toEqual({ contents: 'read' });
    expect(perf.jobs['pull-request'].permissions).toBeUndefined();
    const comment = yaml('perf-comment.yml');
    expect(Object.keys(comment.on)).toEqual(['workflow_run']);
    expect(comment.permissions['pull-requests']).toBe('write');
    const checkouts = comment.jobs.comment.steps.filter((s: { uses?: string }) => s.uses?.startsWith('actions/checkout'));
    for (const step of checkouts) expect(step.with, 'the default branch only: no ref, no repository').toBeUndefined();
    expect(JSON.stringify(comment.jobs.comment.steps)).not.toMatch(/npm (ci|install|run)/);
  });

  it('runs on main are never cancelled or dropped; a pull request\u2019s newer push cancels its older gate', () => {
    const { concurrency } = yaml('perf.yml');
    expect(concurrency.group).toContain('github.run_id');
    expect(concurrency['cancel-in-progress']).toBe("${{ github.event_name == 'pull_request' }}");
  });

  it('the reusable gate runs where its caller says, caches npm, installs only the gate, and handles a push', () => {
    const gate = yaml('ws-perf-gate.yml');
    expect(gate.on.workflow_call.inputs['runs-on']).toMatchObject({ required: false, type: 'string', default: 'ubuntu-latest' });
    expect(gate.jobs.gate['runs-on']).toBe('${{ inputs.runs-on }}');
    const steps = gate.jobs.gate.steps as { uses?: string; run?: string; with?: Record<string, string>; env?: Record<string, string> }[];
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with).toMatchObject({ cache: 'npm', 'cache-dependency-path': 'harness/package-lock.json' });
    expect(steps.find((s) => s.run?.includes('npm ci') && s.run.includes('--omit=dev'))).toBeDefined();
    expect(steps.find((s) => s.env?.BASE_REF)?.env?.BASE_REF).toContain('github.event.before');
  });

  it('a workflow runs npm test on every push and pull request', () => {
    const test = yaml('test.yml');
    expect(Object.keys(test.on).sort()).toEqual(['pull_request', 'push']);
    expect(test.on.push).toBeNull();
    expect(JSON.stringify(test.jobs)).toContain('npm test');
  });
});
