/**
 * Change points over the history of main, on synthetic histories with this machine's noise: each
 * point is the median of 6 trials (a gate run's rounds) drawn from the stored A/A echo p50 trials
 * of each model (test/fixtures/echo-10k-trials.json). Flat histories must show no change point in
 * at least 95 of 100; a 10% step must be found, where it is, in at least 90 of 100.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { median } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../loadgen/random.ts';
import { changePoints, historyChanges, readHistory, runtimeChanges } from '../regress/history.ts';

const stored = JSON.parse(readFileSync(new URL('./fixtures/echo-10k-trials.json', import.meta.url), 'utf8')) as { arms: Record<string, { p50: number[] }> };
const HISTORIES = 100;
const LENGTH = 30;
const STEP_AT = 15;

function history(pool: readonly number[], step: number, random: () => number): number[] {
  const run = (): number => median(Array.from({ length: 6 }, () => pool[Math.floor(random() * pool.length)]!));
  return Array.from({ length: LENGTH }, (_, i) => run() * (i >= STEP_AT ? 1 + step : 1));
}

describe('changePoints on synthetic histories with this machine\u2019s noise', () => {
  for (const [model, { p50 }] of Object.entries(stored.arms)) {
    it(`${model}: no change point in ≥ 95 of 100 flat histories; a 10% step found in ≥ 90 of 100`, () => {
      const random = seededRandom(7);
      let flatWithChange = 0;
      let stepFound = 0;
      for (let i = 0; i < HISTORIES; i++) {
        if (changePoints(history(p50, 0, random), i).length > 0) flatWithChange++;
        const found = changePoints(history(p50, 0.1, random), i);
        if (found.some((c) => Math.abs(c.index - STEP_AT) <= 2 && c.change > 0.05)) stepFound++;
      }
      process.stdout.write(`history ${model}: flat with a change point ${flatWithChange}/100; 10% step found ${stepFound}/100\n`);
      expect(flatWithChange).toBeLessThanOrEqual(5);
      expect(stepFound).toBeGreaterThanOrEqual(90);
    });
  }

  it('names the commit where a change began, from a JSON-lines file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'history-'));
    const file = path.join(dir, 'history.jsonl');
    const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ schemaVersion: 1, commit: `c${String(i).padStart(2, '0')}`, createdAt: `2026-11-${10 + i}`, figures: { 'echo · actor · p50': (i >= 12 ? 1.3 : 1) + (i % 3) * 0.01 } }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const changes = historyChanges(readHistory(file));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ series: 'echo · actor · p50', commit: 'c12' });
  });

  it('says when a change point lies where the runtime changed, lines without a runtime counting as one value of their own', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'history-'));
    const file = path.join(dir, 'history.jsonl');
    const node26 = { node: 'v26.10.0', v8: '14.6.202.34-node.30' };
    const node27 = { node: 'v27.0.0', v8: '15.0.1.1-node.1' };
    // c00–c11 written before runtimes were recorded (as on main until the pin), then the pin to 26 with a 20% step at c12;
    // c24 moves to 27 without a step.
    const lines = Array.from({ length: 30 }, (_, i) => ({ schemaVersion: 1, commit: `c${String(i).padStart(2, '0')}`, createdAt: `2026-11-${String(1 + i).padStart(2, '0')}`, figures: { 'echo · actor · p50': (i >= 12 ? 1.2 : 1) + (i % 3) * 0.01 }, ...(i >= 12 && { runtime: i >= 24 ? node27 : node26 }) }));
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const entries = readHistory(file);
    expect(runtimeChanges(entries)).toEqual([
      { commit: 'c12', createdAt: '2026-11-13', from: 'not recorded', to: 'Node v26.10.0 (V8 14.6.202.34)' },
      { commit: 'c24', createdAt: '2026-11-25', from: 'Node v26.10.0 (V8 14.6.202.34)', to: 'Node v27.0.0 (V8 15.0.1.1)' },
    ]);
    const changes = historyChanges(entries);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ commit: 'c12', runtimeChanged: { commit: 'c12', from: 'not recorded', to: 'Node v26.10.0 (V8 14.6.202.34)' } });
  });

  it('names a runtime change a run or two from a change point, and none further off', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'history-'));
    const file = path.join(dir, 'history.jsonl');
    const write = (runtimeFrom: number): ReturnType<typeof historyChanges> => {
      const lines = Array.from({ length: 20 }, (_, i) => ({ schemaVersion: 1, commit: `c${String(i).padStart(2, '0')}`, createdAt: `2026-11-${String(1 + i).padStart(2, '0')}`, figures: { s: (i >= 10 ? 1.3 : 1) + (i % 3) * 0.01 }, ...(i >= runtimeFrom && { runtime: { node: 'v26.10.0' } }) }));
      writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
      return historyChanges(readHistory(file));
    };
    expect(write(12)[0]).toMatchObject({ commit: 'c10', runtimeChanged: { commit: 'c12' } });
    expect(write(13)[0]).toMatchObject({ commit: 'c10' });
    expect(write(13)[0]!.runtimeChanged).toBeUndefined();
  });

  it('refuses a line whose runtime is not {node, v8?} strings', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'history-'));
    const file = path.join(dir, 'history.jsonl');
    const line = { schemaVersion: 1, commit: 'a', createdAt: '2026-12-01T00:00:00Z', figures: {} };
    for (const runtime of ['v26', { node: 26 }, { node: 'v26.10.0', v8: 14 }]) {
      writeFileSync(file, `${JSON.stringify({ ...line, runtime })}\n`);
      expect(() => readHistory(file)).toThrow(/line 1: expected .*"runtime"/);
    }
  });

  it('reads the runs in the order of main (commit dates), not in the order they finished', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'history-'));
    const file = path.join(dir, 'history.jsonl');
    // Runs of c2 and c3 finished in the other order; c1 is an older line without committedAt.
    const lines = [
      { commit: 'c1', createdAt: '2026-12-01T10:00:00Z' },
      { commit: 'c3', createdAt: '2026-12-02T10:30:00Z', committedAt: '2026-12-02T10:05:00Z' },
      { commit: 'c2', createdAt: '2026-12-02T10:40:00Z', committedAt: '2026-12-02T10:00:00Z' },
    ].map((l) => JSON.stringify({ schemaVersion: 1, ...l, figures: {} }));
    writeFileSync(file, `${lines.join('\n')}\n`);
    expect(readHistory(file).map((e) => e.commit)).toEqual(['c1', 'c2', 'c3']);
  });

  it('names a bad line of the history by its number', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'history-'));
    const file = path.join(dir, 'history.jsonl');
    writeFileSync(file, '{"schemaVersion": 1, "commit": "a", "createdAt": "2026-12-01T00:00:00Z", "figures": {}}\nnot json\n');
    expect(() => readHistory(file)).toThrow(/line 2: not JSON/);
  });
});
