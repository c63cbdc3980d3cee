/**
 * Hostile input, every model: for a bounded time, a seeded generator throws malformed and mutated
 * frames at the server over raw TCP — bad opcodes, reserved bits, fragmented or oversized control
 * frames, unmasked frames, truncated frames, huge claimed lengths, invalid UTF-8, binary frames,
 * stray continuations, bad close codes, random bytes, bit-flipped valid frames, garbage instead of
 * a handshake. Afterwards the server is up, serves well-formed clients correctly, holds no
 * registry entry, and its memory after a forced GC is within 10% of what it was before.
 * The server runs as a child process, so that its memory is its own.
 * In npm run test:slow: a bounded fuzzing run against each model, about 25 s.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServer, type ServerProcess } from '../../loadgen/server-process.ts';
import { seededRandom } from '../../loadgen/random.ts';
import { buildFrame, OPCODE, rawUpgrade, type FrameSpec } from '../helpers/frames.ts';
import { connectTestClient, pause } from '../helpers/test-client.ts';

const MODELS = ['actor', 'mutex', 'baseline'] as const;
// The servers these tests start must not inherit a token from the environment: their requests carry none.
delete process.env.WSBENCH_ADMIN_TOKEN;
/** Cases per model, and the most time they may take: whichever comes first ends the fuzzing. */
const CASES = 3000;
const TIME_LIMIT_MS = 20_000;
const IN_FLIGHT = 32;
/** How long a case waits for the server to close the connection before it hangs up itself. */
const CASE_WAIT_MS = 150;

type Random = () => number;
const int = (random: Random, n: number): number => Math.floor(random() * n);
const bytes = (random: Random, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(random, 256)));
const text = (s: string): Buffer => Buffer.from(s);
const frames = (...specs: FrameSpec[]): Buffer => Buffer.concat(specs.map(buildFrame));

/** The kinds of hostile input; each returns the bytes to send after the handshake. */
const KINDS: Record<string, (random: Random) => Buffer> = {
  'bad opcode': (r) => frames({ opcode: [3, 4, 5, 6, 7, 11, 12, 13, 14, 15][int(r, 10)]!, payload: text('x') }),
  'reserved bits': (r) => frames({ opcode: OPCODE.text, rsv: 1 + int(r, 7), payload: text('hello') }),
  'fragmented control frame': (r) => frames({ opcode: [OPCODE.ping, OPCODE.pong, OPCODE.close][int(r, 3)]!, fin: false, payload: text('p') }),
  'oversized control frame': (r) => frames({ opcode: [OPCODE.ping, OPCODE.pong][int(r, 2)]!, payload: bytes(r, 126 + int(r, 200)) }),
  'unmasked frame': () => frames({ opcode: OPCODE.text, masked: false, payload: text('unmasked') }),
  'truncated frame': (r) => frames({ opcode: OPCODE.text, payload: bytes(r, 10), claimedLength: BigInt(100 + int(r, 1000)) }),
  'huge length': (r) => frames({ opcode: [OPCODE.text, OPCODE.binary][int(r, 2)]!, payload: bytes(r, 8), claimedLength: [2n ** 32n, 2n ** 40n, 2n ** 62n][int(r, 3)]! }),
  'invalid UTF-8': (r) => frames({ opcode: OPCODE.text, payload: [Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff, 0xfe]), Buffer.from([0xf0, 0x28, 0x8c, 0x28])][int(r, 4)]! }),
  'binary frame': (r) => frames({ opcode: OPCODE.binary, payload: bytes(r, 1 + int(r, 64)) }),
  'stray continuation': () => frames({ opcode: OPCODE.continuation, payload: text('orphan') }),
  'data frame inside a fragmented message': () => frames({ opcode: OPCODE.text, fin: false, payload: text('part') }, { opcode: OPCODE.text, payload: text('new') }),
  'bad close frame': (r) => frames({ opcode: OPCODE.close, payload: [Buffer.from([0x03]), Buffer.from([0x03, 0xed]), Buffer.from([0x13, 0x88]), Buffer.from([0x03, 0xe8, 0xff, 0xfe])][int(r, 4)]! }),
  'random bytes': (r) => bytes(r, 1 + int(r, 300)),
  'bit-flipped frame': (r) => {
    const frame = frames({ opcode: OPCODE.text, payload: text(`/to ${int(r, 5)} hello`) });
    for (let flips = 1 + int(r, 4); flips > 0; flips--) frame[int(r, frame.length)]! ^= 1 << int(r, 8);
    return frame;
  },
  'valid fragmented message': () => frames({ opcode: OPCODE.text, fin: false, payload: text('frag') }, { opcode: OPCODE.continuation, payload: text('mented') }),
};
const KIND_NAMES = Object.keys(KINDS);

/** Sends one case on a fresh connection; resolves once the server closed it or the wait ran out. */
async function runCase(port: number, random: Random): Promise<void> {
  if (int(random, 20) === 0) return garbageHandshake(port, random);
  const socket = await rawUpgrade(port);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', () => {});
  socket.on('error', () => {});
  socket.write(KINDS[KIND_NAMES[int(random, KIND_NAMES.length)]!]!(random));
  await Promise.race([closed, pause(CASE_WAIT_MS)]);
  socket.destroy();
  await closed;
}

/** Garbage where the HTTP upgrade should be: the server answers or closes, and serves on. */
async function garbageHandshake(port: number, random: Random): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.on('data', () => {});
  socket.write(int(random, 2) === 0 ? bytes(random, 1 + int(random, 200)) : `GET / HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Version: ${int(random, 20)}\r\n\r\n`);
  await Promise.race([closed, pause(CASE_WAIT_MS)]);
  socket.destroy();
  await closed;
}

describe.each(MODELS)('fuzzing the %s server', (model) => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it(`stays up, serves well-formed clients, leaks no registry entry and no memory (${CASES} cases or ${TIME_LIMIT_MS / 1000} s)`, async () => {
    server = await spawnServer({ model, host: '127.0.0.1', port: 0, debug: { gc: true } });
    const origin = `http://127.0.0.1:${server.port}`;
    const rss = async (): Promise<number> => ((await (await fetch(`${origin}/debug/gc`, { method: 'POST' })).json()) as { rssBytes: number }).rssBytes;
    const count = async (): Promise<number> => ((await (await fetch(`${origin}/clients/count`)).json()) as { count: number }).count;
    const random = seededRandom(7);
    /** Runs cases IN_FLIGHT at a time until `cases` are done or `limitMs` has passed; returns how many ran. */
    const fuzz = async (cases: number, limitMs: number): Promise<number> => {
      const started = performance.now();
      let done = 0;
      const worker = async (): Promise<void> => {
        while (done < cases && performance.now() - started < limitMs) {
          done++;
          await runCase(server!.port, random);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      return done;
    };
    // A first round as large and as concurrent as the measured one: the first few thousand hostile
    // connections raise RSS by ~20–35 MiB (socket buffers and allocator arenas; the JS heap stays
    // at ~13 MiB), after which it stays level over further rounds (6 rounds of 3,000 measured:
    // 148 → 130 → 135 MiB). "Before" is that level; a leak would climb from it.
    await fuzz(CASES, TIME_LIMIT_MS);
    const rssBefore = await rss();

    const started = performance.now();
    const done = await fuzz(CASES, TIME_LIMIT_MS);
    console.log(`${model}: ${done} hostile cases in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(done).toBeGreaterThanOrEqual(500);

    for (let i = 0; i < 100 && (await count()) !== 0; i++) await pause(50);
    expect(await count()).toBe(0);
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);

    const url = `ws://127.0.0.1:${server.port}`;
    const a = await connectTestClient(url);
    const b = await connectTestClient(url);
    a.ws.send('still serving');
    expect(await a.waitForFrames(1)).toEqual(['still serving']);
    a.ws.send(`/to ${b.id} across`);
    expect(await b.waitForFrames(1)).toEqual(['across']);
    a.ws.close();
    b.ws.close();
    await Promise.all([a.closed, b.closed]);
    for (let i = 0; i < 100 && (await count()) !== 0; i++) await pause(50);
    expect(await count()).toBe(0);

    const rssAfter = await rss();
    console.log(`${model}: RSS after GC ${(rssBefore / 2 ** 20).toFixed(1)} → ${(rssAfter / 2 ** 20).toFixed(1)} MiB`);
    expect(rssAfter / rssBefore).toBeLessThan(1.1);
  }, 90_000);
});
