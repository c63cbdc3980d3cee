/**
 * One fault proxy process: `node --import tsx netfault/main.ts --upstream 127.0.0.1:8080 --faults '<json>'`.
 * Prints `{"event":"listening","port":…}` once it accepts connections and, when stopped (SIGTERM or
 * SIGINT), `{"event":"stats",…}` with what it did; the load generator starts as many as a run's
 * clients need (two sockets each under the open-file limit).
 */
import { Command } from 'commander';
import { runMain } from '../common/main.ts';
import { networkFaultsSchema } from '../common/network-faults.ts';
import { parseIntegerOption, UsageError } from '../common/usage.ts';
import { seededRandom } from '../loadgen/random.ts';
import { FaultProxy } from './proxy.ts';

const program = new Command()
  .name('netfault')
  .description('A TCP proxy that adds delay, jitter, periodic stalls, a bandwidth cap and connection resets (the fault settings of a scenario\u2019s "network").')
  .requiredOption('--upstream <host:port>', 'the server to forward to (loopback only)')
  .option('--port <n>', 'port to listen on (0 picks a free one)', '0')
  .option('--faults <json>', 'the faults, as a scenario\u2019s "network" object', '{}')
  .option('--seed <n>', 'seed of the jitter and the resets', '1');

async function main(): Promise<number> {
  program.parse();
  const o = program.opts<{ upstream: string; port: string; faults: string; seed: string }>();
  const match = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):(\d+)$/.exec(o.upstream);
  if (!match) throw new UsageError('ERR_BAD_OPTION', `--upstream must be a loopback host:port such as 127.0.0.1:8080, got '${o.upstream}'`);
  let json: unknown;
  try {
    json = JSON.parse(o.faults);
  } catch {
    throw new UsageError('ERR_BAD_OPTION', `--faults must be a JSON object such as {"delayMs":50}, got '${o.faults}'`);
  }
  const parsed = networkFaultsSchema.safeParse(json);
  if (!parsed.success) throw new UsageError('ERR_BAD_OPTION', `--faults: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
  const proxy = new FaultProxy({ host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) }, parsed.data, seededRandom(parseIntegerOption('--seed', o.seed, 0)));
  const port = await proxy.listen(parseIntegerOption('--port', o.port, 0, 65535));
  process.stdout.write(`${JSON.stringify({ event: 'listening', port, pid: process.pid })}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  process.stdout.write(`${JSON.stringify({ event: 'stats', signal, ...proxy.stats() })}\n`);
  await proxy.close();
  return 0;
}

runMain(main);
