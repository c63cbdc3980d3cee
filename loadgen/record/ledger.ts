/**
 * Per-probe delivery accounting. Every probe has a sequence number; the ledger keeps, per probe,
 * how many deliveries it calls for (1 per echo or send-to, open clients − 1 per broadcast), how
 * many arrived, its kind and the latency of its latest delivery, so that a duplicate never cancels
 * out a loss and a broadcast's fan-out time can be read off once the run is over. Counts live in
 * typed-array pages (13 bytes per probe: a run of 10 million probes needs ~130 MB).
 *
 * The ledger travels as data (`EncodedLedger`, deflated pages): a probe sent by one part of a run
 * and received by another is settled when the parts' ledgers are merged (`settleLedgers`).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { createLatencyHistogram, toMicros, type Histogram } from '../../common/histogram.ts';
import type { ProbeKind } from '../../common/protocol.ts';

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
/** Sequence numbers at or past this are not probes of ours (a run sends far fewer). */
const MAX_SEQ = 2 ** 26;
const KIND_CODE: Record<ProbeKind, number> = { echo: 1, broadcast: 2, 'send-to': 3 };

export type Delivery = 'partial' | 'complete' | 'extra';

interface Page {
  readonly expected: Uint32Array;
  readonly received: Uint32Array;
  /** Latency of the probe's latest delivery, µs (the fan-out time of a broadcast once complete). */
  readonly lastUs: Uint32Array;
  readonly kind: Uint8Array;
}

/** A ledger as JSON: its non-empty pages, each array deflated and base64-encoded. */
export interface EncodedLedger {
  readonly pages: readonly { readonly index: number; readonly expected: string; readonly received: string; readonly lastUs: string; readonly kind: string }[];
  /** Deliveries whose sequence number no probe can have. */
  readonly outOfRange: number;
}

export class DeliveryLedger {
  private readonly pages: (Page | undefined)[] = [];
  private outOfRange = 0;
  /** Deliveries still missing, over the probes this ledger saw sent. */
  outstanding = 0;
  /** Deliveries beyond what their probe called for here (or of probes not sent here). */
  extra = 0;

  /** Records that probe `seq` calls for `count` deliveries. */
  expect(seq: number, count: number, kind: ProbeKind): void {
    const page = this.page(seq >>> PAGE_BITS);
    page.expected[seq & PAGE_MASK] = count;
    page.kind[seq & PAGE_MASK] = KIND_CODE[kind];
    this.outstanding += count;
  }

  /** Records one delivery of probe `seq`; 'complete' when it was the last one the probe called for. */
  deliver(seq: number, latencyNs: number): Delivery {
    if (!(seq >= 0 && seq < MAX_SEQ)) {
      this.outOfRange++;
      this.extra++;
      return 'extra';
    }
    const page = this.page(seq >>> PAGE_BITS);
    const slot = seq & PAGE_MASK;
    const got = ++page.received[slot]!;
    page.lastUs[slot] = toMicros(latencyNs);
    const expected = page.expected[slot]!;
    if (got > expected) {
      this.extra++;
      return 'extra';
    }
    this.outstanding--;
    return got === expected ? 'complete' : 'partial';
  }

  encode(): EncodedLedger {
    const pages = [];
    for (const [index, page] of this.pages.entries()) {
      if (page) pages.push({ index, expected: pack(page.expected), received: pack(page.received), lastUs: pack(page.lastUs), kind: pack(page.kind) });
    }
    return { pages, outOfRange: this.outOfRange };
  }

  private page(index: number): Page {
    let page = this.pages[index];
    if (!page) {
      page = { expected: new Uint32Array(PAGE_SIZE), received: new Uint32Array(PAGE_SIZE), lastUs: new Uint32Array(PAGE_SIZE), kind: new Uint8Array(PAGE_SIZE) };
      while (this.pages.length < index) this.pages.push(undefined);
      this.pages[index] = page;
    }
    return page;
  }
}

/** What the merged ledgers say: losses and surpluses (warm-up apart), and the broadcasts' fan-out. */
export interface SettledLedger {
  readonly lost: number;
  readonly extra: number;
  readonly lostInWarmup: number;
  readonly extraInWarmup: number;
  /** Measured broadcast deliveries that their probe called for (surplus ones left out). */
  readonly broadcastsDelivered: number;
  /** Measured broadcasts every receiver got. */
  readonly fanoutsCompleted: number;
  /** Per completed measured broadcast, the latency of its last delivery. */
  readonly fanout: Histogram;
}

/** Adds the parts' ledgers probe by probe; probes numbered from `firstMeasuredSeq` on are the measured ones. */
export function settleLedgers(ledgers: readonly EncodedLedger[], firstMeasuredSeq: number): SettledLedger {
  const totals = { lost: 0, extra: 0, lostInWarmup: 0, extraInWarmup: 0, broadcastsDelivered: 0, fanoutsCompleted: 0 };
  const fanout = createLatencyHistogram();
  for (const [index, page] of mergePages(ledgers)) {
    for (let slot = 0; slot < PAGE_SIZE; slot++) {
      const expected = page.expected[slot]!;
      const received = page.received[slot]!;
      if (expected === 0 && received === 0) continue;
      const measured = index * PAGE_SIZE + slot >= firstMeasuredSeq;
      const missing = Math.max(0, expected - received);
      const surplus = Math.max(0, received - expected);
      if (measured) {
        totals.lost += missing;
        totals.extra += surplus;
      } else {
        totals.lostInWarmup += missing;
        totals.extraInWarmup += surplus;
      }
      if (!measured || page.kind[slot] !== KIND_CODE.broadcast) continue;
      totals.broadcastsDelivered += Math.min(expected, received);
      if (expected > 0 && received >= expected) {
        totals.fanoutsCompleted++;
        fanout.recordValue(page.lastUs[slot]!);
      }
    }
  }
  const outOfRange = ledgers.reduce((sum, l) => sum + l.outOfRange, 0);
  return { ...totals, extra: totals.extra + outOfRange, fanout };
}

/** One page per index: counts added, the latest delivery's latency the highest, the kind whichever part sent it. */
function mergePages(ledgers: readonly EncodedLedger[]): Map<number, Page> {
  const merged = new Map<number, Page>();
  for (const ledger of ledgers) {
    for (const encoded of ledger.pages) {
      const page = { expected: unpack32(encoded.expected), received: unpack32(encoded.received), lastUs: unpack32(encoded.lastUs), kind: unpack8(encoded.kind) };
      const into = merged.get(encoded.index);
      if (!into) {
        merged.set(encoded.index, page);
        continue;
      }
      for (let i = 0; i < PAGE_SIZE; i++) {
        into.expected[i]! += page.expected[i]!;
        into.received[i]! += page.received[i]!;
        if (page.lastUs[i]! > into.lastUs[i]!) into.lastUs[i] = page.lastUs[i]!;
        if (page.kind[i]! !== 0) into.kind[i] = page.kind[i]!;
      }
    }
  }
  return merged;
}

function pack(array: Uint32Array | Uint8Array): string {
  return deflateRawSync(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)).toString('base64');
}

function unpackBytes(encoded: string, byteLength: number): Uint8Array {
  const bytes = new Uint8Array(byteLength);
  bytes.set(inflateRawSync(Buffer.from(encoded, 'base64')).subarray(0, byteLength));
  return bytes;
}

function unpack32(encoded: string): Uint32Array {
  return new Uint32Array(unpackBytes(encoded, PAGE_SIZE * 4).buffer);
}

function unpack8(encoded: string): Uint8Array {
  return unpackBytes(encoded, PAGE_SIZE);
}
