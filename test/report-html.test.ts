/**
 * report.html: self-contained (no network), with the charts' data inlined; opened in headless
 * Chromium, every chart renders with data (the page reports what it drew), and a screenshot is
 * taken. Chromium is the system's when installed, else the one an npm package ships (see
 * helpers/headless-browser.ts): the test never skips.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyse, type Trial } from '../compare/analysis.ts';
import { renderHtml } from '../compare/report-html.ts';
import type { CompletedResult } from '../loadgen/result.ts';
import { findChromium, launchChromium } from './helpers/headless-browser.ts';
import { upgradeResult } from '../loadgen/result-upgrade.ts';

// Stored by an older version: read through the upgrade, as every stored result is.
const fixture = upgradeResult(JSON.parse(readFileSync(new URL('./fixtures/result-v3.json', import.meta.url), 'utf8')) as CompletedResult) as CompletedResult;
const trials: Trial[] = [1, 2, 3].flatMap((round) => ['actor', 'mutex'].map((arm) => ({ scenario: 'echo', arm, round, file: `raw/echo-${arm}-${round}.json`, result: fixture })));
const context = { runId: 'test-compare', command: 'npm run compare -- --test', machine: 'test machine', trials: 3, seed: 1 };

describe('report.html', () => {
  const html = renderHtml(analyse(trials, ['actor', 'mutex'], 1), trials, context);

  it('is self-contained: the charting library and the data are inlined, nothing is fetched', () => {
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).toMatch(/Chart\.js v4/);
    expect(html).toContain('echo: latency by percentile');
    expect(html).toContain('<td>latency p99 (ms)</td>');
  });

  it('renders every chart with data in headless Chromium, and a screenshot shows it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'report-html-'));
    const file = path.join(dir, 'report.html');
    writeFileSync(file, html);
    const binary = await findChromium();
    const browser = await launchChromium(binary);
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 2400 });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // The page writes what it drew into #render-check once every chart is drawn.
      await page.waitForFunction(() => document.getElementById('render-check')?.textContent !== 'not rendered', { timeout: 30_000 });
      const check = await page.$eval('#render-check', (el) => el.textContent ?? '');
      const drawn = JSON.parse(check) as { charts: number; canvases: number; points: number };
      expect(drawn.charts).toBeGreaterThanOrEqual(3);
      expect(drawn.canvases).toBe(drawn.charts);
      expect(drawn.points).toBeGreaterThan(10);
      const shot = path.join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size, `screenshot by ${binary.source} Chromium at ${binary.path}`).toBeGreaterThan(20_000);
      console.log(`report.html rendered by ${binary.source} Chromium (${binary.path}); screenshot: ${shot}`);
    } finally {
      await browser.close();
    }
  });
});
