/**
 * report.html: self-contained (no network), with the charts' data inlined; opened in headless
 * Chromium, every chart renders with data (the page reports what it drew), and a screenshot is
 * taken. Chromium comes from the Debian package (`.ci/run` installs it where missing).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyse, type Trial } from '../compare/analysis.ts';
import { renderHtml } from '../compare/report-html.ts';
import type { CompletedResult } from '../loadgen/result.ts';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/result-v3.json', import.meta.url), 'utf8')) as CompletedResult;
const trials: Trial[] = [1, 2, 3].flatMap((round) => ['actor', 'mutex'].map((arm) => ({ scenario: 'echo', arm, round, file: `raw/echo-${arm}-${round}.json`, result: fixture })));
const context = { runId: 'test-compare', command: 'npm run compare -- --test', machine: 'test machine', trials: 3, seed: 1 };

function chromium(): string {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('no Chromium found: install the Debian package (apt-get install chromium); .ci/run does');
}

describe('report.html', () => {
  const html = renderHtml(analyse(trials, ['actor', 'mutex'], 1), trials, context);

  it('is self-contained: the charting library and the data are inlined, nothing is fetched', () => {
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toMatch(/Chart\.js v4/);
    expect(html).toContain('echo: latency by percentile');
    expect(html).toContain('<td>latency p99 (ms)</td>');
  });

  it('renders every chart with data in headless Chromium, and a screenshot shows it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'report-html-'));
    const file = path.join(dir, 'report.html');
    writeFileSync(file, html);
    const browser = chromium();
    const flags = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--virtual-time-budget=10000'];
    const dom = execFileSync(browser, [...flags, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const check = /<pre id="render-check">([^<]*)<\/pre>/.exec(dom)?.[1];
    expect(check).toBeDefined();
    const drawn = JSON.parse(check!.replace(/&quot;/g, '"')) as { charts: number; canvases: number; points: number };
    expect(drawn.charts).toBeGreaterThanOrEqual(3);
    expect(drawn.canvases).toBe(drawn.charts);
    expect(drawn.points).toBeGreaterThan(10);
    const shot = path.join(dir, 'report.png');
    execFileSync(browser, [...flags, `--screenshot=${shot}`, '--window-size=1200,2400', `file://${file}`], { timeout: 60_000, stdio: 'ignore' });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  });
});
