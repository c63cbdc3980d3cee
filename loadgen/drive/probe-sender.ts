/**
 * Sends probes: numbers each one, sizes it from the plan's range, works out how many deliveries it
 * calls for (1 per echo or send-to, open clients − 1 per broadcast), and tells the recorder.
 */
import { encodeProbeFrame, paddingPool, type ProbeKind } from '../../common/protocol.ts';
import { seededRandom } from '../random.ts';
import type { LoadPlan } from '../plan.ts';
import type { Recorder } from '../record/recorder.ts';
import type { ExpectedReceivers } from '../record/ledger.ts';
import type { ClientPool } from './client-pool.ts';
import type { LoadClient } from './connect.ts';
import { pickOther } from './traffic.ts';

/** Probes are built as bytes but travel as text frames, like every frame of the protocol. */
const TEXT_FRAME = { binary: false } as const;

export class ProbeSender {
  /** The next probe's sequence number. */
  seq = 0;
  private readonly sizeRange: number;
  /** Padding to copy from (plan.payload); undefined: one repeated byte. */
  private readonly padding: Buffer | undefined;

  constructor(
    private readonly plan: Pick<LoadPlan, 'messageBytes' | 'messageBytesMax' | 'payload' | 'seed'>,
    private readonly pool: ClientPool,
    private readonly recorder: Recorder,
    private readonly random: () => number,
  ) {
    this.sizeRange = (plan.messageBytesMax ?? plan.messageBytes) - plan.messageBytes;
    // Its own generator, so that the padding never shifts the run's other random choices.
    this.padding = paddingPool(plan.payload ?? 'repeated', seededRandom(plan.seed + 1));
  }

  /** A probe size from the plan's range. */
  messageBytes(): number {
    return this.sizeRange > 0 ? this.plan.messageBytes + Math.floor(this.random() * (this.sizeRange + 1)) : this.plan.messageBytes;
  }

  /**
   * Sends one probe and tells the recorder who should get it: the sender (echo), the target
   * (send-to: `target`, or a random other sender when absent), or every other open client
   * (broadcast).
   */
  send(client: LoadClient, kind: ProbeKind, sentAtNs: number, bytes = this.messageBytes(), target?: LoadClient): void {
    let receivers: ExpectedReceivers = client.index;
    let deliveries = 1;
    let to: LoadClient | undefined;
    if (kind === 'broadcast') {
      const others = this.pool.openClientsExcept(client);
      receivers = others.bits;
      deliveries = others.count;
    } else if (kind === 'send-to') {
      to = target ?? pickOther(this.pool.roles.senders, client, this.random);
      if (!to) return;
      receivers = to.index;
    }
    const seq = this.seq++;
    client.ws.send(encodeProbeFrame(kind, client.index, seq, sentAtNs, bytes, to?.id ?? 0, this.padding), TEXT_FRAME);
    this.recorder.sent(seq, kind, client.index, deliveries, receivers);
  }
}
