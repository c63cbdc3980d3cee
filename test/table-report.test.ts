/** The table reporter is a pure function of a result: checked against a stored result file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTable } from '../loadgen/report/table.ts';
import { exitCodeForResult, type BenchResult, type CompletedResult } from '../loadgen/result.ts';
import { upgradeResult } from '../loadgen/result-upgrade.ts';

// Stored by an older version: read through the upgrade that `npm run report` uses.
const fixture = upgradeResult(JSON.parse(readFileSync(new URL('./fixtures/result-v3.json', import.meta.url), 'utf8')) as CompletedResult) as CompletedResult;

describe('table report', () => {
  it('shows connections, handshake, throughput, latency percentiles, errors and lost', () => {
    const text = renderTable(fixture);
    const row = (label: string): string => text.split('\n').find((line) => line.includes(label)) ?? '';
    expect(row('mutex · echo')).not.toBe('');
    expect(row('connections open')).toContain(`${fixture.connections.open} / ${fixture.connections.requested}`);
    expect(row('latency p50')).toContain(`${(fixture.latency.p50! / 1000).toFixed(2)} ms`);
    expect(row('latency p99.9')).toContain(' ms');
    expect(row('messages/s sent')).toMatch(/\d/);
    expect(row('errors')).toMatch(/│\s+0 │/);
    expect(row('lost')).toMatch(/│\s+0 │/);
    expect(text).not.toMatch(/\x1b\[/); // no colour unless asked
    // The load generator's own figures: its loop delay's p99 and longest pause, and its send lag.
    const s = fixture.selfCheck;
    const shown = /loop delay p99 ([\d.]+) ms \/ max ([\d.]+) ms/.exec(row('load generator'));
    expect(shown).not.toBeNull();
    expect(Number(shown![1])).toBeCloseTo(s.eventLoopDelay.p99! / 1000, 1);
    expect(Number(shown![2])).toBeCloseTo(s.eventLoopDelay.max! / 1000, 1);
    expect(row('load generator')).toContain('send lag p99');
  });

  it('ends with the runtime the run was made on (an older result: without V8\u2019s version)', () => {
    const lines = renderTable(fixture).split('\n');
    expect(lines.at(-2)).toMatch(new RegExp(`│ runtime\\s+│\\s+Node ${fixture.environment.node.replaceAll('.', '\\.')} │`));
    const withV8 = renderTable({ ...fixture, environment: { ...fixture.environment, node: 'v26.10.0', v8: '14.6.202.34-node.30' } }).split('\n');
    expect(withV8.at(-2)).toMatch(/│ runtime\s+│\s+Node v26\.10\.0 \(V8 14\.6\.202\.34\) │/);
  });

  it('shows an interrupted run: where the signal arrived, its exit code, then the figures measured so far', () => {
    const { status: _completed, ...figures } = fixture;
    const interrupted: BenchResult = { ...figures, status: 'interrupted', interruption: { signal: 'SIGINT', phase: 'measure', exitCode: 130 }, partial: figures };
    const text = renderTable(interrupted);
    expect(text).toMatch(/INTERRUPTED by SIGINT during measure \(exit 130\)/);
    expect(text).toContain('what was measured before the stop');
    expect(text).toContain(`${(fixture.latency.p50! / 1000).toFixed(2)} ms`);
    expect(exitCodeForResult(interrupted)).toBe(130);
    const { partial: _partial, ...beforeTraffic } = interrupted;
    expect(renderTable(beforeTraffic)).not.toContain('latency p50');
  });

  it('lists error causes with their counts', () => {
    const withErrors: CompletedResult = { ...fixture, errors: { total: 3, byCause: { 'connect:ECONNREFUSED': 2, 'closed-by-server:1009': 1 } } };
    expect(renderTable(withErrors)).toMatch(/3 \(connect:ECONNREFUSED 2, closed-by-server:1009 1\)/);
  });

  it('puts a server stall first, in words a reader cannot miss', () => {
    const stalled: CompletedResult = { ...fixture, stall: { beganAtSecond: 7, stalledSeconds: 12 } };
    const lines = renderTable(stalled).split('\n');
    expect(lines[2]).toMatch(/!! SERVER STALLED !!.*from second 7 of the measured phase, 12 s without replies/);
  });

  it('balances deliveries against what the slow-consumer policy dropped, and flags what is unexplained', () => {
    const byCause = { missing: 100, duplicate: 0, toSender: 0, wrongReceiver: 0, unknownProbe: 0 };
    const accounting = { expected: 1000, delivered: 900, excused: 0, droppedByPolicy: 95, refusedTargetGone: 5, lost: 100, unexplained: 0, balanced: true, byCause };
    const policy = { name: 'drop', dropped: 95, disconnected: 0 };
    expect(renderTable({ ...fixture, accounting, slowConsumerPolicy: policy })).toMatch(/900 \+ 95 \+ 5 of 1,000 expected: balanced/);
    expect(renderTable({ ...fixture, accounting: { ...accounting, droppedByPolicy: 90, unexplained: 5, balanced: false }, slowConsumerPolicy: policy })).toMatch(/5 UNEXPLAINED/);
    expect(renderTable({ ...fixture, slowConsumerPolicy: policy })).toMatch(/drop: 95 frames dropped, 0 clients disconnected/);
  });

  it('names wrong deliveries per receiver by cause', () => {
    const byCause = { missing: 10, duplicate: 10, toSender: 2, wrongReceiver: 3, unknownProbe: 0 };
    const text = renderTable({ ...fixture, accounting: { ...fixture.accounting, byCause } });
    expect(text).toMatch(/deliveries by receiver\s+│\s+missing 10, duplicate 10, to sender 2, wrong client 3, unknown probe 0/);
    expect(renderTable(fixture)).not.toContain('deliveries by receiver');
  });

  it('shows each traffic phase, and the recovery after the peak', () => {
    const latency = fixture.latency;
    const trafficPhases = [
      { name: 'base', rate: 1000, durationMs: 5000, sent: 5000, expected: 5000, received: 5000, latency },
      { name: 'spike', rate: 10000, durationMs: 3000, sent: 30000, expected: 30000, received: 30000, latency },
      { name: 'recovery', rate: 1000, durationMs: 7000, sent: 7000, expected: 7000, received: 7000, latency, recoveredAfterSeconds: 2 },
    ];
    const text = renderTable({ ...fixture, trafficPhases });
    expect(text).toMatch(/phase spike \(10,000\/s, 3 s\)/);
    expect(text).toMatch(/phase recovery \(1,000\/s, 7 s\).*7,000 of 7,000, recovered after 2 s/);
    expect(renderTable({ ...fixture, trafficPhases: [trafficPhases[0]!, trafficPhases[1]!, { ...trafficPhases[2]!, recoveredAfterSeconds: null }] })).toMatch(/NOT RECOVERED/);
  });

  it('shows the registry before and after the clients leave', () => {
    expect(renderTable(fixture)).toMatch(/registry before \/ after close\s+│\s+50 \(= clients open\) \/ 0/);
    expect(renderTable({ ...fixture, registry: { openBeforeClose: 50, countBeforeClose: 52, countAfterClose: 2, emptyAfterClose: false } })).toMatch(/52 \(clients open: 50\) \/ 2/);
  });

  it('shows a failed run as failed, with its error', () => {
    const failed: BenchResult = { ...fixture, status: 'failed', error: { code: 'ERR_SERVER_EXITED', message: 'the actor server exited' } };
    const text = renderTable(failed);
    expect(text).toMatch(/FAILED: ERR_SERVER_EXITED/);
    expect(text).toMatch(/the actor server exited/);
  });
});
