/** Bad options and bad scenario files get a one-line UsageError that names the problem and the fix. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../common/usage.ts';
import { checkFileLimit, maxClientsFor, RESERVED_FILES } from '../common/file-limit.ts';
import { resolveBenchPlan, type RawBenchOptions } from '../loadgen/plan.ts';
import { listScenarioNames, loadScenario, parseScenario } from '../loadgen/scenario.ts';

const defaults: RawBenchOptions = { scenario: 'echo', inFlight: '1', drainTimeout: '10', maxSendLag: '10', seed: '1', out: 'results' };
const plan = (overrides: Partial<RawBenchOptions>) => resolveBenchPlan({ ...defaults, ...overrides });

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const usage = error as UsageError;
    expect(usage.message).not.toContain('\n');
    return usage;
  }
  throw new Error('expected a UsageError');
}

describe('bench options', () => {
  it('take the scenario defaults and let options override them', () => {
    const p = plan({ model: 'actor' });
    expect(p.server).toEqual({ kind: 'spawn', model: 'actor', host: '127.0.0.1', port: 0, extraArgs: [] });
    expect(plan({ model: 'mutex', debugStallMs: '200', serverMetrics: false }).server).toMatchObject({ extraArgs: ['--debug-stall-ms', '200', '--no-metrics'] });
    expect(p.load.clients).toBe(10000);
    expect(p.load.mode).toEqual({ kind: 'open-loop', rate: 10000 });
    const o = plan({ model: 'mutex', clients: '250', duration: '2.5', rate: '500', port: '9000' });
    expect(o.load).toMatchObject({ clients: 250, durationMs: 2500, mode: { kind: 'open-loop', rate: 500 } });
    expect(o.server).toMatchObject({ port: 9000 });
  });

  it('drive a running server with --target', () => {
    expect(plan({ target: 'ws://127.0.0.1:8080' }).server).toEqual({ kind: 'external', url: 'ws://127.0.0.1:8080/' });
  });

  it('reject an unknown model, naming the allowed ones', () => {
    const e = usageError(() => plan({ model: 'actors' }));
    expect(e.code).toBe('ERR_UNKNOWN_MODEL');
    expect(e.message).toBe("--model must be one of actor, mutex, baseline, got 'actors'");
  });

  it('reject client counts of zero, below zero or not integers', () => {
    for (const clients of ['0', '-5', '2.5', 'many']) {
      expect(usageError(() => plan({ model: 'actor', clients })).message).toMatch(/^--clients must be an integer >= 1, got/);
    }
  });

  it('reject a missing server, both --model and --target, and a non-WebSocket target', () => {
    expect(usageError(() => plan({})).message).toMatch(/give --model/);
    expect(usageError(() => plan({ model: 'actor', target: 'ws://127.0.0.1:1' })).message).toMatch(/only one of them/);
    expect(usageError(() => plan({ target: 'http://127.0.0.1:1' })).message).toMatch(/--target must be a ws:\/\//);
  });

  it('reject rates, durations and ports out of range', () => {
    expect(usageError(() => plan({ model: 'actor', rate: '0' })).message).toMatch(/--rate must be a number > 0/);
    expect(usageError(() => plan({ model: 'actor', duration: 'abc' })).message).toMatch(/--duration/);
    expect(usageError(() => plan({ model: 'actor', port: '70000' })).message).toMatch(/--port must be an integer from 0 to 65535/);
  });

  it('reject closed loop for broadcast traffic, and broadcast with a single client', () => {
    expect(usageError(() => plan({ model: 'actor', scenario: 'broadcast', closedLoop: true })).message).toMatch(/--closed-loop works with echo traffic only/);
    expect(usageError(() => plan({ model: 'actor', scenario: 'broadcast', clients: '1' })).message).toMatch(/--clients must be >= 2/);
  });

  it("reject probes bigger than a started server's frame limit", () => {
    expect(usageError(() => plan({ model: 'actor', messageBytes: '70000' })).message).toBe(
      '--message-bytes must be at most 65472 for a started server, whose frame limit is 65536 bytes; got 70000',
    );
    expect(plan({ target: 'ws://127.0.0.1:1', messageBytes: '70000' }).load.messageBytes).toBe(70000);
  });

  it('reject an unknown scenario, listing the library', () => {
    const e = usageError(() => plan({ model: 'actor', scenario: 'nope' }));
    expect(e.code).toBe('ERR_UNKNOWN_SCENARIO');
    expect(e.message).toMatch(/one of .*broadcast.*echo/);
  });
});

describe('open-file limit', () => {
  const limits = { soft: 1024, hard: 20000 };
  it('is fine when the soft limit covers the clients, raised when only the hard one does', () => {
    expect(checkFileLimit(900, limits)).toBe('ok');
    expect(checkFileLimit(10000, limits)).toBe('raise');
    expect(maxClientsFor(limits)).toBe(20000 - RESERVED_FILES);
  });

  it('refuses more clients than the hard limit allows, with the fix in the message', () => {
    const e = usageError(() => checkFileLimit(30000, limits));
    expect(e.code).toBe('ERR_FILE_LIMIT');
    expect(e.message).toMatch(/--clients 30000 needs 30064 open files .* at most 20000 .*use --clients 19936 or less/);
  });
});

describe('scenario files', () => {
  const valid = { name: 'x', description: 'd', clients: 10, durationSeconds: 1, rate: 5, mix: { echo: 1 } };

  it('in the library all validate and describe themselves', () => {
    const names = listScenarioNames();
    expect(names).toEqual(expect.arrayContaining(['echo', 'broadcast']));
    for (const name of names) expect(loadScenario(name).description.length).toBeGreaterThan(10);
  });

  it('fill in defaults', () => {
    expect(parseScenario(valid, 'x.json')).toMatchObject({ connectConcurrency: 200, messageBytes: 64, mix: { echo: 1, broadcast: 0, sendTo: 0 } });
  });

  it.each([
    ['an unknown key', { ...valid, colour: 'red' }, /^x\.json: \(top level\): Unrecognized key: "colour"/],
    ['a wrong type', { ...valid, clients: 'ten' }, /^x\.json: clients: .*expected number/],
    ['an impossible value', { ...valid, rate: -1 }, /^x\.json: rate: .*>0/],
    ['an empty mix', { ...valid, mix: { echo: 0 } }, /^x\.json: mix: at least one weight must be > 0/],
    ['an unknown message kind', { ...valid, mix: { shout: 1 } }, /^x\.json: mix: Unrecognized key: "shout"/],
    ['a missing field', { ...valid, description: undefined }, /^x\.json: description: /],
  ])('reject %s, naming the file and the field', (_what, data, message) => {
    const e = usageError(() => parseScenario(data, 'x.json'));
    expect(e.code).toBe('ERR_BAD_SCENARIO');
    expect(e.message).toMatch(message);
  });
});
