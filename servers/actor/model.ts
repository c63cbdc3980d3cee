/** The actor model as a plug-in: its registry, with its mailbox instruments when metrics are on. */
import { modelDescriptor } from '../../common/models.ts';
import type { ModelDefinition } from '../common/model-definition.ts';
import { ActorMetrics } from './metrics.ts';
import { ActorRegistry } from './registry.ts';

export const actorModel: ModelDefinition = {
  ...modelDescriptor('actor'),
  create({ queueFor, timingSampleEvery, options }) {
    // The metrics read the depth through a late-bound function: the registry they instrument comes second.
    let registry: ActorRegistry | undefined;
    const metrics = timingSampleEvery === undefined ? undefined : new ActorMetrics(() => registry?.mailboxDepth ?? 0, timingSampleEvery);
    registry = new ActorRegistry(metrics, options.supervision === 'resume' ? 'resume' : 'none');
    return { registry, outboundFor: queueFor, ...(metrics && { contention: metrics }) };
  },
};
