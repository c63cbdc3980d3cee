/**
 * The canary's child (regress/canary.ts): pinned to the servers' CPU, it times a fixed piece of
 * work — integer arithmetic and a hash map, the kind of work a server's registry does — each time a
 * line arrives on stdin, and answers with the fastest of its repetitions in nanoseconds (a sustained slowdown raises even the
 * fastest; a single preemption does not).
 */
import { createInterface } from 'node:readline';

const REPETITIONS = 11;
const WARM_UP = 8;

function work(): number {
  const map = new Map<number, number>();
  let x = 1;
  for (let i = 0; i < 40_000; i++) {
    x = (x * 48_271) % 2_147_483_647;
    map.set(x & 4095, (map.get((x >>> 12) & 4095) ?? 0) + i);
  }
  return map.size + x;
}

let sink = 0;
function measure(): number {
  // The CPU was idle or busy with something else a moment ago: the first pieces of work run on a
  // cold core (the gate saw the first reading after a pause up to 30% slow), so they are not timed.
  for (let i = 0; i < WARM_UP; i++) sink += work();
  const times: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const start = process.hrtime.bigint();
    sink += work();
    times.push(Number(process.hrtime.bigint() - start));
  }
  return Math.min(...times);
}

// JIT warm-up, so that the first answer times optimised code.
for (let i = 0; i < 20; i++) sink += work();
createInterface({ input: process.stdin }).on('line', () => process.stdout.write(`${measure()} ${sink & 1}\n`));
