/**
 * The models' names: what a user may pass as --model or as a compare arm. Shared by the servers
 * (which hold each model's implementation) and the load generator (which never loads it).
 */
import { UsageError } from './usage.ts';

export const MODEL_NAMES = ['actor', 'mutex', 'baseline'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(value: string): value is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(value);
}

/** A comma-separated list of model names (the scripts' --models), every unknown one named. */
export function parseModelList(flag: string, text: string): ModelName[] {
  const names = text.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !isModelName(n));
  if (unknown.length > 0) throw new UsageError('ERR_UNKNOWN_MODEL', `${flag} must list models among ${MODEL_NAMES.join(', ')}, got ${unknown.map((n) => `'${n}'`).join(', ')}`);
  return names as ModelName[];
}
