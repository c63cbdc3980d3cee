/** The baseline as a plug-in: no coordination, nothing to contend on, sends straight to ws. */
import { modelDescriptor } from '../../common/models.ts';
import type { ModelDefinition } from '../common/model-definition.ts';
import { BaselineRegistry } from './registry.ts';

export const baselineModel: ModelDefinition = {
  ...modelDescriptor('baseline'),
  create: ({ directFor }) => ({ registry: new BaselineRegistry(), outboundFor: directFor }),
};
