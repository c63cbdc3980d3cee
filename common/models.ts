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
  { name: 'actor', description: 'one connection-manager actor owns the registry; every operation is a message to its mailbox', options: [] },
  { name: 'mutex', description: 'a shared Map behind an async FIFO mutex; every operation takes the lock', options: [] },
  { name: 'baseline', description: 'no coordination at all: the registry is a plain Map, sends go straight to the socket', options: [] },
] as const satisfies readonly ModelDescriptor[];

export type ModelName = (typeof MODEL_CATALOG)[number]['name'];
export const MODEL_NAMES: readonly ModelName[] = MODEL_CATALOG.map((m) => m.name);

export function isModelName(value: string): value is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(value);
}

export function modelDescriptor(name: ModelName): ModelDescriptor {
  return MODEL_CATALOG.find((m) => m.name === name)!;
}

/** `--model` help: each model and what it is. */
export function describeModels(): string {
  return MODEL_CATALOG.map((m) => `${m.name} (${m.description})`).join('; ');
}

/** A comma-separated list of model names (the scripts' --models), every unknown one named. */
export function parseModelList(flag: string, text: string): ModelName[] {
  const names = text.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !isModelName(n));
  if (unknown.length > 0) throw new UsageError('ERR_UNKNOWN_MODEL', `${flag} must list models among ${MODEL_NAMES.join(', ')}, got ${unknown.map((n) => `'${n}'`).join(', ')}`);
  return names as ModelName[];
}
