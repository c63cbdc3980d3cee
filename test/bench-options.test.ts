/** Bad options and bad scenario files get a one-line UsageError that names the problem and the fix. */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../common/usage.ts';
import { serverArgs } from '../common/server-settings.ts';
import { checkFileLimit, maxClientsFor, RESERVED_FILES } from '../common/file-limit.ts';
import { resolveBenchPlan, type BenchPlan } from '../loadgen/plan.ts';
import { benchArgs, benchOptions, parseBenchOptions, validateBenchOptions, type RawBenchOptions } from '../loadgen/bench-options.ts';
import { listScenarioNames, loadScenario, parseScenario } from '../loadgen/scenario.ts';
import { canPin } from '../loadgen/pinning.ts';

const defaults: RawBenchOptions = { scenario: 'echo', inFlight: '1', drainTimeout: '10', maxSendLag: '10', seed: '1', out: 'results' };
/** As the CLI does it: the strings parsed, then the plan resolved, every problem in one error. */
function plan(overrides: Partial<RawBenchOptions>): BenchPlan {
  return resolveBenchPlan(parseBenchOptions({ ...defaults, ...overrides }));
}

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
    expect(p.server).toEqual({ kind: 'spawn', model: 'actor', host: '127.0.0.1', port: 0 });
    expect(plan({ model: 'mutex', debugStallMs: '200', serverMetrics: false }).server).toMatchObject({ metrics: false, debug: { stallMs: 200 } });
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
    expect(usageError(() => plan({ model: 'actor', scenario: 'broadcast', closedLoop: true })).message).toMatch(/--closed-loop works with single-phase echo traffic only/);
    expect(usageError(() => plan({ model: 'actor', scenario: 'burst', closedLoop: true })).message).toMatch(/--closed-loop works with single-phase echo traffic only/);
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

describe('scenario plans', () => {
  it('turn per-client rates into totals over the clients that send the mix', () => {
    expect(plan({ model: 'actor', scenario: 'mixed', clients: '1000' }).load.phases).toEqual([{ name: 'steady', durationMs: 10_000, rate: 40 }]);
    // 200 clients, 1 publisher and 5 stopped readers: 194 senders at 20/s each
    expect(plan({ model: 'actor', scenario: 'scenarios/extra/slow-consumers-broadcast.json' }).load.phases![0]!.rate).toBe(194 * 20);
  });

  it('scale every phase with --rate (the first phase) and --duration (the total)', () => {
    const p = plan({ model: 'actor', scenario: 'burst', rate: '500', duration: '30' });
    expect(p.load.phases).toEqual([
      { name: 'base', durationMs: 10_000, rate: 500 },
      { name: 'spike', durationMs: 6_000, rate: 5000 },
      { name: 'recovery', durationMs: 14_000, rate: 500 },
    ]);
    expect(p.load.durationMs).toBe(30_000);
    expect(p.load.mode).toEqual({ kind: 'open-loop', rate: 500 });
  });

  it('carry behaviours, size ranges, HTTP traffic and the slow-consumer policy into the plan', () => {
    const slow = plan({ model: 'mutex', scenario: 'slow-consumers', slowConsumerPolicy: 'disconnect', slowConsumerTimeout: '0.5' });
    expect(slow.load.behaviours).toEqual({ stopReading: 5, publisher: { kind: 'send-to-stopped', everyMs: 50, bytes: 65000 } });
    expect(slow.server).toMatchObject({ slowConsumerPolicy: { kind: 'disconnect', timeoutMs: 500 } });
    expect(plan({ model: 'actor', scenario: 'mixed' }).load).toMatchObject({ messageBytes: 32, messageBytesMax: 512 });
    expect(plan({ model: 'actor', scenario: 'churn' }).load.behaviours).toEqual({ churnPerSecond: 50 });
    expect(plan({ model: 'actor', scenario: 'admin-http' }).http?.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /clients/count', 'POST /broadcast']);
  });

  it('reject a bad policy, a timeout without disconnect, and too few clients for the roles', () => {
    expect(usageError(() => plan({ model: 'actor', slowConsumerPolicy: 'ignore' })).message).toBe("--slow-consumer-policy must be one of await, drop, disconnect, got 'ignore'");
    expect(usageError(() => plan({ model: 'actor', slowConsumerPolicy: 'drop', slowConsumerTimeout: '1' })).message).toMatch(/applies to --slow-consumer-policy disconnect only/);
    expect(usageError(() => plan({ model: 'actor', scenario: 'slow-consumers', clients: '6' })).message).toMatch(/--clients must be > 6 for scenario 'slow-consumers'/);
    expect(usageError(() => plan({ target: 'ws://127.0.0.1:1', slowConsumerPolicy: 'drop' })).message).toMatch(/apply to a started server/);
  });
});

describe('scenario files', () => {
  const valid = { name: 'x', description: 'd', probes: 'p', claim: 'c', clients: 10, phases: [{ name: 'steady', durationSeconds: 1, rate: 5 }], mix: { echo: 1 } };

  it('in the library all validate and describe themselves, with what they probe and the claim they test', () => {
    const names = listScenarioNames();
    expect(names).toEqual(expect.arrayContaining(['echo', 'broadcast', 'mixed', 'targeted', 'churn', 'slow-consumers', 'admin-http', 'burst']));
    for (const name of names) {
      const s = loadScenario(name);
      expect(s.name).toBe(name);
      for (const text of [s.description, s.probes, s.claim]) expect(text.length).toBeGreaterThan(10);
    }
  });

  it('fill in defaults', () => {
    expect(parseScenario(valid, 'x.json')).toMatchObject({ ramp: { handshakesInFlight: 200 }, warmupSeconds: 0, messageBytes: 64, mix: { echo: 1, broadcast: 0, sendTo: 0 }, behaviours: {} });
  });

  const phase = valid.phases[0]!;
  it.each([
    ['an unknown key', { ...valid, colour: 'red' }, /^x\.json: \(top level\): Unrecognized key: "colour"/],
    ['a wrong type', { ...valid, clients: 'ten' }, /^x\.json: clients: .*expected number/],
    ['a missing field', { ...valid, description: undefined }, /^x\.json: description: /],
    ['a missing claim', { ...valid, claim: undefined }, /^x\.json: claim: /],
    ['no phases', { ...valid, phases: [] }, /^x\.json: phases: .*>=1/],
    ['a phase with both rates', { ...valid, phases: [{ ...phase, ratePerClient: 1 }] }, /^x\.json: phases\.0: give exactly one of rate \(total msgs\/s\) or ratePerClient/],
    ['a phase without a rate', { ...valid, phases: [{ name: 'a', durationSeconds: 1 }] }, /^x\.json: phases\.0: give exactly one of rate/],
    ['a negative rate', { ...valid, phases: [{ ...phase, rate: -1 }] }, /^x\.json: phases\.0\.rate: .*>=0/],
    ['a zero duration', { ...valid, phases: [{ ...phase, durationSeconds: 0 }] }, /^x\.json: phases\.0\.durationSeconds: .*>0/],
    ['a phase name used twice', { ...valid, phases: [phase, phase] }, /^x\.json: phases\.1\.name: 'steady' is used twice/],
    ['an empty mix', { ...valid, mix: { echo: 0 } }, /^x\.json: mix: at least one weight must be > 0/],
    ['an unknown message kind', { ...valid, mix: { shout: 1 } }, /^x\.json: 2 problems: mix: Unrecognized key: "shout"; mix: at least one weight must be > 0/],
    ['a size range upside down', { ...valid, messageBytes: { min: 100, max: 10 } }, /^x\.json: messageBytes: min must be <= max/],
    ['a ramp with both a pace and a duration', { ...valid, ramp: { perSecond: 10, durationSeconds: 1 } }, /^x\.json: ramp: give perSecond or durationSeconds, not both/],
    ['more stopped readers than clients', { ...valid, behaviours: { stopReading: { clients: 10 } } }, /^x\.json: behaviours\.stopReading\.clients: must be fewer than clients \(10\)/],
    ['a publisher to stopped readers without any', { ...valid, behaviours: { publisher: { kind: 'send-to-stopped', everyMs: 50, bytes: 10 } } }, /^x\.json: behaviours\.publisher\.kind: 'send-to-stopped' needs behaviours\.stopReading/],
    ['an unknown publisher kind', { ...valid, behaviours: { publisher: { kind: 'shout', everyMs: 50, bytes: 10 } } }, /^x\.json: behaviours\.publisher\.kind: .*"broadcast"\|"send-to-stopped"/],
    ['churn with broadcasts', { ...valid, mix: { broadcast: 1 }, behaviours: { churn: { perSecond: 1 } } }, /^x\.json: behaviours\.churn: cannot be combined with broadcast traffic/],
    ['churn with a broadcasting publisher', { ...valid, behaviours: { churn: { perSecond: 1 }, publisher: { kind: 'broadcast', everyMs: 50, bytes: 10 } } }, /^x\.json: behaviours\.churn: cannot be combined with broadcast traffic/],
    ['churn with POST /broadcast', { ...valid, behaviours: { churn: { perSecond: 1 } }, http: { requests: [{ method: 'POST', path: '/broadcast', rate: 1 }] } }, /^x\.json: behaviours\.churn: cannot be combined/],
    ['POST /broadcast with stopped readers', { ...valid, behaviours: { stopReading: { clients: 1 } }, http: { requests: [{ method: 'POST', path: '/broadcast', rate: 1 }] } }, /^x\.json: http\.requests: POST \/broadcast cannot be combined with behaviours\.stopReading/],
    ['an HTTP rate below 1/s', { ...valid, http: { requests: [{ method: 'GET', path: '/clients/count', rate: 0.5 }] } }, /^x\.json: http\.requests\.0\.rate: .*>=1/],
    ['a message size of the wrong type', { ...valid, messageBytes: 'big' }, /^x\.json: messageBytes: a whole number of bytes from 0 to \d+, or \{"min": n, "max": n\}/],
    ['an HTTP route that does not exist', { ...valid, http: { requests: [{ method: 'GET', path: '/admin', rate: 1 }] } }, /^x\.json: http\.requests\.0\.path: /],
    ['GET /broadcast', { ...valid, http: { requests: [{ method: 'GET', path: '/broadcast', rate: 1 }] } }, /^x\.json: http\.requests\.0: use GET \/clients\/count or POST \/broadcast/],
  ])('reject %s, naming the file and the field', (_what, data, message) => {
    const e = usageError(() => parseScenario(data, 'x.json'));
    expect(e.code).toBe('ERR_BAD_SCENARIO');
    expect(e.message).toMatch(message);
  });
});

describe('every problem at once', () => {
  it('names all three mistakes of a scenario file in one message', () => {
    const data = { name: 'x', description: 'd', probes: 'p', claim: 'c', mix: { echo: 1 }, clients: 'ten', colour: 'red', phases: [{ name: 'steady', durationSeconds: 0, rate: 10 }] };
    const e = usageError(() => parseScenario(data, 'x.json'));
    expect(e.code).toBe('ERR_BAD_SCENARIO');
    expect(e.problems).toHaveLength(3);
    expect(e.message).toMatch(/^x\.json: 3 problems: /);
    for (const field of ['(top level): Unrecognized key: "colour"', 'clients: ', 'phases.0.durationSeconds: ']) expect(e.message).toContain(field);
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('names every bad bench option in one message', () => {
    const e = usageError(() => plan({ model: 'actor', clients: '0', seed: '-1', slowConsumerPolicy: 'ignore' }));
    expect(e.problems).toEqual([
      "--clients must be an integer >= 1, got '0'",
      "--seed must be an integer from 0 to 4294967295, got '-1'",
      "--slow-consumer-policy must be one of await, drop, disconnect, got 'ignore'",
    ]);
    expect(e.message).toBe(`3 problems: ${e.problems.join('; ')}`);
  });
});

describe('bench options as data', () => {
  it('validate options built in code against the same rules as the CLI, every problem at once', () => {
    const problems = validateBenchOptions(benchOptions({ model: 'actor', clients: 0, rate: -5, seed: 1.5, slowConsumerTimeoutSeconds: 2 }));
    expect(problems.map((p) => p.message)).toEqual([
      "--clients must be an integer >= 1, got '0'",
      "--rate must be a number > 0, got '-5'",
      "--seed must be an integer from 0 to 4294967295, got '1.5'",
      '--slow-consumer-timeout applies to --slow-consumer-policy disconnect only',
    ]);
    expect(validateBenchOptions(benchOptions({ model: 'mutex', clients: 10, rate: 100 }))).toEqual([]);
  });

  it('resolve a plan from typed options without a round trip through strings (what sweeps and compare do)', () => {
    const base = benchOptions({ model: 'actor', scenario: 'echo', clients: 100, rate: 200 });
    const point = resolveBenchPlan({ ...base, clients: 250 });
    expect(point.load).toMatchObject({ clients: 250, mode: { kind: 'open-loop', rate: 200 } });
    expect(resolveBenchPlan({ ...base, slowConsumerPolicy: 'disconnect', slowConsumerTimeoutSeconds: 0.5 }).server).toMatchObject({ slowConsumerPolicy: { kind: 'disconnect', timeoutMs: 500 } });
  });

  it('write options back as the bench flags a result records, defaults left out', () => {
    expect(benchArgs(benchOptions({ model: 'mutex', scenario: 'broadcast', clients: 2000, slowConsumerPolicy: 'drop', stopReading: false }))).toEqual([
      '--scenario',
      'broadcast',
      '--model',
      'mutex',
      '--clients',
      '2000',
      '--slow-consumer-policy',
      'drop',
      '--no-stop-reading',
    ]);
  });
});

describe('--pin', () => {
  it('pins a started server to CPU 0 where the machine allows, and is refused with --target', () => {
    expect(usageError(() => plan({ target: 'ws://127.0.0.1:1', pin: true })).message).toMatch(/--pin apply to a started server/);
    if (canPin()) expect(plan({ model: 'actor', pin: true }).server).toMatchObject({ kind: 'spawn', cpus: '0' });
    else expect(usageError(() => plan({ model: 'actor', pin: true })).message).toMatch(/--pin needs taskset and at least 2 CPUs/);
  });
});

describe('serverArgs, the one function that spells the server flags', () => {
  it('writes model, address, metrics, policy and debug behaviours, with --debug only when one is asked', () => {
    expect(serverArgs({ model: 'actor', host: '127.0.0.1', port: 0 })).toEqual(['--model', 'actor', '--host', '127.0.0.1', '--port', '0']);
    expect(serverArgs({ model: 'mutex', host: '::1', port: 9000, metrics: false, slowConsumerPolicy: { kind: 'disconnect', timeoutMs: 500 }, debug: { stallMs: 200, delayPerMessageUs: 5 } })).toEqual([
      '--model', 'mutex', '--host', '::1', '--port', '9000', '--no-metrics', '--slow-consumer-policy', 'disconnect', '--slow-consumer-timeout-ms', '500',
      '--debug', '--debug-stall-ms', '200', '--debug-stall-every-ms', '1000', '--debug-delay-per-message-us', '5',
    ]); // prettier-ignore
  });

  it('is what a bench plan starts its server with', () => {
    const p = resolveBenchPlan(benchOptions({ model: 'mutex', slowConsumerPolicy: 'drop', debugStallMs: 100 }));
    expect(p.server.kind === 'spawn' && serverArgs(p.server)).toEqual(['--model', 'mutex', '--host', '127.0.0.1', '--port', '0', '--slow-consumer-policy', 'drop', '--debug', '--debug-stall-ms', '100', '--debug-stall-every-ms', '1000']);
  });
});
