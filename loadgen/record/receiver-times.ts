/**
 * Per receiver (client index), the send times (hrtime ns) of the earliest and latest measured
 * probes it got: after a fault, which clients were still served. 16 bytes per client; kept only
 * when a run asks for it. Parts merge by taking the earliest and the latest.
 */
import { packArray as pack, unpackBytes } from './packed-arrays.ts';

export interface EncodedReceiverTimes {
  readonly first: string;
  readonly last: string;
}

export class ReceiverTimes {
  private first = new Float64Array(1024).fill(Number.POSITIVE_INFINITY);
  private last = new Float64Array(1024);

  record(receiver: number, sentAtNs: number): void {
    if (receiver >= this.first.length) this.grow(receiver + 1);
    if (sentAtNs < this.first[receiver]!) this.first[receiver] = sentAtNs;
    if (sentAtNs > this.last[receiver]!) this.last[receiver] = sentAtNs;
  }

  encode(): EncodedReceiverTimes {
    return { first: pack(this.first), last: pack(this.last) };
  }

  private grow(size: number): void {
    const length = Math.max(size, this.first.length * 2);
    const first = new Float64Array(length).fill(Number.POSITIVE_INFINITY);
    const last = new Float64Array(length);
    first.set(this.first);
    last.set(this.last);
    this.first = first;
    this.last = last;
  }
}

/** The parts' times merged: per client, the earliest first and the latest last. */
export function mergeReceiverTimes(parts: readonly EncodedReceiverTimes[]): { first: Float64Array; last: Float64Array } {
  const decoded = parts.map((p) => ({ first: unpack(p.first), last: unpack(p.last) }));
  const length = Math.max(0, ...decoded.map((d) => d.first.length));
  const first = new Float64Array(length).fill(Number.POSITIVE_INFINITY);
  const last = new Float64Array(length);
  for (const d of decoded) {
    for (let i = 0; i < d.first.length; i++) {
      if (d.first[i]! < first[i]!) first[i] = d.first[i]!;
      if (d.last[i]! > last[i]!) last[i] = d.last[i]!;
    }
  }
  return { first, last };
}

function unpack(encoded: string): Float64Array {
  return new Float64Array(unpackBytes(encoded).buffer);
}
