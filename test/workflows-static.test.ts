/**
 * The GitHub workflows, read (npm test; test/slow/workflows.test.ts runs their steps): each passes
 * GitHub's own workflow parser (@actions/workflow-parser, the schema the Actions service and its
 * language server use) and a planted mistake does not; perf.yml runs on changes to every folder the
 * gate runs code from; the comment is posted by a workflow that never runs a pull request's code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { data } from '@actions/expressions';
import { evaluate, expand, holds, type ExpressionContext } from './helpers/actions-expressions.ts';
import { runtimeImports } from './helpers/imports.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const files = readdirSync(WORKFLOWS).filter((f) => f.endsWith('.yml'));

/**
 * GitHub's parser's complaints about a workflow's text, one line each: the schema's (parseWorkflow)
 * and the conversion's (convertWorkflowTemplate: job `if:` expressions, `needs:`, concurrency).
 */
async function problems(name: string, content: string): Promise<string[]> {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const schema = result.context.errors.getErrors().map((e) => e.message);
  if (!result.value) return schema;
  const template = await convertWorkflowTemplate(result.context, result.value);
  return [...new Set([...schema, ...result.context.errors.getErrors().map((e) => e.message), ...(template.errors ?? []).map((e) => e.Message)])];
}

const text = (file: string): string => readFileSync(path.join(WORKFLOWS, file), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- workflow YAML is read as data
const yaml = (file: string): any => parse(text(file));

/** Relative runtime imports of TypeScript files, followed: the top-level folders whose code they run. */
function importedFolders(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = entries.map((e) => path.join(ROOT, e));
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { specifier } of runtimeImports(file, readFileSync(file, 'utf8'))) if (specifier.startsWith('.')) stack.push(path.resolve(path.dirname(file), specifier));
  }
  return new Set([...seen].map((f) => path.relative(ROOT, f).split(path.sep)[0]!));
}

describe('.github/workflows, read', () => {
  it.each(files)('%s passes GitHub\u2019s workflow parser', async (file) => {
    expect(await problems(file, text(file))).toEqual([]);
  });

  it('the parser is not vacuous: planted mistakes are caught, each named', async () => {
    const perf = text('perf.yml');
    const planted = async (from: string, to: string, file = 'perf.yml'): Promise<string> => {
      const content = text(file);
      expect(content, `the mistake is planted: '${from}' is in ${file}`).toContain(from);
      return (await problems(file, content.replace(from, to))).join('\n');
    };
    expect(perf).toContain('runs-on: ubuntu-latest');
    expect(await planted('runs-on: ubuntu-latest', 'runs-onn: ubuntu-latest')).toContain("Unexpected value 'runs-onn'");
    expect(await planted('cancel-in-progress:', 'cancel-in-progres:')).toContain("Unexpected value 'cancel-in-progres'");
    // A job's broken `if:` and a `needs:` naming no job: caught by the conversion, not the schema.
    expect(await planted("if: github.event_name == 'push'", "if: github.event_name == 'push' &&")).toContain('Unexpected end of expression');
    expect(await planted('needs: main', 'needs: mian')).toMatch(/mian/);
    expect(await planted('types: [completed]', 'types: [finished]', 'perf-comment.yml')).toContain('finished');
  });

  it('perf.yml runs on a change to any folder the gate runs code from', () => {
    // regress/cli.ts and what it imports, the servers and microbenchmarks it starts in each checkout.
    const folders = importedFolders(['regress/cli.ts', 'servers/main.ts', 'microbench/cli.ts']);
    const paths: string[] = yaml('perf.yml').on.pull_request.paths;
    for (const folder of folders) expect(paths, `${folder}/** is in perf.yml's paths`).toContain(`${folder}/**`);
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', '.github/workflows/perf.yml']) expect(paths).toContain(file);
    // Every script a step of the pull request's job runs.
    const steps = JSON.stringify(yaml('perf.yml').jobs['pull-request'].steps);
    for (const script of new Set([...steps.matchAll(/scripts\/[\w-]+\.sh/g)].map((m) => m[0]))) expect(paths).toContain(script);
  });

  it('a gate has a read-only token; only the history job, which runs nothing but git, can write; the comment comes from a workflow that never checks out a pull request\u2019s code', () => {
    const perf = yaml('perf.yml');
    expect(perf.permissions).toEqual({ contents: 'read' });
    expect(perf.jobs['pull-request'].permissions).toBeUndefined();
    expect(perf.jobs.main.permissions).toBeUndefined();
    expect(perf.jobs.history.permissions).toEqual({ contents: 'write' });
    expect(perf.jobs.history.steps.filter((s: { run?: string }) => s.run).map((s: { run: string }) => s.run.trim())).toEqual(['bash scripts/ci-history.sh push perf-history perf-history.jsonl perf-history-new.jsonl']);
    const comment = yaml('perf-comment.yml');
    expect(Object.keys(comment.on)).toEqual(['workflow_run']);
    expect(comment.permissions['pull-requests']).toBe('write');
    const checkouts = comment.jobs.comment.steps.filter((s: { uses?: string }) => s.uses?.startsWith('actions/checkout'));
    for (const step of checkouts) expect(step.with, 'the default branch only (no ref, no repository), its token not left on disk').toEqual({ 'persist-credentials': false });
    expect(JSON.stringify(comment.jobs.comment.steps)).not.toMatch(/npm (ci|install|run)/);
  });

  it('runs on main are never cancelled or dropped; a pull request\u2019s newer push cancels its older gate (perf.yml and test.yml)', () => {
    const push = (runId: string, sha: string) => ({ github: { event_name: 'push', ref: 'refs/heads/main', run_id: runId, sha } });
    const pr = (runId: string, sha: string) => ({ github: { event_name: 'pull_request', ref: 'refs/pull/7/merge', run_id: runId, sha } });
    for (const file of ['perf.yml', 'test.yml']) {
      const { concurrency } = yaml(file);
      const group = (context: ExpressionContext) => expand(concurrency.group, context);
      const cancels = (context: ExpressionContext) => expand(concurrency['cancel-in-progress'], context);
      // Two pushes to main: two groups (GitHub keeps one pending run per group), neither cancelling.
      expect(group(push('1', 'a'))).not.toBe(group(push('2', 'b')));
      expect(cancels(push('1', 'a'))).toBe('false');
      // Two pushes to one pull request: one group, the newer cancelling the older.
      expect(group(pr('1', 'a'))).toBe(group(pr('2', 'b')));
      expect(cancels(pr('2', 'b'))).toBe('true');
    }
    // The jobs each event runs.
    const perf = yaml('perf.yml');
    expect(holds(perf.jobs.main.if, push('1', 'a'))).toBe(true);
    expect(holds(perf.jobs['pull-request'].if, push('1', 'a'))).toBe(false);
    expect(holds(perf.jobs['pull-request'].if, pr('1', 'a'))).toBe(true);
  });

  it('the reusable gate runs where its caller says, caches npm, installs only the gate, and handles a push', () => {
    const gate = yaml('ws-perf-gate.yml');
    expect(gate.on.workflow_call.inputs['runs-on']).toMatchObject({ required: false, type: 'string', default: 'ubuntu-latest' });
    const runsOn = (label: string) => evaluate(String(gate.jobs.gate['runs-on']).replace(/^\$\{\{\s*|\s*\}\}$/g, ''), { inputs: { 'runs-on': label } });
    expect(runsOn('ubuntu-latest').coerceString()).toBe('ubuntu-latest');
    // Several labels, as a JSON array: an array, which the runner matches label by label.
    expect(JSON.parse(JSON.stringify(runsOn('["self-hosted", "perf"]'), data.replacer))).toEqual(['self-hosted', 'perf']);
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
