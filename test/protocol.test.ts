import { describe, expect, it } from 'vitest';
import {
  encodeBroadcast,
  encodeError,
  encodeProbeFrame,
  encodeSendTo,
  encodeWelcome,
  parseClientFrame,
  parseServerControl,
  probeSentAtNs,
  probeSeq,
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
    const frame = encodeProbeFrame('echo', 12, 345, sentAt);
    expect(frame.toString()).toBe(`E12.345@${sentAt}`);
    expect(frame[0]).toBe(PROBE_TAG.echo);
    expect(probeSentAtNs(frame)).toBe(sentAt);
    expect(probeSeq(frame)).toBe(345);
  });

  it('encode zeros and powers of ten digit for digit', () => {
    expect(encodeProbeFrame('echo', 0, 0, 0).toString()).toBe('E0.0@0');
    expect(encodeProbeFrame('echo', 10, 100, 1000).toString()).toBe('E10.100@1000');
    expect(encodeProbeFrame('echo', 9, 99, 9007199254740991).toString()).toBe('E9.99@9007199254740991');
  });

  it('wrap broadcast and send-to probes in their commands, which the server unwraps to the bare probe', () => {
    const b = encodeProbeFrame('broadcast', 3, 4, 5);
    expect(b.toString()).toBe('/broadcast B3.4@5');
    const parsedB = parseClientFrame(b);
    expect(parsedB.kind === 'broadcast' && parsedB.payload.toString()).toBe('B3.4@5');
    const t = encodeProbeFrame('send-to', 3, 4, 5, 0, 1207);
    expect(t.toString()).toBe('/to 1207 T3.4@5');
    expect(parseClientFrame(t)).toMatchObject({ kind: 'send-to', to: 1207 });
  });

  it('pad the probe (not the command) to the requested size without changing what it carries', () => {
    const frame = encodeProbeFrame('echo', 1, 2, 123456789, 256);
    expect(frame.length).toBe(256);
    expect(frame.toString()).toMatch(/^E1\.2@123456789 x+$/);
    expect(probeSentAtNs(frame)).toBe(123456789);
    expect(probeSeq(frame)).toBe(2);
    expect(encodeProbeFrame('broadcast', 1, 2, 3, 64).length).toBe('/broadcast '.length + 64);
    expect(encodeProbeFrame('echo', 1, 2, 3, 4).toString()).toBe('E1.2@3');
  });

  it('are never mistaken for commands when sent bare', () => {
    expect(parseClientFrame(encodeProbeFrame('echo', 1, 1, 1)).kind).toBe('echo');
  });

  it('report -1 for frames that are not probes', () => {
    expect(probeSentAtNs(Buffer.from('hello'))).toBe(-1);
    expect(probeSentAtNs(Buffer.from('E1.2@'))).toBe(-1);
    expect(probeSeq(Buffer.from('hello'))).toBe(-1);
    expect(probeSeq(Buffer.from('E1.x@5'))).toBe(-1);
  });
});
