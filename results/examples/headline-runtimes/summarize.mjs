// Tabulates the interleaved headline checks of run.sh per runtime and model (Markdown on stdout):
//   node results/examples/headline-runtimes/summarize.mjs
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
const here = path.dirname(new URL(import.meta.url).pathname);
const range = (xs, unit) => (xs.length === 0 ? '—' : `${Math.min(...xs)}–${Math.max(...xs)}${unit}`);
console.log('| runtime | model | runs | loadgen-saturated | send lag p99 | loop delay p99 | longest loop pause | loadgen CPU | latency p99 |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const which of ['pinned', 'system']) {
  const dir = path.join(here, which);
  if (!existsSync(dir)) continue;
  const summaries = readdirSync(dir).flatMap((round) => readdirSync(path.join(dir, round)).filter((f) => f.endsWith('-headline-check.json')).map((f) => JSON.parse(readFileSync(path.join(dir, round, f), 'utf8'))));
  const node = [...new Set(summaries.map((s) => s.node))].join(', ');
  for (const model of ['actor', 'mutex']) {
    const rows = summaries.flatMap((s) => s.rows).filter((r) => r.model === model);
    const pick = (k) => rows.map((r) => r[k]).filter((v) => v !== null);
    console.log(`| Node ${node} | ${model} | ${rows.length} | ${rows.filter((r) => r.saturated).length} | ${range(pick('sendLagP99Ms'), ' ms')} | ${range(pick('loopDelayP99Ms'), ' ms')} | ${range(pick('loopDelayMaxMs'), ' ms')} | ${range(pick('cpuPercent'), '%')} | ${range(pick('latencyP99Ms'), ' ms')} |`);
  }
}
