/**
 * Per-probe delivery accounting. Every probe has a sequence number; the ledger keeps how many
 * deliveries each one calls for (1 per echo or send-to, open clients − 1 per broadcast) and how
 * many arrived, so that a duplicate never cancels out a loss: missing deliveries are `outstanding`
 * (lost, once the drain is over), surplus ones `extra`. Counts live in typed-array pages (8 bytes
 * per probe), so a run of 100 million probes needs ~800 MB; runs here send far fewer.
 */
const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

export type Delivery = 'partial' | 'complete' | 'extra';

export class DeliveryLedger {
  private readonly expectedPages: Uint32Array[] = [];
  private readonly receivedPages: Uint32Array[] = [];
  /** Deliveries still missing, over all probes. */
  outstanding = 0;
  /** Deliveries beyond what their probe called for, or of probes this run never sent. */
  extra = 0;

  /** Records that probe `seq` calls for `count` deliveries. */
  expect(seq: number, count: number): void {
    const page = seq >>> PAGE_BITS;
    while (this.expectedPages.length <= page) {
      this.expectedPages.push(new Uint32Array(PAGE_SIZE));
      this.receivedPages.push(new Uint32Array(PAGE_SIZE));
    }
    this.expectedPages[page]![seq & PAGE_MASK] = count;
    this.outstanding += count;
  }

  /** Records one delivery of probe `seq`; 'complete' when it was the last one the probe called for. */
  deliver(seq: number): Delivery {
    const page = seq >>> PAGE_BITS;
    const expected = seq >= 0 ? this.expectedPages[page] : undefined;
    if (expected === undefined) {
      this.extra++;
      return 'extra';
    }
    const received = this.receivedPages[page]!;
    const slot = seq & PAGE_MASK;
    const got = ++received[slot]!;
    if (got > expected[slot]!) {
      this.extra++;
      return 'extra';
    }
    this.outstanding--;
    return got === expected[slot] ? 'complete' : 'partial';
  }
}
