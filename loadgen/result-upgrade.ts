/**
 * Results stored by older versions, read as the current schema, so that `npm run report` still
 * renders a stored comparison and compare's --resume re-reads finished trials:
 * - schema 4 results carry stats schema 2 (per-model `actor`/`mutex` parts);
 * - up to schema 5 an empty latency summary held zeros (now nulls), and there was no `integrity`
 *   or `censoring`: integrity is judged from the stored accounting, with no loss excused (those
 *   versions did not tell the scenario's loss from the server's) beyond refusals; nothing censored.
 */
import { EMPTY_SUMMARY } from '../common/histogram.ts';
import { noCauses } from './record/ledger.ts';
import { upgradeServerGauges, upgradeServerStats, type ServerStats } from '../common/stats-schema.ts';
import { judgeIntegrity, RESULT_SCHEMA_VERSION, type BenchResult, type MeasuredFigures } from './result.ts';

export function upgradeResult(stored: BenchResult): BenchResult {
  const version = (stored as { schemaVersion: number }).schemaVersion;
  const upgraded = { ...stored, schemaVersion: RESULT_SCHEMA_VERSION } as BenchResult;
  switch (upgraded.status) {
    case 'completed':
      return { ...upgraded, ...upgradeFigures(upgraded, version) };
    case 'interrupted':
    case 'failed':
      return upgraded.partial ? { ...upgraded, partial: upgradeFigures(upgraded.partial, version) } : upgraded;
  }
}

/** Every summary stored with zeros for an empty histogram, anywhere in the figures (phases, handshakes, the self-check), reads as the empty summary. */
function emptyAsNull<T>(value: T): T {
  if (Array.isArray(value)) return value.map(emptyAsNull) as T;
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (record.count === 0 && 'p50' in record && 'p99' in record && 'max' in record) return EMPTY_SUMMARY as T;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, emptyAsNull(v)])) as T;
}

function upgradeFigures<T extends MeasuredFigures>(figures: T, version: number): T {
  const server = figures.server && { server: upgradeServerStats(figures.server as Parameters<typeof upgradeServerStats>[0]) as ServerStats };
  const timeSeries = figures.timeSeries.map((s) => (s.server ? { ...s, server: upgradeServerGauges(s.server) } : s));
  if (version >= 6) return { ...figures, ...server, timeSeries };
  const a = figures.accounting;
  // Schema 3 had no per-receiver causes: every loss counts as missing, every surplus as a duplicate.
  const stored = a.byCause ?? { missing: a.lost, duplicate: figures.messages.extra, toSender: 0, wrongReceiver: 0, unknownProbe: 0 };
  const causes = { ...noCauses(), ...stored };
  const integrity = judgeIntegrity(a.expected, {
    lost: a.lost,
    lostInWarmup: 0,
    lostExcused: 0,
    refused: a.refusedTargetGone,
    extra: figures.messages.extra,
    deliveryCauses: { measured: causes, warmup: noCauses() },
    counters: { unexpected: figures.messages.unexpected } as Parameters<typeof judgeIntegrity>[1]['counters'],
  });
  return emptyAsNull({
    ...figures,
    ...server,
    timeSeries,
    integrity,
    censoring: { atMs: 0, deliveries: 0, fanouts: 0 },
    accounting: { ...a, byCause: stored, excused: 0, balanced: figures.messages.extra > 0 ? false : a.balanced },
  });
}
