/**
 * permessage-deflate as a server option and a scenario setting, and the payload-entropy setting
 * that keeps compression honest: both sides negotiate the extension only when asked, frames
 * survive the round trip, and the three padding kinds compress as differently as they should.
 */
import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseCompressionArg, wsDeflateOptions } from '../common/compression.ts';
import { encodeProbeFrame, paddingPool, PAYLOAD_KINDS, probeSender, probeSentAtNs, probeSeq } from '../common/protocol.ts';
import { loadScenario } from '../loadgen/scenario.ts';
import { seededRandom } from '../loadgen/random.ts';
import { startServer, type RunningServer } from '../servers/server.ts';

describe('--permessage-deflate settings', () => {
  it('takes on, or key=value pairs, with the defaults of the scenario schema', () => {
    expect(parseCompressionArg(true)).toEqual({ threshold: 1024, windowBits: 15, level: 1, contextTakeover: true });
    expect(parseCompressionArg('threshold=256,windowBits=10,level=6,contextTakeover=false')).toEqual({ threshold: 256, windowBits: 10, level: 6, contextTakeover: false });
  });

  it.each([
    ['size=3', /takes 'on' or key=value pairs of threshold, windowBits, level, contextTakeover/],
    ['windowBits=20', /windowBits .*15/],
    ['contextTakeover=maybe', /contextTakeover must be true or false, got 'maybe'/],
  ])('refuses %s with one line naming what is allowed', (text, message) => {
    expect(() => parseCompressionArg(text)).toThrow(message);
  });
});

describe('a server with compression', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const connect = (port: number, perMessageDeflate: WebSocket.PerMessageDeflateOptions | false): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate });
      ws.once('message', () => resolve(ws)); // the welcome
      ws.once('error', reject);
    });

  it('negotiates permessage-deflate with a client that asks, and echoes compressed frames intact', async () => {
    const settings = parseCompressionArg('threshold=0');
    server = await startServer({ model: 'mutex', port: 0, compression: settings });
    const ws = await connect(server.port, wsDeflateOptions(settings));
    expect(ws.extensions).toMatch(/permessage-deflate/);
    const text = 'the quick brown fox '.repeat(100);
    const echoed = new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
    ws.send(text);
    expect(await echoed).toBe(text);
    ws.close();
  });

  it('is off by default: the extension is not negotiated even when the client asks', async () => {
    server = await startServer({ model: 'actor', port: 0 });
    const ws = await connect(server.port, {});
    expect(ws.extensions).toBe('');
    ws.close();
  });
});

describe('payload entropy', () => {
  const frameOf = (kind: (typeof PAYLOAD_KINDS)[number], seq: number): Buffer => encodeProbeFrame('echo', 3, seq, 123456789, 1024, 0, paddingPool(kind, seededRandom(1)));

  it('pads every kind to the size asked, as ASCII the probe parser still reads', () => {
    for (const kind of PAYLOAD_KINDS) {
      const frame = frameOf(kind, 42);
      expect(frame.length).toBe(1024);
      expect(frame.every((b) => b >= 0x20 && b < 0x7f)).toBe(true);
      expect([probeSender(frame), probeSeq(frame), probeSentAtNs(frame)]).toEqual([3, 42, 123456789]);
    }
  });

  it('compresses as its name says: repeated to almost nothing, text a few times, random characters little', () => {
    const ratio = (kind: (typeof PAYLOAD_KINDS)[number]): number => {
      const frames = Buffer.concat(Array.from({ length: 50 }, (_, i) => frameOf(kind, i)));
      return deflateRawSync(frames, { level: 1 }).length / frames.length;
    };
    const [repeated, text, random] = PAYLOAD_KINDS.map(ratio);
    expect(repeated!).toBeLessThan(0.1);
    expect(text!).toBeGreaterThan(repeated! * 2);
    expect(text!).toBeLessThan(0.6);
    expect(random!).toBeGreaterThan(0.7);
  });

  it('neighbouring probes carry different padding', () => {
    expect(frameOf('text', 1).subarray(40)).not.toEqual(frameOf('text', 2).subarray(40));
  });

  it('reaches the plan from a scenario file', () => {
    const scenario = loadScenario('scenarios/extra/echo-deflate.json');
    expect(scenario.payload).toBe('text');
    expect(scenario.compression).toEqual({ threshold: 256, windowBits: 15, level: 1, contextTakeover: true });
  });
});
