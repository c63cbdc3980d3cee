/**
 * Live progress for long runs, listening to the runner (it never measures): on a terminal one line
 * rewritten every second; otherwise a plain log line every `logEverySeconds`.
 */
import type { Phase, RunObserver } from '../runner.ts';
import type { TimeSeriesSample } from '../record/time-series.ts';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

export function progressLine(sample: TimeSeriesSample): string {
  // The model's contention gauges (mailbox depth, lock waiters…), whatever the model.
  const server = Object.entries(sample.server?.contention ?? {})
    .map(([name, value]) => `  ${name.replace(/_/g, ' ')} ${int(value)}`)
    .join('');
  return `[${sample.phase}] ${sample.t.toFixed(0)} s  clients ${int(sample.openClients)}  sent ${int(sample.sent)}/s  received ${int(sample.received)}/s  p99 ${(sample.p99 / 1000).toFixed(1)} ms  errors ${int(sample.errors)}${server}`;
}

export function progressObserver(stream: NodeJS.WriteStream, logEverySeconds = 5): RunObserver {
  const tty = stream.isTTY === true;
  let live = false;
  let ticks = 0;
  const endLive = (): void => {
    if (live) stream.write('\n');
    live = false;
  };
  return {
    phase(phase: Phase, detail: string) {
      endLive();
      stream.write(`[${phase}] ${detail}\n`);
    },
    tick(sample: TimeSeriesSample) {
      if (tty) {
        stream.write(`\r\x1b[2K${progressLine(sample)}`);
        live = true;
      } else if (++ticks % logEverySeconds === 0) {
        stream.write(`${progressLine(sample)}\n`);
      }
    },
  };
}
