/**
 * The one exit-code table, code by code, with real processes: success, a failed run, a usage
 * error, SIGINT / SIGTERM → 130 / 143 for a bench in its measured phase, and the same statuses kept
 * through the file-limit re-exec. Gate failed and inconclusive belong to the CI regression command;
 * their place in the table is checked here.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOfChild } from '../common/exit-codes.ts';
import type { BenchResult } from '../loadgen/result.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function run(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, timeout: 60_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stderr });
    });
  });
}

/**
 * Starts a 2,000-client bench under `ulimit -Sn 1024` in its own process group, waits for the
 * measured phase, sends `signal` to the whole group (as Ctrl-C does) and returns how the first
 * process ended.
 */
function interruptedBench(signal: 'SIGINT' | 'SIGTERM', out: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const command = `ulimit -Sn 1024 && exec "$0" --import tsx loadgen/cli.ts --model actor --clients 2000 --rate 2000 --duration 60 --warmup 0 --out "$1"`;
    const child = spawn('sh', ['-c', command, process.execPath, out], { cwd: ROOT, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    const killGroup = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // the group has gone already
      }
    };
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => {
      killGroup('SIGKILL');
      reject(new Error(`no measured phase within ${SIGNAL_TEST_MS / 1000} s: ${stderr}`));
    }, SIGNAL_TEST_MS);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && stderr.includes('[measure]')) {
        sent = true;
        killGroup(signal);
      }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, stderr });
    });
  });
}

/** The signal test's own deadline, inside vitest's (so its message is the one shown). */
const SIGNAL_TEST_MS = 90_000;

describe('the exit-code table', () => {
  it('has one code per outcome, and signals map to 128 + their number', () => {
    expect(EXIT).toEqual({ success: 0, runFailed: 1, usage: 2, gateFailed: 3, inconclusive: 4, interrupted: 130, terminated: 143 });
    expect(new Set(Object.values(EXIT)).size).toBe(Object.keys(EXIT).length);
    expect(exitCodeOfChild(null, 'SIGINT')).toBe(130);
    expect(exitCodeOfChild(null, 'SIGTERM')).toBe(143);
    expect(exitCodeOfChild(7, null)).toBe(7);
  });

  it('0: a run that completes', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'exit-0-'));
    const { code } = await run(['loadgen/cli.ts', '--model', 'baseline', '--clients', '5', '--rate', '50', '--duration', '0.5', '--warmup', '0', '--out', out]);
    expect(code).toBe(EXIT.success);
  });

  it('1: a run that fails (the server cannot start: its port is taken), with its result written as failed', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'exit-1-'));
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      const { code } = await run(['loadgen/cli.ts', '--model', 'actor', '--port', String(port), '--clients', '2', '--duration', '0.5', '--warmup', '0', '--out', out]);
      expect(code).toBe(EXIT.runFailed);
    } finally {
      taken.close();
    }
    const files = readdirSync(out).filter((f) => f.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect((JSON.parse(readFileSync(path.join(out, files[0]!), 'utf8')) as BenchResult).status).toBe('failed');
  });

  it('1: a run against a --target where nothing listens fails — no client connected is no result', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'exit-1-closed-'));
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { code } = await run(['loadgen/cli.ts', '--target', `ws://127.0.0.1:${port}`, '--clients', '10', '--duration', '1', '--out', out]);
    expect(code).toBe(EXIT.runFailed);
    const [file] = readdirSync(out).filter((f) => f.endsWith('.json'));
    const result = JSON.parse(readFileSync(path.join(out, file!), 'utf8')) as BenchResult;
    expect(result).toMatchObject({ status: 'failed', error: { code: 'ERR_NO_CONNECTION' } });
    if (result.status === 'failed') expect(result.error.message).toMatch(/^no client connected to ws:\/\/127\.0\.0\.1:\d+\/: 10 of 10 handshakes failed \(connect:ECONNREFUSED ×10\)$/);
  });

  it('1: an outside server (--target) killed mid-run ends the bench within 5 s, with a partial failed result', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'exit-1-target-died-'));
    // Its own process group, so that the kill reaches a file-limit re-exec of it too.
    const server = spawn(process.execPath, ['--import', 'tsx', 'servers/main.ts', '--model', 'actor', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const port = await new Promise<number>((resolve) => server.stdout!.once('data', (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port)));
    const bench = spawn(process.execPath, ['--import', 'tsx', 'loadgen/cli.ts', '--target', `ws://127.0.0.1:${port}`, '--clients', '200', '--rate', '1000', '--duration', '30', '--warmup', '0', '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killedAt = 0;
    bench.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!killedAt && stderr.includes('[measure]')) setTimeout(() => ((killedAt = Date.now()), process.kill(-server.pid!, 'SIGKILL')), 1000);
    });
    const code = await new Promise<number | null>((resolve) => bench.on('exit', (c) => resolve(c)));
    const endedAfterMs = Date.now() - killedAt;
    expect(killedAt, stderr).toBeGreaterThan(0);
    expect(code).toBe(EXIT.runFailed);
    expect(endedAfterMs).toBeLessThan(5000);
    const [file] = readdirSync(out).filter((f) => f.endsWith('.json'));
    const result = JSON.parse(readFileSync(path.join(out, file!), 'utf8')) as BenchResult;
    expect(result).toMatchObject({ status: 'failed', error: { code: 'ERR_CONNECTIONS_LOST' } });
    if (result.status === 'failed') {
      expect(result.error.message).toMatch(/during the measure phase/);
      expect(result.partial?.messages.received).toBeGreaterThan(0);
    }
  });

  it.each([
    [['loadgen/cli.ts', '--model', 'nope']],
    [['compare/cli.ts', '--models', 'actor,nope']],
    [['compare/report-cli.ts', '/no/such/folder']],
    [['servers/main.ts', '--model', 'actor', '--port', '99999']],
  ])('2: a usage error in %j, with a one-line message', async (args) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(EXIT.usage);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: /);
  });

  it('2: a bench command with two bad options names both in one line', async () => {
    const { code, stderr } = await run(['loadgen/cli.ts', '--model', 'actor', '--clients', '0', '--warmup', 'soon']);
    expect(code).toBe(EXIT.usage);
    expect(stderr.trim()).toBe("error: 2 problems: --clients must be an integer >= 1, got '0'; --warmup must be a number >= 0, got 'soon'");
    const curve = await run(['loadgen/cli.ts', '--model', 'actor', '--seed', 'x', '--find-saturation', '--slo-p99', 'soon', '--max-rate', '-1']);
    expect(curve.code).toBe(EXIT.usage);
    expect(curve.stderr).toMatch(/^error: 3 problems: --seed must be .*; --slo-p99 must be .*; --max-rate must be .*$/m);
  });

  it('2: debug behaviours without --debug are refused, every one named', async () => {
    const { code, stderr } = await run(['servers/main.ts', '--model', 'actor', '--port', '0', '--debug-stall-ms', '100', '--debug-delay-per-message-us', '5']);
    expect(code).toBe(EXIT.usage);
    expect(stderr.trim()).toBe('error: --debug-stall-ms, --debug-delay-per-message-us need --debug: debug behaviours are refused unless the server is started with --debug');
  });

  it.each([
    ['SIGINT', EXIT.interrupted],
    ['SIGTERM', EXIT.terminated],
  ] as const)('%s that ends the re-executed copy → the first process exits %i (the file-limit re-exec keeps it)', async (signal, expected) => {
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/reexec-then-die.ts'], { cwd: ROOT, env: { ...process.env, DIE_BY: signal }, stdio: 'ignore' });
      child.on('exit', (code, sig) => resolve({ code, signal: sig }));
    });
    // An *exit* with 128 + n, not a death by the signal: only the re-exec parent turns one into the other.
    expect(ended).toEqual({ code: expected, signal: null });
  });

  it.each([
    ['SIGINT', EXIT.interrupted],
    ['SIGTERM', EXIT.terminated],
  ] as const)(
    '%s to a bench in its measured phase (as Ctrl-C sends it to the process group) → status %i',
    async (signal, expected) => {
      const out = mkdtempSync(path.join(os.tmpdir(), `exit-${signal}-`));
      const ended = await interruptedBench(signal, out);
      // Node raises its own soft open-file limit to the hard one at start-up, so under
      // `ulimit -Sn 1024` the bench needs no re-exec and ends by the signal itself: a shell reports
      // that as 128 + n, the same status the re-exec parent exits with.
      expect(ended.code ?? exitCodeOfChild(ended.code, ended.signal)).toBe(expected);
      // …after writing what it measured: the interrupted result, with the signal and the phase.
      const files = readdirSync(out).filter((f) => f.endsWith('.json'));
      expect(files).toHaveLength(1);
      const result = JSON.parse(readFileSync(path.join(out, files[0]!), 'utf8')) as BenchResult;
      expect(result.status === 'interrupted' && result.interruption).toEqual({ signal, phase: 'measure', exitCode: expected });
    },
    SIGNAL_TEST_MS + 30_000,
  );
});
