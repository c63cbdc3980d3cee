/**
 * Every model the servers can run, one definition per `servers/<model>/` folder. The list is
 * typed against the catalog in common/models.ts, so a model named there without a folder here
 * (or the other way round) does not compile. Adding a model: its folder, its catalog entry, and
 * one line below.
 */
import type { ModelName } from '../common/models.ts';
import { actorModel } from './actor/model.ts';
import { baselineModel } from './baseline/model.ts';
import type { ModelDefinition } from './common/model-definition.ts';
import { mutexModel } from './mutex/model.ts';

export const MODEL_DEFINITIONS = {
  actor: actorModel,
  mutex: mutexModel,
  baseline: baselineModel,
} as const satisfies Record<ModelName, ModelDefinition>;

export function modelDefinition(name: ModelName): ModelDefinition {
  return MODEL_DEFINITIONS[name];
}
