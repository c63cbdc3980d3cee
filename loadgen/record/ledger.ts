/**
 * Delivery accounting per (probe, receiver). The part that sends a probe records who should get
 * it: the sender itself for an echo, the target for a send-to, every client open at that moment
 * but the sender for a broadcast. The part that receives it records who did, with counts (so a
 * duplicate survives merging and never cancels out a loss), and the latency of its latest
 * delivery (a broadcast's fan-out time once every receiver has it). Settling the merged ledgers
 * names every surplus or missing delivery by its cause: a receiver that never got its copy
 * (`missing`), got it twice (`duplicate`), a broadcast back to its sender (`to-sender`), a copy at
 * a client it was not for (`wrong-receiver`), or a probe no part sent (`unknown-probe`).
 *
 * Sequence numbers are one numbering per run: parts recorded apart (several processes, later)
 * must draw them from disjoint ranges of it.
 *
 * Memory: 21 bytes per probe in typed-array pages; per broadcast, its expected receivers as a
 * bitset and its receivers' counts as 16-bit integers: about 21 KB per broadcast at 10,000
 * receivers (1.25 KB + 20 KB).
 */
import { createLatencyHistogram, toMicros, type Histogram } from '../../common/histogram.ts';
import { PROBE_TAG, type ProbeKind } from '../../common/protocol.ts';
import { packArray as pack, unpackBytes } from './packed-arrays.ts';

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
/** Sequence numbers at or past this are not probes of ours (2^31 probes: weeks at 1,000 msg/s). */
const MAX_SEQ = 2 ** 31;
/** Pages a ledger allocates for deliveries of probes it never saw sent (garbage sequence numbers cannot exhaust memory). */
const MAX_FOREIGN_PAGES = 64;
const MAX_COUNT = 0xffff;
const KIND_CODE: Record<ProbeKind, number> = { echo: 1, broadcast: 2, 'send-to': 3 };
const NO_CLIENT = -1;

/** Who should get a probe: one client's index, or (broadcast) a bitset of client indexes. */
export type ExpectedReceivers = number | Uint8Array;

interface Page {
  /** Sender side: deliveries called for, the probe's kind, and its target (echo, send-to) or sender (broadcast). */
  readonly expected: Uint32Array;
  readonly kind: Uint8Array;
  readonly target: Int32Array;
  /** Receiver side (echo, send-to): the first client that got it and how often; others spill into `elsewhere`. */
  readonly receiver: Int32Array;
  readonly count: Uint32Array;
  /** Latency of the probe's latest delivery, µs. */
  readonly lastUs: Uint32Array;
}

const PAGE_ARRAYS = ['expected', 'kind', 'target', 'receiver', 'count', 'lastUs'] as const;

/** A ledger as JSON: its non-empty pages (each array deflated, base64) and the per-receiver details. */
export interface EncodedLedger {
  readonly pages: readonly ({ readonly index: number } & Record<(typeof PAGE_ARRAYS)[number], string>)[];
  /** Echo and send-to deliveries at a client other than the probe's first receiver: [seq, receiver, count]. */
  readonly elsewhere: readonly (readonly [number, number, number])[];
  /** Per broadcast (sender side): its expected receivers, a bitset by client index. */
  readonly broadcastExpected: readonly { readonly seq: number; readonly bits: string }[];
  /** Per broadcast (receiver side): deliveries by client index, 16-bit counts. */
  readonly broadcastReceived: readonly { readonly seq: number; readonly counts: string }[];
  /** Deliveries whose sequence number no probe can have. */
  readonly outOfRange: number;
}

export class DeliveryLedger {
  private readonly pages: (Page | undefined)[] = [];
  private readonly elsewhere = new Map<number, Map<number, number>>();
  private readonly broadcastExpected = new Map<number, Uint8Array>();
  private readonly broadcastReceived = new Map<number, Uint16Array>();
  private outOfRange = 0;
  private foreignPages = 0;
  /** Deliveries still missing, of the probes sent here, as far as this part has seen them arrive. */
  outstanding = 0;

  /** Probe `seq`, sent by client `sender`, calls for `count` deliveries to `to`. */
  expect(seq: number, kind: ProbeKind, sender: number, count: number, to: ExpectedReceivers): void {
    if (!(seq >= 0 && seq < MAX_SEQ)) throw new RangeError(`probe sequence numbers must be from 0 to ${MAX_SEQ - 1}, got ${seq}`);
    const page = this.page(seq >>> PAGE_BITS);
    const slot = seq & PAGE_MASK;
    page.expected[slot] = count;
    page.kind[slot] = KIND_CODE[kind];
    if (typeof to === 'number') page.target[slot] = to;
    else {
      page.target[slot] = sender;
      this.broadcastExpected.set(seq, to);
    }
    this.outstanding += count;
  }

  /**
   * One delivery of probe `seq` (its frame's tag says its kind; `sender` is the client the frame
   * names) at client `receiver`. Returns true when this copy is surplus as far as this part can
   * tell: a second copy at one receiver, a broadcast at its sender, an echo at another client.
   * (A part holds its receivers' every delivery, so those it always can.)
   */
  deliver(seq: number, tag: number, receiver: number, sender: number, latencyNs: number): boolean {
    const index = seq >>> PAGE_BITS;
    if (!(seq >= 0 && seq < MAX_SEQ) || (!this.pages[index] && this.foreignPages >= MAX_FOREIGN_PAGES)) {
      this.outOfRange++;
      return true;
    }
    if (!this.pages[index]) this.foreignPages++;
    const page = this.page(index);
    const slot = seq & PAGE_MASK;
    let copies: number;
    if (tag === PROBE_TAG.broadcast) {
      const counts = this.broadcastCounts(seq, receiver);
      if (counts[receiver]! < MAX_COUNT) counts[receiver]!++;
      copies = counts[receiver]!;
      const expected = this.broadcastExpected.get(seq);
      if (copies === 1 && expected && hasBit(expected, receiver)) this.outstanding--;
    } else {
      if (page.receiver[slot] === NO_CLIENT || page.receiver[slot] === receiver) {
        page.receiver[slot] = receiver;
        copies = ++page.count[slot]!;
      } else {
        const others = this.elsewhere.get(seq) ?? new Map<number, number>();
        copies = (others.get(receiver) ?? 0) + 1;
        others.set(receiver, copies);
        this.elsewhere.set(seq, others);
      }
      if (copies === 1 && page.expected[slot]! > 0 && page.target[slot] === receiver) this.outstanding--;
    }
    const atSender = receiver === sender;
    const surplus = copies > 1 || (tag === PROBE_TAG.echo ? !atSender : atSender);
    // The latest first copy at a rightful receiver: a broadcast's fan-out time, which no duplicate inflates.
    const us = toMicros(latencyNs);
    if (!surplus && us > page.lastUs[slot]!) page.lastUs[slot] = us;
    return surplus;
  }

  encode(): EncodedLedger {
    const pages = [];
    for (const [index, page] of this.pages.entries()) {
      if (page) pages.push({ index, ...(Object.fromEntries(PAGE_ARRAYS.map((name) => [name, pack(page[name])])) as Record<(typeof PAGE_ARRAYS)[number], string>) });
    }
    return {
      pages,
      elsewhere: [...this.elsewhere].flatMap(([seq, others]) => [...others].map(([receiver, count]) => [seq, receiver, count] as const)),
      broadcastExpected: [...this.broadcastExpected].map(([seq, bits]) => ({ seq, bits: pack(bits) })),
      broadcastReceived: [...this.broadcastReceived].map(([seq, counts]) => ({ seq, counts: pack(counts) })),
      outOfRange: this.outOfRange,
    };
  }

  private broadcastCounts(seq: number, receiver: number): Uint16Array {
    let counts = this.broadcastReceived.get(seq);
    if (!counts || counts.length <= receiver) {
      const grown = new Uint16Array(Math.max(receiver + 1, (counts?.length ?? 0) * 2, 64));
      if (counts) grown.set(counts);
      counts = grown;
      this.broadcastReceived.set(seq, counts);
    }
    return counts;
  }

  private page(index: number): Page {
    let page = this.pages[index];
    if (!page) {
      page = newPage();
      while (this.pages.length < index) this.pages.push(undefined);
      this.pages[index] = page;
    }
    return page;
  }
}

function newPage(): Page {
  const receiver = new Int32Array(PAGE_SIZE).fill(NO_CLIENT);
  return { expected: new Uint32Array(PAGE_SIZE), kind: new Uint8Array(PAGE_SIZE), target: new Int32Array(PAGE_SIZE), receiver, count: new Uint32Array(PAGE_SIZE), lastUs: new Uint32Array(PAGE_SIZE) };
}

/** Surplus and missing deliveries by cause. */
export interface DeliveryCauses {
  /** Every expected delivery that never came, excused or not. */
  missing: number;
  /** Of `missing`, those at clients the scenario stopped reading (measured probes only; see LossExcuses). */
  missingAtStopped: number;
  /** Of `missing`, those of probes sent from shortly before the injected fault on (see LossExcuses). */
  missingAfterFault: number;
  duplicate: number;
  toSender: number;
  wrongReceiver: number;
  unknownProbe: number;
}

/** What the merged ledgers say, the measured probes apart from the warm-up ones. */
export interface SettledLedger {
  readonly measured: DeliveryCauses;
  readonly warmup: DeliveryCauses;
  /** Measured broadcast deliveries at a receiver that should have one (first copies only). */
  readonly broadcastsDelivered: number;
  /** Measured broadcasts every expected receiver got. */
  readonly fanoutsCompleted: number;
  /** Per measured broadcast, the latency of its latest delivery; one that missed an unexcused receiver counts as censored (below). */
  readonly fanout: Histogram;
  /**
   * Measured deliveries that never came, by kind, and measured broadcasts that missed a receiver:
   * each is a latency of at least the drain timeout (censored there), excused or not — an excuse
   * decides whether the server is at fault, never how fast it was — so that a loss can only make a
   * percentile worse.
   */
  readonly censored: Readonly<Record<ProbeKind, number>> & { readonly fanout: number };
}

/**
 * Loss the scenario may cause on purpose: deliveries of measured probes to the clients it stopped
 * reading (`stoppedReaders`, from `stoppedFromSeq` on: they read during the warm-up), and, in the
 * fault-isolation experiment, deliveries of probes numbered from `faultFromSeq` on (sent from 1–2 s
 * before the injected fault). They are counted apart; whether they are excused is decided with the
 * server's policy (see measurement.ts).
 */
export interface LossExcuses {
  readonly stoppedReaders?: ReadonlySet<number>;
  readonly stoppedFromSeq?: number;
  readonly faultFromSeq?: number;
}

export const noCauses = (): DeliveryCauses => ({ missing: 0, missingAtStopped: 0, missingAfterFault: 0, duplicate: 0, toSender: 0, wrongReceiver: 0, unknownProbe: 0 });

/** Two sets of causes added up (the measured probes' and the warm-up's). */
export function addCauses(a: DeliveryCauses, b: DeliveryCauses): DeliveryCauses {
  const sum = noCauses();
  for (const key of Object.keys(sum) as (keyof DeliveryCauses)[]) sum[key] = a[key] + b[key];
  return sum;
}

/** Surplus deliveries of every cause. */
export function surplus(c: DeliveryCauses): number {
  return c.duplicate + c.toSender + c.wrongReceiver + c.unknownProbe;
}

/** Adds the parts' ledgers probe by probe; probes numbered from `firstMeasuredSeq` on are the measured ones. */
export function settleLedgers(ledgers: readonly EncodedLedger[], firstMeasuredSeq: number, excuses: LossExcuses = {}): SettledLedger {
  const measured = noCauses();
  const warmup = noCauses();
  const totals = { broadcastsDelivered: 0, fanoutsCompleted: 0 };
  const censored = { echo: 0, broadcast: 0, 'send-to': 0, fanout: 0 };
  const fanout = createLatencyHistogram();
  const stopped = excuses.stoppedReaders ?? new Set<number>();
  const stoppedFrom = excuses.stoppedFromSeq ?? Number.POSITIVE_INFINITY;
  const faultFrom = excuses.faultFromSeq ?? Number.POSITIVE_INFINITY;
  // Why a missing delivery of probe `seq` to `receiver` may be the scenario's: after the fault, or at a stopped reader.
  const excuse = (seq: number, receiver: number): 'missingAfterFault' | 'missingAtStopped' | undefined =>
    seq >= faultFrom ? 'missingAfterFault' : seq >= stoppedFrom && stopped.has(receiver) ? 'missingAtStopped' : undefined;
  const { pages, spilled } = mergePages(ledgers);
  const elsewhere = mergeElsewhere(ledgers, spilled);
  // A broadcast's expected receivers come from its sender's part alone (bits OR); counts add up, saturating.
  const expectedBits = mergeBroadcast(
    ledgers.flatMap((l) => l.broadcastExpected.map((b) => [b.seq, unpackBytes(b.bits)] as const)),
    (n) => new Uint8Array(n),
    (a, b) => a | b,
  );
  const receivedCounts = mergeBroadcast(
    ledgers.flatMap((l) => l.broadcastReceived.map((b) => [b.seq, new Uint16Array(unpackBytes(b.counts).buffer)] as const)),
    (n) => new Uint16Array(n),
    (a, b) => Math.min(a + b, MAX_COUNT),
  );
  for (const [index, page] of pages) {
    for (let slot = 0; slot < PAGE_SIZE; slot++) {
      const seq = index * PAGE_SIZE + slot;
      const kind = page.kind[slot]!;
      const isMeasured = seq >= firstMeasuredSeq;
      const causes = isMeasured ? measured : warmup;
      if (kind === KIND_CODE.broadcast) {
        const { delivered, missing } = settleBroadcast(seq, page.target[slot]!, expectedBits.get(seq), receivedCounts.get(seq), causes, excuse);
        if (!isMeasured) continue;
        totals.broadcastsDelivered += delivered;
        censored.broadcast += missing;
        if (page.expected[slot]! === 0) continue;
        if (missing > 0) censored.fanout++;
        else {
          totals.fanoutsCompleted++;
          fanout.recordValue(page.lastUs[slot]!);
        }
      } else if (kind !== 0) {
        const atTarget = page.receiver[slot] === page.target[slot] ? page.count[slot]! : (elsewhere.get(seq)?.get(page.target[slot]!) ?? 0);
        const all = page.count[slot]! + [...(elsewhere.get(seq)?.values() ?? [])].reduce((a, b) => a + b, 0);
        if (atTarget === 0 && page.expected[slot]! > 0) {
          causes.missing += page.expected[slot]!;
          const why = excuse(seq, page.target[slot]!);
          if (why) causes[why] += page.expected[slot]!;
          if (isMeasured) censored[kind === KIND_CODE.echo ? 'echo' : 'send-to'] += page.expected[slot]!;
        }
        causes.duplicate += Math.max(0, atTarget - 1);
        causes.wrongReceiver += all - atTarget;
      } else {
        // Delivered here, sent by no part: a probe this run never sent.
        causes.unknownProbe += page.count[slot]! + [...(elsewhere.get(seq)?.values() ?? [])].reduce((a, b) => a + b, 0) + countAll(receivedCounts.get(seq));
      }
    }
  }
  measured.unknownProbe += ledgers.reduce((sum, l) => sum + l.outOfRange, 0);
  return { measured, warmup, ...totals, fanout, censored };
}

/** One broadcast: every expected receiver once; returns the deliveries at expected receivers (first copies) and the receivers that got none. */
function settleBroadcast(seq: number, sender: number, expected: Uint8Array | undefined, counts: Uint16Array | undefined, causes: DeliveryCauses, excuse: (seq: number, receiver: number) => 'missingAfterFault' | 'missingAtStopped' | undefined): { delivered: number; missing: number } {
  let delivered = 0;
  let missing = 0;
  const size = Math.max((expected?.length ?? 0) * 8, counts?.length ?? 0);
  for (let client = 0; client < size; client++) {
    const got = counts?.[client] ?? 0;
    if (expected && hasBit(expected, client)) {
      if (got > 0) delivered++;
      else {
        causes.missing++;
        missing++;
        const why = excuse(seq, client);
        if (why) causes[why]++;
      }
      causes.duplicate += Math.max(0, got - 1);
    } else if (got > 0) {
      if (client === sender) causes.toSender += got;
      else causes.wrongReceiver += got;
    }
  }
  return { delivered, missing };
}

function countAll(counts: Uint16Array | undefined): number {
  return counts ? counts.reduce((a, b) => a + b, 0) : 0;
}

/** A bitset of client indexes with room for `size` clients. */
export function clientBitset(size: number): Uint8Array {
  return new Uint8Array(Math.ceil(size / 8));
}

export function setBit(bits: Uint8Array, client: number): void {
  bits[client >>> 3]! |= 1 << (client & 7);
}

function hasBit(bits: Uint8Array, client: number): boolean {
  return client >>> 3 < bits.length && (bits[client >>> 3]! & (1 << (client & 7))) !== 0;
}

/**
 * One page per index. Sender-side arrays come from the part that sent (the others hold zeros);
 * a probe's first receiver is the first part's that saw one, any other part's receivers move to
 * `elsewhere` (returned by mergeElsewhere), so counts are never lost.
 */
function mergePages(ledgers: readonly EncodedLedger[]): { pages: Map<number, Page>; spilled: [number, number, number][] } {
  const merged = new Map<number, Page>();
  const spilled: [number, number, number][] = [];
  for (const ledger of ledgers) {
    for (const encoded of ledger.pages) {
      const page = decodePage(encoded);
      const into = merged.get(encoded.index);
      if (!into) {
        merged.set(encoded.index, page);
        continue;
      }
      for (let i = 0; i < PAGE_SIZE; i++) {
        if (page.kind[i]! !== 0) {
          into.kind[i] = page.kind[i]!;
          into.expected[i] = page.expected[i]!;
          into.target[i] = page.target[i]!;
        }
        if (page.lastUs[i]! > into.lastUs[i]!) into.lastUs[i] = page.lastUs[i]!;
        if (page.receiver[i] === NO_CLIENT) continue;
        if (into.receiver[i] === NO_CLIENT || into.receiver[i] === page.receiver[i]) {
          into.receiver[i] = page.receiver[i]!;
          into.count[i]! += page.count[i]!;
        } else {
          spilled.push([encoded.index * PAGE_SIZE + i, page.receiver[i]!, page.count[i]!]);
        }
      }
    }
  }
  return { pages: merged, spilled };
}

/** Every part's receivers beyond a probe's first, with those that did not fit when pages merged. */
function mergeElsewhere(ledgers: readonly EncodedLedger[], spilled: readonly (readonly [number, number, number])[]): Map<number, Map<number, number>> {
  const merged = new Map<number, Map<number, number>>();
  for (const [seq, receiver, count] of [...ledgers.flatMap((l) => l.elsewhere), ...spilled]) {
    const others = merged.get(seq) ?? new Map<number, number>();
    others.set(receiver, (others.get(receiver) ?? 0) + count);
    merged.set(seq, others);
  }
  return merged;
}

/** Per-broadcast arrays of every part, combined element by element with `combine`. */
function mergeBroadcast<A extends Uint8Array | Uint16Array>(entries: readonly (readonly [number, A])[], make: (length: number) => A, combine: (a: number, b: number) => number): Map<number, A> {
  const merged = new Map<number, A>();
  for (const [seq, values] of entries) {
    const into = merged.get(seq);
    if (!into) {
      merged.set(seq, values);
      continue;
    }
    const combined = make(Math.max(into.length, values.length));
    for (let i = 0; i < combined.length; i++) combined[i] = combine(into[i] ?? 0, values[i] ?? 0);
    merged.set(seq, combined);
  }
  return merged;
}

function decodePage(encoded: EncodedLedger['pages'][number]): Page {
  return {
    expected: new Uint32Array(unpackBytes(encoded.expected, PAGE_SIZE * 4).buffer),
    kind: unpackBytes(encoded.kind, PAGE_SIZE),
    target: new Int32Array(unpackBytes(encoded.target, PAGE_SIZE * 4).buffer),
    receiver: new Int32Array(unpackBytes(encoded.receiver, PAGE_SIZE * 4).buffer),
    count: new Uint32Array(unpackBytes(encoded.count, PAGE_SIZE * 4).buffer),
    lastUs: new Uint32Array(unpackBytes(encoded.lastUs, PAGE_SIZE * 4).buffer),
  };
}
