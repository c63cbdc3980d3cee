/** The mutex model as a plug-in: its registry, with its lock instruments when metrics are on. */
import { modelDescriptor } from '../../common/models.ts';
import type { ModelDefinition } from '../common/model-definition.ts';
import { MutexMetrics } from './metrics.ts';
import { MutexRegistry } from './registry.ts';

export const mutexModel: ModelDefinition = {
  ...modelDescriptor('mutex'),
  create({ queueFor, timingSampleEvery }) {
    const metrics = timingSampleEvery === undefined ? undefined : new MutexMetrics(timingSampleEvery);
    return { registry: new MutexRegistry(metrics), outboundFor: queueFor, ...(metrics && { contention: metrics }) };
  },
};
