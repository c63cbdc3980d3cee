/**
 * The machine's speed, timed on the servers' CPU before and after every trial. A paired round is
 * only as good as the assumption that its two trials ran on the same machine; on shared hosts that
 * fails in "slow spells" (every trial on that CPU, base's and head's alike, costing 1.6–1.9× the CPU
 * per message for tens of seconds to minutes: docs/gate.md). A round whose trials saw the machine at
 * different speeds says nothing about the code and is replaced like a hole.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The canary's figures around one trial: its work's time (ns) just before and just after. */
export interface CanaryReading {
  readonly before: number;
  readonly after: number;
}

/**
 * Largest spread (max/min) of the canary readings of a round's trials — both sides, before and
 * after — for the round to count. The canary's own spread on a quiet machine is a few percent; the
 * slow spells it is there to catch cost 1.3× and more.
 */
export const CANARY_TOLERANCE = 0.15;

export interface Canary {
  read(): Promise<number>;
  close(): void;
}

const CHILD = fileURLToPath(new URL('./canary-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ANSWER_TIMEOUT_MS = 10_000;

/** Starts the canary's child, pinned to `cpus` when given. */
export async function startCanary(cpus: string | undefined): Promise<Canary> {
  const node = [process.execPath, '--import', 'tsx', CHILD];
  const argv = cpus === undefined ? node : ['taskset', '-c', cpus, ...node];
  const child: ChildProcessWithoutNullStreams = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, stdio: 'pipe' });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  let exited = false;
  child.once('exit', () => {
    exited = true;
    for (const w of waiting.splice(0)) w('');
  });
  const read = (): Promise<number> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error('the canary process has exited'));
      const timer = setTimeout(() => reject(new Error('the canary did not answer')), ANSWER_TIMEOUT_MS);
      waiting.push((line) => {
        clearTimeout(timer);
        const ns = Number(line.split(' ')[0]);
        if (Number.isFinite(ns) && ns > 0) resolve(ns);
        else reject(new Error('the canary process has exited'));
      });
      child.stdin.write('\n');
    });
  await read(); // its first answer, after warm-up: the child is ready
  return {
    read,
    close: () => {
      child.stdin.end();
      child.kill();
    },
  };
}

/**
 * Whether the round's trials saw one machine: the spread (max/min) of all their canary readings,
 * and a reason when it exceeds 1 + CANARY_TOLERANCE. Readings missing (no canary) pass.
 */
export function judgeCanary(readings: readonly (CanaryReading | undefined)[]): { spread?: number; reason?: string } {
  const values = readings.flatMap((r) => (r ? [r.before, r.after] : []));
  if (values.length < 2) return {};
  const spread = Math.max(...values) / Math.min(...values);
  if (spread <= 1 + CANARY_TOLERANCE) return { spread };
  return { spread, reason: `the machine's speed changed across the round: the canary on the servers' CPU took ${spread.toFixed(2)}× as long at its slowest as at its fastest (more than ${(1 + CANARY_TOLERANCE).toFixed(2)}×)` };
}
