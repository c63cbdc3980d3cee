/**
 * Results stored by older versions, read as the current schema where only the server's part
 * changed shape (schema 4 results carry stats schema 2: per-model `actor`/`mutex` parts), so that
 * `npm run report` still renders a stored comparison.
 */
import { upgradeServerGauges, upgradeServerStats, type ServerStats } from '../common/stats-schema.ts';
import type { BenchResult, MeasuredFigures } from './result.ts';

export function upgradeResult(stored: BenchResult): BenchResult {
  switch (stored.status) {
    case 'completed':
      return { ...stored, ...upgradeFigures(stored) };
    case 'interrupted':
      return stored.partial ? { ...stored, partial: upgradeFigures(stored.partial) } : stored;
    case 'failed':
      return stored;
  }
}

function upgradeFigures<T extends MeasuredFigures>(figures: T): T {
  return {
    ...figures,
    ...(figures.server && { server: upgradeServerStats(figures.server as Parameters<typeof upgradeServerStats>[0]) as ServerStats }),
    timeSeries: figures.timeSeries.map((s) => (s.server ? { ...s, server: upgradeServerGauges(s.server) } : s)),
  };
}
