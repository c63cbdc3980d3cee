/**
 * permessage-deflate (RFC 7692) as a setting of both sides: the server offers it, the load
 * generator's clients ask for it, with the same window, level, threshold and context takeover, so
 * a run measures what compression costs each model. One schema (scenario files and the server's
 * --permessage-deflate), one translation into ws's options, one into the server's arguments.
 */
import type { PerMessageDeflateOptions } from 'ws';
import { z } from 'zod';

export const compressionSchema = z
  .object({
    /** Frames smaller than this many bytes go uncompressed (ws's default: 1024). */
    threshold: z.number().int().min(0).max(1 << 20).default(1024),
    /** LZ77 window, 2^windowBits bytes, on both sides (9–15; 15 is zlib's default). */
    windowBits: z.number().int().min(9).max(15).default(15),
    /** zlib level, 0 (store) to 9 (best); 1 by default, as latency-minded servers use. */
    level: z.number().int().min(0).max(9).default(1),
    /** Keep the compression context across messages (better ratio, 2 zlib streams of memory per connection). */
    contextTakeover: z.boolean().default(true),
  })
  .strict();

export type CompressionSettings = z.infer<typeof compressionSchema>;

/** ws's options for either side (the server's WebSocketServer, the clients' WebSocket). */
export function wsDeflateOptions(c: CompressionSettings): PerMessageDeflateOptions {
  return {
    threshold: c.threshold,
    serverMaxWindowBits: c.windowBits,
    clientMaxWindowBits: c.windowBits,
    serverNoContextTakeover: !c.contextTakeover,
    clientNoContextTakeover: !c.contextTakeover,
    zlibDeflateOptions: { level: c.level },
  };
}

/** The server CLI's value for --permessage-deflate: `threshold=…,windowBits=…,level=…,contextTakeover=…`. */
export function compressionArg(c: CompressionSettings): string {
  return `threshold=${c.threshold},windowBits=${c.windowBits},level=${c.level},contextTakeover=${c.contextTakeover}`;
}

/** Parses --permessage-deflate's value (`on`, or key=value pairs); a one-line error names what was wrong. */
export function parseCompressionArg(text: string | true): CompressionSettings {
  const pairs = text === true || text === 'on' ? [] : text.split(',').map((p) => p.trim().split('='));
  const raw: Record<string, number | boolean> = {};
  for (const [key, value] of pairs) {
    if (key === undefined || value === undefined || value === '' || !['threshold', 'windowBits', 'level', 'contextTakeover'].includes(key)) {
      throw new Error(`--permessage-deflate takes 'on' or key=value pairs of threshold, windowBits, level, contextTakeover (e.g. threshold=256,level=1), got '${String(text)}'`);
    }
    raw[key] = key === 'contextTakeover' ? value === 'true' : Number(value);
    if (key === 'contextTakeover' && value !== 'true' && value !== 'false') throw new Error(`--permessage-deflate: contextTakeover must be true or false, got '${value}'`);
  }
  const parsed = compressionSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`--permessage-deflate: ${issue.path.join('.')} ${issue.message}`);
  }
  return parsed.data;
}
