import { describe, expect, it } from 'vitest';
import {
  encodeBroadcast,
  encodeError,
  encodeProbe,
  encodeSendTo,
  encodeWelcome,
  parseClientFrame,
  parseServerControl,
  probeSentAtNs,
  PROBE_TAG,
} from '../common/protocol.ts';

const frame = (text: string): Buffer => Buffer.from(text);

describe('client frames', () => {
  it('echoes plain text unchanged', () => {
    const command = parseClientFrame(frame('hello world'));
    expect(command.kind).toBe('echo');
    expect(command.kind === 'echo' && command.payload.toString()).toBe('hello world');
  });

  it('treats the bare word broadcast as a broadcast of that word, as the original does', () => {
    const command = parseClientFrame(frame('broadcast'));
    expect(command.kind === 'broadcast' && command.payload.toString()).toBe('broadcast');
  });

  it('echoes text that merely starts with the word broadcast', () => {
    expect(parseClientFrame(frame('broadcasting now')).kind).toBe('echo');
  });

  it('parses /broadcast, /to and /echo, keeping the payload byte for byte', () => {
    const b = parseClientFrame(frame(encodeBroadcast('B1.2@3 pad')));
    expect(b.kind === 'broadcast' && b.payload.toString()).toBe('B1.2@3 pad');
    const t = parseClientFrame(frame(encodeSendTo(42, 'hi there')));
    expect(t).toMatchObject({ kind: 'send-to', to: 42 });
    expect(t.kind === 'send-to' && t.payload.toString()).toBe('hi there');
    const e = parseClientFrame(frame('/echo /welcome 3'));
    expect(e.kind === 'echo' && e.payload.toString()).toBe('/welcome 3');
  });

  it('keeps multi-byte UTF-8 payloads intact', () => {
    const t = parseClientFrame(frame('/to 7 héllo ✓'));
    expect(t.kind === 'send-to' && t.payload.toString()).toBe('héllo ✓');
  });

  it('refuses unknown commands and malformed /to with a code and a hint', () => {
    expect(parseClientFrame(frame('/nope x'))).toMatchObject({ kind: 'invalid', code: 'unknown-command' });
    expect(parseClientFrame(frame('/'))).toMatchObject({ kind: 'invalid', code: 'unknown-command' });
    expect(parseClientFrame(frame('/to abc hi'))).toMatchObject({ kind: 'invalid', code: 'bad-arguments' });
    expect(parseClientFrame(frame('/to 12'))).toMatchObject({ kind: 'invalid', code: 'bad-arguments' });
    expect(parseClientFrame(frame('/to  hi'))).toMatchObject({ kind: 'invalid', code: 'bad-arguments' });
    expect(parseClientFrame(frame('/to 1234567890123456 hi'))).toMatchObject({ kind: 'invalid', code: 'bad-arguments' });
  });
});

describe('server frames', () => {
  it('round-trips welcome and error frames', () => {
    expect(parseServerControl(encodeWelcome(17))).toEqual({ kind: 'welcome', id: 17 });
    expect(parseServerControl(encodeError('unknown-client', 'no client with id 9'))).toEqual({
      kind: 'error',
      code: 'unknown-client',
      detail: 'no client with id 9',
    });
    expect(parseServerControl('E1.2@3')).toBeUndefined();
  });
});

describe('probes', () => {
  it('carry kind, sender, sequence and a nanosecond timestamp that reads back exactly', () => {
    const sentAt = Number(process.hrtime.bigint());
    const probe = encodeProbe('broadcast', 12, 345, sentAt);
    expect(probe).toBe(`B12.345@${sentAt}`);
    const bytes = Buffer.from(probe);
    expect(bytes[0]).toBe(PROBE_TAG.broadcast);
    expect(probeSentAtNs(bytes)).toBe(sentAt);
  });

  it('pad to the requested size without changing the timestamp', () => {
    const probe = encodeProbe('echo', 1, 2, 123456789, 256);
    expect(Buffer.byteLength(probe)).toBe(256);
    expect(probeSentAtNs(Buffer.from(probe))).toBe(123456789);
    expect(encodeProbe('echo', 1, 2, 3, 4)).toBe('E1.2@3');
  });

  it('are never mistaken for commands', () => {
    for (const kind of ['echo', 'broadcast', 'send-to'] as const) {
      expect(parseClientFrame(Buffer.from(encodeProbe(kind, 1, 1, 1))).kind).toBe('echo');
    }
  });

  it('report -1 for frames that are not probes', () => {
    expect(probeSentAtNs(Buffer.from('hello'))).toBe(-1);
    expect(probeSentAtNs(Buffer.from('E1.2@'))).toBe(-1);
  });
});
