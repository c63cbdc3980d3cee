/** Renders a result as a terminal table: a pure function from result to string. */
import Table from 'cli-table3';
import type { BenchResult } from '../result.ts';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
/** µs → ms with enough digits to tell loopback latencies apart. */
const msFromUs = (us: number): string => (us / 1000).toFixed(us < 10_000 ? 2 : 1) + ' ms';

export function renderTable(result: BenchResult, options: { color?: boolean } = {}): string {
  const table = new Table({
    head: ['', `${result.model} · ${result.scenario.name}`],
    style: { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] },
    colAligns: ['left', 'right'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  if (result.status === 'failed') {
    table.push(['status', `FAILED: ${result.error.code}`], ['error', result.error.message]);
    return table.toString();
  }
  const { connections: c, messages: m, latency: l, errors: e } = result;
  const causes = Object.entries(e.byCause)
    .map(([cause, n]) => `${cause} ${int(n)}`)
    .join(', ');
  table.push(
    ['connections open', `${int(c.open)} / ${int(c.requested)}`],
    ['handshake p50 / p99', `${msFromUs(c.handshake.p50)} / ${msFromUs(c.handshake.p99)}`],
    ['handshakes/s', int(c.handshakesPerSec)],
    ['mode', result.mode === 'open-loop' ? `open loop, ${int(result.load.mode.kind === 'open-loop' ? result.load.mode.rate : 0)} msg/s target` : 'closed loop'],
    ['messages/s sent', int(m.sentPerSec)],
    ['messages/s received', int(m.receivedPerSec)],
    ['latency p50', msFromUs(l.p50)],
    ['latency p90', msFromUs(l.p90)],
    ['latency p99', msFromUs(l.p99)],
    ['latency p99.9', msFromUs(l.p999)],
    ['latency max', msFromUs(l.max)],
    ['sent / expected / received', `${int(m.sent)} / ${int(m.expected)} / ${int(m.received)}`],
    ['errors', e.total === 0 ? '0' : `${int(e.total)} (${causes})`],
    ['lost', int(m.lost)],
  );
  return table.toString();
}
