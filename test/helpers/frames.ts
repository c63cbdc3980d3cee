/**
 * Raw WebSocket frames, built by hand (RFC 6455 §5.2), for tests that must send what no
 * well-behaved client library would: bad opcodes, reserved bits, unmasked or fragmented control
 * frames, lying lengths. And a raw client: a TCP socket that did the upgrade handshake itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

export interface FrameSpec {
  readonly fin?: boolean;
  /** RSV1..3 as a 3-bit number. */
  readonly rsv?: number;
  readonly opcode: number;
  readonly payload?: Buffer;
  /** Whether the frame is masked (a client must mask; default true). */
  readonly masked?: boolean;
  /** Claim this length in the header instead of the payload's own (a lie). */
  readonly claimedLength?: bigint;
}

export function buildFrame(f: FrameSpec): Buffer {
  const payload = f.payload ?? Buffer.alloc(0);
  const masked = f.masked ?? true;
  const length = f.claimedLength ?? BigInt(payload.length);
  const first = ((f.fin ?? true) ? 0x80 : 0) | (((f.rsv ?? 0) & 7) << 4) | (f.opcode & 0x0f);
  let header: Buffer;
  if (length < 126n) header = Buffer.from([first, (masked ? 0x80 : 0) | Number(length)]);
  else if (length < 65536n) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = (masked ? 0x80 : 0) | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = (masked ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(length, 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i % 4]!;
  return Buffer.concat([header, mask, body]);
}

export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** A TCP socket past the WebSocket handshake (the server's 101 read, its welcome frame maybe not yet). */
export function rawUpgrade(port: number, timeoutMs = 5000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const key = randomBytes(16).toString('base64');
    const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const timer = setTimeout(() => fail(new Error('handshake timed out')), timeoutMs);
    let head = Buffer.alloc(0);
    function fail(error: Error): void {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    }
    socket.on('error', fail);
    socket.once('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.off('error', fail);
      clearTimeout(timer);
      const response = head.subarray(0, end).toString();
      if (!response.startsWith('HTTP/1.1 101') || !response.includes(expected)) return fail(new Error(`not upgraded: ${response.split('\r\n')[0]}`));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}
