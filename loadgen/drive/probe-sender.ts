/**
 * Sends probes: numbers each one, sizes it from the plan's range, works out how many deliveries it
 * calls for (1 per echo or send-to, open clients − 1 per broadcast), and tells the recorder.
 */
import { encodeProbeFrame, type ProbeKind } from '../../common/protocol.ts';
import type { LoadPlan } from '../plan.ts';
import type { Recorder } from '../record/recorder.ts';
import type { ClientPool } from './client-pool.ts';
import type { LoadClient } from './connect.ts';
import { pickOther } from './traffic.ts';

/** Probes are built as bytes but travel as text frames, like every frame of the protocol. */
const TEXT_FRAME = { binary: false } as const;

export class ProbeSender {
  /** The next probe's sequence number. */
  seq = 0;
  private readonly sizeRange: number;

  constructor(
    private readonly plan: Pick<LoadPlan, 'messageBytes' | 'messageBytesMax'>,
    private readonly pool: ClientPool,
    private readonly recorder: Recorder,
    private readonly random: () => number,
  ) {
    this.sizeRange = (plan.messageBytesMax ?? plan.messageBytes) - plan.messageBytes;
  }

  /** A probe size from the plan's range. */
  messageBytes(): number {
    return this.sizeRange > 0 ? this.plan.messageBytes + Math.floor(this.random() * (this.sizeRange + 1)) : this.plan.messageBytes;
  }

  /** Sends one probe; `target` is a send-to's target id (a random other sender when absent). */
  send(client: LoadClient, kind: ProbeKind, sentAtNs: number, bytes = this.messageBytes(), target?: number): void {
    let deliveries = 1;
    let to = 0;
    if (kind === 'broadcast') {
      deliveries = this.pool.open - 1;
    } else if (kind === 'send-to') {
      if (target !== undefined) to = target;
      else {
        const other = pickOther(this.pool.roles.senders, client, this.random);
        if (!other) return;
        to = other.id;
      }
    }
    const seq = this.seq++;
    client.ws.send(encodeProbeFrame(kind, client.index, seq, sentAtNs, bytes, to), TEXT_FRAME);
    this.recorder.sent(seq, kind, deliveries);
  }
}
