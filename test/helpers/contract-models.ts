/**
 * The models the contract suite runs: every model the servers offer, and a test-only one that
 * plugs in the same way (one folder under test/fixtures/models/ and one line here).
 */
import { MODEL_DEFINITIONS } from '../../servers/models.ts';
import type { ModelDefinition } from '../../servers/common/model-definition.ts';
import { serialChainModel } from '../fixtures/models/serial-chain/model.ts';

export const CONTRACT_MODELS: readonly ModelDefinition[] = [...Object.values(MODEL_DEFINITIONS), serialChainModel];

/**
 * Whether the design awaits a send to a full client queue while it holds the registry (the actor
 * busy, the lock taken, the chain blocked), stalling every other client: the behaviour the design
 * note is about. Every contract model must say.
 */
export const STALLS_BEHIND_A_FULL_QUEUE: Readonly<Record<string, boolean>> = { actor: true, mutex: true, baseline: false, 'serial-chain': true };
