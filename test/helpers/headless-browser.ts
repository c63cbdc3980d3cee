/**
 * A headless Chromium for tests that must see what a person would see (report.html rendered, a
 * screenshot). A system Chromium is used when one is installed (CHROMIUM_PATH, or chromium /
 * chromium-browser / google-chrome on the PATH); otherwise the one that `@sparticuz/chromium`
 * ships inside its npm package (a brotli-packed headless build, unpacked into the temp folder on
 * first use: no download), so `npm ci && npm test` needs nothing but Node.js. Both are driven by
 * `puppeteer-core` over the DevTools protocol: the packaged build does not run the
 * `--dump-dom`/`--screenshot` command-line modes, and the protocol lets the test wait for the
 * page's own "rendered" mark instead of a fixed time budget.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

export interface ChromiumBinary {
  readonly source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
  readonly path: string;
  readonly args: readonly string[];
  /** A full Chromium runs the new headless mode; the packaged build is the headless shell. */
  readonly headless: true | 'shell';
}

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome'];
/** Containers run tests as root, where Chromium refuses its sandbox; /dev/shm is small there. */
const SYSTEM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'];

export async function findChromium(): Promise<ChromiumBinary> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which does not exist; unset it or point it at a Chromium binary`);
    return { source: 'CHROMIUM_PATH', path: fromEnv, args: SYSTEM_ARGS, headless: true };
  }
  const system = SYSTEM_NAMES.map(onPath).find((found) => found !== undefined);
  if (system) return { source: 'system', path: system, args: SYSTEM_ARGS, headless: true };
  const packaged = (await import('@sparticuz/chromium')).default;
  return { source: '@sparticuz/chromium', path: await packaged.executablePath(), args: packaged.args, headless: 'shell' };
}

export async function launchChromium(binary: ChromiumBinary): Promise<Browser> {
  return puppeteer.launch({ executablePath: binary.path, args: [...binary.args], headless: binary.headless, timeout: 60_000 });
}

function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}
