/**
 * The models' names: what a user may pass as --model or as a compare arm. Shared by the servers
 * (which hold each model's implementation) and the load generator (which never loads it).
 */
export const MODEL_NAMES = ['actor', 'mutex', 'baseline'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

export function isModelName(value: string): value is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(value);
}
