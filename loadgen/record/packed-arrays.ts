/** Typed arrays as JSON: deflated, base64-encoded bytes (the ledger's pages, per-receiver times). */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export function packArray(array: Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array): string {
  return deflateRawSync(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)).toString('base64');
}

/** Inflates into a fresh, aligned buffer (of `byteLength` when given, else the data's own length). */
export function unpackBytes(encoded: string, byteLength?: number): Uint8Array {
  const data = inflateRawSync(Buffer.from(encoded, 'base64'));
  const bytes = new Uint8Array(byteLength ?? data.length);
  bytes.set(data.subarray(0, bytes.length));
  return bytes;
}
