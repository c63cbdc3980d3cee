/**
 * GitHub Actions expressions (`${{ … }}`, `if:`), evaluated by GitHub's own expression library
 * (@actions/expressions) against a context the test gives — github, inputs, vars, needs — with the
 * status functions a runner adds (always(), success(), failure(), cancelled()) answering from the
 * job's state so far. What a workflow's conditions say is then computed, never asserted by fiat.
 */
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';

export type ExpressionContext = Readonly<Record<string, unknown>>;

/** The state a step's status functions see: whether an earlier step of the job failed. */
export type JobStatus = 'success' | 'failure';

const CONTEXTS = ['github', 'inputs', 'vars', 'needs', 'steps', 'env', 'secrets', 'runner', 'job', 'matrix', 'strategy'];

function statusFunctions(status: JobStatus) {
  const fn = (name: string, value: boolean) => ({ name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value) });
  return [fn('always', true), fn('success', status === 'success'), fn('failure', status === 'failure'), fn('cancelled', false)];
}

/** One expression's value. */
export function evaluate(expression: string, context: ExpressionContext, status: JobStatus = 'success'): data.ExpressionData {
  const lexed = new Lexer(expression).lex();
  const functions = statusFunctions(status);
  const parsed = new Parser(lexed.tokens, CONTEXTS, functions).parse();
  const dictionary = JSON.parse(JSON.stringify(context), data.reviver) as data.Dictionary;
  return new Evaluator(parsed, dictionary, new Map(functions.map((f) => [f.name, f]))).evaluate();
}

/** Whether an `if:` holds; like the runner, a condition without a status function is `success() && (…)`. */
export function holds(condition: string, context: ExpressionContext, status: JobStatus = 'success'): boolean {
  const text = condition.replace(/^\$\{\{\s*|\s*\}\}$/g, '');
  const withStatus = /\b(always|success|failure|cancelled)\(\)/.test(text) ? text : `success() && (${text})`;
  const value = evaluate(withStatus, context, status);
  return value.kind === data.Kind.Boolean ? (value as data.BooleanData).value : value.coerceString() !== '' && value.coerceString() !== 'false' && value.coerceString() !== '0';
}

/** A text with its `${{ … }}` replaced by their values. */
export function expand(text: string, context: ExpressionContext, status: JobStatus = 'success'): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expression: string) => evaluate(expression, context, status).coerceString());
}
