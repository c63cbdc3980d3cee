/**
 * The models a user may ask for (--model, a compare arm): each one's name, one-line description
 * and the options it accepts. This is the public half of a model, shared by the servers (whose
 * `servers/<model>/` folder holds the implementation, with this entry as its definition's
 * descriptor) and the load generator, which never loads server code.
 */
import { UsageError } from './usage.ts';

/** An option a model accepts beyond the server's own (e.g. which lock the mutex model uses). */
export interface ModelOptionSpec {
  readonly name: string;
  readonly description: string;
  readonly values: readonly string[];
  readonly default: string;
}

export interface ModelDescriptor {
  readonly name: string;
  /** One line, for --help and reports. */
  readonly description: string;
  readonly options: readonly ModelOptionSpec[];
}

export const MODEL_CATALOG = [
  {
    name: 'actor',
    description: 'one connection-manager actor owns the registry; every operation is a message to its mailbox',
    options: [
      {
        name: 'supervision',
        description: 'none: a failing handler ends the actor, as a panic ends a tokio task; resume: a supervisor drops the failed message and the actor goes on with its state (not a restart with fresh state, which would lose every registration)',
        values: ['none', 'resume'],
        default: 'none',
      },
    ],
  },
  {
    name: 'mutex',
    description: 'a shared Map behind a FIFO lock held across the awaited sends; every operation takes the lock',
    options: [
      {
        name: 'lock',
        description: "fifo: taken at once when free, like tokio's Mutex; async-mutex: the npm package, a promise chain on every acquire",
        values: ['fifo', 'async-mutex'],
        default: 'fifo',
      },
    ],
  },
  { name: 'baseline', description: 'no coordination: a plain Map, the same outbound queues, a full queue awaited only by its sender', options: [] },
] as const satisfies readonly ModelDescriptor[];

export type ModelName = (typeof MODEL_CATALOG)[number]['name'];
export const MODEL_NAMES: readonly ModelName[] = MODEL_CATALOG.map((m) => m.name);

export function isModelName(value: string): value is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(value);
}

export function modelDescriptor(name: ModelName): ModelDescriptor {
  return MODEL_CATALOG.find((m) => m.name === name)!;
}

/**
 * Checks a model's options (`{lock: 'async-mutex'}`) against its descriptor: every unknown key and
 * every value it does not accept is named. `where` prefixes each problem (a flag or an arm).
 */
export function modelOptionProblems(model: ModelDescriptor, options: Readonly<Record<string, string>>, where: string): string[] {
  const specs = model.options;
  return Object.entries(options).flatMap(([key, value]) => {
    const spec = specs.find((o) => o.name === key);
    if (!spec) return [`${where}: model ${model.name} takes ${specs.length === 0 ? 'no options' : `the option${specs.length > 1 ? 's' : ''} ${specs.map((o) => o.name).join(', ')}`}, got '${key}'`];
    if (!spec.values.includes(value)) return [`${where}: ${key} must be one of ${spec.values.join(', ')}, got '${value}'`];
    return [];
  });
}

/** `key=value` texts (repeatable --model-option flags) as an object; a text without '=' is a problem. */
export function parseModelOptionPairs(flag: string, pairs: readonly string[]): { options: Record<string, string>; problems: string[] } {
  const options: Record<string, string> = {};
  const problems: string[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) problems.push(`${flag} must be key=value, such as lock=async-mutex, got '${pair}'`);
    else options[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return { options, problems };
}

/** `--model` help: each model and what it is. */
export function describeModels(): string {
  return MODEL_CATALOG.map((m) => `${m.name} (${m.description}${m.options.map((o: ModelOptionSpec) => `; option ${o.name}=${o.values.join('|')}, default ${o.default}`).join('')})`).join('; ');
}

/** A comma-separated list of model names (the scripts' --models), every unknown one named. */
export function parseModelList(flag: string, text: string): ModelName[] {
  const names = text.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !isModelName(n));
  if (unknown.length > 0) throw new UsageError('ERR_UNKNOWN_MODEL', `${flag} must list models among ${MODEL_NAMES.join(', ')}, got ${unknown.map((n) => `'${n}'`).join(', ')}`);
  return names as ModelName[];
}
