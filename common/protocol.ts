/**
 * The wire protocol, shared by the servers and the load generator.
 *
 * Everything travels as WebSocket text frames, so any standard client (a browser, wscat, Artillery)
 * can speak it. Client to server:
 *
 *   `broadcast`                 the original's trigger word: broadcast the text "broadcast"
 *   `/broadcast <payload>`      deliver <payload> to every other connected client
 *   `/to <id> <payload>`        deliver <payload> to client <id>
 *   `/echo <payload>`           echo <payload> back (for payloads that start with "/")
 *   any other text              echoed back unchanged (the original's behaviour)
 *
 * Server to client:
 *
 *   `/welcome <id>`             first frame on every connection: the client's id
 *   `/error <code> <detail>`    a command was refused; the connection stays open
 *   <payload>                   a relayed payload, byte for byte as the sender wrote it
 *
 * Text that starts with "/" and is not one of the commands above gets `/error unknown-command`.
 *
 * Probes: the load generator's payloads carry what it needs to time every delivery:
 *   `<kind><sender>.<seq>@<sentAtNs>[ <padding>]`, e.g. `E17.42@918273645546372 xxxx`
 * where kind is E (echo), B (broadcast) or T (targeted send), and sentAtNs is
 * `process.hrtime.bigint()` of the sending process, a clock shared by all processes on a host.
 * Probes never start with "/", so a probe sent as plain text is an echo.
 */

/** Why the server refused a frame; sent as `/error <code> <detail>`. */
export type ProtocolErrorCode = 'unknown-command' | 'bad-arguments' | 'unknown-client' | 'binary-not-supported';

/** A parsed client frame. Payloads are views into the received buffer, never copies. */
export type ClientCommand =
  | { readonly kind: 'echo'; readonly payload: Buffer }
  | { readonly kind: 'broadcast'; readonly payload: Buffer }
  | { readonly kind: 'send-to'; readonly to: number; readonly payload: Buffer }
  | { readonly kind: 'invalid'; readonly code: ProtocolErrorCode; readonly detail: string };

const SLASH = 0x2f;
const SPACE = 0x20;
const BROADCAST_WORD = Buffer.from('broadcast');
const BROADCAST_PREFIX = Buffer.from('/broadcast ');
const TO_PREFIX = Buffer.from('/to ');
const ECHO_PREFIX = Buffer.from('/echo ');
const MAX_CLIENT_ID_DIGITS = 15;

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

/** Parses one text frame from a client (the server's hot path: no copies, no JSON). */
export function parseClientFrame(data: Buffer): ClientCommand {
  if (data.length === 0 || data[0] !== SLASH) {
    if (data.equals(BROADCAST_WORD)) return { kind: 'broadcast', payload: data };
    return { kind: 'echo', payload: data };
  }
  if (startsWith(data, BROADCAST_PREFIX)) return { kind: 'broadcast', payload: data.subarray(BROADCAST_PREFIX.length) };
  if (startsWith(data, ECHO_PREFIX)) return { kind: 'echo', payload: data.subarray(ECHO_PREFIX.length) };
  if (startsWith(data, TO_PREFIX)) return parseSendTo(data);
  const end = data.indexOf(SPACE);
  const name = data.toString('utf8', 0, end === -1 ? Math.min(data.length, 32) : Math.min(end, 32));
  return {
    kind: 'invalid',
    code: 'unknown-command',
    detail: `${name} is not a command; use /broadcast <text>, /to <id> <text>, /echo <text> or plain text`,
  };
}

function parseSendTo(data: Buffer): ClientCommand {
  const idStart = TO_PREFIX.length;
  const idEnd = data.indexOf(SPACE, idStart);
  const digits = idEnd - idStart;
  if (idEnd === -1 || digits === 0 || digits > MAX_CLIENT_ID_DIGITS) {
    return { kind: 'invalid', code: 'bad-arguments', detail: '/to needs a client id and a payload: /to <id> <text>' };
  }
  let to = 0;
  for (let i = idStart; i < idEnd; i++) {
    const digit = data[i]! - 0x30;
    if (digit < 0 || digit > 9) {
      return { kind: 'invalid', code: 'bad-arguments', detail: '/to needs a numeric client id: /to <id> <text>' };
    }
    to = to * 10 + digit;
  }
  return { kind: 'send-to', to, payload: data.subarray(idEnd + 1) };
}

// ---- frames the clients send ---------------------------------------------------------------

export function encodeBroadcast(payload: string): string {
  return `/broadcast ${payload}`;
}

export function encodeSendTo(to: number, payload: string): string {
  return `/to ${to} ${payload}`;
}

// ---- frames the server sends ---------------------------------------------------------------

export function encodeWelcome(id: number): string {
  return `/welcome ${id}`;
}

export function encodeError(code: ProtocolErrorCode, detail: string): string {
  return `/error ${code} ${detail}`;
}

/** A control frame from the server, as a client sees it. */
export type ServerControl =
  | { readonly kind: 'welcome'; readonly id: number }
  | { readonly kind: 'error'; readonly code: string; readonly detail: string };

/** Parses a server frame that starts with "/"; returns undefined for relayed payloads. */
export function parseServerControl(text: string): ServerControl | undefined {
  if (text.startsWith('/welcome ')) {
    const id = Number(text.slice('/welcome '.length));
    return Number.isSafeInteger(id) ? { kind: 'welcome', id } : undefined;
  }
  if (text.startsWith('/error ')) {
    const rest = text.slice('/error '.length);
    const space = rest.indexOf(' ');
    return space === -1
      ? { kind: 'error', code: rest, detail: '' }
      : { kind: 'error', code: rest.slice(0, space), detail: rest.slice(space + 1) };
  }
  return undefined;
}

// ---- probes: the load generator's timed payloads -------------------------------------------

export type ProbeKind = 'echo' | 'broadcast' | 'send-to';

/** First byte of a probe, by kind. */
export const PROBE_TAG = { echo: 0x45, broadcast: 0x42, 'send-to': 0x54 } as const satisfies Record<ProbeKind, number>;
const AT = 0x40;
const DOT_BYTE = 0x2e;
const PAD_BYTE = 0x78; // 'x'
const BROADCAST_COMMAND = Buffer.from('/broadcast ');

/** Largest probe size `encodeProbeFrame` pads to. */
export const MAX_PROBE_BYTES = 1 << 20;

/**
 * What fills a probe past its header. `repeated` (one byte over and over) is what the load
 * generator always sent, and compresses to almost nothing: with permessage-deflate it would make
 * compression look free (deflate level 1 leaves 3% of a 1 KiB probe). `text` is words and
 * spaces, as chat text (47% left); `random` is random characters from a 64-symbol alphabet
 * (6 bits a byte: 78% left). All are ASCII, so every probe stays a valid text frame.
 */
export const PAYLOAD_KINDS = ['repeated', 'text', 'random'] as const;
export type PayloadKind = (typeof PAYLOAD_KINDS)[number];

const WORDS = 'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part'.split(' ');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-';
const POOL_BYTES = 256 * 1024;

/**
 * A pool of padding to copy from (undefined for `repeated`), built once per run from a seeded
 * generator: probes take slices at different offsets, so that no two neighbours repeat each other
 * and the hot path draws no random numbers.
 */
export function paddingPool(kind: PayloadKind, random: () => number): Buffer | undefined {
  if (kind === 'repeated') return undefined;
  const pool = Buffer.allocUnsafe(POOL_BYTES);
  if (kind === 'random') {
    for (let i = 0; i < POOL_BYTES; i++) pool[i] = ALPHABET.charCodeAt(Math.floor(random() * ALPHABET.length));
    return pool;
  }
  let at = 0;
  while (at < POOL_BYTES) at += pool.write(`${WORDS[Math.floor(random() * WORDS.length)]!} `, at, 'latin1');
  return pool;
}

function digitCount(n: number): number {
  let count = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    count++;
  }
  return count;
}

/**
 * Builds the client frame that carries one probe, straight into bytes (the load generator's send
 * path: no intermediate strings): the probe alone for an echo, `/broadcast <probe>` or
 * `/to <target> <probe>`. `bytes` pads the probe (not the command) to that length.
 */
export function encodeProbeFrame(kind: ProbeKind, sender: number, seq: number, sentAtNs: number, bytes = 0, target = 0, pool?: Buffer): Buffer {
  const prefixLength = kind === 'echo' ? 0 : kind === 'broadcast' ? BROADCAST_COMMAND.length : 5 + digitCount(target); // "/to " + id + " "
  const senderDigits = digitCount(sender);
  const seqDigits = digitCount(seq);
  const timeDigits = digitCount(sentAtNs);
  const header = 1 + senderDigits + 1 + seqDigits + 1 + timeDigits;
  const pad = bytes - header - 1;
  const frame = Buffer.allocUnsafe(prefixLength + header + (pad > 0 ? pad + 1 : 0));
  let at = 0;
  if (kind === 'broadcast') at = BROADCAST_COMMAND.copy(frame, 0);
  else if (kind === 'send-to') {
    at = frame.write('/to ', 0, 'latin1');
    at += digitCount(target);
    writeNumber(frame, at, target);
    frame[at++] = 0x20;
  }
  frame[at++] = PROBE_TAG[kind];
  writeNumber(frame, (at += senderDigits), sender);
  frame[at++] = DOT_BYTE;
  writeNumber(frame, (at += seqDigits), seq);
  frame[at++] = AT;
  writeNumber(frame, (at += timeDigits), sentAtNs);
  if (pad > 0) {
    frame[at++] = 0x20;
    if (pool === undefined) frame.fill(PAD_BYTE, at);
    else copyPadding(pool, frame, at, pad, seq);
  }
  return frame;
}

/** Fills frame[at, at + pad) from the pool, starting at an offset that moves with each probe. */
function copyPadding(pool: Buffer, frame: Buffer, at: number, pad: number, seq: number): void {
  let from = (seq * 7919) % pool.length;
  while (pad > 0) {
    const n = Math.min(pad, pool.length - from);
    pool.copy(frame, at, from, from + n);
    at += n;
    pad -= n;
    from = 0;
  }
}

/** Writes the decimal digits of a non-negative integer so that they end just before `end`. */
function writeNumber(buf: Buffer, end: number, n: number): void {
  let i = end - 1;
  do {
    const q = Math.floor(n / 10);
    buf[i--] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
}

/**
 * Reads the decimal number that starts at `start`; returns it and where it ended through `parsed`
 * (one shared object, so the hot path allocates nothing). value is -1 when no digit is there.
 */
const parsed = { value: 0, end: 0 };
function readNumber(data: Buffer, start: number): typeof parsed {
  let value = 0;
  let i = start;
  for (; i < data.length; i++) {
    const digit = data[i]! - 0x30;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  parsed.value = i === start ? -1 : value;
  parsed.end = i;
  return parsed;
}

/** Reads the index of the client that sent a probe (the digits after its tag); -1 when there are none. */
export function probeSender(data: Buffer): number {
  return readNumber(data, 1).value;
}

/** Reads a probe's sequence number from the received bytes; -1 when the frame is not a probe. */
export function probeSeq(data: Buffer): number {
  const dot = data.indexOf(DOT_BYTE, 1);
  if (dot === -1) return -1;
  const { value, end } = readNumber(data, dot + 1);
  return data[end] === AT ? value : -1;
}

/**
 * Reads a probe's send time (ns) straight from the received bytes, without building a string.
 * Returns -1 when the frame is not a probe. Exact while the host's uptime is below ~104 days
 * (2^53 ns); past that it loses nanoseconds, never microseconds.
 */
export function probeSentAtNs(data: Buffer): number {
  const at = data.indexOf(AT, 1);
  return at === -1 ? -1 : readNumber(data, at + 1).value;
}
