/**
 * A headless Chromium for tests that must see what a person would see (report.html rendered, a
 * screenshot). A system Chromium is used when one is installed (CHROMIUM_PATH, or chromium /
 * chromium-browser / google-chrome on the PATH); otherwise the one that `@sparticuz/chromium`
 * ships inside its npm package (a brotli-packed headless build, unpacked into the temp folder on
 * first use, with the NSS, NSPR and expat libraries it ships beside it: no download, no system
 * library beyond glibc), so `npm ci && npm test` needs nothing but Node.js. Both are driven by
 * `puppeteer-core` over the DevTools protocol: the packaged build does not run the
 * `--dump-dom`/`--screenshot` command-line modes, and the protocol lets the test wait for the
 * page's own "rendered" mark instead of a fixed time budget.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import puppeteer, { type Browser } from 'puppeteer-core';

export interface ChromiumBinary {
  readonly source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
  readonly path: string;
  readonly args: readonly string[];
  /** A full Chromium runs the new headless mode; the packaged build is the headless shell. */
  readonly headless: true | 'shell';
  /** Extra environment for the browser process (the packaged build's own libraries). */
  readonly env?: Readonly<Record<string, string>>;
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
  return packagedChromium();
}

/**
 * The packaged build, unpacked into the temp folder by the package itself (it reuses what is
 * there, so an unpacking cut short once is detected by running it and done again). The package
 * unpacks the libraries it needs from outside glibc only on AWS; we unpack them on every machine.
 */
async function packagedChromium(): Promise<ChromiumBinary> {
  const packaged = (await import('@sparticuz/chromium')).default;
  const { root, major } = chromiumPackage();
  let executable = await packaged.executablePath();
  const libraries = bundledLibraries(root, major);
  const env = { LD_LIBRARY_PATH: [libraries, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
  // The package reuses any binary at its path, even one an older version of it unpacked.
  if (!startsAs(executable, env, major)) {
    rmSync(executable, { force: true });
    executable = await packaged.executablePath();
    if (!startsAs(executable, env, major)) throw new Error(`the Chromium that @sparticuz/chromium ${major} unpacked at ${executable} does not start as Chromium ${major}; remove it and run the tests again`);
  }
  return { source: '@sparticuz/chromium', path: executable, args: packaged.args, headless: 'shell', env };
}

/** The installed @sparticuz/chromium's folder and major version (its major is Chromium's). */
function chromiumPackage(): { root: string; major: string } {
  let dir = path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium'));
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string };
    if (name === '@sparticuz/chromium') return { root: dir, major: version.split('.')[0]! };
  }
  throw new Error('@sparticuz/chromium is installed without its package.json; run npm ci');
}

/** Whether `executable` runs and says it is Chromium `major`. */
function startsAs(executable: string, env: Record<string, string>, major: string): boolean {
  const run = spawnSync(executable, ['--version'], { env: { ...process.env, ...env }, timeout: 20_000, encoding: 'utf8' });
  return run.status === 0 && new RegExp(`\\b${major}\\.`).test(run.stdout);
}

/** Unpacks the package's al2023.tar.br (lib/libnss3.so, libnspr4.so, libexpat.so.1, …) once; returns its lib folder. */
function bundledLibraries(packageRoot: string, major: string): string {
  // One folder per Chromium major: another version's libraries may not fit this one.
  const target = path.join(os.tmpdir(), `ws-actor-vs-mutex-chromium-${major}-libs`);
  const lib = path.join(target, 'lib');
  if (existsSync(lib)) return lib;
  const tarball = brotliDecompressSync(readFileSync(path.join(packageRoot, 'bin', 'al2023.tar.br')));
  // Unpacked beside the target and renamed into place, so a run cut short never leaves half of it.
  const staging = mkdtempSync(`${target}-`);
  const untar = spawnSync('tar', ['-x', '-C', staging], { input: tarball });
  if (untar.status !== 0) throw new Error(`could not unpack Chromium's libraries: ${untar.stderr.toString().trim()}`);
  try {
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(lib)) throw error; // another test process won the race
  }
  return lib;
}

export async function launchChromium(binary: ChromiumBinary): Promise<Browser> {
  return puppeteer.launch({ executablePath: binary.path, args: [...binary.args], headless: binary.headless, timeout: 60_000, ...(binary.env && { env: { ...process.env, ...binary.env } }) });
}

function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}
