/** The table reporter is a pure function of a result: checked against a stored result file. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTable } from '../loadgen/report/table.ts';
import type { BenchResult, CompletedResult } from '../loadgen/result.ts';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/result-v2.json', import.meta.url), 'utf8')) as CompletedResult;

describe('table report', () => {
  it('shows connections, handshake, throughput, latency percentiles, errors and lost', () => {
    const text = renderTable(fixture);
    const row = (label: string): string => text.split('\n').find((line) => line.includes(label)) ?? '';
    expect(row('mutex · echo')).not.toBe('');
    expect(row('connections open')).toContain(`${fixture.connections.open} / ${fixture.connections.requested}`);
    expect(row('latency p50')).toContain(`${(fixture.latency.p50 / 1000).toFixed(2)} ms`);
    expect(row('latency p99.9')).toContain(' ms');
    expect(row('messages/s sent')).toMatch(/\d/);
    expect(row('errors')).toMatch(/│\s+0 │/);
    expect(row('lost')).toMatch(/│\s+0 │/);
    expect(text).not.toMatch(/\x1b\[/); // no colour unless asked
  });

  it('lists error causes with their counts', () => {
    const withErrors: CompletedResult = { ...fixture, errors: { total: 3, byCause: { 'connect:ECONNREFUSED': 2, 'closed-by-server:1009': 1 } } };
    expect(renderTable(withErrors)).toMatch(/3 \(connect:ECONNREFUSED 2, closed-by-server:1009 1\)/);
  });

  it('shows a failed run as failed, with its error', () => {
    const failed: BenchResult = { ...fixture, status: 'failed', error: { code: 'ERR_SERVER_EXITED', message: 'the actor server exited' } };
    const text = renderTable(failed);
    expect(text).toMatch(/FAILED: ERR_SERVER_EXITED/);
    expect(text).toMatch(/the actor server exited/);
  });
});
