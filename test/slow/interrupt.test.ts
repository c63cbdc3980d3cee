/**
 * Nothing lost: SIGINT in the connect, measure and drain phases of a 2,000-client run leaves a
 * valid partial result and exit 130; a server killed during a 10,000-client run ends the run with
 * exit 1 and a partial result; a comparison interrupted after 2 trials resumes and finishes
 * (--resume), keeping those 2. Real processes and real signals, as a user sends them.
 * In npm run test:slow: 2,000- and 10,000-client runs, about a minute.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../loadgen/result.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Launched {
  readonly stderr: () => string;
  /** Resolves when a line of stderr matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  signal(name: NodeJS.Signals): void;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

function launch(script: string, args: string[]): Launched {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const w of waiters.splice(0)) if (w.pattern.test(stderr)) w.resolve();
    else waiters.push(w);
  });
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() })));
  return {
    stderr: () => stderr,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        if (pattern.test(stderr)) return resolve();
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then(({ code }) => {
          clearTimeout(timer);
          reject(new Error(`exited (${code}) before ${pattern}; stderr:\n${stderr}`));
        });
      }),
    signal: (name) => void child.kill(name),
    exited,
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A port free now (the server is started on it, so that the test can find its process by it). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function onlyResult(dir: string): BenchResult {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files).toHaveLength(1);
  return JSON.parse(readFileSync(path.join(dir, files[0]!), 'utf8')) as BenchResult; // valid JSON, or this throws
}

/** 2,000 clients at 500 handshakes/s (4 s of connecting), 1 s warm-up, 5 s measured. */
function scenarioFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'interrupt-scenario-'));
  const file = path.join(dir, 'slow-ramp.json');
  const scenario = { name: 'slow-ramp', description: 'echo with a slow ramp', probes: 'interrupts', claim: 'none', clients: 2000, ramp: { handshakesInFlight: 50, perSecond: 500 }, warmupSeconds: 1, phases: [{ name: 'steady', durationSeconds: 5, rate: 2000 }], mix: { echo: 1 } };
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

describe('SIGINT during a 2,000-client run', () => {
  // The drain case: the server blocks its loop for 8 s every 9 s (from 9 s to 17 s after it starts).
  // The measured phase ends about 10 s after, inside the block; the server's stats time out (2 s)
  // and the drain begins about 12 s after, with replies still due until 17 s.
  const cases = [
    { phase: 'connect', after: /\[connect\]/, delayMs: 1000 },
    { phase: 'measure', after: /\[measure\]/, delayMs: 1000 },
    { phase: 'drain', after: /\[drain\]/, delayMs: 0 },
  ];
  it.each(cases)('in the $phase phase: a valid partial result, state interrupted, exit 130', async ({ phase, after, delayMs }) => {
    const out = mkdtempSync(path.join(os.tmpdir(), `interrupt-${phase}-`));
    const scenario = phase === 'drain' ? 'echo' : scenarioFile();
    const drainArgs = phase === 'drain' ? ['--clients', '2000', '--rate', '2000', '--warmup', '1', '--duration', '8', '--debug-stall-ms', '8000', '--debug-stall-every-ms', '9000'] : [];
    const run = launch('loadgen/cli.ts', ['--model', 'actor', '--scenario', scenario, '--out', out, ...drainArgs]);
    await run.waitFor(after);
    if (delayMs > 0) await pause(delayMs);
    run.signal('SIGINT');
    const exit = await run.exited;
    expect(exit.code, run.stderr()).toBe(130);
    const result = onlyResult(out);
    expect(result.status).toBe('interrupted');
    if (result.status !== 'interrupted') return;
    expect(result.interruption).toEqual({ signal: 'SIGINT', phase, exitCode: 130 });
    expect(result.partial).toBeDefined();
    if (phase === 'connect') expect(result.partial!.connections.open).toBeLessThan(2000);
    else expect(result.partial!.messages.sent).toBeGreaterThan(0);
  }, 120_000);
});

describe('the server dies during a 10,000-client run', () => {
  it('ends the run with exit 1, a clear message and the partial result', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'server-dies-'));
    const port = await freePort();
    const run = launch('loadgen/cli.ts', ['--model', 'mutex', '--clients', '10000', '--rate', '5000', '--warmup', '1', '--duration', '20', '--port', String(port), '--out', out]);
    await run.waitFor(/\[measure\]/, 90_000);
    await pause(2000);
    const killedAt = performance.now();
    spawnSync('pkill', ['-KILL', '-f', `servers/main.ts .*--port ${port}( |$)`]);
    const exit = await run.exited;
    console.log(`the run ended ${((exit.atMs - killedAt) / 1000).toFixed(1)} s after its server was killed`);
    expect(exit.code, run.stderr()).toBe(1);
    expect(exit.atMs - killedAt).toBeLessThan(15_000); // measured: see the README; wide for a loaded CI machine
    const result = onlyResult(out);
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.error.code).toBe('ERR_SERVER_EXITED');
    expect(result.error.message).toMatch(/the mutex server was killed by a signal during the measure phase/);
    expect(result.partial?.messages.sent).toBeGreaterThan(0);
    expect(result.partial?.connections.open).toBe(10_000);
  }, 180_000);
});

describe('a comparison interrupted after 2 trials', () => {
  it('keeps them and finishes with --resume', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'compare-resume-'));
    const args = ['--models', 'actor,mutex', '--trials', '2', '--scenarios', 'echo', '--clients', '50', '--rate', '500', '--warmup', '0', '--duration', '2', '--out', out];
    const first = launch('compare/cli.ts', args);
    await first.waitFor(/\[2\/4\][^\n]*\n/, 120_000);
    first.signal('SIGINT');
    const exit = await first.exited;
    expect(exit.code, first.stderr()).toBe(130);
    const hint = /finish with: npm run compare -- --resume (\S+)/.exec(first.stderr());
    expect(hint, first.stderr()).not.toBeNull();
    const dir = hint![1]!;
    const kept = readdirSync(path.join(dir, 'raw')).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(dir, 'raw', f), 'utf8')) as BenchResult);
    expect(kept.filter((r) => r.status === 'completed')).toHaveLength(2);

    const second = launch('compare/cli.ts', ['--resume', dir]);
    const done = await second.exited;
    expect(done.code, second.stderr()).toBe(0);
    expect(second.stderr().match(/kept from the interrupted run/g)).toHaveLength(2);
    const compare = JSON.parse(readFileSync(path.join(dir, 'compare.json'), 'utf8')) as { files: unknown[] };
    expect(compare.files).toHaveLength(4);
  }, 240_000);

  it('refuses other options beside --resume, in one line', async () => {
    const run = launch('compare/cli.ts', ['--resume', '/nonexistent', '--trials', '3']);
    const exit = await run.exited;
    expect(exit.code).toBe(2);
    expect(run.stderr().trim()).toMatch(/^error: --resume runs the interrupted comparison with its own options: drop --trials 3$/);
  });
});
