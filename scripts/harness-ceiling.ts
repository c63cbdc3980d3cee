/**
 * Is the load generator ever the bottleneck it claims to measure? Against one baseline server,
 * this compares a minimal hand-rolled ws client loop (N sockets, one echo in flight each, nothing
 * but a counter) with the load generator in closed loop (same sockets, payload and duration).
 * Each trial runs each client in a fresh process, in ABBA order, so that warm-up, garbage and the
 * drift of a shared machine hit both alike. It reports the load generator's throughput as a share
 * of the minimal loop's, per trial and overall (the bar is 80%), and each client's CPU use.
 * Where taskset and two CPUs are there, the server runs on CPU 0 and the clients on CPU 1, so
 * that the two never compete for one core (--no-pin to let the scheduler place them).
 *
 *   npm run ceiling -- --clients 100 --duration 3 --trials 8
 */
import { execFile } from 'node:child_process';
import { canPin, LOADGEN_CPU, SERVER_CPU } from '../loadgen/pinning.ts';
import { mkdirSync } from 'node:fs';
import { writeFileAtomically } from '../common/atomic-write.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import Table from 'cli-table3';
import WebSocket from 'ws';
import { parseIntegerOption, parseNumberOption } from '../common/usage.ts';
import { median } from './median.ts';
import { nowNs } from '../loadgen/clock.ts';
import { describeEnvironment } from '../loadgen/result.ts';
import { runLoad } from '../loadgen/runner.ts';
import { spawnServer } from '../loadgen/server-process.ts';
import { runMain } from '../common/main.ts';
import { EXIT } from '../common/exit-codes.ts';

type ClientKind = 'minimal' | 'loadgen';
interface TrialFigure {
  readonly perSec: number;
  /** The client process's CPU use during the measured window, in % of one core. */
  readonly cpuPercent: number;
}

const program = new Command()
  .name('npm run ceiling --')
  .description("Compare the load generator's closed-loop echo throughput with a minimal ws client loop against the baseline server.")
  .option('--clients <n>', 'sockets', '100')
  .option('--duration <seconds>', 'measured seconds per trial', '3')
  .option('--trials <n>', 'trials of each client, interleaved', '8')
  .option('--message-bytes <n>', 'payload size', '64')
  .option('--out <dir>', 'folder for the JSON result', 'results')
  .option('--no-pin', 'do not pin the server to CPU 0 and the clients to CPU 1 (pinning needs taskset and 2+ CPUs)')
  .option('--worker <kind>', '(internal) run one client against --url and print its figure')
  .option('--url <url>', '(internal) server for --worker');

/** The minimal loop: open sockets, then each echoes one fixed message back and forth. */
async function minimalLoop(url: string, clients: number, durationMs: number, payload: string): Promise<TrialFigure> {
  const sockets = await Promise.all(
    Array.from({ length: clients }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.once('message', () => resolve(ws)); // the welcome frame
      ws.once('error', reject);
    })),
  );
  let received = 0;
  let running = true;
  for (const ws of sockets) {
    ws.on('message', () => {
      received++;
      if (running) ws.send(payload);
    });
  }
  for (const ws of sockets) ws.send(payload);
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  received = 0;
  const cpu = process.cpuUsage();
  const start = nowNs();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  running = false;
  const elapsedNs = nowNs() - start;
  const figure = { perSec: (received / elapsedNs) * 1e9, cpuPercent: cpuPercent(process.cpuUsage(cpu), elapsedNs) };
  await Promise.all(sockets.map((ws) => new Promise((resolve) => { ws.once('close', resolve); ws.close(); })));
  return figure;
}

/** The load generator in closed loop, one echo in flight per socket, as the minimal loop does. */
async function loadGeneratorLoop(url: string, clients: number, durationMs: number, messageBytes: number): Promise<TrialFigure> {
  let cpu = process.cpuUsage();
  const m = await runLoad(
    { url, clients, connectConcurrency: 100, connectTimeoutMs: 20_000, warmupMs: WARMUP_MS, durationMs, mode: { kind: 'closed-loop', inFlight: 1 }, mix: { echo: 1, broadcast: 0, sendTo: 0 }, messageBytes, drainTimeoutMs: 5000, maxSendLagMs: 10, seed: 1 },
    { observer: { phase: (phase) => { if (phase === 'measure') cpu = process.cpuUsage(); else if (phase === 'drain') cpu = process.cpuUsage(cpu); } } },
  );
  if (m.counters.errorTotal > 0 || m.counters.received !== m.counters.sent) {
    throw new Error(`a load generator trial was not clean: ${JSON.stringify(m.counters.errors)}, ${m.counters.sent - m.counters.received} unanswered`);
  }
  return { perSec: (m.counters.received / m.trafficNs) * 1e9, cpuPercent: cpuPercent(cpu, m.trafficNs) };
}

function cpuPercent(usage: NodeJS.CpuUsage, elapsedNs: number): number {
  return Math.round(((usage.user + usage.system) * 1000 * 100) / elapsedNs);
}

/** Runs one client in a fresh process of this script and returns its figure. */
function runWorker(kind: ClientKind, url: string, o: Options): Promise<TrialFigure> {
  const self = fileURLToPath(import.meta.url);
  const node = [process.execPath, '--import', 'tsx', self, '--worker', kind, '--url', url, '--clients', String(o.clients), '--duration', String(o.durationMs / 1000), '--message-bytes', String(o.messageBytes)];
  const command = o.pin ? ['taskset', '-c', LOADGEN_CPU, ...node] : node;
  return new Promise((resolve, reject) => {
    execFile(command[0]!, command.slice(1), { timeout: o.durationMs + 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${kind} worker failed: ${stderr.trim() || error.message}`));
      else resolve(JSON.parse(stdout) as TrialFigure);
    });
  });
}

/** Both clients run this long before they start counting, so JIT warm-up is not measured. */
const WARMUP_MS = 500;


interface Options {
  readonly pin: boolean;
  readonly clients: number;
  readonly durationMs: number;
  readonly trials: number;
  readonly messageBytes: number;
}

async function main(): Promise<void> {
  program.parse();
  const raw = program.opts<{ clients: string; duration: string; trials: string; messageBytes: string; out: string; pin: boolean; worker?: string; url?: string }>();
  const o: Options = {
    pin: raw.pin && raw.worker === undefined && canPin(),
    clients: parseIntegerOption('--clients', raw.clients, 1, 10_000),
    durationMs: Math.round(parseNumberOption('--duration', raw.duration, 0) * 1000),
    trials: parseIntegerOption('--trials', raw.trials, 1, 50),
    messageBytes: parseIntegerOption('--message-bytes', raw.messageBytes, 32, 65_536),
  };
  if (raw.worker !== undefined && raw.url !== undefined) {
    const figure = raw.worker === 'minimal' ? await minimalLoop(raw.url, o.clients, o.durationMs, 'm'.repeat(o.messageBytes)) : await loadGeneratorLoop(raw.url, o.clients, o.durationMs, o.messageBytes);
    process.stdout.write(JSON.stringify(figure));
    process.exit(0);
  }

  const server = await spawnServer({ model: 'baseline', host: '127.0.0.1', port: 0, ...(o.pin ? { cpus: SERVER_CPU } : {}) });
  process.stderr.write(o.pin ? `server pinned to CPU ${SERVER_CPU}, clients to CPU ${LOADGEN_CPU}\n` : 'not pinned\n');
  const figures: Record<ClientKind, TrialFigure[]> = { minimal: [], loadgen: [] };
  try {
    for (let trial = 1; trial <= o.trials; trial++) {
      const order: ClientKind[] = trial % 2 === 1 ? ['minimal', 'loadgen'] : ['loadgen', 'minimal'];
      for (const kind of order) figures[kind].push(await runWorker(kind, server.url, o));
      const [m, l] = [figures.minimal.at(-1)!, figures.loadgen.at(-1)!];
      process.stderr.write(`trial ${trial}/${o.trials} (${order.join(' then ')}): minimal ${Math.round(m.perSec)} msg/s at ${m.cpuPercent}% CPU, load generator ${Math.round(l.perSec)} msg/s at ${l.cpuPercent}% CPU\n`);
    }
  } finally {
    await server.stop();
  }

  const perSec = (kind: ClientKind): number[] => figures[kind].map((f) => f.perSec);
  const pairedRatios = figures.loadgen.map((f, i) => f.perSec / figures.minimal[i]!.perSec);
  const ratio = median(perSec('loadgen')) / median(perSec('minimal'));
  const table = new Table({ head: ['client', 'median msg/s', 'median CPU', 'trials (msg/s)'] });
  for (const [label, kind] of [['minimal ws loop', 'minimal'], ['load generator (closed loop)', 'loadgen']] as const) {
    table.push([label, Math.round(median(perSec(kind))).toLocaleString('en-US'), `${median(figures[kind].map((f) => f.cpuPercent))}%`, perSec(kind).map((v) => Math.round(v)).join(', ')]);
  }
  process.stdout.write(
    `${table.toString()}\nload generator / minimal loop: ${(ratio * 100).toFixed(1)}% (ratio of medians), ${(median(pairedRatios) * 100).toFixed(1)}% (median of paired trials); bar: 80% — ${ratio >= 0.8 ? 'PASS' : 'FAIL'}\n`,
  );

  mkdirSync(raw.out, { recursive: true });
  const file = path.join(raw.out, `${new Date().toISOString().replace(/[:.]/g, '-')}-harness-ceiling.json`);
  writeFileAtomically(file, JSON.stringify({ kind: 'harness-ceiling', schemaVersion: 1, ...o, environment: describeEnvironment(), figures, ratio, pairedRatios }, null, 2) + '\n');
  process.stderr.write(`result written to ${file}\n`);
  process.exitCode = ratio >= 0.8 ? EXIT.success : EXIT.gateFailed;
}

runMain(main);
