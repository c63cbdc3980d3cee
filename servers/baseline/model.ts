/** The baseline as a plug-in: no coordination and nothing to contend on; the same outbound queue as the models. */
import { modelDescriptor } from '../../common/models.ts';
import type { ModelDefinition } from '../common/model-definition.ts';
import { BaselineRegistry } from './registry.ts';

export const baselineModel: ModelDefinition = {
  ...modelDescriptor('baseline'),
  create: ({ queueFor }) => ({ registry: new BaselineRegistry(), outboundFor: queueFor }),
};
