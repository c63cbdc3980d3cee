/**
 * What every model provides: the registry of connected clients and the operations that touch it.
 * The actor routes each call through its mailbox, the mutex model through a lock, the baseline
 * through nothing at all; the contract tests hold all three to the same behaviour.
 */
import type { Frame, Outbound } from './outbound.ts';

export { isModelName, MODEL_NAMES, type ModelName } from '../../common/models.ts';

export interface Registry {
  /** The model's name (a test-only model's too). */
  readonly model: string;
  /**
   * Assigns the client an id, sends it the welcome frame, then makes it reachable: the welcome is
   * always the first frame a client gets.
   */
  register(outbound: Outbound): Promise<number>;
  /** Removes a client; unknown ids are ignored. */
  unregister(id: number): Promise<void>;
  /** Looks up the sender's own outbound and sends the frame back to it. */
  echo(from: number, frame: Frame): Promise<void>;
  /** Sends the frame to every client except the sender. */
  broadcast(from: number, frame: Frame): Promise<void>;
  /** Sends the frame to one client; an unknown target gets the sender an `unknown-client` error frame. */
  sendTo(from: number, to: number, frame: Frame): Promise<void>;
  /** Number of registered clients, read through the model's own coordination. */
  size(): Promise<number>;
  /** Stops the model (the actor's loop); later calls reject or do nothing. */
  close(): void;
}
