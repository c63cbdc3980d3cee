/** Renders a result as a terminal table: a pure function from result to string. */
import Table from 'cli-table3';
import type { LatencySummary } from '../../common/histogram.ts';
import type { HistogramReport } from '../../common/stats-schema.ts';
import type { ServerStats } from '../../common/stats-schema.ts';
import { modelLabel, type BenchResult, type CompletedResult } from '../result.ts';
import { runtimeLabel } from '../../common/runtime.ts';

/** A completed run, or an interrupted one's partial figures under its header. */
type Figures = Omit<CompletedResult, 'status'>;

type Row = [string, string];

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
/** µs → ms with enough digits to tell loopback latencies apart. */
const msFromUs = (us: number | null): string => (us === null ? '—' : (us / 1000).toFixed(us < 10_000 ? 2 : 1) + ' ms');
const spread = (s: LatencySummary): string => `${msFromUs(s.p50)} / ${msFromUs(s.p99)} / ${msFromUs(s.max)}`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

export function renderTable(result: BenchResult, options: { color?: boolean } = {}): string {
  const table = new Table({
    head: ['', `${modelLabel(result)} · ${result.scenario.name}`],
    style: { head: options.color ? ['cyan'] : [], border: options.color ? ['grey'] : [] },
    colAligns: ['left', 'right'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  // Last, under the figures: a spawned server runs on the load generator's own binary; a --target server on whatever it was started with.
  const finish = (): string => {
    table.push([result.model === 'external' ? 'load generator runtime' : 'runtime', runtimeLabel(result.environment)]);
    return table.toString();
  };
  if (result.status === 'failed') {
    table.push(['status', `FAILED: ${result.error.code}`], ['error', result.error.message]);
    if (!result.partial) return finish();
    table.push(['figures', 'what was measured before it failed']);
    pushFigures(table, { ...result, ...result.partial });
    return finish();
  }
  if (result.status === 'interrupted') {
    table.push(['status', `INTERRUPTED by ${result.interruption.signal} during ${result.interruption.phase} (exit ${result.interruption.exitCode})`]);
    if (!result.partial) return finish();
    table.push(['figures', 'what was measured before the stop']);
    pushFigures(table, { ...result, ...result.partial });
  } else {
    pushFigures(table, result);
  }
  return finish();
}

function pushFigures(table: Table.Table, result: Figures): void {
  const s = result.selfCheck;
  if (s.saturated) {
    const side = s.side === 'both' ? 'send and receive sides' : s.side === 'cpu' ? 'CPU' : `${s.side ?? 'send'} side`;
    table.push(['!! LOADGEN-SATURATED !!', `these figures measure the load generator (${side}), not the server`], ['why', s.reason ?? '']);
    if (s.advice) table.push(['what to try', s.advice]);
  }
  if (result.stall) {
    table.push(['!! SERVER STALLED !!', `from second ${result.stall.beganAtSecond} of the measured phase, ${result.stall.stalledSeconds} s without replies`]);
  }
  table.push(...networkRows(result), ...mainRows(result), ...faultRows(result), ...accountingRows(result), ...phaseRows(result), ...fanoutRows(result), ...behaviourRows(result), ...httpRows(result), ...selfCheckRows(result));
  if (result.server) table.push(['— server contention —', '(measured phase)'], ...contentionRows(result.server));
}

/** The fault proxies in the path, first: every figure below went through them. */
function networkRows(result: Figures): Row[] {
  const n = result.network;
  if (!n) return [];
  const total = (key: 'chunksStalled' | 'resets' | 'pauses'): number => n.stats.reduce((sum, s) => sum + (s?.[key] ?? 0), 0);
  const lostProxies = n.stats.filter((s) => s === undefined).length;
  return [
    ['network', `through ${n.proxies} fault ${n.proxies === 1 ? 'proxy' : 'proxies'}: ${n.described}`],
    ['proxies did', `${int(total('chunksStalled'))} chunks held by stalls, ${int(total('resets'))} resets, ${int(total('pauses'))} backpressure pauses${lostProxies > 0 ? `; ${lostProxies} proxy reported nothing` : ''}`],
  ];
}

function mainRows(result: Figures): Row[] {
  const { connections: c, messages: m, latency: l, errors: e } = result;
  const causes = Object.entries(e.byCause)
    .map(([cause, n]) => `${cause} ${int(n)}`)
    .join(', ');
  const mode = result.load.mode.kind === 'open-loop' ? `open loop, ${int(result.load.mode.rate)} msg/s target` : `closed loop, ${result.load.mode.inFlight} in flight per client`;
  const rows: Row[] = [
    ['connections open', `${int(c.open)} / ${int(c.requested)}`],
    ['handshake p50 / p99', `${msFromUs(c.handshake.p50)} / ${msFromUs(c.handshake.p99)}`],
    ['handshakes/s', int(c.handshakesPerSec)],
    ['mode', mode],
    ['messages/s sent', int(m.sentPerSec)],
    ['messages/s received', int(m.receivedPerSec)],
    ['latency p50', msFromUs(l.p50)],
    ['latency p90', msFromUs(l.p90)],
    ['latency p99', msFromUs(l.p99)],
    ['latency p99.9', msFromUs(l.p999)],
    ['latency max', msFromUs(l.max)],
  ];
  const kinds = Object.entries(result.latencyByKind);
  if (kinds.length > 1) for (const [kind, k] of kinds) rows.push([`${kind} p50 / p99 / max`, spread(k!.summary)]);
  rows.push(
    ['sent / expected / received', `${int(m.sent)} / ${int(m.expected)} / ${int(m.received)}`],
    ['errors', e.total === 0 ? '0' : `${int(e.total)} (${causes})`],
    ['lost', m.lostInWarmup > 0 ? `${int(m.lost)} (+${int(m.lostInWarmup)} in warm-up)` : int(m.lost)],
  );
  return rows;
}

function faultRows(result: Figures): Row[] {
  const f = result.fault;
  if (!f) return [];
  return [
    ['fault injected', `${f.site === 'registry' ? 'midway through a broadcast' : 'in a connection task'}, at ${f.atSecond} s, by client ${f.client}; ${int(f.faultFramesReceived)} copies delivered`],
    ['clients still served after it', `${int(f.servedAfter)} of ${int(f.activeBefore)} (${f.activeBefore > 0 ? Math.round((f.servedAfter / f.activeBefore) * 1000) / 10 : 0}%)`],
    ['seconds disrupted after it', `${int(f.secondsDisrupted)} of ${int(f.secondsAfter)} whole seconds with less than 90% answered`],
    ['ghost registry entries', f.ghosts === null ? 'unknown (the registry could not be counted)' : int(f.ghosts)],
  ];
}

function accountingRows(result: Figures): Row[] {
  const a = result.accounting;
  const rows: Row[] = [];
  if (a.droppedByPolicy !== null && (a.droppedByPolicy > 0 || a.refusedTargetGone > 0 || a.lost > 0)) {
    const verdict = a.balanced ? 'balanced' : `${int(a.unexplained ?? 0)} UNEXPLAINED`;
    rows.push(['delivered + dropped + refused', `${int(a.delivered)} + ${int(a.droppedByPolicy)} + ${int(a.refusedTargetGone)} of ${int(a.expected)} expected: ${verdict}`]);
  }
  const i = result.integrity;
  // Loss the scenario caused is expected and shown on its own line; anything else makes the run faulty.
  if (i.expectedLoss > 0) rows.push(['lost, expected by the scenario', `${int(i.expectedLoss)} (${int(a.excused)} at clients it stopped reading or around its fault, ${int(a.refusedTargetGone)} refused: target gone)`]);
  rows.push(['deliveries', i.verdict === 'clean' ? 'clean' : `FAULTY: ${i.problems.join('; ')}`]);
  const cz = result.censoring;
  if (cz.deliveries + cz.fanouts > 0) rows.push(['lost, counted as late (censored)', `${int(cz.deliveries)} lost deliveries${cz.fanouts > 0 ? ` and ${int(cz.fanouts)} incomplete broadcasts` : ''} counted at ${cz.atMs / 1000} s in the latency figures`]);
  const b = a.byCause;
  if (b && b.missing + b.duplicate + b.toSender + b.wrongReceiver + b.unknownProbe > 0) {
    rows.push(['deliveries by receiver', `missing ${int(b.missing)}, duplicate ${int(b.duplicate)}, to sender ${int(b.toSender)}, wrong client ${int(b.wrongReceiver)}, unknown probe ${int(b.unknownProbe)}`]);
  }
  const p = result.slowConsumerPolicy;
  if (p && (p.name !== 'await' || p.dropped > 0)) rows.push(['slow-consumer policy', `${p.name}: ${int(p.dropped)} frames dropped, ${int(p.disconnected)} clients disconnected`]);
  const r = result.registry;
  if (r.countBeforeClose !== undefined) {
    const before = r.countBeforeClose === r.openBeforeClose ? `${int(r.countBeforeClose)} (= clients open)` : `${int(r.countBeforeClose)} (clients open: ${int(r.openBeforeClose)})`;
    rows.push(['registry before / after close', `${before} / ${r.countAfterClose === undefined ? '?' : int(r.countAfterClose)}`]);
  }
  return rows;
}

function phaseRows(result: Figures): Row[] {
  if (result.trafficPhases.length < 2) return [];
  return result.trafficPhases.map((p) => {
    const recovery = p.recoveredAfterSeconds === undefined ? '' : p.recoveredAfterSeconds === null ? ', NOT RECOVERED' : `, recovered after ${p.recoveredAfterSeconds} s`;
    return [`phase ${p.name} (${int(p.rate)}/s, ${p.durationMs / 1000} s)`, `p50 / p99 ${msFromUs(p.latency.p50)} / ${msFromUs(p.latency.p99)}, ${int(p.received)} of ${int(p.expected)}${recovery}`];
  });
}

function behaviourRows(result: Figures): Row[] {
  const rows: Row[] = [];
  const roles = result.roles;
  const readers = result.load.behaviours?.keepReading ? 'slow-reader role (control run: they keep reading)' : 'stopped readers';
  if (roles.publisher > 0 || roles.stoppedReaders > 0) rows.push(['roles', `${roles.publisher} publisher, ${roles.stoppedReaders} ${readers}, ${int(roles.senders)} senders`]);
  const c = result.churn;
  if (c) rows.push(['churn: left / joined / failed joins', `${int(c.left)} / ${int(c.joined)} / ${int(c.joinsFailed)}`]);
  return rows;
}

function httpRows(result: Figures): Row[] {
  const h = result.http;
  if (!h) return [];
  const rows: Row[] = h.routes.map((r) => [
    `HTTP ${r.method} ${r.path}`,
    `${int(r.perSec)}/s (${int(r.ok)} ok, ${int(r.non2xx)} non-2xx, ${int(r.errors)} errors), p50 / p99 / max ${r.latencyMs.p50} / ${r.latencyMs.p99} / ${r.latencyMs.max} ms`,
  ]);
  const b = h.adminBroadcasts;
  if (b) rows.push(['HTTP broadcast deliveries', `${int(b.delivered)} of ${b.expectedDeliveries === null ? '?' : int(b.expectedDeliveries)} expected (${b.served ?? '?'} served, ${int(b.accepted)} answered in time)`]);
  return rows;
}

function fanoutRows(result: Figures): Row[] {
  const f = result.fanout;
  if (!f) return [];
  return [
    ['broadcast deliveries', `${int(f.delivered)} of ${int(f.expectedDeliveries)} expected`],
    ['broadcasts fully fanned out', `${int(f.completed)} of ${int(f.broadcasts)}`],
    ['fan-out to last receiver p50 / p99 / max', spread(f.completion)],
  ];
}

function selfCheckRows(result: Figures): Row[] {
  const s = result.selfCheck;
  const lag = result.load.mode.kind === 'open-loop' ? `, send lag p99 ${msFromUs(s.sendLag.p99)}` : '';
  const rows: Row[] = [['load generator', `${s.cpuPercent}% CPU, loop delay p99 ${msFromUs(s.eventLoopDelay.p99)} / max ${msFromUs(s.eventLoopDelay.max)}${lag}`]];
  // Late events per side, against the margin (results stored before both sides were judged have neither).
  if (s.sendSide && s.receiveSide) {
    const late = (side: typeof s.sendSide, what: string): string => `${int(side.late)} of ${int(side.events)} ${what}`;
    rows.push([`late by > ${s.maxSendLagMs} ms`, `${late(s.sendSide, 'sends')}; ${late(s.receiveSide, 'loop checks while replies were due')}`]);
  }
  return rows;
}

/** One row per kind or operation: p50 / p99 / max and the count. */
function byLabel(title: string, reports: Record<string, HistogramReport>): Row[] {
  return Object.entries(reports)
    .filter(([, r]) => r.summary.count > 0)
    .map(([label, r]) => [`${title} · ${label}`, `${spread(r.summary)} (${int(r.summary.count)})`]);
}

export function contentionRows(server: ServerStats): Row[] {
  const rows: Row[] = [
    ['server CPU / loop utilization', `${server.cpuPercent}% / ${Math.round(server.eventLoop.utilization * 100)}%`],
    ['server loop delay p99 / max', `${msFromUs(server.eventLoop.delay.p99)} / ${msFromUs(server.eventLoop.delay.max)}`],
    ['server RSS', mib(server.rssBytes)],
    ['outbound queue full events', int(server.outboundQueueFullEvents)],
  ];
  // Whatever the model contends on, in the one shape every model reports.
  for (const gauge of server.contention.gauges) {
    rows.push(gauge.mean === undefined ? [`${gauge.help} max`, int(gauge.max)] : [`${gauge.help} mean / max`, `${gauge.mean} / ${int(gauge.max)}`]);
  }
  for (const timing of server.contention.timings) rows.push(...byLabel(timing.help, timing.byOperation));
  return rows;
}
