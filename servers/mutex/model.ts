/** The mutex model as a plug-in: its registry, with its lock instruments when metrics are on. */
import { modelDescriptor } from '../../common/models.ts';
import type { ModelDefinition } from '../common/model-definition.ts';
import { MutexMetrics } from './metrics.ts';
import { MutexRegistry } from './registry.ts';
import type { LockKind } from '../common/fifo-lock.ts';

export const mutexModel: ModelDefinition = {
  ...modelDescriptor('mutex'),
  create({ queueFor, timingSampleEvery, options }) {
    const metrics = timingSampleEvery === undefined ? undefined : new MutexMetrics(timingSampleEvery);
    const lock = (options.lock ?? 'fifo') as LockKind;
    return { registry: new MutexRegistry(metrics, lock), outboundFor: queueFor, ...(metrics && { contention: metrics }) };
  },
};
